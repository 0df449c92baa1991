//! Streaming reader of `{"rows": [...]}` data files (the JSON format `generate` writes and
//! Milvus row-based import reads): rows are parsed one at a time and gathered into Arrow
//! batches of the same layout as the Parquet files, so insert and verify treat both alike.
//! The file is never held in memory: a parser thread hands over one batch at a time.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use arrow_array::builder::{BooleanBuilder, ListBuilder, StringBuilder};
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type,
};
use arrow_array::{
    ArrayRef, BooleanArray, Float32Array, Float64Array, Int8Array, Int16Array, Int32Array,
    Int64Array, ListArray, RecordBatch, StringArray,
};
use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::error::{MilvusError, Result};
use crate::format::half_text::Half;
use crate::format::{META_COLUMN, arrow_schema};
use crate::schema::{DataType, Field, Schema};

/// Batches of rows `[start, end)` of a JSON rows file, parsed on a separate thread.
pub fn read_range(
    path: &Path,
    schema: &Schema,
    start: u64,
    end: u64,
    batch_size: usize,
) -> Result<impl Iterator<Item = Result<RecordBatch>> + use<>> {
    let file = File::open(path).map_err(|e| MilvusError::io(path, e))?;
    let (tx, rx) = sync_channel::<Result<RecordBatch>>(1);
    let (path, schema) = (path.to_path_buf(), schema.clone());
    std::thread::spawn(move || {
        let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 20, file));
        let mut rows = Rows {
            path: &path,
            schema: &schema,
            start,
            end,
            batch_size: batch_size.max(1),
            pending: Vec::new(),
            tx: &tx,
        };
        match (&mut rows).deserialize(&mut de) {
            Ok(()) => {
                let _ = rows.flush();
            }
            // The reader stopped listening (or the range ended): not an error.
            Err(e) if e.to_string().starts_with(STOP) => {}
            Err(e) => {
                let _ = tx.send(Err(MilvusError::Data {
                    path: path.clone(),
                    reason: format!("not a {{\"rows\": [...]}} JSON file: {e}"),
                }));
            }
        }
    });
    Ok(Batches { rx })
}

struct Batches {
    rx: Receiver<Result<RecordBatch>>,
}

impl Iterator for Batches {
    type Item = Result<RecordBatch>;
    fn next(&mut self) -> Option<Self::Item> {
        self.rx.recv().ok()
    }
}

const STOP: &str = "milvus-ingest: stop reading";

struct Rows<'a> {
    path: &'a PathBuf,
    schema: &'a Schema,
    start: u64,
    end: u64,
    batch_size: usize,
    pending: Vec<Map<String, Value>>,
    tx: &'a SyncSender<Result<RecordBatch>>,
}

impl Rows<'_> {
    /// Sends the pending rows as one batch; false when nobody listens any more.
    fn flush(&mut self) -> bool {
        if self.pending.is_empty() {
            return true;
        }
        let rows = std::mem::take(&mut self.pending);
        let batch = rows_to_batch(self.path, self.schema, &rows);
        let failed = batch.is_err();
        self.tx.send(batch).is_ok() && !failed
    }
}

impl<'de> DeserializeSeed<'de> for &mut Rows<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for &mut Rows<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object with a `rows` list")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let mut seen = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "rows" {
                map.next_value_seed(RowList(&mut *self))?;
                seen = true;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        if seen {
            Ok(())
        } else {
            Err(A::Error::custom("no `rows` key"))
        }
    }
}

struct RowList<'r, 'a>(&'r mut Rows<'a>);

impl<'de> DeserializeSeed<'de> for RowList<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowList<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of row objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let rows = self.0;
        let mut index = 0u64;
        loop {
            if index < rows.start {
                if seq.next_element::<serde::de::IgnoredAny>()?.is_none() {
                    break;
                }
            } else if index < rows.end {
                match seq.next_element::<Map<String, Value>>()? {
                    Some(row) => rows.pending.push(row),
                    None => break,
                }
                if rows.pending.len() >= rows.batch_size && !rows.flush() {
                    return Err(A::Error::custom(STOP));
                }
            } else {
                rows.flush();
                return Err(A::Error::custom(STOP));
            }
            index += 1;
        }
        Ok(())
    }
}

fn bad(path: &Path, column: &str, reason: String) -> MilvusError {
    MilvusError::Column {
        path: path.to_path_buf(),
        column: column.to_string(),
        reason,
    }
}

/// Rows (objects) to a batch with the Parquet layout of `schema`.
pub fn rows_to_batch(
    path: &Path,
    schema: &Schema,
    rows: &[Map<String, Value>],
) -> Result<RecordBatch> {
    let arrow = arrow_schema(schema);
    let fields = schema.data_fields();
    let known: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for column in arrow.fields() {
        if column.name() == META_COLUMN {
            let metas = rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    meta_of(r, &known).map_err(|e| bad(path, META_COLUMN, format!("row {i}: {e}")))
                })
                .collect::<Result<Vec<String>>>()?;
            columns.push(Arc::new(StringArray::from(metas)));
            continue;
        }
        let field = fields
            .iter()
            .find(|f| &f.name == column.name())
            .expect("arrow schema comes from the fields");
        let values: Vec<&Value> = rows
            .iter()
            .map(|r| r.get(&field.name).unwrap_or(&Value::Null))
            .collect();
        columns.push(column_of(field, &values).map_err(|r| bad(path, &field.name, r))?);
    }
    if !schema.enable_dynamic_field
        && let Some(extra) = rows
            .iter()
            .flat_map(|r| r.keys())
            .find(|k| !known.contains(&k.as_str()))
    {
        return Err(bad(
            path,
            extra,
            format!(
                "not a field of schema `{}` and the dynamic field is off",
                schema.collection_name
            ),
        ));
    }
    RecordBatch::try_new(arrow, columns).map_err(|e| MilvusError::Data {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// The dynamic keys of a row as one JSON object: its keys that are not fields, merged with
/// an explicit `$meta` (an object, or a string holding one), the forms Milvus' row import
/// accepts.
fn meta_of(row: &Map<String, Value>, known: &[&str]) -> std::result::Result<String, String> {
    let mut meta = match row.get(META_COLUMN) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            _ => return Err(format!("`{META_COLUMN}` is not a JSON object: {text}")),
        },
        Some(other) => return Err(format!("`{META_COLUMN}` is not a JSON object: {other}")),
    };
    for (k, v) in row {
        if !known.contains(&k.as_str()) && k != META_COLUMN {
            meta.insert(k.clone(), v.clone());
        }
    }
    Ok(Value::Object(meta).to_string())
}

/// Half-precision vectors: `dim` numbers per row in JSON, little-endian 16-bit patterns in
/// the column (the Parquet layout), rounded through float32 as Milvus' JSON import does.
fn half_vectors(
    field: &Field,
    values: &[&Value],
    format: Half,
) -> std::result::Result<ArrayRef, String> {
    let dim = field.dim.unwrap_or(0) as usize;
    let mut out: Vec<Option<Vec<Option<u8>>>> = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let Value::Array(items) = v else {
            if v.is_null() {
                out.push(None);
                continue;
            }
            return Err(format!(
                "row {i}: expected a list of {dim} numbers, found {v}"
            ));
        };
        if items.len() != dim {
            return Err(format!(
                "row {i}: expected {dim} numbers (one per dimension), found {}{}",
                items.len(),
                if items.len() == 2 * dim {
                    " (files written before issue 10 held 2 bytes per dimension: generate them again)"
                } else {
                    ""
                }
            ));
        }
        let mut bytes = Vec::with_capacity(2 * dim);
        for x in items {
            let f = x
                .as_f64()
                .ok_or_else(|| format!("row {i}: expected numbers, found {x}"))?;
            let bits = format.encode(f as f32);
            bytes.extend(bits.to_le_bytes().map(Some));
        }
        out.push(Some(bytes));
    }
    Ok(Arc::new(ListArray::from_iter_primitive::<UInt8Type, _, _>(
        out,
    )))
}

fn column_of(field: &Field, values: &[&Value]) -> std::result::Result<ArrayRef, String> {
    let at = |i: usize, what: &str| format!("row {i}: expected {what}, found {}", values[i]);
    macro_rules! prim {
        ($arr:ty, $conv:expr, $what:expr) => {{
            let mut out = Vec::with_capacity(values.len());
            for (i, v) in values.iter().enumerate() {
                out.push(if v.is_null() {
                    None
                } else {
                    Some($conv(*v).ok_or_else(|| at(i, $what))?)
                });
            }
            Arc::new(<$arr>::from(out)) as ArrayRef
        }};
    }
    macro_rules! list {
        ($t:ty, $conv:expr, $what:expr) => {{
            let mut out = Vec::with_capacity(values.len());
            for (i, v) in values.iter().enumerate() {
                out.push(match v {
                    Value::Null => None,
                    Value::Array(items) => Some(
                        items
                            .iter()
                            .map(|x| $conv(x).map(Some))
                            .collect::<Option<Vec<_>>>()
                            .ok_or_else(|| at(i, $what))?,
                    ),
                    _ => return Err(at(i, "a list")),
                });
            }
            Arc::new(ListArray::from_iter_primitive::<$t, _, _>(out)) as ArrayRef
        }};
    }
    let int = |v: &Value| v.as_i64();
    Ok(match (field.data_type, field.value_type()) {
        (DataType::Bool, _) => prim!(BooleanArray, |v: &Value| v.as_bool(), "a boolean"),
        (DataType::Int8, _) => prim!(
            Int8Array,
            |v: &Value| int(v).and_then(|x| i8::try_from(x).ok()),
            "an Int8"
        ),
        (DataType::Int16, _) => prim!(
            Int16Array,
            |v: &Value| int(v).and_then(|x| i16::try_from(x).ok()),
            "an Int16"
        ),
        (DataType::Int32, _) => prim!(
            Int32Array,
            |v: &Value| int(v).and_then(|x| i32::try_from(x).ok()),
            "an Int32"
        ),
        (DataType::Int64, _) => prim!(Int64Array, int, "an Int64"),
        (DataType::Float, _) => prim!(
            Float32Array,
            |v: &Value| v.as_f64().map(|x| x as f32),
            "a number"
        ),
        (DataType::Double, _) => prim!(Float64Array, |v: &Value| v.as_f64(), "a number"),
        (DataType::VarChar, _) => prim!(
            StringArray,
            |v: &Value| v.as_str().map(str::to_string),
            "a string"
        ),
        (DataType::Json, _) | (DataType::SparseFloatVector, _) => Arc::new(
            values
                .iter()
                .map(|v| (!v.is_null()).then(|| v.to_string()))
                .collect::<StringArray>(),
        ),
        (DataType::FloatVector, _) => list!(
            Float32Type,
            |x: &Value| x.as_f64().map(|f| f as f32),
            "a list of numbers"
        ),
        (DataType::BinaryVector, _) => {
            list!(
                UInt8Type,
                |x: &Value| x.as_u64().and_then(|b| u8::try_from(b).ok()),
                "a list of bytes 0-255"
            )
        }
        (DataType::Float16Vector, _) => half_vectors(field, values, Half::F16)?,
        (DataType::BFloat16Vector, _) => half_vectors(field, values, Half::BF16)?,
        (DataType::Int8Vector, _) => list!(
            Int8Type,
            |x: &Value| x.as_i64().and_then(|b| i8::try_from(b).ok()),
            "a list of Int8"
        ),
        (DataType::Array, DataType::Int8) => list!(
            Int8Type,
            |x: &Value| int(x).and_then(|b| i8::try_from(b).ok()),
            "Int8 elements"
        ),
        (DataType::Array, DataType::Int16) => list!(
            Int16Type,
            |x: &Value| int(x).and_then(|b| i16::try_from(b).ok()),
            "Int16 elements"
        ),
        (DataType::Array, DataType::Int32) => list!(
            Int32Type,
            |x: &Value| int(x).and_then(|b| i32::try_from(b).ok()),
            "Int32 elements"
        ),
        (DataType::Array, DataType::Int64) => list!(Int64Type, int, "Int64 elements"),
        (DataType::Array, DataType::Float) => list!(
            Float32Type,
            |x: &Value| x.as_f64().map(|f| f as f32),
            "number elements"
        ),
        (DataType::Array, DataType::Double) => {
            list!(Float64Type, |x: &Value| x.as_f64(), "number elements")
        }
        (DataType::Array, DataType::Bool) => {
            let mut b = ListBuilder::new(BooleanBuilder::new());
            for (i, v) in values.iter().enumerate() {
                match v {
                    Value::Null => b.append(false),
                    Value::Array(items) => {
                        for x in items {
                            b.values().append_value(
                                x.as_bool().ok_or_else(|| at(i, "boolean elements"))?,
                            );
                        }
                        b.append(true);
                    }
                    _ => return Err(at(i, "a list")),
                }
            }
            Arc::new(b.finish())
        }
        (DataType::Array, _) => {
            let mut b = ListBuilder::new(StringBuilder::new());
            for (i, v) in values.iter().enumerate() {
                match v {
                    Value::Null => b.append(false),
                    Value::Array(items) => {
                        for x in items {
                            b.values()
                                .append_value(x.as_str().ok_or_else(|| at(i, "string elements"))?);
                        }
                        b.append(true);
                    }
                    _ => return Err(at(i, "a list")),
                }
            }
            Arc::new(b.finish())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;
    use arrow_array::cast::AsArray;

    fn schema(dynamic: bool) -> Schema {
        let mut f16 = Field::new("h", DataType::Float16Vector);
        f16.dim = Some(2);
        let mut pk = Field::new("id", DataType::Int64);
        pk.is_primary = true;
        Schema {
            collection_name: "c".into(),
            description: String::new(),
            fields: vec![pk, f16],
            enable_dynamic_field: dynamic,
            dynamic_fields: Vec::new(),
            functions: Vec::new(),
            validators: Vec::new(),
        }
    }

    fn rows(text: &str) -> Vec<Map<String, Value>> {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn half_vectors_are_numbers_and_dynamic_keys_merge_into_meta() {
        let batch = rows_to_batch(
            Path::new("f.json"),
            &schema(true),
            &rows(
                r#"[{"id": 1, "h": [-0.6343, 1.0], "a": 1, "$meta": {"b": 2}},
                    {"id": 2, "h": [0.5, -2], "$meta": "{\"c\": 3}"},
                    {"id": 3, "h": [0, 0]}]"#,
            ),
        )
        .unwrap();
        let h = batch.column_by_name("h").unwrap().as_list::<i32>();
        let first = h.value(0);
        let bytes = first.as_primitive::<UInt8Type>().values();
        assert_eq!(
            &bytes[..],
            &[19, 185, 0, 60],
            "-0.6343 is 0xB913, 1.0 is 0x3C00"
        );
        let meta = batch
            .column_by_name(META_COLUMN)
            .unwrap()
            .as_string::<i32>();
        let meta: Vec<Value> = (0..meta.len())
            .map(|i| serde_json::from_str(meta.value(i)).unwrap())
            .collect();
        assert_eq!(
            meta,
            [
                serde_json::json!({"b": 2, "a": 1}),
                serde_json::json!({"c": 3}),
                serde_json::json!({})
            ]
        );
    }

    #[test]
    fn half_vectors_of_the_old_byte_encoding_are_named() {
        let err = rows_to_batch(
            Path::new("f.json"),
            &schema(false),
            &rows(r#"[{"id": 1, "h": [19, 185, 0, 60]}]"#),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("expected 2 numbers") && err.contains("2 bytes per dimension"),
            "{err}"
        );
    }
}
