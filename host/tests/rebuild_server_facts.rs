//! The two server behaviours the rebuild's keyset copy rests on, checked on Milvus 2.3.5:
//!
//! 1. `pk > last` with a `limit` returns the smallest keys above `last`, in ascending key order,
//!    across several segments (sealed and growing) and for keys inserted in random order. The
//!    copy also checks the order of every page it reads and refuses to go on otherwise.
//! 2. Reads carrying a guarantee timestamp (Customized consistency, iterator read path) are NOT
//!    pinned to it on 2.3.5: a row inserted after the timestamp is visible. So the copy cannot
//!    rely on a snapshot there; it compares counts before switching and refuses (or, with
//!    `--catch-up`, compares keys) when the old collection was written to during the copy.

mod rebuild_common;

use milvus_ingest::milvus::collection::flush;
use milvus_ingest::milvus::query::{Pk, pks_of};
use milvus_ingest::milvus::scan::{count_at, query_at, wall_clock_ts};
use milvus_ingest::milvus::{Client, ConnectOptions};
use rebuild_common::{check, cleanup, fill, service_uri};
use serde_json::json;

const URI: &str = "MI_MILVUS23_URI";

#[test]
fn keyset_pages_come_back_smallest_first_and_reads_are_not_pinned_to_a_timestamp() {
    let uri = service_uri(URI);
    let tmp = tempfile::tempdir().unwrap();
    let name = "rb_facts";
    cleanup(URI, name);
    // UUID keys: insertion order is unrelated to key order. Two inserts make two segments.
    let schema = json!({
        "collection_name": name,
        "fields": [
            {"name": "uid", "type": "VarChar", "max_length": 40, "is_primary": true},
            {"name": "v", "type": "FloatVector", "dim": 4}
        ]
    });
    fill(tmp.path(), &uri, &schema, 20_000, name);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = Client::connect(&ConnectOptions::new(uri.clone()))
            .await
            .unwrap();
        flush(&client, name, std::time::Duration::from_secs(60))
            .await
            .unwrap();
        // Growing rows too (not flushed), with keys spread over the whole range.
        check(
            URI,
            &[
                "copyrows",
                name,
                "uid",
                &json!(first_key(&client, name).await).to_string(),
                &json!(["0", "5zzz", "9", "a0", "ffff", "zzzz"]).to_string(),
            ],
        );
        let ts = wall_clock_ts();
        let total = count_at(&client, name, "", 0).await.unwrap();
        assert_eq!(total, 20_006);

        let mut all: Vec<Pk> = Vec::new();
        loop {
            let expr = match all.last() {
                Some(l) => format!("uid > {l}"),
                None => String::new(),
            };
            let page = query_at(&client, name, &expr, &["uid".into()], Some(3000), ts)
                .await
                .unwrap();
            let pks = pks_of(page.fields.iter().find(|f| f.field_name == "uid").unwrap());
            let mut sorted = pks.clone();
            sorted.sort();
            assert_eq!(pks, sorted, "a page is not in key order");
            if let (Some(a), Some(b)) = (all.last(), pks.first()) {
                assert!(b > a);
            }
            let n = pks.len();
            all.extend(pks);
            if n < 3000 {
                break;
            }
        }
        assert_eq!(
            all.len() as u64,
            total,
            "keyset pages missed or repeated rows"
        );

        // A row inserted after the timestamp is still seen by a read at the timestamp (once the
        // server has consumed it: a Strong count first makes that deterministic).
        check(
            URI,
            &[
                "copyrows",
                name,
                "uid",
                "\"0\"",
                &json!(["00", "zzzzz"]).to_string(),
            ],
        );
        assert_eq!(count_at(&client, name, "", 0).await.unwrap(), 20_008);
        let page = query_at(
            &client,
            name,
            r#"uid in ["00", "zzzzz"]"#,
            &["uid".into()],
            Some(10),
            ts,
        )
        .await
        .unwrap();
        let seen = pks_of(page.fields.iter().find(|f| f.field_name == "uid").unwrap());
        assert!(
            seen.contains(&Pk::Str("zzzzz".into())) && seen.contains(&Pk::Str("00".into())),
            "2.3.5 now pins reads to the guarantee timestamp: the rebuild could rely on snapshots there"
        );
        assert_eq!(count_at(&client, name, "", 0).await.unwrap(), 20_008);
    });
    cleanup(URI, name);
}

async fn first_key(client: &Client, name: &str) -> String {
    let page = query_at(client, name, "", &["uid".into()], Some(1), 0)
        .await
        .unwrap();
    match &pks_of(&page.fields[0])[0] {
        Pk::Str(s) => s.clone(),
        Pk::Int(i) => i.to_string(),
    }
}
