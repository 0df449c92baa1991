//! Batches waiting to go out as one write request. Each batch is one handler call (`-b`
//! documents), but a 500-document Upsert of 1024-d rows is a small request: Milvus's
//! per-request work and the round trip then cost more than the rows. Consecutive batches are
//! therefore merged, up to `--max-request-mb` of columns, as long as they share no primary
//! key (a key in two of them must land in order, and one request carrying a key twice keeps an
//! arbitrary row).

use std::collections::HashSet;

use ::milvus::proto::schema::FieldData;
use prost::Message;

use super::batch::Prepared;
use crate::milvus::MilvusError;
use crate::milvus::append::append_fields;
use crate::milvus::query::Pk;

/// One write request in the making: the merged batches' columns, keys and deletes, and the
/// source position (`mark`) of the last batch in it.
pub(crate) struct Pending<M> {
    pub fields: Option<Vec<FieldData>>,
    /// Rows in `fields`.
    pub rows: usize,
    pub deletes: Vec<Pk>,
    /// Every key written or deleted, in batch order.
    pub keys: Vec<Pk>,
    key_set: HashSet<Pk>,
    /// Encoded size of `fields` in bytes.
    pub bytes: usize,
    pub mark: M,
}

/// The encoded size of a batch's columns, in bytes.
pub(crate) fn request_bytes(prepared: &Prepared) -> usize {
    prepared
        .fields
        .as_ref()
        .map_or(0, |f| f.iter().map(Message::encoded_len).sum())
}

impl<M> Pending<M> {
    /// A request of `prepared` alone; `bytes` is its [`request_bytes`].
    pub fn new(prepared: Prepared, mark: M, bytes: usize) -> Pending<M> {
        let keys: Vec<Pk> = prepared.keys().cloned().collect();
        Pending {
            key_set: keys.iter().cloned().collect(),
            keys,
            rows: prepared.upserts.len(),
            deletes: prepared.deletes,
            fields: prepared.fields,
            bytes,
            mark,
        }
    }

    /// Whether `prepared` (of `bytes`) may join this request: no key in common, and the
    /// columns stay within `max_bytes`.
    pub fn takes(&self, prepared: &Prepared, bytes: usize, max_bytes: usize) -> bool {
        max_bytes > 0
            && self.bytes + bytes <= max_bytes
            && !prepared.keys().any(|k| self.key_set.contains(k))
    }

    /// Appends `prepared` (of `bytes`, checked with [`Pending::takes`]); `mark` becomes this
    /// request's.
    pub fn add(&mut self, prepared: Prepared, mark: M, bytes: usize) -> Result<(), MilvusError> {
        self.bytes += bytes;
        let rows = prepared.upserts.len();
        for k in prepared.keys() {
            self.key_set.insert(k.clone());
            self.keys.push(k.clone());
        }
        self.deletes.extend(prepared.deletes);
        match (&mut self.fields, prepared.fields) {
            (_, None) => {}
            (None, Some(f)) => self.fields = Some(f),
            (Some(into), Some(more)) => {
                append_fields(into, self.rows, more, rows).map_err(|reason| {
                    MilvusError::Column {
                        path: "<entities>".into(),
                        column: String::new(),
                        reason,
                    }
                })?
            }
        }
        self.rows += rows;
        self.mark = mark;
        Ok(())
    }
}
