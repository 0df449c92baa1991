//! Malformed bytes: errors naming the byte offset, never a panic or an out-of-bounds read.

use super::tests::{Node, oracle, raw_doc};
use super::*;
use bson::spec::BinarySubtype;
use bson::{Binary, Bson, Decimal128, JavaScriptCodeWithScope, Regex, Timestamp, doc};

/// A document touching every element type, with nesting, to cut and corrupt.
fn sample() -> Vec<u8> {
    let d = doc! {
        "_id": bson::oid::ObjectId::parse_str("65f1a2b3c4d5e6f708192a3b").unwrap(),
        "s": "中文", "f": 1.5, "nan": f64::NAN, "i": 7, "l": 8_i64, "t": true, "n": Bson::Null,
        "d": bson::DateTime::from_millis(1_700_000_000_123),
        "v": [0.25, 0.5, 0.75],
        "doc": {"a": [1, {"b": "c"}], "e": {}},
        "bin": Binary { subtype: BinarySubtype::Generic, bytes: vec![1, 2, 3] },
        "old": Binary { subtype: BinarySubtype::BinaryOld, bytes: vec![4, 5] },
        "re": Regex { pattern: "p".into(), options: "im".into() },
        "code": Bson::JavaScriptCode("c".into()), "sym": Bson::Symbol("y".into()),
        "cws": JavaScriptCodeWithScope { code: "c".into(), scope: doc! {"x": 1} },
        "ts": Timestamp { time: 1, increment: 2 },
        "dec": Bson::Decimal128("1.5".parse::<Decimal128>().unwrap()),
        "u": Bson::Undefined, "min": Bson::MinKey, "max": Bson::MaxKey,
    };
    bson::to_vec(&d).unwrap()
}

/// Every way of reading `bytes` that a plugin might use; none may panic.
fn read_every_way(bytes: &[u8]) -> Option<Result<serde_json::Value, String>> {
    let doc = Document::new(bytes).ok()?;
    let _ = doc.id();
    let _ = doc.deserialize::<Node>();
    let _ = doc.deserialize::<serde::de::IgnoredAny>();
    let _ = doc.deserialize::<std::collections::BTreeMap<String, Option<serde_json::Value>>>();
    Some(doc.to_json())
}

/// `bytes` with its length prefix and final NUL made consistent again, so the reader gets past
/// the framing check and meets the damage inside.
fn reframed(mut bytes: Vec<u8>) -> Vec<u8> {
    let len = bytes.len() as i32;
    bytes[..4].copy_from_slice(&len.to_le_bytes());
    if let Some(last) = bytes.last_mut() {
        *last = 0;
    }
    bytes
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = sample();
    for n in 0..bytes.len() {
        let cut = &bytes[..n];
        assert!(Document::new(cut).is_err(), "cut at {n}");
        if n > 0 {
            assert!(split_documents(cut).is_err(), "cut at {n}");
        }
        if n >= 5 {
            // Reframed, the cut lands inside some element (or, at an element boundary, leaves
            // a shorter valid document): we read it exactly when the bson crate does.
            let reframed = reframed(cut.to_vec());
            let ours = read_every_way(&reframed).unwrap();
            match (ours, oracle(&reframed)) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "cut at {n}"),
                (Err(_), Err(_)) => {}
                (a, b) => panic!("cut at {n}: we read {a:?}, the bson crate {b:?}"),
            }
        }
    }
}

#[test]
fn corrupted_bytes_never_panic_and_agree_with_the_bson_crate() {
    let bytes = sample();
    let mut disagreements = Vec::new();
    for pos in 0..bytes.len() {
        for value in [0x00, 0x01, 0x02, 0x05, 0x13, 0x20, 0x7f, 0x80, 0xc3, 0xff] {
            let mut bad = bytes.clone();
            bad[pos] = value;
            let Some(ours) = read_every_way(&bad) else {
                continue;
            };
            // Where the bson crate reads the same bytes, values must match; where it refuses
            // them, so must we. Except: array keys are skipped unread (the crate checks their
            // UTF-8), so a damaged array key is no error here.
            let theirs = oracle(&bad);
            match (&ours, &theirs) {
                (Ok(a), Ok(b)) if a == b => {}
                (Err(_), Err(_)) => {}
                (Ok(_), Err(e)) if bytes[pos].is_ascii_digit() && e.contains("utf-8") => {}
                _ => disagreements.push((pos, value, ours, theirs)),
            }
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

#[test]
fn errors_name_the_rule_and_byte_offset() {
    let int = |n: i32| n.to_le_bytes().to_vec();
    let err = |bytes: Vec<u8>| Document::new(&bytes).unwrap().to_json().unwrap_err();
    // Element type byte at offset 4.
    assert_eq!(
        err(raw_doc(&[(0x42, "k", vec![])])),
        "malformed BSON at byte 4: unknown element type 0x42"
    );
    let mut bad_utf8 = raw_doc(&[(TAG_STRING, "k", vec![3, 0, 0, 0, b'a', 0xff, 0])]);
    assert_eq!(
        err(bad_utf8.clone()),
        "malformed BSON at byte 12: invalid UTF-8"
    );
    bad_utf8[5] = 0xc3; // the key itself
    assert_eq!(err(bad_utf8), "malformed BSON at byte 5: invalid UTF-8");
    assert_eq!(
        err(raw_doc(&[(TAG_STRING, "k", vec![9, 0, 0, 0, b'a', 0])])),
        "malformed BSON at byte 7: string of length 9 is not framed"
    );
    assert_eq!(
        err(raw_doc(&[(TAG_DOCUMENT, "k", int(-3))])),
        "malformed BSON at byte 7: negative length -3"
    );
    assert_eq!(
        err(raw_doc(&[(TAG_BOOL, "k", vec![2])])),
        "malformed BSON at byte 7: boolean byte 0x02 is neither 0 nor 1"
    );
    let mut old = int(3);
    old.push(0x02);
    old.extend_from_slice(&[9, 0, 0]);
    assert_eq!(
        err(raw_doc(&[(TAG_BINARY, "k", old)])),
        "malformed BSON at byte 12: 4 bytes run past the end of the value"
    );
    let mut old = int(5);
    old.push(0x02);
    old.extend_from_slice(&[9, 0, 0, 0, 1]);
    assert_eq!(
        err(raw_doc(&[(TAG_BINARY, "k", old)])),
        "malformed BSON at byte 12: old binary subtype's inner length differs"
    );
    // A key missing its NUL: the document's own NUL is not taken for it.
    let mut no_nul = raw_doc(&[(TAG_NULL, "k", vec![])]);
    no_nul.remove(6);
    let no_nul = reframed(no_nul);
    assert_eq!(
        err(no_nul),
        "malformed BSON at byte 5: key without a terminating NUL"
    );
    // Inside an array of doubles (the fast path), a value cut short.
    let array = raw_doc(&[
        (TAG_DOUBLE, "0", 1.5f64.to_le_bytes().to_vec()),
        (TAG_DOUBLE, "1", vec![0; 4]),
    ]);
    assert_eq!(
        err(raw_doc(&[(TAG_ARRAY, "v", array)])),
        "malformed BSON at byte 25: value runs past the end of its document"
    );
}
