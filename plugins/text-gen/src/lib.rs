//! `text-gen`: sentences and paragraphs from a word model, for VarChar fields.
//!
//! Generators:
//! - `sentence`: one sentence per row (cut at a word boundary if it exceeds the byte limit).
//! - `paragraph`: sentences up to a length drawn between `min_bytes` and `max_bytes`.
//!
//! Lengths are UTF-8 bytes, like Milvus' `max_length`. Every row depends only on (seed, field
//! name, row index).

mod words;

use milvus_ingest_sdk::prelude::*;
use milvus_ingest_sdk::serde_json::json;

use words::{PATTERNS, Slot, words_for};

pub struct TextGen;

fn pick<'a>(rng: &mut RowRng, list: &[&'a str]) -> &'a str {
    list[rng.below(list.len() as u64) as usize]
}

/// Appends one sentence (capitalised, ending in a full stop).
pub fn sentence(rng: &mut RowRng, out: &mut String) {
    let pattern = PATTERNS[rng.below(PATTERNS.len() as u64) as usize];
    let start = out.len();
    for (i, slot) in pattern.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        // Determiners are optional before plural-sounding nouns; skipping some varies rhythm.
        if matches!(slot, Slot::Det) && rng.below(5) == 0 && i > 0 {
            out.pop();
            continue;
        }
        out.push_str(pick(rng, words_for(*slot)));
    }
    // Capitalise the first letter (all sentence starts are ASCII determiners or nouns).
    if let Some(first) = out[start..].chars().next() {
        let upper: String = first.to_uppercase().collect();
        out.replace_range(start..start + first.len_utf8(), &upper);
    }
    out.push('.');
}

/// Cuts `text` to at most `max` bytes, at a word boundary when there is one, never inside a
/// UTF-8 character.
pub fn truncate_bytes(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    if let Some(space) = text[..cut].rfind(' ')
        && space > 0
    {
        cut = space;
    }
    text.truncate(cut);
    while text.ends_with([' ', ',']) {
        text.pop();
    }
}

/// Text of about `target` bytes (never more than `max`).
pub fn text_of(rng: &mut RowRng, target: usize, max: usize) -> String {
    let mut out = String::with_capacity(target + 64);
    loop {
        if !out.is_empty() {
            out.push(' ');
        }
        sentence(rng, &mut out);
        if out.len() >= target {
            break;
        }
    }
    truncate_bytes(&mut out, max.max(1));
    out
}

fn byte_bounds(req: &GenerateRequest, default_min: f64) -> Result<(usize, usize), String> {
    let limit = f64::from(req.field.max_length.unwrap_or(65_535));
    let max = req.param_f64("max_bytes", limit)?.min(limit);
    let min_default = req.field.min_length.map_or(default_min.min(max), f64::from);
    let min = req.param_f64("min_bytes", min_default)?;
    if !(min >= 0.0 && max >= 1.0 && min <= max) {
        return Err(format!(
            "need 0 <= min_bytes <= max_bytes (<= max_length {limit}), got {min}..{max}"
        ));
    }
    Ok((min as usize, max as usize))
}

impl Generator for TextGen {
    fn info() -> PluginInfo {
        let params = json!({
            "type": "object",
            "properties": {
                "min_bytes": {"type": "integer", "minimum": 0},
                "max_bytes": {"type": "integer", "minimum": 1,
                              "description": "defaults to the field's max_length"}
            },
            "additionalProperties": false
        });
        PluginInfo::new(
            "text-gen",
            env!("CARGO_PKG_VERSION"),
            "English-like sentences and paragraphs from a word model",
        )
        // Every value is a function of (seed, field, params, row): instances may be reused.
        .stateless()
        .function(
            FunctionInfo::new("sentence", "one sentence per row", &[MilvusType::VarChar])
                .params_schema(params.clone()),
        )
        .function(
            FunctionInfo::new(
                "paragraph",
                "sentences filling a length drawn between min_bytes and max_bytes",
                &[MilvusType::VarChar],
            )
            .params_schema(params),
        )
    }

    fn generate(req: GenerateRequest) -> Result<Column, String> {
        if req.field.milvus_type() != Some(MilvusType::VarChar) {
            return Err(format!(
                "text-gen makes VarChar values, field `{}` is {}",
                req.field.name, req.field.type_name
            ));
        }
        let paragraph = match req.generator.as_str() {
            "sentence" => false,
            "paragraph" => true,
            other => {
                return Err(format!(
                    "no generator `{other}`; expected sentence, paragraph"
                ));
            }
        };
        let (min, max) = byte_bounds(&req, if paragraph { 200.0 } else { 1.0 })?;
        let null_ratio = if req.field.nullable {
            req.field.null_ratio.unwrap_or(0.0)
        } else {
            0.0
        };
        let mut values = Vec::with_capacity(req.row_count as usize);
        let mut nulls = Vec::new();
        for row in req.rows() {
            let mut rng = RowRng::for_row(req.seed, &req.field.name, row);
            if null_ratio > 0.0 {
                nulls.push(rng.next_f64() < null_ratio);
            }
            let target = if paragraph {
                min + rng.below((max - min + 1) as u64) as usize
            } else {
                min
            };
            values.push(text_of(&mut rng, target, max));
        }
        let column = Column::strings(values);
        Ok(if nulls.is_empty() {
            column
        } else {
            column.with_nulls(nulls)
        })
    }
}

milvus_ingest_sdk::export_generator!(TextGen);

#[cfg(test)]
mod tests {
    use super::*;

    fn request(generator: &str, field: &str, params: &str, first_row: u64) -> GenerateRequest {
        GenerateRequest::from_wire(generator.into(), field.into(), params, 7, first_row, 300)
            .unwrap()
    }

    fn strings(c: Column) -> Vec<String> {
        match c.data {
            ColumnData::Scalar(Scalars::Strings(v)) => v,
            other => panic!("expected strings, got {other:?}"),
        }
    }

    #[test]
    fn paragraphs_respect_byte_limits_and_read_like_text() {
        let field = r#"{"name":"body","type":"VarChar","max_length":120}"#;
        let values = strings(
            TextGen::generate(request("paragraph", field, r#"{"min_bytes":60}"#, 0)).unwrap(),
        );
        assert_eq!(values.len(), 300);
        for v in &values {
            assert!(v.len() <= 120, "{} bytes: {v}", v.len());
            assert!(v.len() >= 40, "too short: {v}");
            assert!(v.chars().next().unwrap().is_uppercase(), "{v}");
        }
        let distinct: std::collections::HashSet<_> = values.iter().collect();
        assert!(distinct.len() > 290);
    }

    #[test]
    fn multibyte_words_never_split_and_tiny_limits_hold() {
        for max in 1..40 {
            let mut rng = RowRng::for_row(1, "x", max as u64);
            let t = text_of(&mut rng, 500, max);
            assert!(t.len() <= max && !t.is_empty(), "{max}: {t:?}");
        }
        let mut s = String::from("crème façade");
        truncate_bytes(&mut s, 4);
        assert_eq!(s, "crè");
    }

    #[test]
    fn rows_do_not_depend_on_the_call_split() {
        let field = r#"{"name":"t","type":"VarChar","max_length":300}"#;
        let whole = strings(TextGen::generate(request("sentence", field, "null", 0)).unwrap());
        let part = strings(TextGen::generate(request("sentence", field, "null", 100)).unwrap());
        assert_eq!(whole[100..], part[..200]);
    }

    #[test]
    fn wrong_types_and_params_are_errors() {
        let vector = r#"{"name":"v","type":"FloatVector","dim":4}"#;
        assert!(TextGen::generate(request("sentence", vector, "null", 0)).is_err());
        let field = r#"{"name":"t","type":"VarChar","max_length":30}"#;
        let err =
            TextGen::generate(request("paragraph", field, r#"{"min_bytes":50}"#, 0)).unwrap_err();
        assert!(err.contains("min_bytes"), "{err}");
        assert!(TextGen::generate(request("poem", field, "null", 0)).is_err());
    }
}
