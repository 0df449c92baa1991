//! Which documents need a vector, and the text to embed for each: the MongoDB query (run on
//! the server, in `_id` order), the reason each selected document needs one, and dotted-path
//! access to the handler's fields.

use bson::{Bson, Document, doc};

use crate::plugin::EmbeddingDesc;

/// Why a document was selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// No vector field, or null.
    Missing,
    /// An empty array.
    Empty,
    /// Not an array of the handler's dimension.
    WrongDim,
    /// Made by another model than `--model` (or by an unnamed one).
    OtherModel,
}

impl Need {
    pub fn as_str(self) -> &'static str {
        match self {
            Need::Missing => "missing",
            Need::Empty => "empty",
            Need::WrongDim => "wrong_dim",
            Need::OtherModel => "other_model",
        }
    }
}

/// The field at a dotted path (`a.b.c`), through embedded documents.
pub fn get_path<'a>(doc: &'a Document, path: &str) -> Option<&'a Bson> {
    let mut parts = path.split('.');
    let mut cur = doc.get(parts.next()?)?;
    for p in parts {
        cur = cur.as_document()?.get(p)?;
    }
    Some(cur)
}

/// Sets the field at a dotted path, creating (or replacing non-document) parents, as `$set`
/// does on the server.
pub fn set_path(doc: &mut Document, path: &str, value: Bson) {
    match path.split_once('.') {
        None => {
            doc.insert(path, value);
        }
        Some((head, rest)) => {
            if !matches!(doc.get(head), Some(Bson::Document(_))) {
                doc.insert(head, Document::new());
            }
            if let Some(Bson::Document(inner)) = doc.get_mut(head) {
                set_path(inner, rest, value);
            }
        }
    }
}

/// The server-side query: some text to embed, and a vector that is missing, null or empty
/// (`only_missing`), or additionally of another dimension or made by another model.
pub fn selection_filter(e: &EmbeddingDesc, model: &str, only_missing: bool) -> Document {
    let mut texts: Vec<Document> = e
        .text_fields
        .iter()
        .map(|f| doc! {f.as_str(): {"$exists": true, "$nin": [Bson::Null, ""]}})
        .collect();
    let text = if texts.len() == 1 {
        texts.pop().expect("one")
    } else {
        doc! {"$or": texts}
    };
    let v = e.vector_field.as_str();
    let need = if only_missing {
        // `null` also matches a missing field.
        doc! {"$or": [{v: Bson::Null}, {v: {"$size": 0}}]}
    } else {
        // `$not $size` matches missing, null, non-arrays and every other length; `$ne` also
        // matches a missing model name.
        doc! {"$or": [
            {v: {"$not": {"$size": i64::from(e.dim)}}},
            {e.model_field.as_str(): {"$ne": model}},
        ]}
    };
    doc! {"$and": [text, need]}
}

/// Why `doc` needs a vector, None when it has a current one (it changed since it was read).
pub fn classify(
    doc: &Document,
    e: &EmbeddingDesc,
    model: &str,
    only_missing: bool,
) -> Option<Need> {
    let need = match get_path(doc, &e.vector_field) {
        None | Some(Bson::Null) => Some(Need::Missing),
        Some(Bson::Array(a)) if a.is_empty() => Some(Need::Empty),
        _ if only_missing => None,
        Some(Bson::Array(a)) if a.len() == e.dim as usize => None,
        Some(_) => Some(Need::WrongDim),
    };
    need.or_else(|| {
        let current = matches!(get_path(doc, &e.model_field), Some(Bson::String(m)) if m == model);
        (!only_missing && !current).then_some(Need::OtherModel)
    })
}

/// The text to embed: the handler's text fields that hold non-empty strings, joined with "\n".
/// `Err` names the field when one holds something other than a string, or when none has text
/// ("empty text in ..." when some hold only whitespace).
pub fn text_of(doc: &Document, e: &EmbeddingDesc) -> Result<String, String> {
    let mut parts = Vec::new();
    let mut blank = Vec::new();
    for f in &e.text_fields {
        match get_path(doc, f) {
            None | Some(Bson::Null) => {}
            Some(Bson::String(s)) if s.trim().is_empty() => blank.push(f.as_str()),
            Some(Bson::String(s)) => parts.push(s.as_str()),
            Some(other) => {
                return Err(format!(
                    "text field `{f}` holds a {:?}, not a string",
                    other.element_type()
                ));
            }
        }
    }
    if parts.is_empty() && !blank.is_empty() {
        return Err(format!("empty text in {}", blank.join(", ")));
    }
    if parts.is_empty() {
        return Err(format!("no text in {}", e.text_fields.join(", ")));
    }
    Ok(parts.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emb() -> EmbeddingDesc {
        EmbeddingDesc {
            text_fields: vec!["episode".into()],
            vector_field: "vector".into(),
            model_field: "vector_model".into(),
            dim: 2,
        }
    }

    #[test]
    fn reasons() {
        let e = emb();
        let c = |d: Document| classify(&d, &e, "m", false);
        assert_eq!(c(doc! {}), Some(Need::Missing));
        assert_eq!(c(doc! {"vector": Bson::Null}), Some(Need::Missing));
        assert_eq!(c(doc! {"vector": []}), Some(Need::Empty));
        assert_eq!(c(doc! {"vector": [1.0]}), Some(Need::WrongDim));
        assert_eq!(c(doc! {"vector": "x"}), Some(Need::WrongDim));
        assert_eq!(c(doc! {"vector": [1.0, 2.0]}), Some(Need::OtherModel));
        assert_eq!(
            c(doc! {"vector": [1.0, 2.0], "vector_model": "n"}),
            Some(Need::OtherModel)
        );
        assert_eq!(c(doc! {"vector": [1.0, 2.0], "vector_model": "m"}), None);
        let only = |d: Document| classify(&d, &e, "m", true);
        assert_eq!(only(doc! {"vector": [1.0]}), None);
        assert_eq!(only(doc! {"vector": []}), Some(Need::Empty));
    }

    #[test]
    fn texts_and_paths() {
        let mut e = emb();
        e.text_fields = vec!["subject".into(), "a.b".into()];
        assert_eq!(
            text_of(&doc! {"subject": "s", "a": {"b": "t"}}, &e).unwrap(),
            "s\nt"
        );
        assert_eq!(
            text_of(&doc! {"subject": "", "a": {"b": "t"}}, &e).unwrap(),
            "t"
        );
        assert!(
            text_of(&doc! {"subject": 3}, &e)
                .unwrap_err()
                .contains("`subject`")
        );
        assert!(text_of(&doc! {}, &e).unwrap_err().starts_with("no text"));
        assert_eq!(
            text_of(&doc! {"subject": " \u{3000}\n"}, &e).unwrap_err(),
            "empty text in subject"
        );
        let mut d = doc! {"a": 1};
        set_path(&mut d, "a.b", Bson::from("x"));
        set_path(&mut d, "c", Bson::from(2));
        assert_eq!(d, doc! {"a": {"b": "x"}, "c": 2});
    }

    #[test]
    fn the_query_names_the_handler_fields() {
        let f = selection_filter(&emb(), "m", false).to_string();
        assert!(f.contains("vector") && f.contains("$size") && f.contains("vector_model"));
        let f = selection_filter(&emb(), "m", true).to_string();
        assert!(!f.contains("vector_model"));
    }
}
