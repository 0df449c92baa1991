//! One source document as the pipeline carries it, and the string form of an `_id`.

use bson::{Bson, Document, RawDocumentBuf};

/// A document read from MongoDB or a dump/export file.
#[derive(Debug, Clone)]
pub struct SourceDoc {
    /// The `_id` (Null when the document has none).
    pub id: Bson,
    /// The whole document as BSON, as read (a dump's bytes, the driver's reply).
    pub raw: RawDocumentBuf,
}

impl SourceDoc {
    pub fn from_document(doc: Document) -> SourceDoc {
        let id = doc.get("_id").cloned().unwrap_or(Bson::Null);
        let raw = RawDocumentBuf::from_document(&doc)
            .expect("a bson::Document always encodes (keys without NUL bytes)");
        SourceDoc { id, raw }
    }

    /// A document from BSON bytes: every element is walked once ([`super::extjson::validate`])
    /// so malformed bytes are an error here, where the file and position are known.
    pub fn from_raw(raw: RawDocumentBuf) -> Result<SourceDoc, bson::raw::Error> {
        super::extjson::validate(&raw)?;
        let id = match raw.get("_id")? {
            Some(v) => Bson::try_from(v)?,
            None => Bson::Null,
        };
        Ok(SourceDoc { id, raw })
    }

    /// The whole document as relaxed Extended JSON v2 (what sync handlers read). Computed on
    /// each call (the pipeline's conversion threads call it once per document), so readers
    /// only hold the compact BSON.
    pub fn json(&self) -> String {
        super::extjson::relaxed_json(&self.raw)
            .expect("documents are validated when read (extjson::validate)")
    }

    /// The `_id` as reports show it (see [`id_key`]).
    pub fn id_key(&self) -> String {
        id_key(&self.id)
    }
}

/// The string form of an `_id`: hex for an ObjectId (the primary key EverMemOS collections
/// use), the value for strings and integers, canonical Extended JSON for anything else, and ""
/// when there is none.
pub fn id_key(id: &Bson) -> String {
    match id {
        Bson::ObjectId(o) => o.to_hex(),
        Bson::String(s) => s.clone(),
        Bson::Int32(i) => i.to_string(),
        Bson::Int64(i) => i.to_string(),
        Bson::Null | Bson::Undefined => String::new(),
        other => other.clone().into_canonical_extjson().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;
    use bson::oid::ObjectId;

    #[test]
    fn documents_become_relaxed_extended_json() {
        let oid = ObjectId::parse_str("65f1a2b3c4d5e6f708192a3b").unwrap();
        let d = doc! {"_id": oid, "n": 5_i64, "x": f64::NAN, "t": bson::DateTime::from_millis(1_700_000_000_123)};
        let s = SourceDoc::from_document(d);
        let v: serde_json::Value = serde_json::from_str(&s.json()).unwrap();
        assert_eq!(v["_id"]["$oid"], "65f1a2b3c4d5e6f708192a3b");
        assert_eq!(v["n"], 5);
        assert_eq!(v["x"]["$numberDouble"], "NaN");
        assert_eq!(v["t"]["$date"], "2023-11-14T22:13:20.123Z");
        assert_eq!(s.id_key(), "65f1a2b3c4d5e6f708192a3b");
        assert_eq!(id_key(&Bson::Int32(7)), "7");
        assert_eq!(id_key(&Bson::Null), "");
    }
}
