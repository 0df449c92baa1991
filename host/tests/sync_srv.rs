//! `mongodb+srv://` URIs (what MongoDB Atlas and most managed deployments hand out) for `sync`
//! and `backfill`, against the Mongo-wire server found through a private DNS server: dnsmasq
//! (Debian's dnsmasq-base) on 127.0.0.2:53 serves the SRV record of a test domain (its host,
//! an A record for 127.0.0.1, and the Mongo-wire server's port) and a TXT record with options.
//! The binary runs under `unshare --mount` with a bind-mounted resolv.conf naming that server,
//! so the machine's own /etc/resolv.conf is never touched. Checked: both commands read every
//! document through the SRV form; TLS is on by default (the plain server then cannot be
//! reached, and `tls=false` in the URI turns it off); the TXT record's options apply (a wrong
//! `replicaSet` there finds no server).

mod sync_common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sync_common::*;

const DNS_ADDR: &str = "127.0.0.2";
/// The good domain, and one whose TXT record names a replica set that does not exist.
const DOMAIN: &str = "cluster0.mi-srv.test";
const WRONG_SET: &str = "cluster1.mi-srv.test";

/// A private dnsmasq on 127.0.0.2:53 for the test domain; stopped on drop.
struct Dns {
    child: Child,
    resolv: PathBuf,
}

impl Dns {
    fn start(dir: &Path, mongo_port: u16, set_name: &str) -> Dns {
        // Free before we start ours (bound, then released).
        std::net::UdpSocket::bind((DNS_ADDR, 53))
            .unwrap_or_else(|e| panic!("{DNS_ADDR}:53 is not free for the test DNS server: {e}"));
        let log = dir.join("dnsmasq.log");
        let bin = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect(
                "dnsmasq is missing: `scripts/services.sh install mongo` installs dnsmasq-base",
            );
        let node = "node1.mi-srv.test";
        let child = Command::new(bin)
            .args([
                "--keep-in-foreground",
                "--conf-file=/dev/null",
                "--no-resolv",
                "--no-hosts",
                "--bind-interfaces",
                "--port=53",
                "--pid-file=",
                "--local=/mi-srv.test/",
                "--log-queries",
            ])
            .arg(format!("--listen-address={DNS_ADDR}"))
            .arg(format!("--log-facility={}", log.display()))
            .arg(format!("--host-record={node},127.0.0.1"))
            .arg(format!(
                "--srv-host=_mongodb._tcp.{DOMAIN},{node},{mongo_port}"
            ))
            .arg(format!(
                "--srv-host=_mongodb._tcp.{WRONG_SET},{node},{mongo_port}"
            ))
            .arg(format!(
                "--txt-record={DOMAIN},authSource=admin&replicaSet={set_name}"
            ))
            .arg(format!(
                "--txt-record={WRONG_SET},replicaSet=mi-no-such-set"
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dnsmasq starts");
        let t0 = Instant::now();
        while !std::fs::read_to_string(&log).is_ok_and(|l| l.contains("started")) {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "dnsmasq did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let resolv = dir.join("resolv.conf");
        std::fs::write(&resolv, format!("nameserver {DNS_ADDR}\n")).unwrap();
        Dns { child, resolv }
    }

    /// The binary with `args`, seeing only this DNS server.
    fn run(&self, dir: &Path, args: &[&str]) -> Output {
        let mut c = Command::new("unshare");
        c.args(["--mount", "sh", "-c"])
            .arg(r#"mount --bind "$0" /etc/resolv.conf && exec "$@""#)
            .arg(&self.resolv)
            .arg(bin())
            .args(args)
            .current_dir(dir)
            .env("MILVUS_INGEST_HOME", dir.join(".home"))
            .env_remove("MONGODB_DATABASE")
            .env_remove("MONGODB_URI")
            .env_remove("MILVUS_URI");
        c.output().expect("unshare runs")
    }
}

impl Drop for Dns {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port of the Mongo-wire server, from its `mongodb://host:port/...` URI.
fn mongo_port() -> u16 {
    let uri = mongo_uri();
    let rest = uri.split_once("://").unwrap().1;
    let hosts = rest.split(['/', '?']).next().unwrap();
    let host = hosts.rsplit('@').next().unwrap().split(',').next().unwrap();
    host.rsplit_once(':')
        .map_or(27017, |(_, p)| p.parse().unwrap())
}

async fn set_name() -> String {
    let hello = mongo()
        .await
        .database("admin")
        .run_command(bson::doc! {"hello": 1})
        .await
        .unwrap();
    hello
        .get_str("setName")
        .expect("the Mongo-wire server is a replica set member")
        .to_string()
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "{}", text(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{}", text(out)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn srv_uris_reach_the_server_for_sync_and_backfill() {
    let db = "st_srv";
    let client = mongo().await;
    let coll = fresh(&client, db, EPISODIC.source).await;
    insert(&coll, &episodic_docs(41, 0..30, DIM)).await;
    let dir = tempfile::tempdir().unwrap();
    let dns = Dns::start(dir.path(), mongo_port(), &set_name().await);
    let state = dir.path().join("state").display().to_string();
    let sync = |uri: &str| -> Output {
        let mut args = vec!["--output", "json", "sync"];
        let handler = EPISODIC.args();
        args.extend(handler.iter().map(String::as_str));
        args.extend(["--mongo-uri", uri, "--mongo-db", db, "--dry-run"]);
        args.extend(["--state-dir", &state, "--no-progress"]);
        dns.run(dir.path(), &args)
    };

    // SRV for the host, TXT for authSource and replicaSet; tls=false for this plain server.
    let uri = format!("mongodb+srv://{DOMAIN}/?tls=false");
    let s = json(&sync(&uri));
    assert_eq!(s["read"], 30, "{s}");
    assert!(s["source"].as_str().unwrap().starts_with(&uri), "{s}");
    let args = [
        "--output",
        "json",
        "backfill",
        "-c",
        "episodic_memory",
        "--mongo-uri",
        &uri,
        "--mongo-db",
        db,
        "--model",
        "m",
        "--handler-param",
        "dim=8",
        "--dry-run",
        "--state-dir",
        &state,
        "--no-progress",
    ];
    let b = json(&dns.run(dir.path(), &args));
    assert_eq!(b["selected"], 30, "{b}");

    // TLS is on by default for mongodb+srv://: the plain server cannot be reached.
    let out = sync(&format!("mongodb+srv://{DOMAIN}/"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("node1.mi-srv.test") && err.contains("mongodb+srv:// turns TLS on"),
        "{err}"
    );

    // The TXT record's options apply: a replica set name nobody serves finds no server.
    let out = sync(&format!("mongodb+srv://{WRONG_SET}/?tls=false"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let log = std::fs::read_to_string(dir.path().join("dnsmasq.log")).unwrap();
    assert!(
        log.contains(&format!("query[SRV] _mongodb._tcp.{DOMAIN}"))
            && log.contains(&format!("query[TXT] {DOMAIN}")),
        "{log}"
    );
    drop(dns);
    client.database(db).drop().await.unwrap();
}
