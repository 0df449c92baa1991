//! JSON output: one `{"rows": [...]}` document per file, the row format Milvus 2.3-2.6 import.
//!
//! Dynamic keys (the `$meta` column) are written as top-level keys of each row, which is how
//! row-based import expects them; JSON fields are nested objects, vectors are number lists.

use std::io::Write;

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;

use super::json_text::JsonEncoder;
use super::sink::SinkFile;
use crate::schema::Schema;

/// Encodes record batches as comma-separated JSON row objects.
pub struct JsonRowsEncoder {
    /// (quoted key with colon, encoder) per column; `None` key marks the `$meta` column.
    columns: Vec<(Option<String>, Option<JsonEncoder>)>,
}

impl JsonRowsEncoder {
    pub fn new(schema: &Schema) -> JsonRowsEncoder {
        let mut columns: Vec<(Option<String>, Option<JsonEncoder>)> = schema
            .data_fields()
            .into_iter()
            .map(|f| {
                let key = format!(
                    "{}:",
                    serde_json::to_string(&f.name).expect("names serialise")
                );
                (Some(key), Some(JsonEncoder::new(f)))
            })
            .collect();
        if schema.has_meta_column() {
            columns.push((None, None));
        }
        JsonRowsEncoder { columns }
    }

    /// Appends the rows of `batch` to `out`, each row preceded by `,\n` except the first of
    /// a block.
    pub fn encode_rows(&self, batch: &RecordBatch, out: &mut Vec<u8>) {
        let mut line = String::with_capacity(256);
        for row in 0..batch.num_rows() {
            line.clear();
            if !out.is_empty() {
                line.push_str(",\n");
            }
            line.push('{');
            let mut first = true;
            for ((key, encoder), column) in self.columns.iter().zip(batch.columns()) {
                match (key, encoder) {
                    (Some(key), Some(encoder)) => {
                        if !first {
                            line.push(',');
                        }
                        first = false;
                        line.push_str(key);
                        encoder.encode(column.as_ref(), row, &mut line);
                    }
                    _ => {
                        // `$meta` holds an object: splice its members into the row.
                        let object = column.as_string::<i32>().value(row).trim();
                        let members = object
                            .strip_prefix('{')
                            .and_then(|o| o.strip_suffix('}'))
                            .unwrap_or("")
                            .trim();
                        if !members.is_empty() {
                            if !first {
                                line.push(',');
                            }
                            first = false;
                            line.push_str(members);
                        }
                    }
                }
            }
            line.push('}');
            out.extend_from_slice(line.as_bytes());
        }
    }
}

/// Writes `{"rows": [` + blocks + `]}` into a sink file.
pub struct JsonFileWriter<'a> {
    file: Box<dyn SinkFile + 'a>,
    wrote_rows: bool,
}

impl<'a> JsonFileWriter<'a> {
    pub fn open(mut file: Box<dyn SinkFile + 'a>) -> std::io::Result<JsonFileWriter<'a>> {
        file.write_all(b"{\"rows\": [\n")?;
        Ok(JsonFileWriter {
            file,
            wrote_rows: false,
        })
    }

    /// Appends a block produced by [`JsonRowsEncoder::encode_rows`].
    pub fn append(&mut self, block: &[u8]) -> std::io::Result<()> {
        if block.is_empty() {
            return Ok(());
        }
        if self.wrote_rows {
            self.file.write_all(b",\n")?;
        }
        self.file.write_all(block)?;
        self.wrote_rows = true;
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<Box<dyn SinkFile + 'a>> {
        self.file.write_all(b"\n]}\n")?;
        Ok(self.file)
    }
}

/// Encodes batches into memory: used to measure bytes per row for planning.
pub fn encoded_size(encoder: &JsonRowsEncoder, batches: &[RecordBatch]) -> usize {
    let mut out = Vec::new();
    for b in batches {
        encoder.encode_rows(b, &mut out);
    }
    out.len()
}
