//! The Milvus collections of evermemos.md sections 3.1 and 4.1, in milvus-ingest schema JSON,
//! with their indexes: HNSW (COSINE, M=16, efConstruction=200) on `vector`, AUTOINDEX without
//! params on the indexed scalars, in the order EverMemOS creates them.

use milvus_ingest_sdk::serde_json::{Map, Value, json};

/// One field of a collection, in declared order.
#[derive(Debug, Clone, Copy)]
pub enum F {
    /// `id` VarChar(100), primary, not auto-id.
    Pk,
    /// `vector` FloatVector(dim).
    Vector,
    /// VarChar(max_length), indexed (AUTOINDEX) or not.
    Str(&'static str, u32, bool),
    /// Array<VarChar(100)>, capacity 100.
    List(&'static str),
    /// Int64, indexed or not.
    Int(&'static str, bool),
    /// `tenant_id` VarChar(128), the partition key, AUTOINDEX `idx_tenant_id`.
    Tenant,
}

pub const ID_MAX: u32 = 100;
pub const LIST_ITEM_MAX: u32 = 100;
pub const LIST_CAPACITY: u32 = 100;
pub const TENANT_MAX: u32 = 128;

fn hnsw() -> Value {
    json!({"index_type": "HNSW", "metric_type": "COSINE", "params": {"M": 16, "efConstruction": 200}})
}

fn autoindex() -> Value {
    json!({"index_type": "AUTOINDEX"})
}

/// (schema JSON, index params JSON) of a collection.
pub fn build(name: &str, description: &str, fields: &[F], dim: u32) -> (Value, Value) {
    let mut out = Vec::new();
    let mut indexes = Map::new();
    for f in fields {
        let field = match *f {
            F::Pk => json!({"name": "id", "type": "VarChar", "max_length": ID_MAX,
                            "is_primary": true, "auto_id": false}),
            F::Vector => {
                indexes.insert("vector".into(), hnsw());
                json!({"name": "vector", "type": "FloatVector", "dim": dim, "index": hnsw()})
            }
            F::Str(n, max, indexed) => {
                let mut v = json!({"name": n, "type": "VarChar", "max_length": max});
                if indexed {
                    v["index"] = autoindex();
                    indexes.insert(n.into(), autoindex());
                }
                v
            }
            F::List(n) => json!({"name": n, "type": "Array", "element_type": "VarChar",
                                 "max_length": LIST_ITEM_MAX, "max_capacity": LIST_CAPACITY}),
            F::Int(n, indexed) => {
                let mut v = json!({"name": n, "type": "Int64"});
                if indexed {
                    v["index"] = autoindex();
                    indexes.insert(n.into(), autoindex());
                }
                v
            }
            F::Tenant => {
                indexes.insert(
                    "tenant_id".into(),
                    json!({"index_type": "AUTOINDEX", "index_name": "idx_tenant_id"}),
                );
                json!({"name": "tenant_id", "type": "VarChar", "max_length": TENANT_MAX,
                       "is_partition_key": true, "index": autoindex()})
            }
        };
        out.push(field);
    }
    let schema = json!({
        "collection_name": name,
        "description": description,
        "fields": out,
        "enable_dynamic_field": true,
    });
    (schema, Value::Object(indexes))
}

/// The VarChar limit of `name` in `fields`.
pub fn max_of(fields: &[F], name: &str) -> usize {
    fields
        .iter()
        .find_map(|f| match *f {
            F::Str(n, max, _) if n == name => Some(max as usize),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no VarChar field `{name}`"))
}
