//! Rendering rows as a terminal table (previews).

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use crate::format::META_COLUMN;
use crate::format::json_text::JsonEncoder;
use crate::schema::Schema;

const CELL_WIDTH: usize = 40;

pub fn render_batch(schema: &Schema, batch: &RecordBatch) -> String {
    let fields = schema.data_fields();
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    let mut header: Vec<String> = fields
        .iter()
        .map(|f| format!("{}\n{}", f.name, type_label(f)))
        .collect();
    if schema.has_meta_column() {
        header.push(format!("{META_COLUMN}\ndynamic"));
    }
    table.set_header(header);
    let encoders: Vec<JsonEncoder> = fields.iter().map(|f| JsonEncoder::new(f)).collect();
    for row in 0..batch.num_rows() {
        let mut cells = Vec::new();
        let mut text = String::new();
        for (i, encoder) in encoders.iter().enumerate() {
            text.clear();
            encoder.encode(batch.column(i).as_ref(), row, &mut text);
            let cell = if fields[i].data_type.is_dense_vector() {
                format!("{} ({} dims)", shorten(&text), fields[i].dim.unwrap_or(0))
            } else {
                shorten(&text)
            };
            cells.push(cell);
        }
        if schema.has_meta_column() {
            cells.push(shorten(
                batch.column(encoders.len()).as_string::<i32>().value(row),
            ));
        }
        table.add_row(cells);
    }
    table.to_string()
}

fn type_label(f: &crate::schema::Field) -> String {
    let base = if f.data_type == crate::schema::DataType::Array {
        format!("Array<{}>", f.value_type())
    } else {
        f.data_type.to_string()
    };
    if f.is_primary {
        format!("{base}, pk")
    } else {
        base
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= CELL_WIDTH {
        return text.to_string();
    }
    let cut: String = text.chars().take(CELL_WIDTH - 1).collect();
    format!("{cut}…")
}
