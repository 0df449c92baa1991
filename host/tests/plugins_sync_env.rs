//! `VECTORIZE_DIMENSIONS` sets a sync handler's default `dim` (EverMemOS's variable);
//! `--handler-param dim=N` overrides it. Alone in its binary: it changes the environment.

use std::collections::BTreeMap;

use milvus_ingest::plugin::PluginHost;
use milvus_ingest::sync::handlers::resolve_handler;

#[test]
fn vectorize_dimensions_is_the_default_dim_and_the_param_wins() {
    let cache = tempfile::tempdir().unwrap();
    let host = PluginHost::with_cache_dir(Default::default(), 0, Some(cache.path().to_path_buf()))
        .unwrap();
    // SAFETY: the only test in this binary; nothing else reads the environment concurrently.
    unsafe { std::env::set_var("VECTORIZE_DIMENSIONS", "256") };
    let r = resolve_handler(&host, &[], "foresight", &BTreeMap::new()).unwrap();
    assert_eq!(r.handler.describe().dim, Some(256));
    let p = BTreeMap::from([("dim".to_string(), "64".to_string())]);
    let r = resolve_handler(&host, &[], "foresight", &p).unwrap();
    assert_eq!(r.handler.describe().dim, Some(64));
    unsafe { std::env::set_var("VECTORIZE_DIMENSIONS", "lots") };
    let err = resolve_handler(&host, &[], "foresight", &BTreeMap::new())
        .err()
        .unwrap();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("VECTORIZE_DIMENSIONS"), "{err}");
    unsafe { std::env::remove_var("VECTORIZE_DIMENSIONS") };
}
