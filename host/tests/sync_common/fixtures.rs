//! Realistic source documents for each shipped collection type (evermemos.md sections 3.2 and
//! 4.1): Chinese text, ObjectId `_id`s in `i` order, and one of every defect the sync must
//! survive, chosen by `flavour(i)`.

use std::ops::Range;

use bson::oid::ObjectId;
use bson::{Bson, DateTime, Document, doc};

fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A float exactly representable as f32, in [-1, 1).
pub fn unit(seed: u64, i: u64, k: u64) -> f64 {
    let bits = mix(seed ^ i.wrapping_mul(1_000_003) ^ k.wrapping_mul(7919)) >> 40;
    ((bits as f32 / (1u64 << 23) as f32) - 1.0) as f64
}

/// ObjectIds in `i` order (timestamp, then a fixed middle, then the counter).
pub fn oid(seed: u64, i: u64) -> ObjectId {
    let mut b = [0u8; 12];
    b[..4].copy_from_slice(&(1_775_000_000u32).to_be_bytes());
    b[4..9].copy_from_slice(&seed.to_be_bytes()[3..8]);
    b[9..].copy_from_slice(&(i as u32).to_be_bytes()[1..4]);
    ObjectId::from_bytes(b)
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// What document `i` of a fixture is made to test.
pub fn flavour(i: u64) -> &'static str {
    match i % 20 {
        2 => "null vector",
        3 => "missing vector",
        4 => "empty vector",
        5 => "wrong dim",
        6 => "nan",
        7 => "nulls",
        8 => "long chinese",
        9 => "old",
        10 => "missing required",
        11 => "wrong type",
        12 => "huge extend",
        13 => "f32 overflow",
        14 => "deleted",
        15 => "no dates",
        16 => "many participants",
        _ => "plain",
    }
}

/// One sentence of 31 CJK characters (93 bytes).
pub const SENTENCE: &str = "张伟与李娜在线上会议中讨论了新版本的发布计划，并决定推迟发布会。";

/// When document `i` was created: 30 days ago for "old", else within the last 5 days.
fn created(i: u64, now: i64) -> i64 {
    if flavour(i) == "old" {
        now - 30 * 86_400_000
    } else {
        now - (i as i64 % 5) * 86_400_000 - 1000
    }
}

fn vector(seed: u64, i: u64, dim: usize) -> Option<Bson> {
    let component = |k: u64| match (flavour(i), k) {
        ("nan", 5) => f64::NAN,
        ("f32 overflow", 2) => 1e39,
        _ => unit(seed, i, k),
    };
    let n = match flavour(i) {
        "missing vector" => return None,
        "null vector" => return Some(Bson::Null),
        "empty vector" => 0,
        "wrong dim" => 3,
        _ => dim,
    };
    Some(Bson::Array(
        (0..n as u64).map(|k| Bson::Double(component(k))).collect(),
    ))
}

/// The fields every EverMemOS document carries, with the flavour's vector and dates.
fn base(seed: u64, i: u64, dim: usize, now: i64) -> Document {
    let t = created(i, now);
    let mut d = doc! {
        "_id": oid(seed, i),
        "user_id": format!("user_{}", i % 7),
        "user_name": "张伟",
        "group_id": format!("group_{}", i % 3),
        "group_name": "Alpha项目组",
        "participants": ["张伟", "李娜"],
    };
    if let Some(v) = vector(seed, i, dim) {
        d.insert("vector", v);
    }
    d.insert("vector_model", "Qwen/Qwen3-Embedding-4B");
    if flavour(i) != "no dates" {
        d.insert("created_at", DateTime::from_millis(t));
        d.insert("updated_at", DateTime::from_millis(t + 5));
    }
    d
}

/// The flavour's changes: `nulls` sets the shared optional fields and the type's `nullable` to
/// null; `long chinese` puts text over the byte limits (the type's `long` fields too);
/// `many participants` goes over the capacity; `wrong type` gives `user_id` a number.
fn flavours(d: &mut Document, i: u64, nullable: &[&str], long: &[(&str, String)]) {
    match flavour(i) {
        "nulls" => {
            for k in ["user_id", "group_id", "participants"]
                .iter()
                .chain(nullable)
            {
                d.insert(*k, Bson::Null);
            }
        }
        "long chinese" => {
            d.insert("user_id", "用户".repeat(50)); // 300 bytes
            d.insert("participants", vec!["参与者".repeat(12), "李娜".into()]); // 108 bytes
            for (k, v) in long {
                d.insert(*k, v.clone());
            }
        }
        "wrong type" => {
            d.insert("user_id", 42);
        }
        "many participants" => {
            let many: Vec<String> = (0..150).map(|k| format!("参与者{k}")).collect();
            d.insert("participants", many);
        }
        _ => {}
    }
}

/// Episode and summary over their limits (11160 bytes > 10000; 6000 bytes, so search_content
/// overflows 5000).
fn long_episode() -> [(&'static str, String); 2] {
    [
        ("episode", SENTENCE.repeat(120)),
        ("summary", "摘要很长".repeat(500)),
    ]
}

fn extend(i: u64) -> Document {
    if flavour(i) == "huge extend" {
        return doc! {"memory_type": "episodic_memory", "note": "备注".repeat(10_000)}; // 60 kB
    }
    doc! {"memory_type": "episodic_memory", "ori_event_id": Bson::Null, "tags": ["发布"], "score": 0.75, "n": 3_i64, "ok": true}
}

/// LEGACY `episodic_memories` (evermemos.md 3.2).
pub fn episodic_docs(seed: u64, range: Range<u64>, dim: usize) -> Vec<Document> {
    let now = now_ms();
    range
        .map(|i| {
            let mut d = base(seed, i, dim, now);
            let t = created(i, now);
            d.insert("timestamp", DateTime::from_millis(t - 60_000));
            d.insert("summary", format!("张伟和李娜商定第{i}件事"));
            d.insert("subject", "产品发布会筹备");
            d.insert("episode", format!("第{i}次会议：{SENTENCE}"));
            d.insert("type", if i % 2 == 0 { "Conversation" } else { "" });
            d.insert("keywords", vec!["发布会", "测试"]);
            d.insert("linked_entities", Vec::<String>::new());
            d.insert("memcell_event_id_list", vec![oid(seed + 1, i).to_hex()]);
            d.insert("extend", extend(i));
            if i % 3 == 0 {
                d.insert("parent_type", "memcell");
                d.insert("parent_id", oid(seed + 2, i).to_hex());
            }
            let nullable = ["type", "subject", "keywords", "parent_type", "extend"];
            flavours(&mut d, i, &nullable, &long_episode());
            if flavour(i) == "missing required" {
                d.remove("summary");
            }
            d
        })
        .collect()
}

/// LEGACY `event_log_records` (evermemos.md 3.2).
pub fn event_log_docs(seed: u64, range: Range<u64>, dim: usize) -> Vec<Document> {
    let now = now_ms();
    range
        .map(|i| {
            let mut d = base(seed, i, dim, now);
            d.insert("timestamp", DateTime::from_millis(created(i, now) - 60_000));
            d.insert(
                "atomic_fact",
                format!("张伟在第{i}次会议上同意推迟发布会。"),
            );
            d.insert(
                "parent_type",
                if i % 2 == 0 { "memcell" } else { "episode" },
            );
            d.insert("parent_id", oid(seed + 2, i).to_hex());
            match i % 3 {
                0 => d.insert("event_type", "Meeting"),
                1 => d.insert("event_type", ""),
                _ => None,
            };
            d.insert("extend", extend(i));
            let long = [("atomic_fact", SENTENCE.repeat(60))]; // 5580 bytes > 5000
            flavours(&mut d, i, &["event_type", "extend", "vector_model"], &long);
            if flavour(i) == "missing required" {
                d.remove("parent_id");
            }
            d
        })
        .collect()
}

/// The forms a foresight `start_time` takes (a string date in the model; the converter also
/// takes dates and numbers).
fn foresight_time(i: u64, shift_days: i64) -> Bson {
    let day = 1 + (i % 20) as i64 + shift_days;
    match i % 8 {
        0 => Bson::String(format!("2026-05-{day:02}")),
        1 => Bson::String(format!("2026-05-{day:02}T08:30:00Z")),
        2 => Bson::String(format!("2026-05-{day:02}T08:30:00+08:00")),
        3 => Bson::String(format!("2026-05-{day:02}T08:30:00.250")),
        4 => Bson::DateTime(DateTime::from_millis(1_777_000_000_123 + day * 86_400_000)),
        5 => Bson::Int64(1_777_000_000 + day),
        6 => Bson::Double(1_777_000_000.9 + day as f64),
        _ => Bson::String(if shift_days == 0 { "" } else { "下周一" }.into()),
    }
}

/// LEGACY `foresight_records` (evermemos.md 3.2).
pub fn foresight_docs(seed: u64, range: Range<u64>, dim: usize) -> Vec<Document> {
    let now = now_ms();
    range
        .map(|i| {
            let mut d = base(seed, i, dim, now);
            d.insert("content", format!("预计张伟将在4月20日前完成第{i}轮测试。"));
            if i % 4 != 1 {
                d.insert("evidence", "李娜在会议中提到测试进度。");
            }
            d.insert("start_time", foresight_time(i, 0));
            d.insert("end_time", foresight_time(i, 3));
            d.insert("duration_days", (i % 9) as i32);
            d.insert("parent_type", "episode");
            d.insert("parent_id", oid(seed + 2, i).to_hex());
            d.insert("extend", extend(i));
            let nullable = [
                "evidence",
                "start_time",
                "end_time",
                "duration_days",
                "extend",
            ];
            let long = [
                ("content", SENTENCE.repeat(60)),  // 5580 bytes > 5000
                ("evidence", SENTENCE.repeat(25)), // 2325 bytes > 2000
            ];
            flavours(&mut d, i, &nullable, &long);
            match flavour(i) {
                "missing required" => {
                    d.insert("content", "");
                }
                "wrong type" => {
                    // One defect per document: the model's int, not the shared user_id.
                    d.insert("user_id", "user_1");
                    d.insert("duration_days", "三天");
                }
                _ => {}
            }
            d
        })
        .collect()
}

/// HEAD `v1_episodic_memories` (evermemos.md 4.1 and the common soft-delete fields of 4).
pub fn v1_episodic_docs(seed: u64, range: Range<u64>, dim: usize) -> Vec<Document> {
    let now = now_ms();
    range
        .map(|i| {
            let mut d = base(seed, i, dim, now);
            match i % 3 {
                0 => d.insert("tenant_id", "t_bob"),
                1 => d.insert("tenant_id", "t_ann"),
                _ => None,
            };
            d.insert("session_id", format!("sess_{}", i % 4));
            d.insert("sender_ids", vec![format!("user_{}", i % 7)]);
            d.insert("type", "Conversation");
            d.insert("timestamp", DateTime::from_millis(created(i, now) - 60_000));
            d.insert("summary", format!("张伟和李娜商定第{i}件事"));
            d.insert("subject", "产品发布会筹备");
            d.insert("episode", format!("第{i}次会议：{SENTENCE}"));
            d.insert("parent_type", "memcell");
            match i % 3 {
                0 => d.insert("parent_id", oid(seed + 2, i).to_hex()),
                1 => d.insert("parent_id", oid(seed + 2, i)),
                _ => d.insert("parent_id", 1000 + i as i64),
            };
            d.insert("deleted_at", Bson::Null);
            d.insert("deleted_id", 0_i64);
            let nullable = [
                "session_id",
                "sender_ids",
                "type",
                "subject",
                "parent_type",
                "parent_id",
            ];
            flavours(&mut d, i, &nullable, &long_episode());
            match flavour(i) {
                "missing required" => {
                    d.remove("episode");
                }
                "deleted" => soft_delete(&mut d),
                _ => {}
            }
            d
        })
        .collect()
}

/// Marks a HEAD document soft-deleted, as EverMemOS's delete does.
pub fn soft_delete(d: &mut Document) {
    d.insert("deleted_at", DateTime::from_millis(now_ms()));
    d.insert("deleted_by", "admin");
    d.insert("deleted_id", 1_i64);
}

/// `notes` documents for the `sync_note` test handler (4-d vectors).
pub fn note_docs(seed: u64, range: Range<u64>) -> Vec<Document> {
    range
        .map(|i| {
            let mut d = doc! {
                "_id": oid(seed, i),
                "title": format!("笔记{i}"),
                "tags": ["a", "b"],
                "score": i as i64,
                "meta": {"k": i as i64, "中": "文"},
                "vector": (0..4).map(|k| Bson::Double(unit(seed, i, k))).collect::<Vec<_>>(),
                "created_at": DateTime::from_millis(now_ms()),
            };
            match i % 6 {
                1 => {
                    d.insert("title", "很长的标题".repeat(3)); // 45 bytes > 32
                }
                2 => {
                    d.insert("title", Bson::Null);
                }
                3 => {
                    d.insert("vector", vec![Bson::Double(0.5)]);
                }
                4 => {
                    let v = [0.5, f64::NAN, 0.1, 0.2];
                    d.insert(
                        "vector",
                        v.iter().map(|x| Bson::Double(*x)).collect::<Vec<_>>(),
                    );
                }
                _ => {}
            }
            d
        })
        .collect()
}
