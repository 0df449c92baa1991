//! `plugin list/search` against private CNCF distribution registries through the real binary:
//! one with `catalog.maxentries: 2` (it refuses `n` above 2 with 400 PAGINATION_NUMBER_INVALID
//! and pages with `Link` headers), one with htpasswd auth whose credentials only a Docker
//! credential helper (a shell script on a PATH the test sets) knows. Ports 5001 and 5002.

mod registry_private;

use std::process::Command;

use registry_private::{Env, PrivateRegistry, oras_push, service_var, text};

/// An independent look at what the registry answers (Python's urllib, no project code).
fn raw_get(url: &str) -> String {
    let out = Command::new(service_var("MI_ORAS_PYTHON"))
        .args([
            "-c",
            r#"
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1])
    print(r.status, r.headers.get("Link"), r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, None, e.read().decode())
"#,
            url,
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn names(listed: &str) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_str(listed).unwrap_or_else(|e| panic!("{e}: {listed}"));
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_catalog_is_read_across_pages_when_the_registry_caps_n() {
    let root = tempfile::tempdir().unwrap();
    let registry = PrivateRegistry::start(
        &root.path().join("paged"),
        5001,
        "catalog:\n  maxentries: 2\n",
    );
    let host = registry.host.clone();
    let want: Vec<String> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|n| format!("paged:{n}"))
        .collect();
    for n in ["a", "b", "c", "d", "e"] {
        oras_push(root.path(), &host, &format!("pfx/paged/{n}:1.0.0"), None);
    }
    oras_push(root.path(), &host, "elsewhere/x:1.0.0", None);

    // The registry really is configured so: n=1000 refused, pages of 2 with a Link header.
    let big = raw_get(&format!("http://{host}/v2/_catalog?n=1000"));
    assert!(
        big.starts_with("400") && big.contains("PAGINATION_NUMBER_INVALID"),
        "{big}"
    );
    let first = raw_get(&format!("http://{host}/v2/_catalog"));
    assert!(
        first.starts_with("200 </v2/_catalog?") && first.contains("rel=\"next\""),
        "{first}"
    );

    let env = Env::new(root.path(), "user");
    let reference = format!("oci://{host}/pfx");
    let out = env.run(&[
        "--output",
        "json",
        "plugin",
        "list",
        "--registry",
        &reference,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(names(&String::from_utf8_lossy(&out.stdout)), want);
    let out = env.run(&[
        "--output",
        "json",
        "plugin",
        "search",
        "paged:d",
        "--registry",
        &reference,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(names(&String::from_utf8_lossy(&out.stdout)), ["paged:d"]);
}
