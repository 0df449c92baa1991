//! Upsert and delete by primary key: the idempotent writes `sync` uses (insert would duplicate
//! keys on every re-run). Rows arrive as JSON objects keyed by field name, already checked
//! against the schema by the caller; they go through the same Arrow → `FieldData` conversion
//! as `to-milvus insert`, so both paths encode every type identically.

use std::path::Path;

use ::milvus::proto::milvus::{DeleteRequest, MutationResult, UpsertRequest};
use ::milvus::proto::schema::{FieldData, JsonArray, ScalarField, field_data, scalar_field};
use serde_json::{Map, Value};

use super::client::Client;
use super::convert::{batch_to_fields, float_vector_field};
use super::error::{MilvusError, Result};
use super::json_reader::rows_to_batch;
use super::query::{Pk, in_expr};
use crate::format::META_COLUMN;
use crate::schema::{DataType, Schema};

/// A checked entity: its JSON row and the FloatVector fields that came as float32 lists
/// (field, components), which are not also in the row.
pub type Entity = (Map<String, Value>, Vec<(String, Vec<f32>)>);

/// [`rows_to_fields`] for entities whose FloatVector fields may come as float32 lists (a 0.3
/// sync handler's): those columns are built straight from the lists, with no JSON number in
/// between; the rest go through the same Arrow path. A field given as a list in some rows and
/// as JSON numbers in others is read from both.
pub fn entities_to_fields(schema: &Schema, entities: Vec<Entity>) -> Result<Vec<FieldData>> {
    let lifted: Vec<&crate::schema::Field> = schema
        .data_fields()
        .into_iter()
        .filter(|f| {
            f.data_type == DataType::FloatVector
                && entities
                    .iter()
                    .any(|(_, v)| v.iter().any(|(name, _)| *name == f.name))
        })
        .collect();
    if lifted.is_empty() {
        let rows: Vec<Map<String, Value>> = entities.into_iter().map(|(r, _)| r).collect();
        return rows_to_fields(schema, &rows);
    }
    let mut columns: Vec<Vec<f32>> = lifted
        .iter()
        .map(|f| Vec::with_capacity(f.dim.unwrap_or(0) as usize * entities.len()))
        .collect();
    let mut rows = Vec::with_capacity(entities.len());
    for (i, (mut row, vectors)) in entities.into_iter().enumerate() {
        for (field, column) in lifted.iter().zip(columns.iter_mut()) {
            if let Some((_, v)) = vectors.iter().find(|(name, _)| *name == field.name) {
                column.extend_from_slice(v);
            } else if let Some(Value::Array(items)) = row.remove(&field.name) {
                column.extend(items.iter().map(|x| x.as_f64().unwrap_or(0.0) as f32));
            } else {
                return Err(MilvusError::Column {
                    path: Path::new("<entities>").to_path_buf(),
                    column: field.name.clone(),
                    reason: format!("entity {i}: missing"),
                });
            }
        }
        rows.push(row);
    }
    let mut rest = schema.clone();
    rest.fields
        .retain(|f| !lifted.iter().any(|l| l.name == f.name));
    let mut fields = rows_to_fields(&rest, &rows)?;
    for (field, data) in lifted.into_iter().zip(columns) {
        fields.push(float_vector_field(field, data));
    }
    Ok(fields)
}

/// The `FieldData` of an upsert of `rows` (checked entities: every field present, right types).
/// Keys that are not fields go to `$meta` when the schema enables the dynamic field.
pub fn rows_to_fields(schema: &Schema, rows: &[Map<String, Value>]) -> Result<Vec<FieldData>> {
    let origin = Path::new("<entities>");
    let batch = rows_to_batch(origin, schema, rows)?;
    let mut fields = batch_to_fields(origin, &batch, schema)?;
    // `rows_to_batch` only builds `$meta` for schemas that declare dynamic keys; a handler may
    // emit any extra key, so build it here for every dynamic schema.
    if schema.enable_dynamic_field && !fields.iter().any(|f| f.field_name == META_COLUMN) {
        let known: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
        let data = rows
            .iter()
            .map(|r| {
                let extra: Map<String, Value> = r
                    .iter()
                    .filter(|(k, _)| !known.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Value::Object(extra).to_string().into_bytes()
            })
            .collect();
        fields.push(FieldData {
            r#type: ::milvus::proto::schema::DataType::Json as i32,
            field_name: META_COLUMN.to_string(),
            is_dynamic: true,
            field: Some(field_data::Field::Scalars(ScalarField {
                data: Some(scalar_field::Data::JsonData(JsonArray { data })),
            })),
            ..Default::default()
        });
    }
    Ok(fields)
}

fn mutation_outcome(client: &Client, rpc: &'static str, resp: MutationResult) -> Result<()> {
    client.check(rpc, resp.status.as_ref())?;
    if resp.err_index.is_empty() {
        Ok(())
    } else {
        Err(MilvusError::Rpc {
            rpc,
            reason: format!("{} rows rejected", resp.err_index.len()),
            transient: false,
        })
    }
}

/// One Upsert request of `num_rows` rows (no duplicate keys among them: Milvus would keep
/// an arbitrary one).
pub async fn upsert(
    client: &Client,
    collection: &str,
    fields: Vec<FieldData>,
    num_rows: usize,
) -> Result<()> {
    let request = UpsertRequest {
        db_name: client.db_name.clone(),
        collection_name: collection.to_string(),
        fields_data: fields,
        num_rows: num_rows as u32,
        ..Default::default()
    };
    let resp = client
        .raw()
        .upsert(client.request(request))
        .await
        .map_err(|s| client.grpc_error("Upsert", s))?
        .into_inner();
    mutation_outcome(client, "Upsert", resp)
}

/// Deletes the entities with primary keys `pks` (a literal `pk in [...]` expression, which
/// every server version parses). Keys that do not exist are not an error.
pub async fn delete(client: &Client, collection: &str, pk_field: &str, pks: &[Pk]) -> Result<()> {
    if pks.is_empty() {
        return Ok(());
    }
    let request = DeleteRequest {
        db_name: client.db_name.clone(),
        collection_name: collection.to_string(),
        expr: in_expr(pk_field, pks),
        ..Default::default()
    };
    let resp = client
        .raw()
        .delete(client.request(request))
        .await
        .map_err(|s| client.grpc_error("Delete", s))?
        .into_inner();
    mutation_outcome(client, "Delete", resp)
}
