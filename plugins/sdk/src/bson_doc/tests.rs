//! `bson_doc` against its oracle, the bson 2.15 crate the host used to write relaxed Extended
//! JSON with: values, key order, repeated keys, `_id` text, splitting.

use super::*;
use bson::oid::ObjectId;
use bson::spec::BinarySubtype;
use bson::{Binary, Bson, Decimal128, JavaScriptCodeWithScope, Regex, Timestamp, doc};
use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// What the host's old path made of these bytes: read them with the bson crate (raw reader,
/// then `Document`), then `into_relaxed_extjson`.
pub(super) fn oracle(bytes: &[u8]) -> Result<serde_json::Value, String> {
    let raw = bson::RawDocument::from_bytes(bytes).map_err(|e| e.to_string())?;
    let doc = bson::Document::try_from(raw).map_err(|e| e.to_string())?;
    Ok(Bson::Document(doc).into_relaxed_extjson())
}

/// A document's bytes from (type byte, key, value bytes) elements, keys repeated at will.
pub(super) fn raw_doc(elements: &[(u8, &str, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (tag, key, value) in elements {
        body.push(*tag);
        body.extend_from_slice(key.as_bytes());
        body.push(0);
        body.extend_from_slice(value);
    }
    let mut out = ((body.len() + 5) as i32).to_le_bytes().to_vec();
    out.extend_from_slice(&body);
    out.push(0);
    out
}

/// A length-prefixed BSON string's bytes.
fn lstr(s: &str) -> Vec<u8> {
    let mut out = ((s.len() + 1) as i32).to_le_bytes().to_vec();
    out.extend_from_slice(s.as_bytes());
    out.push(0);
    out
}

/// A JSON tree that keeps key order, as plugins keep theirs (numbers as i128 or f64).
#[derive(Debug, Clone)]
pub(super) enum Node {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl PartialEq for Node {
    fn eq(&self, other: &Node) -> bool {
        match (self, other) {
            (Node::Null, Node::Null) => true,
            (Node::Bool(a), Node::Bool(b)) => a == b,
            (Node::Int(a), Node::Int(b)) => a == b,
            // Text parsing may land one unit in the last place off; the bytes are exact.
            (Node::Float(a), Node::Float(b)) => a.to_bits().abs_diff(b.to_bits()) <= 1,
            (Node::Str(a), Node::Str(b)) => a == b,
            (Node::Seq(a), Node::Seq(b)) => a == b,
            (Node::Map(a), Node::Map(b)) => a == b,
            _ => false,
        }
    }
}

impl Node {
    fn keys(&self) -> Vec<&str> {
        match self {
            Node::Map(m) => m.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    fn get(&self, key: &str) -> &Node {
        match self {
            Node::Map(m) => &m.iter().find(|(k, _)| k == key).expect(key).1,
            _ => panic!("not a map looking up {key}"),
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Int(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(Node::Int(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
                Ok(Node::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Str(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element()? {
                    out.push(v);
                }
                Ok(Node::Seq(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    out.push(entry);
                }
                Ok(Node::Map(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Asserts our value equals the oracle's, and that key order matches its text's (the oracle's
/// serde_json keeps insertion order: bson turns on its `preserve_order`).
fn assert_matches_oracle(bytes: &[u8]) {
    let ours = Document::new(bytes).unwrap().to_json().unwrap();
    let expected = oracle(bytes).unwrap();
    assert_eq!(ours, expected);
    assert_eq!(ours.to_string(), expected.to_string());
    let tree: Node = Document::new(bytes).unwrap().deserialize().unwrap();
    let from_text: Node = serde_json::from_str(&expected.to_string()).unwrap();
    assert_eq!(tree, from_text);
}

fn oid() -> ObjectId {
    ObjectId::parse_str("65f1a2b3c4d5e6f708192a3b").unwrap()
}

fn dec(s: &str) -> Bson {
    Bson::Decimal128(s.parse::<Decimal128>().unwrap())
}

fn date(ms: i64) -> Bson {
    Bson::DateTime(bson::DateTime::from_millis(ms))
}

#[test]
fn every_bson_type_reads_as_the_bson_crate_writes_it() {
    let binaries: Vec<Bson> = [
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x80,
    ]
    .into_iter()
    .flat_map(|subtype: u8| {
        (0..5u8).map(move |n| {
            Bson::Binary(Binary {
                subtype: BinarySubtype::from(subtype),
                bytes: (0..n)
                    .map(|i| i.wrapping_mul(97).wrapping_add(subtype))
                    .collect(),
            })
        })
    })
    .collect();
    let d = doc! {
        "_id": oid(),
        "f": 1.0, "neg_zero": -0.0, "sum": 0.1 + 0.2, "tiny": 5e-324, "max": f64::MAX,
        "nan": f64::NAN, "neg_nan": -f64::NAN, "inf": f64::INFINITY, "ninf": f64::NEG_INFINITY,
        "s": "中文 \"quoted\" \\ \n\t\u{1} end", "empty": "", "中文键": "值",
        "i32": i32::MIN, "i64": i64::MAX, "small64": 5_i64, "t": true, "no": false,
        "null": Bson::Null, "undef": Bson::Undefined, "min": Bson::MinKey, "max_key": Bson::MaxKey,
        "dates": [
            date(0), date(1), date(500), date(120), date(1_700_000_000_123),
            date(951_782_400_000), date(-1), date(-86_400_000), date(253_402_300_799_999),
            date(253_402_300_800_000), date(i64::MIN), date(i64::MAX),
        ],
        "decimals": [
            dec("0"), dec("-0"), dec("0.001"), dec("1.23E-10"), dec("-1.23E-10"), dec("NaN"),
            dec("-NaN"), dec("Infinity"), dec("-Infinity"), dec("1E+6144"), dec("1E-6176"),
            dec("9.999999999999999999999999999999999E+6144"), dec("1000"), dec("1.0E+3"),
            dec("0.0000001"), dec("1E-7"), dec("123.456"), dec("-0E+3"), dec("0E-6176"),
            Bson::Decimal128(Decimal128::from_bytes([0xff; 16])),
            Bson::Decimal128(Decimal128::from_bytes([1; 16])),
        ],
        "binaries": binaries,
        "ts": Timestamp { time: 5, increment: 9 },
        "ts_max": Timestamp { time: u32::MAX, increment: u32::MAX },
        "re": Regex { pattern: "^a.*中".into(), options: "xsmi".into() },
        "re_empty": Regex { pattern: "".into(), options: "".into() },
        "code": Bson::JavaScriptCode("x => 1".into()),
        "symbol": Bson::Symbol("sym".into()),
        "scoped": JavaScriptCodeWithScope {
            code: "function() { return x; }".into(),
            scope: doc! {"x": 1, "s": "a", "arr": [1, 2.5], "in": {"y": false}},
        },
        "vector": (0..1024).map(|i| (i as f64 * 0.37).sin() * 1e-3).collect::<Vec<f64>>(),
        "nested": {"a": [1, "x", null, {"b": [[]]}], "z": {}, "date": date(0)},
        "mixed": [1_i32, 2_i64, 2.5, "s", true, Bson::Null, oid(), [0.5, 1.5], {"k": "v"}],
        "empty_doc": {}, "empty_arr": [],
        "": "empty key",
    };
    assert_matches_oracle(&bson::to_vec(&d).unwrap());
    assert_matches_oracle(&bson::to_vec(&doc! {}).unwrap());

    // DBPointer has no public constructor: assemble its bytes (namespace, then 12-byte id).
    let mut pointer = lstr("db.coll");
    pointer.extend_from_slice(&oid().bytes());
    let bytes = raw_doc(&[
        (TAG_DB_POINTER, "p", pointer),
        (TAG_INT32, "n", 7i32.to_le_bytes().to_vec()),
    ]);
    assert_matches_oracle(&bytes);
}

#[test]
fn dates_and_decimals_are_formatted_as_the_bson_crate_does() {
    // A fixed-seed xorshift walk over bit patterns and millisecond counts.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..20_000 {
        let bits = (u128::from(next()) << 64) | u128::from(next());
        // Also the common shape: small coefficient, exponent near the bias.
        let small = (u128::from(6176 + next() % 40 - 20) << 113) | u128::from(next() % 1_000_000);
        for b in [bits, small, small | 1 << 127] {
            let expected = Decimal128::from_bytes(b.to_le_bytes()).to_string();
            assert_eq!(text::decimal128(b.to_le_bytes()), expected, "{b:#034x}");
        }
        let far = next() as i64;
        let near = (next() % 253_402_400_000_000) as i64 - 50_000_000;
        for ms in [far, near, near / 1000 * 1000, near / 100 * 100] {
            let expected = match Bson::DateTime(bson::DateTime::from_millis(ms))
                .into_relaxed_extjson()["$date"]
                .clone()
            {
                serde_json::Value::String(s) => Some(s),
                _ => None,
            };
            assert_eq!(text::date(ms), expected, "{ms}");
        }
    }
    assert_eq!(text::date(0).unwrap(), "1970-01-01T00:00:00Z");
    assert_eq!(text::date(1_500).unwrap(), "1970-01-01T00:00:01.5Z");
    assert_eq!(text::decimal128([0; 16]), "0E-6176");
}

#[test]
fn keys_keep_document_order_and_wrappers_their_spec_order() {
    let d = doc! {
        "z": 1, "a": {"y": 2, "b": 3},
        "m": Binary { subtype: BinarySubtype::Uuid, bytes: vec![7; 16] },
        "re": Regex { pattern: "p".into(), options: "i".into() },
        "ts": Timestamp { time: 1, increment: 2 },
        "far": date(-1),
        "cws": JavaScriptCodeWithScope { code: "c".into(), scope: doc! {"q": 1, "b": 2} },
    };
    let tree: Node = Document::new(&bson::to_vec(&d).unwrap())
        .unwrap()
        .deserialize()
        .unwrap();
    assert_eq!(tree.keys(), ["z", "a", "m", "re", "ts", "far", "cws"]);
    assert_eq!(tree.get("a").keys(), ["y", "b"]);
    assert_eq!(tree.get("m").get("$binary").keys(), ["base64", "subType"]);
    assert_eq!(
        tree.get("re").get("$regularExpression").keys(),
        ["pattern", "options"]
    );
    assert_eq!(tree.get("ts").get("$timestamp").keys(), ["t", "i"]);
    assert_eq!(tree.get("far").get("$date").keys(), ["$numberLong"]);
    assert_eq!(tree.get("cws").keys(), ["$code", "$scope"]);
    assert_eq!(tree.get("cws").get("$scope").keys(), ["q", "b"]);

    let mut pointer = lstr("db.c");
    pointer.extend_from_slice(&oid().bytes());
    let bytes = raw_doc(&[(TAG_DB_POINTER, "p", pointer)]);
    let tree: Node = Document::new(&bytes).unwrap().deserialize().unwrap();
    assert_eq!(tree.get("p").get("$dbPointer").keys(), ["$ref", "$id"]);
}

#[test]
fn a_repeated_key_keeps_its_first_position_and_last_value() {
    let int = |n: i32| n.to_le_bytes().to_vec();
    let inner = raw_doc(&[
        (TAG_INT32, "x", int(1)),
        (TAG_INT32, "y", int(2)),
        (TAG_INT32, "x", int(3)),
    ]);
    // Arrays keep every element, even under a repeated key.
    let array = raw_doc(&[(TAG_INT32, "0", int(1)), (TAG_INT32, "0", int(2))]);
    let bytes = raw_doc(&[
        (TAG_INT32, "a", int(1)),
        (TAG_STRING, "b", lstr("two")),
        (TAG_DOCUMENT, "n", inner),
        (TAG_ARRAY, "arr", array),
        (TAG_STRING, "a", lstr("three")),
        (TAG_INT32, "a", int(4)),
    ]);
    let tree: Node = Document::new(&bytes).unwrap().deserialize().unwrap();
    assert_eq!(tree.keys(), ["a", "b", "n", "arr"]);
    assert_eq!(*tree.get("a"), Node::Int(4));
    assert_eq!(tree.get("n").keys(), ["x", "y"]);
    assert_eq!(*tree.get("n").get("x"), Node::Int(3));
    assert_eq!(
        *tree.get("arr"),
        Node::Seq(vec![Node::Int(1), Node::Int(2)])
    );
    assert_matches_oracle(&bytes);

    // Past the pairwise-comparison size the hashed path gives the same.
    let mut elements: Vec<(u8, String, Vec<u8>)> = (0..40)
        .map(|i| (TAG_INT32, format!("k{}", i % 30), int(i)))
        .collect();
    elements.push((TAG_INT32, "k3".into(), int(-1)));
    let refs: Vec<(u8, &str, Vec<u8>)> = elements
        .iter()
        .map(|(t, k, v)| (*t, k.as_str(), v.clone()))
        .collect();
    let bytes = raw_doc(&refs);
    let tree: Node = Document::new(&bytes).unwrap().deserialize().unwrap();
    assert_eq!(tree.keys().len(), 30);
    assert_eq!(tree.keys()[..4], ["k0", "k1", "k2", "k3"]);
    assert_eq!(*tree.get("k3"), Node::Int(-1));
    assert_eq!(*tree.get("k4"), Node::Int(34));
    assert_matches_oracle(&bytes);
}

#[test]
fn typed_targets_borrow_skip_and_read_options() {
    #[derive(Deserialize, Debug, PartialEq)]
    enum Kind {
        Note,
        Pair(i32, i32),
    }
    #[derive(Deserialize, Debug, PartialEq)]
    struct Meters(f64);
    #[derive(Deserialize, Debug)]
    struct Memo<'a> {
        #[serde(borrow)]
        title: &'a str,
        missing: Option<String>,
        gone: Option<i64>,
        there: Option<i64>,
        vector: Vec<f32>,
        len: Meters,
        kind: Kind,
        pair: Kind,
        id: serde_json::Value,
    }
    let d = doc! {
        "title": "标题", "gone": Bson::Null, "there": 5_i64,
        "skipped": {"deep": [oid(), dec("1.5")]},
        "vector": [0.5, -1.0], "len": 2.5, "kind": "Note", "pair": {"Pair": [1, 2]}, "id": oid(),
    };
    let bytes = bson::to_vec(&d).unwrap();
    let memo: Memo = Document::new(&bytes).unwrap().deserialize().unwrap();
    assert_eq!(memo.title, "标题");
    assert_eq!((memo.missing, memo.gone, memo.there), (None, None, Some(5)));
    assert_eq!(memo.vector, [0.5, -1.0]);
    assert_eq!(memo.len, Meters(2.5));
    assert_eq!((memo.kind, memo.pair), (Kind::Note, Kind::Pair(1, 2)));
    assert_eq!(memo.id["$oid"], "65f1a2b3c4d5e6f708192a3b");
    let err = Document::new(&bytes)
        .unwrap()
        .deserialize::<Vec<i32>>()
        .unwrap_err();
    assert!(err.contains("invalid type: map"), "{err}");
}

#[test]
fn id_is_the_text_messages_show() {
    let id_of = |d: bson::Document| Document::new(&bson::to_vec(&d).unwrap()).unwrap().id();
    assert_eq!(
        id_of(doc! {"a": 1, "_id": oid()}),
        "65f1a2b3c4d5e6f708192a3b"
    );
    assert_eq!(id_of(doc! {"_id": "abc"}), "abc");
    assert_eq!(id_of(doc! {"_id": -7}), "-7");
    assert_eq!(id_of(doc! {"_id": 9_000_000_000_i64}), "9000000000");
    assert_eq!(id_of(doc! {"_id": 2.5}), "2.5");
    assert_eq!(id_of(doc! {"_id": 3.0}), "3.0");
    assert_eq!(id_of(doc! {"_id": f64::NEG_INFINITY}), "-Infinity");
    assert_eq!(id_of(doc! {"_id": {"a": 1}}), "");
    assert_eq!(id_of(doc! {"_id": Bson::Null}), "");
    assert_eq!(id_of(doc! {"x": 1}), "");
    let bytes = raw_doc(&[
        (TAG_STRING, "_id", lstr("first")),
        (TAG_STRING, "_id", lstr("last")),
    ]);
    assert_eq!(Document::new(&bytes).unwrap().id(), "last");
    // Malformed: a string id whose length runs past its document.
    let mut bad = raw_doc(&[(TAG_STRING, "_id", lstr("abc"))]);
    bad[9] = 0x40;
    assert_eq!(Document::new(&bad).unwrap().id(), "");
}

#[test]
fn split_documents_walks_concatenated_documents() {
    let docs = [
        doc! {"_id": 1, "v": [1.5, 2.5]},
        doc! {},
        doc! {"s": "中文", "n": {"x": Bson::Null}},
    ];
    let mut buf = Vec::new();
    let mut offsets = Vec::new();
    for d in &docs {
        offsets.push(buf.len());
        buf.extend_from_slice(&bson::to_vec(d).unwrap());
    }
    let split = split_documents(&buf).unwrap();
    assert_eq!(split.len(), 3);
    for (i, got) in split.iter().enumerate() {
        let end = offsets.get(i + 1).copied().unwrap_or(buf.len());
        assert_eq!(got.bytes(), &buf[offsets[i]..end]);
        assert_eq!(
            got.to_json().unwrap(),
            Bson::Document(docs[i].clone()).into_relaxed_extjson()
        );
    }
    assert!(split_documents(&[]).unwrap().is_empty());

    let err = |b: &[u8]| split_documents(b).unwrap_err();
    let mut short = buf.clone();
    short.extend_from_slice(&[9, 0, 0]);
    assert_eq!(
        err(&short),
        format!(
            "document 3 at byte {}: 3 bytes left, a document takes at least 5",
            buf.len()
        )
    );
    let mut tiny = buf.clone();
    tiny.extend_from_slice(&[4, 0, 0, 0, 0]);
    assert!(
        err(&tiny).contains("declared length 4 is below the minimum of 5"),
        "{}",
        err(&tiny)
    );
    let cut = &buf[..buf.len() - 1];
    assert_eq!(
        err(cut),
        format!(
            "document 2 at byte {}: declared length {} runs past the end ({} bytes left)",
            offsets[2],
            buf.len() - offsets[2],
            buf.len() - offsets[2] - 1
        )
    );
    let mut no_nul = buf.clone();
    no_nul[offsets[2] - 1] = 7;
    assert!(
        err(&no_nul).starts_with(&format!("document 1 at byte {}:", offsets[1])),
        "{}",
        err(&no_nul)
    );
    assert!(err(&no_nul).contains("not NUL"));

    let whole = Document::new(&buf).unwrap_err();
    assert!(
        whole.contains(&format!("but {} bytes given", buf.len())),
        "{whole}"
    );
}

#[test]
fn double_arrays_read_in_place_into_any_element_type() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct Meters(f64);
    #[derive(Deserialize)]
    struct Arrays {
        opt: Vec<Option<f64>>,
        meters: Vec<Meters>,
        narrow: Vec<f32>,
        mixed: Vec<serde_json::Value>,
    }
    let d = doc! {
        "opt": [1.5, Bson::Null, 2.5], "meters": [0.5, 1.0], "narrow": [0.1, -2.0],
        "mixed": [1.5, f64::NAN, 2, -0.0, f64::INFINITY, 3.25],
    };
    let bytes = bson::to_vec(&d).unwrap();
    let a: Arrays = Document::new(&bytes).unwrap().deserialize().unwrap();
    assert_eq!(a.opt, [Some(1.5), None, Some(2.5)]);
    assert_eq!(a.meters, [Meters(0.5), Meters(1.0)]);
    assert_eq!(a.narrow, [0.1_f32, -2.0]);
    let expected = oracle(&bytes).unwrap();
    assert_eq!(serde_json::Value::Array(a.mixed), expected["mixed"]);
    assert_matches_oracle(&bytes);
    // The in-place read stops at the array's end: its bytes hint the exact length.
    let vector = bson::to_vec(&doc! {"v": vec![0.5; 1024]}).unwrap();
    let v = Value {
        buf: &vector,
        tag: TAG_ARRAY,
        start: 7,
        end: vector.len() - 1,
    };
    assert_eq!(access::ArraySeq::new(v).size_hint(), Some(1024));
}
