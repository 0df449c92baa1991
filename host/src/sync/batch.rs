//! One batch: documents through the handler, entities through the schema checks, and the
//! outcome collapsed by primary key (last wins: Milvus keeps an arbitrary row when one upsert
//! carries a key twice, and a later version of a document must beat an earlier one).

use std::collections::HashMap;

use ::milvus::proto::schema::FieldData;
use bson::Bson;
use serde_json::{Map, Value};

use super::check::check_entity;
use super::error::SyncError;
use crate::milvus::query::Pk;
use crate::milvus::upsert::entities_to_fields;
use crate::mongo::{SourceDoc, id_key};
use crate::plugin::{Documents, SyncHandler};
use crate::schema::{DataType, Schema};

/// What the pipeline reads: a document, or (from a change stream) the `_id` of a deleted one.
#[derive(Debug, Clone)]
pub enum Item {
    Doc(SourceDoc),
    Deleted(Bson),
}

impl Item {
    pub fn id_key(&self) -> String {
        match self {
            Item::Doc(d) => d.id_key(),
            Item::Deleted(id) => id_key(id),
        }
    }
}

/// A document that produced nothing, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skip {
    pub id: String,
    pub reason: String,
}

/// A batch ready to send.
#[derive(Default)]
pub struct Prepared {
    /// Upsert request fields (None when nothing to upsert).
    pub fields: Option<Vec<FieldData>>,
    /// Keys of the upserted rows, in order.
    pub upserts: Vec<Pk>,
    pub deletes: Vec<Pk>,
    pub skipped: Vec<Skip>,
    /// Entities the handler produced (before checks and collapsing).
    pub converted: u64,
    /// Documents superseded by a later one with the same key in this batch.
    pub collapsed: u64,
}

impl Prepared {
    /// Every key this batch writes or deletes.
    pub fn keys(&self) -> impl Iterator<Item = &Pk> {
        self.upserts.iter().chain(self.deletes.iter())
    }
}

/// The primary-key value of a string key from a handler or an `_id`.
pub fn pk_of(schema: &Schema, text: &str) -> Result<Pk, String> {
    let pk = schema.primary().ok_or("the schema has no primary key")?;
    match pk.data_type {
        DataType::Int64 => text
            .parse::<i64>()
            .map(Pk::Int)
            .map_err(|_| format!("`{text}` is not an Int64 primary key")),
        _ => Ok(Pk::Str(text.to_string())),
    }
}

fn pk_of_entity(schema: &Schema, row: &Map<String, Value>) -> Result<Pk, String> {
    let pk = schema.primary().ok_or("the schema has no primary key")?;
    match (pk.data_type, row.get(&pk.name)) {
        (DataType::Int64, Some(v)) if v.is_i64() => Ok(Pk::Int(v.as_i64().expect("checked"))),
        (DataType::VarChar, Some(Value::String(s))) => Ok(Pk::Str(s.clone())),
        _ => Err(format!("field `{}`: no usable primary key", pk.name)),
    }
}

enum Outcome {
    /// The checked row and the FloatVector fields that came as float32 lists.
    Upsert(Map<String, Value>, Vec<(String, Vec<f32>)>),
    Delete,
}

/// Converts, checks and collapses `items`. A handler failure is an error naming the first
/// document it fails on alone; nothing of the batch is then written.
pub fn prepare(
    handler: &SyncHandler,
    schema: &Schema,
    items: &[Item],
) -> Result<Prepared, SyncError> {
    let mut out = Prepared::default();
    // (key, outcome) in input order; later ones win.
    let mut outcomes: Vec<(Pk, Outcome)> = Vec::with_capacity(items.len());
    let docs: Vec<(usize, &SourceDoc)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| match it {
            Item::Doc(d) => Some((i, d)),
            Item::Deleted(_) => None,
        })
        .collect();
    let mut per_item: Vec<Option<Result<(Pk, Outcome), String>>> =
        (0..items.len()).map(|_| None).collect();
    if !docs.is_empty() {
        let raw: Vec<&bson::RawDocument> = docs.iter().map(|(_, d)| &*d.raw).collect();
        let converted =
            handler
                .convert(Documents::Raw(&raw))
                .map_err(|source| SyncError::Plugin {
                    id: first_failing(handler, &raw, &docs),
                    source: Box::new(source),
                })?;
        out.converted = converted.entities.len() as u64;
        for e in converted.entities {
            per_item[docs[e.index].0] = Some(
                check_entity(schema, e.row, &e.float_vectors).and_then(|row| {
                    Ok((
                        pk_of_entity(schema, &row)?,
                        Outcome::Upsert(row, e.float_vectors),
                    ))
                }),
            );
        }
        for s in converted.skipped {
            per_item[docs[s.index].0] = Some(Err(s.reason));
        }
        for d in converted.deletes {
            per_item[docs[d.index].0] = Some(pk_of(schema, &d.id).map(|k| (k, Outcome::Delete)));
        }
    }
    for (i, item) in items.iter().enumerate() {
        let result = match item {
            Item::Deleted(_) => pk_of(schema, &item.id_key()).map(|k| (k, Outcome::Delete)),
            Item::Doc(_) => per_item[i]
                .take()
                .expect("the handler accounts for every document"),
        };
        match result {
            Ok(ko) => outcomes.push(ko),
            Err(reason) => out.skipped.push(Skip {
                id: item.id_key(),
                reason,
            }),
        }
    }
    let mut last: HashMap<&Pk, usize> = HashMap::with_capacity(outcomes.len());
    for (i, (k, _)) in outcomes.iter().enumerate() {
        last.insert(k, i);
    }
    let keep: Vec<bool> = (0..outcomes.len())
        .map(|i| last[&outcomes[i].0] == i)
        .collect();
    let mut rows = Vec::new();
    for ((k, o), keep) in outcomes.into_iter().zip(keep) {
        if !keep {
            out.collapsed += 1;
            continue;
        }
        match o {
            Outcome::Upsert(row, vectors) => {
                out.upserts.push(k);
                rows.push((row, vectors));
            }
            Outcome::Delete => out.deletes.push(k),
        }
    }
    if !rows.is_empty() {
        out.fields = Some(entities_to_fields(schema, rows)?);
    }
    Ok(out)
}

/// The `_id` of the first document the handler fails on when given it alone.
fn first_failing(
    handler: &SyncHandler,
    raw: &[&bson::RawDocument],
    docs: &[(usize, &SourceDoc)],
) -> String {
    for (one, (_, d)) in raw.iter().zip(docs) {
        if handler
            .convert(Documents::Raw(std::slice::from_ref(one)))
            .is_err()
        {
            return d.id_key();
        }
    }
    String::new()
}
