//! Sync handlers that break the contract (issue 8 item 8): each stops with an error naming the
//! plugin, the function and the document, within the host's limits.

mod support;

use std::collections::BTreeMap;

use milvus_ingest::plugin::{Documents, PluginError, SyncHandler};
use serde_json::json;
use support::*;

fn docs(ids: &[&str], marker: Option<(usize, &str)>) -> Vec<String> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            let mut d = json!({"_id": id, "text": "ok"});
            if let Some((at, m)) = marker
                && at == i
            {
                d["text"] = json!(m);
            }
            d.to_string()
        })
        .collect()
}

fn handler(ty: &str, timeout_ms: u64) -> (SyncHandler, tempfile::TempDir) {
    let (host, c) = host_with(limits(64, timeout_ms), 0, &["misbehave_sync"]);
    (host.sync_handler(ty).unwrap(), c)
}

fn call_error(e: PluginError) -> (String, String, String, String) {
    match e {
        PluginError::Call {
            plugin,
            function,
            field,
            message,
        } => (plugin, function, field, message),
        other => panic!("not a call error: {other}"),
    }
}

#[test]
fn a_trap_names_the_document_that_caused_it() {
    let (h, _c) = handler("trap_on_boom", 10_000);
    let out = h
        .convert(Documents::Text(&docs(&["a", "b"], None)))
        .unwrap();
    assert_eq!(out.entities.len(), 2);
    let e = h
        .convert(Documents::Text(&docs(&["a", "b", "c"], Some((1, "boom")))))
        .err()
        .unwrap();
    let text = e.to_string();
    let (plugin, function, field, message) = call_error(e);
    assert_eq!(
        (plugin.as_str(), function.as_str(), field.as_str()),
        ("misbehave-sync", "convert", "trap_on_boom")
    );
    assert!(
        message.starts_with("document 1 (id `b`): trapped"),
        "{message}"
    );
    assert!(
        message.contains("boom in document b"),
        "the guest's panic message: {message}"
    );
    assert!(text.contains("plugin `misbehave-sync`"), "{text}");
}

#[test]
fn a_loop_is_stopped_by_the_time_limit_and_names_the_document() {
    let (h, _c) = handler("loop_on_loop", 300);
    let e = h
        .convert(Documents::Text(&docs(&["a", "b", "c"], Some((2, "loop")))))
        .err()
        .unwrap();
    let (_, function, _, message) = call_error(e);
    assert_eq!(function, "convert");
    assert!(
        message.starts_with("document 2 (id `c`): timed out"),
        "{message}"
    );
}

#[test]
fn broken_bookkeeping_and_bad_entities_are_errors() {
    let cases = [
        (
            "not_an_object_on_bad",
            Some((1, "bad")),
            "document 1 (id `b`): the entity is not a JSON object",
        ),
        (
            "lose_last",
            None,
            "document 1 (id `b`): is neither converted, skipped nor deleted",
        ),
        (
            "twice_first",
            None,
            "document 0 (id `a`): was returned twice",
        ),
        (
            "vector_twice_on_twice",
            Some((1, "twice")),
            "document 1 (id `b`): returned field `vector` twice (row and float vectors)",
        ),
        (
            "error_always",
            None,
            "document 0 (id `a`): the plugin returned an error: cannot convert anything",
        ),
    ];
    for (ty, marker, want) in cases {
        let (h, _c) = handler(ty, 10_000);
        let e = h
            .convert(Documents::Text(&docs(&["a", "b"], marker)))
            .err()
            .unwrap();
        let (plugin, function, field, message) = call_error(e);
        assert_eq!(
            (plugin.as_str(), function.as_str(), field.as_str()),
            ("misbehave-sync", "convert", ty)
        );
        assert_eq!(message, want, "{ty}");
    }
}

#[test]
fn a_type_that_vanishes_with_params_is_refused_at_resolution() {
    let (host, _c) = host(0, &["misbehave_sync"]);
    let p = BTreeMap::from([("mode".to_string(), "x".to_string())]);
    let e = host
        .sync_handler_with("vanishes_with_params", &p)
        .err()
        .unwrap();
    let (plugin, function, field, message) = call_error(e);
    assert_eq!(
        (plugin.as_str(), function.as_str(), field.as_str()),
        ("misbehave-sync", "describe", "vanishes_with_params")
    );
    assert!(
        message.contains("declared `vanishes_with_params` with default params but not with"),
        "{message}"
    );
    assert!(host.sync_handler("vanishes_with_params").is_ok());
}
