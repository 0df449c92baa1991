//! Shared by the registry tests: the real binary run in throwaway projects with private caches,
//! the OCI registry from scripts/services.sh, the Python `oras` client, and the scenarios run
//! against both an OCI and a directory registry.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::json;

/// A built guest component (fails with instructions when missing; never skips).
pub fn wasm(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/target/wasm32-wasip2/release")
        .join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "{} is missing: build the guest plugins first with scripts/build-plugins.sh",
        path.display()
    );
    path
}

/// A variable from the environment or `$MILVUS_INGEST_SERVICES_DIR/env.sh`; a missing one
/// fails the test (the service did not start).
pub fn service_var(var: &str) -> String {
    if let Ok(v) = std::env::var(var) {
        return v;
    }
    let dir = std::env::var("MILVUS_INGEST_SERVICES_DIR")
        .unwrap_or_else(|_| "/tmp/milvus-ingest-services".into());
    let path = Path::new(&dir).join("env.sh");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    for line in text.lines() {
        if let Some(rest) = line.trim().strip_prefix("export ")
            && let Some((k, v)) = rest.split_once('=')
            && k == var
        {
            return v.trim_matches(['"', '\'']).to_string();
        }
    }
    panic!(
        "{var} is not set and not in {}: run `scripts/services.sh up registry`",
        path.display()
    )
}

/// A name unique to this test run, usable as an OCI repository path segment and a namespace.
pub fn unique(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "registry-{test}-{}-{}",
        std::process::id(),
        nanos % 1_000_000_000
    )
}

/// An OCI registry reference with a prefix unique to `test`.
pub fn oci_ref(test: &str) -> String {
    format!("oci://{}/{}", service_var("MI_OCI_REGISTRY"), unique(test))
}

/// A user (home: cache and config) and a working directory.
pub struct Env {
    pub home: PathBuf,
    pub dir: PathBuf,
}

impl Env {
    pub fn new(root: &Path, name: &str) -> Env {
        let home = root.join(format!("{name}-home"));
        let dir = root.join(name);
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        Env { home, dir }
    }

    /// A second project of the same user (same cache).
    pub fn sibling(&self, root: &Path, name: &str) -> Env {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        Env {
            home: self.home.clone(),
            dir,
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_milvus-ingest"));
        c.args(args)
            .current_dir(&self.dir)
            .env("MILVUS_INGEST_HOME", &self.home)
            .env("DOCKER_CONFIG", self.home.join("docker"))
            .env_remove("MILVUS_INGEST_REGISTRY")
            .env_remove("MILVUS_INGEST_REGISTRY_USERNAME")
            .env_remove("MILVUS_INGEST_REGISTRY_PASSWORD");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("binary runs")
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?} failed:\n{}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs a command that must fail with exit code `code`; returns stderr.
    pub fn fails(&self, code: i32, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(code), "{args:?}:\n{}", text(&out));
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// The cached blob of a digest.
    pub fn blob(&self, digest: &str) -> PathBuf {
        self.home
            .join("cache/registry/blobs/sha256")
            .join(digest.strip_prefix("sha256:").unwrap())
    }

    pub fn lock(&self) -> toml::Table {
        let text = std::fs::read_to_string(self.dir.join("milvus-ingest.lock")).unwrap();
        text.parse().unwrap()
    }

    /// The locked digest of the only locked plugin.
    pub fn locked_digest(&self) -> String {
        let lock = self.lock();
        lock["plugin"][0]["digest"].as_str().unwrap().to_string()
    }

    /// Writes a schema whose `n` field uses dice's `roll` generator.
    pub fn dice_schema(&self) {
        let schema = json!({"collection_name": "registry_dice", "fields": [
            {"name": "id", "type": "Int64", "is_primary": true},
            {"name": "v", "type": "FloatVector", "dim": 4},
            {"name": "n", "type": "Int64",
             "generator": {"plugin": "dice", "name": "roll", "params": {"sides": 20}}}]});
        std::fs::write(self.dir.join("s.json"), schema.to_string()).unwrap();
    }

    /// Generates with `plugin` (a `--plugin` value) and returns the dataset's data files.
    pub fn generate(&self, extra: &[&str]) -> Vec<(String, Vec<u8>)> {
        let mut args = vec![
            "generate", "--schema", "s.json", "-r", "500", "--out", "out", "--force",
        ];
        args.extend_from_slice(extra);
        self.ok(&args);
        data_files(&self.dir.join("out"))
    }
}

/// Every file of a dataset except meta.json (which records times), sorted by name.
pub fn data_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name() != "meta.json")
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no data files in {}", dir.display());
    out
}

pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn sha256_file(path: &Path) -> String {
    use sha2::Digest;
    format!(
        "sha256:{}",
        hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
    )
}

// ---- scenarios shared by the OCI and directory registry tests ----------------------------------

/// Publish, add into two separate projects (separate caches), generate with
/// `--plugin NS:dice@^1` in both: identical data. Returns the two environments.
pub fn two_projects_generate_identically(root: &Path, registry: &str, ns: &str) -> (Env, Env) {
    let publisher = Env::new(root, "publisher");
    let name = format!("{ns}:dice");
    let dice = wasm("dice");
    let out = publisher.ok(&[
        "plugin",
        "publish",
        dice.to_str().unwrap(),
        "--registry",
        registry,
        "--name",
        &name,
        "--version",
        "1.0.0",
    ]);
    assert!(out.contains(&sha256_file(&dice)), "{out}");
    let spec = format!("{name}@^1");
    let a = Env::new(root, "project-a");
    let b = Env::new(root, "project-b");
    let mut outputs = Vec::new();
    for env in [&a, &b] {
        env.ok(&["plugin", "add", &spec, "--registry", registry]);
        let lock = env.lock();
        let entry = &lock["plugin"][0];
        assert_eq!(entry["name"].as_str(), Some(name.as_str()));
        assert_eq!(entry["version"].as_str(), Some("1.0.0"));
        assert_eq!(entry["requirement"].as_str(), Some("^1"));
        assert_eq!(entry["digest"].as_str().unwrap(), sha256_file(&dice));
        assert_eq!(entry["world"].as_str(), Some("field-generator"));
        assert_eq!(entry["plugin"].as_str(), Some("dice"));
        let project = std::fs::read_to_string(env.dir.join("milvus-ingest.toml")).unwrap();
        assert!(
            project.contains(&format!("\"{name}\" = \"^1\"")),
            "{project}"
        );
        env.dice_schema();
        // From a subdirectory: the project is found by walking up.
        let sub = env.dir.join("sub");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::copy(env.dir.join("s.json"), sub.join("s.json")).unwrap();
        let in_sub = Env {
            home: env.home.clone(),
            dir: sub,
        };
        outputs.push(in_sub.generate(&["--plugin", &spec]));
        // --locked and --offline both work from a complete lock and cache.
        assert_eq!(
            in_sub.generate(&["--plugin", &spec, "--locked"]),
            outputs[outputs.len() - 1]
        );
        assert_eq!(
            in_sub.generate(&["--plugin", &spec, "--offline"]),
            outputs[outputs.len() - 1]
        );
    }
    assert_eq!(
        outputs[0], outputs[1],
        "two projects generated different data"
    );
    // The same bytes a file path gives.
    a.ok(&[
        "generate",
        "--schema",
        "s.json",
        "-r",
        "500",
        "--out",
        "by-path",
        "--plugin",
        dice.to_str().unwrap(),
    ]);
    assert_eq!(data_files(&a.dir.join("by-path")), outputs[0]);
    // search/list/info see it.
    let listed = a.ok(&["plugin", "list", "--registry", registry]);
    assert!(
        listed.contains(&name) && listed.contains("1.0.0"),
        "{listed}"
    );
    let found = a.ok(&["plugin", "search", "dice", "--registry", registry]);
    assert!(found.contains(&name), "{found}");
    let info = a.ok(&[
        "--output",
        "json",
        "plugin",
        "info",
        &name,
        "--registry",
        registry,
    ]);
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["published"]["meta"]["world"], "field-generator");
    assert_eq!(info["published"]["meta"]["interfaceVersion"], "0.2.0");
    assert_eq!(
        info["published"]["digest"].as_str().unwrap(),
        sha256_file(&dice)
    );
    // Verify passes on a healthy project.
    a.ok(&["plugin", "verify"]);
    (a, b)
}

/// A cached blob that changed on disk is refused at load, and `verify` names it.
pub fn tampered_cache_is_refused(env: &Env, spec: &str) {
    let blob = env.blob(&env.locked_digest());
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes.push(0);
    std::fs::write(&blob, bytes).unwrap();
    let err = env.fails(
        1,
        &[
            "generate", "--schema", "s.json", "-r", "10", "--out", "t", "--plugin", spec,
        ],
    );
    assert!(err.contains("digest mismatch"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    let out = env.run(&["plugin", "verify", "--offline"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("digest mismatch"),
        "{}",
        text(&out)
    );
    // Removing the damaged file lets the next run fetch it again by digest.
    std::fs::remove_file(&blob).unwrap();
    env.generate(&["--plugin", spec]);
    assert_eq!(sha256_file(&blob), env.locked_digest());
}

/// Publishing an existing version is refused; so are files that are not usable plugins.
pub fn bad_publishes_are_refused(root: &Path, registry: &str, ns: &str) {
    let env = Env::new(root, "bad-publish");
    let name = format!("{ns}:geo");
    let geo = wasm("geo_gen");
    let args = |v: &'static str| {
        vec![
            "plugin".to_string(),
            "publish".into(),
            geo.to_str().unwrap().into(),
            "--registry".into(),
            registry.into(),
            "--name".into(),
            name.clone(),
            "--version".into(),
            v.into(),
        ]
    };
    let run = |a: Vec<String>| env.run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(run(args("0.4.1")).status.success());
    let again = run(args("0.4.1"));
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already exists"),
        "{}",
        text(&again)
    );
    assert!(run(args("0.3.0")).status.success());
    // Distinct messages: no matching version (listing what exists), not found.
    let err = env.fails(
        2,
        &[
            "plugin",
            "add",
            &format!("{name}@^1"),
            "--registry",
            registry,
        ],
    );
    assert!(
        err.contains("no version of")
            && err.contains("matches ^1")
            && err.contains("available: 0.3.0, 0.4.1"),
        "{err}"
    );
    let err = env.fails(
        2,
        &[
            "plugin",
            "add",
            &format!("{ns}:nothing"),
            "--registry",
            registry,
        ],
    );
    assert!(err.contains("not found"), "{err}");
    // Not a component; a component of no supported interface version.
    let junk = root.join("junk.wasm");
    std::fs::write(&junk, b"not wasm at all").unwrap();
    let err = env.fails(
        2,
        &[
            "plugin",
            "publish",
            junk.to_str().unwrap(),
            "--registry",
            registry,
            "--name",
            &format!("{ns}:junk"),
            "--version",
            "1.0.0",
        ],
    );
    assert!(err.contains("not a WebAssembly component"), "{err}");
    let future = wasm("future_interface");
    let err = env.fails(
        2,
        &[
            "plugin",
            "publish",
            future.to_str().unwrap(),
            "--registry",
            registry,
            "--name",
            &format!("{ns}:future"),
            "--version",
            "1.0.0",
        ],
    );
    assert!(err.contains("interface version"), "{err}");
    let listed = env.ok(&["plugin", "list", "--registry", registry]);
    assert!(
        !listed.contains("junk") && !listed.contains("future"),
        "{listed}"
    );
    // A bad name or requirement is a usage error naming the rule.
    let err = env.fails(2, &["plugin", "add", "NoNamespace", "--registry", registry]);
    assert!(err.contains("NAMESPACE:NAME"), "{err}");
}

/// Two publishes of different packages at once both land; two `add`s into one cache at once
/// both succeed.
pub fn concurrency(root: &Path, registry: &str, ns: &str) {
    let env = Env::new(root, "concurrent");
    let mut children = Vec::new();
    for (name, file) in [("text", "text_gen"), ("vec", "vector_check")] {
        let path = wasm(file);
        children.push(
            env.command(&[
                "plugin",
                "publish",
                path.to_str().unwrap(),
                "--registry",
                registry,
                "--name",
                &format!("{ns}:{name}"),
                "--version",
                "2.0.0",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
        );
    }
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
    let listed = env.ok(&["plugin", "list", "--registry", registry]);
    assert!(listed.contains(&format!("{ns}:text  2.0.0")), "{listed}");
    assert!(listed.contains(&format!("{ns}:vec  2.0.0")), "{listed}");

    let one = env.sibling(root, "concurrent-a");
    let two = env.sibling(root, "concurrent-b");
    let spec = format!("{ns}:text@2");
    let children: Vec<_> = [&one, &two]
        .iter()
        .map(|e| {
            e.command(&["plugin", "add", &spec, "--registry", registry])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
    assert_eq!(one.locked_digest(), two.locked_digest());
    assert_eq!(
        sha256_file(&one.blob(&one.locked_digest())),
        one.locked_digest()
    );
    let dir = one
        .blob(&one.locked_digest())
        .parent()
        .unwrap()
        .to_path_buf();
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left in the cache: {leftovers:?}"
    );
    one.ok(&["plugin", "verify"]);
    // remove and update edit the project and the lock.
    one.ok(&["plugin", "update"]);
    one.ok(&["plugin", "remove", &format!("{ns}:text")]);
    assert!(
        one.lock()
            .get("plugin")
            .is_none_or(|p| p.as_array().unwrap().is_empty())
    );
    let err = one.fails(2, &["plugin", "remove", &format!("{ns}:text")]);
    assert!(err.contains("is not in"), "{err}");
}
