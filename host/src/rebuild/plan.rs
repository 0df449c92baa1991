//! The plan of a rebuild, decided before anything is created: the new collection's name,
//! schema, settings and indexes, and for every field of the new schema where its values come
//! from. A schema change the existing rows cannot follow without loss is refused here.
//! Pure functions: the caller describes the old collection and hands the facts in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::{RebuildError, Result};
use super::target::{IndexOverride, TargetSource};
use crate::milvus::admin::{CollectionInfo, IndexInfo, IndexRequest};
use crate::milvus::client::ServerVersion;
use crate::milvus::ddl::index_plans;
use crate::schema::{DataType, Field, Schema};

/// Where a field of the new collection gets its values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// The old field of the same name, same type.
    Copy,
    /// The old field of the same name, converted to a wider type without loss.
    Widen { from: DataType },
    /// The dynamic-field key of the same name (promoted to a real field); rows without it get
    /// the default or null, or fail when the field has neither.
    Meta,
    /// The field's default value, or null.
    Fill,
    /// Computed by the server (function outputs, auto-id keys): not sent.
    Computed,
}

/// One field of the new schema and its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldSource {
    pub field: Field,
    pub source: Source,
}

/// A difference between the old and the new schema, for the plan display.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    /// `added`, `removed`, `changed`.
    pub change: String,
    pub detail: String,
}

/// Everything a rebuild will do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub alias: String,
    /// False: a collection named like the alias exists but no alias yet (the alias is created
    /// at the switch, and that collection renamed to make room).
    pub alias_exists: bool,
    pub old_collection: String,
    /// Other aliases pointing at the old collection (a reporting alias, say): they stay on
    /// it, so it is neither released nor dropped after the switch.
    #[serde(default)]
    pub other_aliases: Vec<String>,
    pub new_collection: String,
    pub source: TargetSource,
    pub schema: Schema,
    pub fields: Vec<FieldSource>,
    pub pk: String,
    /// Old non-function fields to read (the query's output fields, `$meta` included).
    pub read_fields: Vec<String>,
    /// Copy the dynamic field's keys.
    pub keep_meta: bool,
    pub changes: Vec<Change>,
    pub indexes: Vec<IndexRequest>,
    pub shards: i32,
    pub num_partitions: i64,
    pub consistency_level: i32,
    /// Rows in the old collection when the plan was made.
    pub rows: u64,
    pub warnings: Vec<String>,
}

/// `<alias>_<UTC YYYYmmddHHMMSSffffff>`, the naming of evermemos.md section 2.
pub fn new_collection_name(alias: &str, now: DateTime<Utc>) -> String {
    format!("{alias}_{}", now.format("%Y%m%d%H%M%S%6f"))
}

/// Facts about the old collection the plan is made from.
pub struct Old<'a> {
    pub info: &'a CollectionInfo,
    pub schema: &'a Schema,
    pub indexes: &'a [IndexInfo],
    pub rows: u64,
}

/// What the user asked for.
pub struct Wanted<'a> {
    pub alias: &'a str,
    pub alias_exists: bool,
    /// None: the old collection's own schema.
    pub schema: Option<&'a Schema>,
    pub source: TargetSource,
    pub overrides: &'a [IndexOverride],
    pub metric: Option<&'a str>,
    pub now: DateTime<Utc>,
    /// The server's version: index types are chosen and spelled for it.
    pub version: &'a ServerVersion,
    /// Aliases of the old collection other than `alias`.
    pub other_aliases: &'a [String],
}

fn widens(from: DataType, to: DataType) -> bool {
    use DataType::*;
    matches!(
        (from, to),
        (Int8, Int16 | Int32 | Int64 | Float | Double)
            | (Int16, Int32 | Int64 | Float | Double)
            | (Int32, Int64 | Double)
            | (Float, Double)
    )
}

/// How `new` is filled from `old` (the field of the same name, if any), or why it cannot be.
fn source_of(
    old: Option<&Field>,
    new: &Field,
    old_dynamic: bool,
) -> std::result::Result<Source, String> {
    let name = &new.name;
    let Some(old) = old else {
        if new.data_type.is_vector() {
            return Err(format!(
                "new field `{name}` is a vector: existing rows have no value for it"
            ));
        }
        if old_dynamic {
            return Ok(Source::Meta);
        }
        if new.nullable || new.default_value.is_some() {
            return Ok(Source::Fill);
        }
        return Err(format!(
            "new field `{name}` is neither nullable nor has a default_value, and the old collection has no dynamic field to take it from: existing rows have no value for it"
        ));
    };
    if old.nullable && !new.nullable && new.default_value.is_none() {
        return Err(format!(
            "field `{name}` was nullable and is not any more, without a default_value for its nulls"
        ));
    }
    if old.data_type != new.data_type {
        if widens(old.data_type, new.data_type) {
            return Ok(Source::Widen {
                from: old.data_type,
            });
        }
        return Err(format!(
            "field `{name}`: {} to {} cannot convert every value without loss",
            old.data_type, new.data_type
        ));
    }
    if new.data_type.is_dense_vector() && old.dim != new.dim {
        return Err(format!(
            "field `{name}`: dim {} to {} (vectors cannot be resized)",
            old.dim.unwrap_or(0),
            new.dim.unwrap_or(0)
        ));
    }
    if new.data_type == DataType::Array {
        if old.element_type != new.element_type {
            return Err(format!(
                "field `{name}`: array elements {} to {}",
                old.value_type(),
                new.value_type()
            ));
        }
        // A limit the server did not report (Lite) is not compared.
        if let Some(old_cap) = old.max_capacity
            && new.max_capacity.unwrap_or(4096) < old_cap
        {
            return Err(format!(
                "field `{name}`: max_capacity {old_cap} to {} could cut arrays",
                new.max_capacity.unwrap_or(4096)
            ));
        }
    }
    if new.value_type() == DataType::VarChar
        && let Some(old_len) = old.max_length
        && new.max_length.unwrap_or(65535) < old_len
    {
        return Err(format!(
            "field `{name}`: max_length {old_len} to {} could cut strings",
            new.max_length.unwrap_or(65535)
        ));
    }
    Ok(Source::Copy)
}

fn describe_field(f: &Field) -> String {
    let mut text = if f.data_type == DataType::Array {
        format!("Array<{}>", f.value_type())
    } else {
        f.data_type.to_string()
    };
    if let Some(d) = f.dim {
        text.push_str(&format!("({d})"));
    } else if let Some(l) = f.max_length.filter(|_| f.value_type() == DataType::VarChar) {
        text.push_str(&format!("({l})"));
    }
    if f.nullable {
        text.push_str(" nullable");
    }
    if let Some(d) = &f.default_value {
        text.push_str(&format!(" default {d}"));
    }
    if f.is_partition_key {
        text.push_str(" partition key");
    }
    text
}

/// What the plan must say about names before anything happens: a name that is a collection,
/// not an alias (renamed at the switch), and other aliases of the old collection.
fn alias_notes(info: &CollectionInfo, wanted: &Wanted, new_collection: &str) -> Vec<String> {
    let mut notes = Vec::new();
    if !wanted.alias_exists {
        notes.push(format!(
            "`{}` is a collection, not an alias: at the switch it is renamed to `{}` and the alias `{}` is created on `{new_collection}` (requests in the few milliseconds between the two calls could fail)",
            wanted.alias,
            super::run::renamed_old_name(new_collection),
            wanted.alias
        ));
    }
    if !wanted.other_aliases.is_empty() {
        let list: Vec<String> = wanted
            .other_aliases
            .iter()
            .map(|a| format!("`{a}`"))
            .collect();
        notes.push(format!(
            "`{}` also serves alias {}: it stays there, so `{}` stays loaded after the switch and is never dropped (--drop-old is refused)",
            info.name,
            list.join(", "),
            info.name
        ));
    }
    notes
}

/// Makes the plan, or says every reason the target cannot be reached from the old collection.
pub fn make_plan(old: &Old, wanted: &Wanted) -> Result<Plan> {
    let alias = wanted.alias;
    let mut schema = wanted.schema.unwrap_or(old.schema).clone();
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let old_pk = old.schema.primary().cloned();
    let new_pk = schema.primary().cloned();
    let pk = match (&old_pk, &new_pk) {
        (Some(o), Some(n)) if o.name == n.name && o.data_type == n.data_type => o.name.clone(),
        (Some(o), Some(n)) => {
            problems.push(format!(
                "the primary key changes from `{}` ({}) to `{}` ({}): rows are copied by primary key, which must stay",
                o.name, o.data_type, n.name, n.data_type
            ));
            o.name.clone()
        }
        _ => {
            problems.push("a schema without a primary key".to_string());
            String::new()
        }
    };
    if new_pk.as_ref().is_some_and(|p| p.auto_id) {
        warnings.push(format!(
            "primary key `{pk}` is auto-id: copied rows get new keys, and --catch-up cannot compare keys"
        ));
    }
    let outputs: Vec<String> = schema.function_outputs().map(str::to_string).collect();
    let old_outputs: Vec<String> = old.schema.function_outputs().map(str::to_string).collect();

    // Indexes: --index, else the schema's own, else the old collection's, else defaults.
    for o in wanted.overrides {
        match schema.fields.iter_mut().find(|f| f.name == o.field) {
            Some(f) => f.index = Some(o.spec.clone()),
            None => problems.push(format!(
                "--index names field `{}`, which is not in the new schema",
                o.field
            )),
        }
    }
    for f in &mut schema.fields {
        let old_field = old.schema.field(&f.name);
        if f.index.is_none()
            && old_field.is_some_and(|o| o.data_type == f.data_type)
            && let Some(i) = old.indexes.iter().find(|i| i.field == f.name)
        {
            f.index = Some(crate::schema::IndexSpec {
                index_type: i.index_type.clone(),
                metric_type: i.metric_type.clone(),
                params: i.params.clone(),
            });
        }
        if let Some(m) = wanted.metric.filter(|_| f.data_type.is_vector()) {
            match &mut f.index {
                Some(spec) => spec.metric_type = Some(m.to_ascii_uppercase()),
                None => f.metric_type = Some(m.to_ascii_uppercase()),
            }
        }
    }
    let indexes: Vec<IndexRequest> = index_plans(&schema, false, wanted.version)
        .into_iter()
        .map(|p| IndexRequest {
            index_name: old
                .indexes
                .iter()
                .find(|i| i.field == p.field && !i.index_name.is_empty())
                .map_or_else(|| p.field.clone(), |i| i.index_name.clone()),
            field: p.field,
            index_type: p.index_type,
            metric_type: p.metric_type,
            params: p.params,
        })
        .collect();

    let mut fields = Vec::new();
    let mut changes = Vec::new();
    for f in &schema.fields {
        let old_field = old.schema.field(&f.name);
        let source = if outputs.contains(&f.name) || (f.is_primary && f.auto_id) {
            Ok(Source::Computed)
        } else {
            source_of(old_field, f, old.schema.enable_dynamic_field)
        };
        match source {
            Ok(source) => {
                match (old_field, &source) {
                    (None, Source::Meta) => changes.push(Change {
                        field: f.name.clone(),
                        change: "added".into(),
                        detail: format!(
                            "{}, from the dynamic key `{}` where rows have it{}",
                            describe_field(f),
                            f.name,
                            if f.nullable || f.default_value.is_some() {
                                ", else default/null"
                            } else {
                                " (rows without it fail the copy)"
                            }
                        ),
                    }),
                    (None, _) => changes.push(Change {
                        field: f.name.clone(),
                        change: "added".into(),
                        detail: format!(
                            "{}, {}",
                            describe_field(f),
                            if f.default_value.is_some() {
                                "existing rows get the default"
                            } else if outputs.contains(&f.name) {
                                "computed by the server"
                            } else {
                                "existing rows get null"
                            }
                        ),
                    }),
                    (Some(o), _) if describe_field(o) != describe_field(f) => {
                        changes.push(Change {
                            field: f.name.clone(),
                            change: "changed".into(),
                            detail: format!("{} -> {}", describe_field(o), describe_field(f)),
                        })
                    }
                    _ => {}
                }
                fields.push(FieldSource {
                    field: f.clone(),
                    source,
                });
            }
            Err(p) => problems.push(p),
        }
    }
    for o in &old.schema.fields {
        if schema.field(&o.name).is_none() {
            changes.push(Change {
                field: o.name.clone(),
                change: "removed".into(),
                detail: format!("{}: its values are not copied", describe_field(o)),
            });
        }
    }
    let keep_meta = old.schema.enable_dynamic_field && schema.enable_dynamic_field;
    if old.schema.enable_dynamic_field && !schema.enable_dynamic_field {
        changes.push(Change {
            field: "$meta".into(),
            change: "removed".into(),
            detail: "the new schema disables the dynamic field: dynamic keys are not copied".into(),
        });
    }
    if !problems.is_empty() {
        return Err(RebuildError::Incompatible {
            alias: alias.to_string(),
            problems,
        });
    }
    let mut read_fields: Vec<String> = old
        .schema
        .fields
        .iter()
        .filter(|f| !old_outputs.contains(&f.name))
        .map(|f| f.name.clone())
        .collect();
    if old.schema.enable_dynamic_field {
        read_fields.push("$meta".to_string());
    }
    let same_partition_key = schema
        .fields
        .iter()
        .find(|f| f.is_partition_key)
        .map(|f| &f.name)
        == old
            .schema
            .fields
            .iter()
            .find(|f| f.is_partition_key)
            .map(|f| &f.name);
    let has_partition_key = schema.fields.iter().any(|f| f.is_partition_key);
    let new_collection = new_collection_name(alias, wanted.now);
    warnings.extend(alias_notes(old.info, wanted, &new_collection));
    Ok(Plan {
        alias: alias.to_string(),
        alias_exists: wanted.alias_exists,
        old_collection: old.info.name.clone(),
        other_aliases: wanted.other_aliases.to_vec(),
        new_collection,
        source: wanted.source.clone(),
        schema,
        fields,
        pk,
        read_fields,
        keep_meta,
        changes,
        indexes,
        shards: old.info.shards,
        num_partitions: if same_partition_key && has_partition_key {
            old.info.num_partitions
        } else {
            0
        },
        consistency_level: old.info.consistency_level,
        rows: old.rows,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::load_builtin;

    fn info(name: &str) -> CollectionInfo {
        CollectionInfo {
            name: name.into(),
            schema: Default::default(),
            shards: 2,
            num_partitions: 0,
            consistency_level: 2,
            aliases: vec![],
        }
    }

    fn wanted<'a>(schema: Option<&'a Schema>, overrides: &'a [IndexOverride]) -> Wanted<'a> {
        Wanted {
            alias: "docs",
            alias_exists: true,
            schema,
            source: TargetSource::Current,
            overrides,
            metric: None,
            now: DateTime::parse_from_rfc3339("2026-04-10T08:30:15.123456Z")
                .unwrap()
                .with_timezone(&Utc),
            version: &ServerVersion {
                text: None,
                number: None,
            },
            other_aliases: &[],
        }
    }

    #[test]
    fn names_carry_a_twenty_digit_utc_suffix() {
        let w = wanted(None, &[]);
        assert_eq!(
            new_collection_name("docs", w.now),
            "docs_20260410083015123456"
        );
    }

    #[test]
    fn index_only_rebuild_copies_every_field_and_takes_the_override() {
        let old = load_builtin("news_articles").unwrap();
        let inf = info("docs_1");
        let o =
            [super::super::target::parse_index_override("embedding=IVF_FLAT:nlist=64").unwrap()];
        let vector = old.vector_fields().next().unwrap().name.clone();
        let o = [IndexOverride {
            field: vector.clone(),
            ..o[0].clone()
        }];
        let plan = make_plan(
            &Old {
                info: &inf,
                schema: &old,
                indexes: &[],
                rows: 10,
            },
            &wanted(None, &o),
        )
        .unwrap();
        assert!(plan.changes.is_empty(), "{:?}", plan.changes);
        assert!(plan.fields.iter().all(|f| f.source == Source::Copy));
        let idx = plan.indexes.iter().find(|i| i.field == vector).unwrap();
        assert_eq!(idx.index_type, "IVF_FLAT");
        assert_eq!(plan.shards, 2);
        assert!(plan.read_fields.contains(&"$meta".to_string()));
    }

    #[test]
    fn lossy_changes_are_refused_with_every_reason() {
        let old = load_builtin("simple").unwrap();
        let mut new = old.clone();
        let vector = new
            .fields
            .iter_mut()
            .find(|f| f.data_type.is_vector())
            .unwrap();
        vector.dim = Some(vector.dim.unwrap() * 2);
        new.fields.push(Field::new("required_new", DataType::Int64));
        let inf = info("docs_1");
        let err = make_plan(
            &Old {
                info: &inf,
                schema: &old,
                indexes: &[],
                rows: 0,
            },
            &wanted(Some(&new), &[]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("dim") && err.contains("required_new"), "{err}");
    }

    #[test]
    fn widening_and_defaults_are_accepted_and_removed_fields_reported() {
        let mut old = load_builtin("simple").unwrap();
        old.fields.push(Field::new("n", DataType::Int32));
        old.fields.push(Field::new("gone", DataType::Bool));
        let mut new = old.clone();
        new.fields.retain(|f| f.name != "gone");
        new.fields
            .iter_mut()
            .find(|f| f.name == "n")
            .unwrap()
            .data_type = DataType::Int64;
        let mut added = Field::new("score", DataType::Double);
        added.default_value = Some(serde_json::json!(1.5));
        new.fields.push(added);
        let inf = info("docs_1");
        let plan = make_plan(
            &Old {
                info: &inf,
                schema: &old,
                indexes: &[],
                rows: 0,
            },
            &wanted(Some(&new), &[]),
        )
        .unwrap();
        let src = |n: &str| {
            plan.fields
                .iter()
                .find(|f| f.field.name == n)
                .unwrap()
                .source
                .clone()
        };
        assert_eq!(
            src("n"),
            Source::Widen {
                from: DataType::Int32
            }
        );
        assert_eq!(src("score"), Source::Fill);
        let kinds: Vec<(&str, &str)> = plan
            .changes
            .iter()
            .map(|c| (c.field.as_str(), c.change.as_str()))
            .collect();
        assert!(kinds.contains(&("gone", "removed")) && kinds.contains(&("score", "added")));
    }
}
