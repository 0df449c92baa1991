//! The worked example of evermemos.md section 6, and one test per converter defect fixed.

use milvus_ingest_sdk::serde_json::{self, Value, json};
use milvus_ingest_sdk::{ConvertResult, Document, Params};

use crate::*;

/// Components float32 holds exactly, so an entity's float32 vector reads back equal.
fn vector(dim: usize) -> Vec<Value> {
    let mut v = vec![json!(0.0123_f32 as f64), json!(-0.0456_f32 as f64)];
    v.extend((2..dim).map(|i| json!((i as f64) / 4096.0)));
    v
}

/// The Mongo document of section 6, in relaxed Extended JSON.
fn worked_doc() -> Value {
    json!({"_id": {"$oid": "6616a3f2c9e77a1b2c3d4e5f"}, "user_id": "user_1001", "user_name": "张伟",
     "group_id": "group_alpha", "group_name": "Alpha项目组",
     "timestamp": {"$date": "2026-04-08T06:30:00Z"}, "participants": ["张伟", "李娜"],
     "summary": "张伟和李娜商定将产品发布会推迟到4月20日", "subject": "产品发布会筹备",
     "episode": "2026年4月8日下午，张伟与李娜在线上会议中讨论了新版本的发布计划。李娜建议将发布会推迟到4月20日，以便完成最后一轮测试；张伟同意，并负责通知市场团队。",
     "type": "Conversation", "keywords": ["发布会", "测试", "市场团队"], "linked_entities": [],
     "memcell_event_id_list": ["6616a3e0c9e77a1b2c3d4e50"],
     "extend": {"memory_type": "episodic_memory", "ori_event_id": null, "tags": null},
     "vector": vector(1024), "vector_model": "Qwen/Qwen3-Embedding-4B",
     "created_at": {"$date": "2026-04-08T06:31:12.345Z"}, "updated_at": {"$date": "2026-04-08T06:31:12.345Z"}})
}

/// serde_json's Map sorts keys; the document's `extend` must keep its own order, so the
/// worked example is written as text with the keys in the order above.
fn worked_text() -> String {
    let d = worked_doc();
    let text = d.to_string();
    // Restore extend's key order (serde_json sorted it: memory_type, ori_event_id, tags is
    // already alphabetical, so nothing to do), and check it.
    assert!(
        text.contains(
            r#""extend":{"memory_type":"episodic_memory","ori_event_id":null,"tags":null}"#
        )
    );
    text
}

/// Converts documents given as Extended JSON text, sent as the BSON the host sends.
fn run(kind: Kind, params: &Params, docs: &[String]) -> ConvertResult {
    let bytes: Vec<Vec<u8>> = docs
        .iter()
        .map(|t| milvus_ingest_sdk::document_from_extjson(t).unwrap())
        .collect();
    run_bson(kind, params, &bytes)
}

fn run_bson(kind: Kind, params: &Params, docs: &[Vec<u8>]) -> ConvertResult {
    let docs: Vec<Document> = docs.iter().map(|b| Document::new(b).unwrap()).collect();
    convert(kind, kind.collection_type(), params, &docs).unwrap()
}

fn one(kind: Kind, doc: &Value) -> Result<Value, String> {
    let r = run(kind, &Params::default(), &[doc.to_string()]);
    match (r.entities.first(), r.skipped.first()) {
        (Some(e), None) => Ok(whole(e)),
        (None, Some(s)) => Err(s.reason.clone()),
        _ => panic!("{r:?}"),
    }
}

/// The entity's row with its float32 vectors put back as JSON numbers.
fn whole(e: &milvus_ingest_sdk::Entity) -> Value {
    let mut row = e.row.clone();
    for (field, values) in &e.float_vectors {
        row[field] = json!(values.iter().map(|&x| f64::from(x)).collect::<Vec<_>>());
    }
    row
}

fn with(mut doc: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().unwrap() {
        if v.is_string() && v == "<absent>" {
            doc.as_object_mut().unwrap().remove(k);
        } else {
            doc[k] = v.clone();
        }
    }
    doc
}

#[test]
fn section_6_worked_example_is_reproduced_exactly() {
    let r = run(Kind::EpisodicMemory, &Params::default(), &[worked_text()]);
    assert!(r.skipped.is_empty(), "{:?}", r.skipped);
    let expected = json!({"id": "6616a3f2c9e77a1b2c3d4e5f", "user_id": "user_1001", "group_id": "group_alpha",
     "participants": ["张伟", "李娜"], "timestamp": 1775629800,
     "episode": "2026年4月8日下午，张伟与李娜在线上会议中讨论了新版本的发布计划。李娜建议将发布会推迟到4月20日，以便完成最后一轮测试；张伟同意，并负责通知市场团队。",
     "search_content": "[\"产品发布会筹备\", \"张伟和李娜商定将产品发布会推迟到4月20日\", \"2026年4月8日下午，张伟与李娜在线上会议中讨论了新版本的发布计划。李娜建议将发布会推迟到4月20日，以便完成最后一轮测试；张伟同意，并负责通知市场团队。\"]",
     "event_type": "Conversation",
     "metadata": "{\"user_name\": \"张伟\", \"title\": \"产品发布会筹备\", \"summary\": \"张伟和李娜商定将产品发布会推迟到4月20日\", \"participants\": [\"张伟\", \"李娜\"], \"keywords\": [\"发布会\", \"测试\", \"市场团队\"], \"linked_entities\": [], \"subject\": \"产品发布会筹备\", \"memcell_event_id_list\": [\"6616a3e0c9e77a1b2c3d4e50\"], \"extend\": {\"memory_type\": \"episodic_memory\", \"ori_event_id\": null, \"tags\": null}}",
     "parent_type": "", "parent_id": "", "created_at": 1775629872, "updated_at": 1775629872,
     "vector": vector(1024)});
    assert!(
        whole(&r.entities[0]) == expected,
        "the worked example differs"
    );
    let e = &r.entities[0].row;
    // The byte sizes the design document gives.
    assert_eq!(e["episode"].as_str().unwrap().len(), 216);
    assert_eq!(e["search_content"].as_str().unwrap().len(), 306);
    assert_eq!(e["metadata"].as_str().unwrap().len(), 416);
}

#[test]
fn nested_key_order_follows_the_document() {
    let text = worked_text().replace(
        r#""extend":{"memory_type":"episodic_memory","ori_event_id":null,"tags":null}"#,
        r#""extend":{"tags":["a"],"memory_type":"m","score":1.0,"n":{"$numberLong":"5"},"at":{"$date":"2026-01-01T00:00:00Z"}}"#,
    );
    let r = run(Kind::EpisodicMemory, &Params::default(), &[text]);
    let meta = r.entities[0].row["metadata"].as_str().unwrap().to_string();
    assert!(
        meta.ends_with(r#""extend": {"tags": ["a"], "memory_type": "m", "score": 1.0, "n": 5, "at": {"$date": "2026-01-01T00:00:00Z"}}}"#),
        "{meta}"
    );
}

#[test]
fn fix_nulls_in_non_nullable_fields_become_defaults() {
    // S6: group_id and participants passed through as None and failed the whole batch.
    let doc = with(
        worked_doc(),
        json!({"group_id": null, "participants": null, "user_id": null, "type": null,
               "subject": null, "created_at": null, "updated_at": "<absent>",
               "extend": null, "keywords": null}),
    );
    let e = one(Kind::EpisodicMemory, &doc).unwrap();
    assert_eq!(e["group_id"], "");
    assert_eq!(e["participants"], json!([]));
    assert_eq!(e["user_id"], "");
    assert_eq!(e["event_type"], "");
    assert_eq!(
        (e["created_at"].clone(), e["updated_at"].clone()),
        (json!(0), json!(0))
    );
    let meta = e["metadata"].as_str().unwrap();
    assert!(
        meta.starts_with(r#"{"user_name": "张伟", "summary": "#),
        "{meta}"
    );
    assert!(!meta.contains("extend") && !meta.contains("keywords") && !meta.contains("title"));
    // event_log and foresight: `or ""`/`or []` already; foresight duration_days `or 0`.
    let fs = json!({"_id": {"$oid": "6616a3f2c9e77a1b2c3d4e60"}, "content": "c", "parent_type": "memcell",
        "parent_id": "p", "vector": vector(1024), "user_id": null, "group_id": null,
        "participants": null, "duration_days": null, "evidence": null});
    let e = one(Kind::Foresight, &fs).unwrap();
    assert_eq!(
        (e["group_id"].clone(), e["participants"].clone()),
        (json!(""), json!([]))
    );
    assert_eq!(
        (e["duration_days"].clone(), e["evidence"].clone()),
        (json!(0), json!(""))
    );
}

#[test]
fn fix_strings_are_cut_to_their_byte_limits_on_character_boundaries() {
    // S7: a Chinese episode over ~1,600 characters overflowed search_content (5000 bytes).
    let long = "张".repeat(4000); // 12000 bytes
    let doc = with(
        worked_doc(),
        json!({"episode": long, "user_id": "李".repeat(40), "participants": ["娜".repeat(50)],
               "type": "t".repeat(60)}),
    );
    let e = one(Kind::EpisodicMemory, &doc).unwrap();
    let episode = e["episode"].as_str().unwrap();
    assert_eq!(episode.len(), 9999); // 3333 characters; the next would pass 10000 bytes
    let sc = e["search_content"].as_str().unwrap();
    assert!(sc.len() <= 5000 && sc.len() >= 4997, "{}", sc.len());
    let items: Vec<String> = serde_json::from_str(sc).unwrap();
    assert_eq!(items[0], "产品发布会筹备");
    assert!(items[2].starts_with("张张"));
    assert_eq!(e["user_id"].as_str().unwrap().len(), 99);
    assert_eq!(e["participants"][0].as_str().unwrap().len(), 99);
    assert_eq!(e["event_type"].as_str().unwrap().len(), 50);
    // 120 participants: Milvus holds 100 per row.
    let many: Vec<String> = (0..120).map(|i| format!("p{i}")).collect();
    let e = one(
        Kind::EpisodicMemory,
        &with(worked_doc(), json!({"participants": many})),
    )
    .unwrap();
    assert_eq!(e["participants"].as_array().unwrap().len(), 100);
    // metadata over 50000 bytes: the bulkiest optional keys go, the text stays JSON.
    let doc = with(
        worked_doc(),
        json!({"extend": {"blob": "x".repeat(60_000)}}),
    );
    let e = one(Kind::EpisodicMemory, &doc).unwrap();
    let meta = e["metadata"].as_str().unwrap();
    assert!(meta.len() <= 50_000 && !meta.contains("blob"));
    serde_json::from_str::<Value>(meta).unwrap();
    // ...and a summary alone over the limit cannot be kept valid: skipped with a reason.
    let doc = with(worked_doc(), json!({"summary": "y".repeat(60_000)}));
    assert!(
        one(Kind::EpisodicMemory, &doc)
            .unwrap_err()
            .starts_with("metadata is")
    );
}

#[test]
fn fix_bad_vectors_are_skipped_alone_with_a_reason() {
    // S9: a vector whose length != dim failed the whole batch.
    let docs: Vec<String> = [
        with(worked_doc(), json!({})),
        with(worked_doc(), json!({"vector": vector(768)})),
        with(worked_doc(), json!({"vector": []})),
        with(worked_doc(), json!({"vector": null})),
        with(worked_doc(), json!({"vector": "<absent>"})),
        {
            let mut v = vector(1024);
            v[3] = json!({"$numberDouble": "NaN"});
            with(worked_doc(), json!({"vector": v}))
        },
        {
            let mut v = vector(1024);
            v[5] = json!(1e300);
            with(worked_doc(), json!({"vector": v}))
        },
        {
            let mut v = vector(1024);
            v[7] = json!("x");
            with(worked_doc(), json!({"vector": v}))
        },
    ]
    .iter()
    .map(Value::to_string)
    .collect();
    let r = run(Kind::EpisodicMemory, &Params::default(), &docs);
    assert_eq!(r.entities.len(), 1);
    let reasons: Vec<(u32, &str)> = r
        .skipped
        .iter()
        .map(|s| (s.index, s.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (1, "vector has 768 dimensions, expected 1024"),
            (2, "no vector"),
            (3, "no vector"),
            (4, "no vector"),
            (5, "vector component 3 is not a finite float32 (NaN)"),
            (6, "vector component 5 is not a finite float32 (1e+300)"),
            (7, "vector component 7 is not a number: a string"),
        ]
    );
    assert!(r.skipped.iter().all(|s| s.id == "6616a3f2c9e77a1b2c3d4e5f"));
}

#[test]
fn fix_a_malformed_document_is_skipped_alone() {
    // S8: Beanie validation of one bad document aborted the whole run.
    let good = worked_doc().to_string();
    let enc = |t: &str| milvus_ingest_sdk::document_from_extjson(t).unwrap();
    // A well-framed document with a bad element: a string whose length runs past the end.
    let mut broken = enc(r#"{"_id": {"$oid": "6616a3f2c9e77a1b2c3d4e5f"}, "s": "x"}"#);
    let at = broken.len() - 7;
    broken[at..at + 4].copy_from_slice(&100_i32.to_le_bytes());
    let docs = [
        enc(&good),
        broken,
        enc(&with(worked_doc(), json!({"_id": null})).to_string()),
        enc(&with(worked_doc(), json!({"summary": ""})).to_string()),
        enc(&with(worked_doc(), json!({"timestamp": "<absent>"})).to_string()),
        enc(&with(worked_doc(), json!({"timestamp": "soon"})).to_string()),
        enc(&with(worked_doc(), json!({"user_id": 7})).to_string()),
        enc(&with(worked_doc(), json!({"participants": ["a", 1]})).to_string()),
        enc(&good),
    ];
    let r = run_bson(Kind::EpisodicMemory, &Params::default(), &docs);
    assert_eq!(
        r.entities.iter().map(|e| e.index).collect::<Vec<_>>(),
        [0, 8]
    );
    let reasons: Vec<&str> = r.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert!(
        reasons[0].starts_with("not a valid BSON document"),
        "{reasons:?}"
    );
    assert_eq!(
        reasons[1..],
        [
            "no _id",
            "`summary` is empty",
            "missing required field `timestamp`",
            "`timestamp` is not a date",
            "`user_id` must be a string, got a number",
            "`participants` must be a list of strings, found a number",
        ]
    );
    // A malformed document has no trustworthy id; the reason names the byte.
    assert_eq!(r.skipped[0].id, "");
    assert!(reasons[0].contains("at byte"), "{reasons:?}");
    assert_eq!(r.skipped[3].id, "6616a3f2c9e77a1b2c3d4e5f");
}

fn event_doc() -> Value {
    json!({"_id": {"$oid": "6616a3f2c9e77a1b2c3d4e61"}, "atomic_fact": "张伟负责通知市场团队",
     "parent_type": "memcell", "parent_id": "6616a3e0c9e77a1b2c3d4e50",
     "timestamp": {"$date": {"$numberLong": "1775629800999"}}, "user_id": "user_1001",
     "group_id": null, "event_type": null, "participants": ["张伟"],
     "extend": {"k": [1, 2.5]}, "vector": vector(1024), "vector_model": "Qwen/Qwen3-Embedding-4B",
     "created_at": {"$date": "2026-04-08T06:31:12.345Z"}})
}

#[test]
fn event_log_follows_section_3() {
    let e = one(Kind::EventLog, &event_doc()).unwrap();
    assert_eq!(
        e,
        json!({"id": "6616a3f2c9e77a1b2c3d4e61", "vector": vector(1024), "user_id": "user_1001",
               "group_id": "", "participants": ["张伟"], "parent_type": "memcell",
               "parent_id": "6616a3e0c9e77a1b2c3d4e50", "event_type": "Conversation",
               "timestamp": 1775629800, "atomic_fact": "张伟负责通知市场团队",
               "search_content": "[\"张伟负责通知市场团队\"]",
               "metadata": "{\"vector_model\": \"Qwen/Qwen3-Embedding-4B\", \"extend\": {\"k\": [1, 2.5]}}",
               "created_at": 1775629872, "updated_at": 0})
    );
    let e = one(
        Kind::EventLog,
        &with(
            event_doc(),
            json!({"atomic_fact": "", "vector_model": null, "extend": null}),
        ),
    )
    .unwrap();
    assert_eq!(
        (e["search_content"].clone(), e["metadata"].clone()),
        (json!("[]"), json!("{}"))
    );
    assert_eq!(
        one(
            Kind::EventLog,
            &with(event_doc(), json!({"parent_id": "<absent>"}))
        )
        .unwrap_err(),
        "missing required field `parent_id`"
    );
}

fn foresight_doc() -> Value {
    json!({"_id": {"$oid": "6616a3f2c9e77a1b2c3d4e62"}, "content": "李娜将在4月20日前完成测试",
     "evidence": "会议记录", "parent_type": "episode", "parent_id": "6616a3f2c9e77a1b2c3d4e5f",
     "start_time": "2026-04-08", "end_time": "2026-04-20T18:00:00+08:00", "duration_days": 12,
     "vector": vector(1024), "vector_model": "m",
     "created_at": {"$date": "2026-04-08T06:31:12.345Z"}, "updated_at": {"$date": "2026-04-09T00:00:00Z"}})
}

#[test]
fn foresight_follows_section_3() {
    let e = one(Kind::Foresight, &foresight_doc()).unwrap();
    assert_eq!(
        e,
        json!({"id": "6616a3f2c9e77a1b2c3d4e62", "vector": vector(1024), "user_id": "", "group_id": "",
               "participants": [], "parent_type": "episode", "parent_id": "6616a3f2c9e77a1b2c3d4e5f",
               "start_time": 1775606400, "end_time": 1776679200, "duration_days": 12,
               "content": "李娜将在4月20日前完成测试", "evidence": "会议记录",
               "search_content": "[\"李娜将在4月20日前完成测试\", \"会议记录\"]",
               "metadata": "{\"vector_model\": \"m\"}",
               "created_at": 1775629872, "updated_at": 1775692800})
    );
    // start/end: a date, a number taken as-is, empty or unreadable -> 0.
    let e = one(
        Kind::Foresight,
        &with(
            foresight_doc(),
            json!({"start_time": {"$date": "2026-04-08T00:00:01Z"}, "end_time": 1776679200.7}),
        ),
    )
    .unwrap();
    assert_eq!(
        (e["start_time"].clone(), e["end_time"].clone()),
        (json!(1775606401), json!(1776679200))
    );
    let e = one(
        Kind::Foresight,
        &with(
            foresight_doc(),
            json!({"start_time": "", "end_time": "next week"}),
        ),
    )
    .unwrap();
    assert_eq!(
        (e["start_time"].clone(), e["end_time"].clone()),
        (json!(0), json!(0))
    );
    let e = one(
        Kind::Foresight,
        &with(foresight_doc(), json!({"evidence": null})),
    )
    .unwrap();
    assert_eq!(e["search_content"], "[\"李娜将在4月20日前完成测试\"]");
}

fn v1_doc() -> Value {
    json!({"_id": {"$oid": "6616a3f2c9e77a1b2c3d4e63"}, "tenant_id": "t_ann", "user_id": "user_1001",
     "group_id": null, "session_id": "s1", "participants": ["张伟"], "sender_ids": null,
     "subject": "产品发布会筹备", "summary": "推迟发布会", "episode": "讨论了发布计划", "type": "Conversation",
     "parent_type": "memcell", "parent_id": {"$oid": "6616a3e0c9e77a1b2c3d4e50"},
     "timestamp": {"$date": "2026-04-08T06:30:00.250Z"}, "vector": vector(1024), "vector_model": "m",
     "created_at": {"$date": "2026-04-08T06:31:12.345Z"}, "deleted_at": null, "deleted_id": 0})
}

#[test]
fn v1_episodic_memory_follows_section_4_1_and_deletes_soft_deleted_documents() {
    let e = one(Kind::V1EpisodicMemory, &v1_doc()).unwrap();
    assert_eq!(
        e,
        json!({"id": "6616a3f2c9e77a1b2c3d4e63", "vector": vector(1024), "user_id": "user_1001",
               "group_id": "", "session_id": "s1", "participants": ["张伟"], "sender_ids": [],
               "type": "Conversation", "timestamp": 1775629800250_i64, "episode": "讨论了发布计划",
               "search_content": "[\"产品发布会筹备\", \"推迟发布会\", \"讨论了发布计划\"]",
               "parent_type": "memcell", "parent_id": "6616a3e0c9e77a1b2c3d4e50", "tenant_id": "t_ann"})
    );
    // No tenant in the document: the tenant the host resolved from the collection name.
    let no_tenant = with(v1_doc(), json!({"tenant_id": "<absent>", "parent_id": 42}));
    let p = Params::default().with("tenant_id", "t_bob");
    let r = run(Kind::V1EpisodicMemory, &p, &[no_tenant.to_string()]);
    assert_eq!(r.entities[0].row["tenant_id"], "t_bob");
    assert_eq!(r.entities[0].row["parent_id"], "42");
    assert_eq!(
        one(Kind::V1EpisodicMemory, &no_tenant).unwrap()["tenant_id"],
        ""
    );
    // Soft-deleted: its id is deleted from Milvus, whatever else the document holds.
    let deleted = with(
        v1_doc(),
        json!({"deleted_at": {"$date": "2026-05-01T00:00:00Z"}, "vector": null}),
    );
    let r = run(
        Kind::V1EpisodicMemory,
        &Params::default(),
        &[v1_doc().to_string(), deleted.to_string()],
    );
    assert_eq!((r.entities.len(), r.skipped.len()), (1, 0));
    assert_eq!(
        r.deletes,
        [milvus_ingest_sdk::Delete {
            index: 1,
            id: "6616a3f2c9e77a1b2c3d4e63".into()
        }]
    );
    // LEGACY types have no soft delete: deleted_at means nothing there.
    assert!(
        one(
            Kind::EpisodicMemory,
            &with(
                worked_doc(),
                json!({"deleted_at": {"$date": "2026-05-01T00:00:00Z"}})
            )
        )
        .is_ok()
    );
}

#[test]
fn params_set_the_dimension_names_and_database() {
    let p = Params::default().with("dim", "384");
    let info = handler_info(Kind::EpisodicMemory, &p).unwrap();
    assert_eq!(info.dim, Some(384));
    assert_eq!(info.embedding.as_ref().unwrap().text_fields, ["episode"]);
    let schema: Value = serde_json::from_str(&info.milvus_schema).unwrap();
    let names: Vec<&str> = schema["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "id",
            "vector",
            "user_id",
            "group_id",
            "participants",
            "event_type",
            "timestamp",
            "episode",
            "search_content",
            "metadata",
            "parent_type",
            "parent_id",
            "created_at",
            "updated_at"
        ]
    );
    assert_eq!(schema["fields"][1]["dim"], 384);
    assert_eq!(
        (
            info.naming.default_name.as_str(),
            info.source.database.as_str()
        ),
        ("episodic_memory", "memsys")
    );
    let idx: Value = serde_json::from_str(&info.index_params).unwrap();
    assert_eq!(
        idx["vector"],
        json!({"index_type": "HNSW", "metric_type": "COSINE", "params": {"M": 16, "efConstruction": 200}})
    );
    let mut indexed: Vec<&str> = idx
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    indexed.sort();
    assert_eq!(
        indexed,
        [
            "event_type",
            "group_id",
            "parent_id",
            "timestamp",
            "user_id",
            "vector"
        ]
    );
    let r = run(Kind::EpisodicMemory, &p, &[worked_doc().to_string()]);
    assert_eq!(
        r.skipped[0].reason,
        "vector has 1024 dimensions, expected 384"
    );

    let head = handler_info(
        Kind::V1EpisodicMemory,
        &Params::default().with("tenant_id", "t-ann.x"),
    )
    .unwrap();
    assert_eq!(head.naming.default_name, "t_ann_x_v1_episodic_memory");
    assert_eq!(head.source.database, "t_ann_x_memsys");
    let head = handler_info(Kind::V1EpisodicMemory, &Params::default()).unwrap();
    assert_eq!(
        (
            head.naming.default_name.as_str(),
            head.source.time_field.as_str()
        ),
        ("s0001_v1_episodic_memory", "updated_at")
    );
    let schema: Value = serde_json::from_str(&head.milvus_schema).unwrap();
    let last = schema["fields"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last,
        json!({"name": "tenant_id", "type": "VarChar", "max_length": 128, "is_partition_key": true, "index": {"index_type": "AUTOINDEX"}})
    );

    assert!(
        handler_info(Kind::EventLog, &Params::default().with("dim", "abc"))
            .unwrap_err()
            .contains("positive integer")
    );
    assert!(
        handler_info(Kind::EventLog, &Params::default().with("dimm", "3"))
            .unwrap_err()
            .contains("dimm")
    );
    assert!(convert(Kind::EventLog, "foresight", &Params::default(), &[]).is_err());
}
