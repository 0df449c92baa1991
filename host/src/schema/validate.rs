//! The rules a schema must follow: Milvus' own (so a schema that validates also creates a
//! collection) and this tool's (so every value control makes sense for its type).
//!
//! `validate` never stops at the first problem; it returns all of them, each naming the field,
//! the attribute and the rule, because fixing a schema one error per run is miserable.

use std::collections::HashSet;

use serde_json::Value;

use super::error::Problem;
use super::field::{Distribution, Field, Schema};
use super::kinds::StringKind;
use super::parse::kind_of;
use super::ranges::{check_range, within_controls};
use super::types::DataType;

/// Milvus' default `proxy.maxFieldNum`.
pub const MAX_FIELDS: usize = 64;
/// Milvus' default `proxy.maxVectorFieldNum` (2.4+; 2.3 allows one).
pub const MAX_VECTOR_FIELDS: usize = 4;
pub const MAX_VARCHAR_LENGTH: u32 = 65_535;
pub const MAX_ARRAY_CAPACITY: u32 = 4_096;
/// Milvus' default `proxy.maxDimension`, for every dense vector but binary ones.
pub const MAX_DIM: u32 = 32_768;
/// A BinaryVector's dim counts bits: Milvus allows `maxDimension` bytes, 8 x MAX_DIM bits.
pub const MAX_BINARY_DIM: u32 = 8 * MAX_DIM;
pub const MAX_NAME_LENGTH: usize = 255;
/// Mean non-zeros per generated sparse row (a chunk of 1024 rows stays near 100 MB).
pub const MAX_SPARSE_NNZ: u64 = 4_096;

/// Returns every rule the schema breaks; empty when it is valid.
pub fn validate(schema: &Schema) -> Vec<Problem> {
    let mut out = Vec::new();
    check_name(&schema.collection_name, None, "collection_name", &mut out);
    check_collection(schema, &mut out);
    for field in &schema.fields {
        check_field(field, &field.name, Place::Collection, &mut out);
    }
    check_dynamic_fields(schema, &mut out);
    check_functions(schema, &mut out);
    out
}

/// Where a field stands: some rules (primary keys, partition keys) apply only to real fields.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Collection,
    Dynamic,
    JsonKey,
}

fn check_name(name: &str, field: Option<&str>, attribute: &str, out: &mut Vec<Problem>) {
    let push = |out: &mut Vec<Problem>, rule: String| match field {
        Some(f) => out.push(Problem::attribute(f, attribute, rule)),
        None => out.push(Problem {
            field: None,
            attribute: Some(attribute.to_string()),
            rule,
        }),
    };
    if name.is_empty() {
        push(out, "must not be empty".into());
        return;
    }
    let mut chars = name.chars();
    let first = chars.next().unwrap_or('_');
    if !(first.is_ascii_alphabetic() || first == '_')
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        push(
            out,
            format!(
                "`{name}` is not a valid Milvus name: use letters, digits and `_`, starting with a letter or `_`"
            ),
        );
    }
    if name.len() > MAX_NAME_LENGTH {
        push(
            out,
            format!("`{name}` is longer than {MAX_NAME_LENGTH} characters"),
        );
    }
}

fn check_collection(schema: &Schema, out: &mut Vec<Problem>) {
    if schema.fields.is_empty() {
        out.push(Problem::collection(
            "`fields` is empty: a collection needs a primary key and a vector field",
        ));
        return;
    }
    if schema.fields.len() > MAX_FIELDS {
        out.push(Problem::collection(format!(
            "{} fields declared; Milvus allows at most {MAX_FIELDS}",
            schema.fields.len()
        )));
    }
    let mut seen = HashSet::new();
    for f in &schema.fields {
        if !f.name.is_empty() && !seen.insert(f.name.as_str()) {
            out.push(Problem::field(
                &f.name,
                "declared more than once: field names must be unique",
            ));
        }
    }
    let primaries: Vec<&Field> = schema.fields.iter().filter(|f| f.is_primary).collect();
    match primaries.len() {
        0 => out.push(Problem::collection(
            "no primary key: exactly one field needs `is_primary: true` (Int64 or VarChar)",
        )),
        1 => {}
        _ => out.push(Problem::collection(format!(
            "{} primary keys ({}): exactly one field may have `is_primary: true`",
            primaries.len(),
            primaries
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
    let vectors = schema.vector_fields().count();
    if vectors == 0 {
        out.push(Problem::collection(
            "no vector field: Milvus needs at least one (FloatVector, BinaryVector, Float16Vector, BFloat16Vector, SparseFloatVector or Int8Vector)",
        ));
    } else if vectors > MAX_VECTOR_FIELDS {
        out.push(Problem::collection(format!(
            "{vectors} vector fields; Milvus allows at most {MAX_VECTOR_FIELDS} by default"
        )));
    }
    let partition_keys: Vec<&Field> = schema
        .fields
        .iter()
        .filter(|f| f.is_partition_key)
        .collect();
    if partition_keys.len() > 1 {
        out.push(Problem::collection(format!(
            "{} partition keys ({}): at most one field may be the partition key",
            partition_keys.len(),
            partition_keys
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
}

fn check_dynamic_fields(schema: &Schema, out: &mut Vec<Problem>) {
    if !schema.dynamic_fields.is_empty() && !schema.enable_dynamic_field {
        out.push(Problem {
            field: None,
            attribute: Some("dynamic_fields".into()),
            rule: "declared but `enable_dynamic_field` is false: set it to true or remove them"
                .into(),
        });
    }
    let mut seen = HashSet::new();
    for f in &schema.dynamic_fields {
        let label = format!("dynamic_fields.{}", f.name);
        if schema.field(&f.name).is_some() {
            out.push(Problem::field(
                &label,
                "has the name of a collection field; dynamic keys must differ",
            ));
        }
        if !seen.insert(f.name.as_str()) {
            out.push(Problem::field(&label, "declared more than once"));
        }
        check_field(f, &label, Place::Dynamic, out);
    }
}

fn check_functions(schema: &Schema, out: &mut Vec<Problem>) {
    let mut outputs = HashSet::new();
    for (i, func) in schema.functions.iter().enumerate() {
        let label = format!("functions[{i}] ({})", func.name);
        if !func.function_type.eq_ignore_ascii_case("BM25") {
            out.push(Problem::attribute(
                &label,
                "type",
                format!(
                    "unsupported function type `{}`; supported: BM25",
                    func.function_type
                ),
            ));
            continue;
        }
        if func.input_field_names.len() != 1 || func.output_field_names.len() != 1 {
            out.push(Problem::field(
                &label,
                "BM25 takes exactly one input and one output field",
            ));
        }
        for input in &func.input_field_names {
            match schema.field(input) {
                None => out.push(Problem::attribute(
                    &label,
                    "input_field_names",
                    format!("no field `{input}`"),
                )),
                Some(f) if f.data_type != DataType::VarChar => out.push(Problem::attribute(
                    &label,
                    "input_field_names",
                    format!("`{input}` is {}; BM25 reads a VarChar field", f.data_type),
                )),
                Some(_) => {}
            }
        }
        for output in &func.output_field_names {
            if !outputs.insert(output.as_str()) {
                out.push(Problem::attribute(
                    &label,
                    "output_field_names",
                    format!("`{output}` is already the output of another function"),
                ));
            }
            match schema.field(output) {
                None => out.push(Problem::attribute(
                    &label,
                    "output_field_names",
                    format!("no field `{output}`"),
                )),
                Some(f) if f.data_type != DataType::SparseFloatVector => {
                    out.push(Problem::attribute(
                        &label,
                        "output_field_names",
                        format!(
                            "`{output}` is {}; BM25 writes a SparseFloatVector field",
                            f.data_type
                        ),
                    ))
                }
                Some(f) if f.is_primary => out.push(Problem::attribute(
                    &label,
                    "output_field_names",
                    format!("`{output}` is the primary key"),
                )),
                Some(_) => {}
            }
        }
    }
}

/// Rules for one field; `label` names it in messages.
fn check_field(f: &Field, label: &str, place: Place, out: &mut Vec<Problem>) {
    let t = f.data_type;
    let mut attr = |a: &str, rule: String| out.push(Problem::attribute(label, a, rule));
    if place != Place::JsonKey {
        if f.name.is_empty() {
            attr("name", "is missing".into());
        } else if f.name == "$meta" {
            attr("name", "`$meta` is reserved for the dynamic field".into());
        } else if place == Place::Collection {
            check_name(&f.name, Some(label), "name", out);
        }
        // A dynamic key is a key of the `$meta` JSON object, not a Milvus field name: Milvus
        // stores any key (`source-url`, `类别`), so only collection fields follow name rules.
    }
    let mut attr = |a: &str, rule: String| out.push(Problem::attribute(label, a, rule));

    // Keys and flags that only make sense on real collection fields.
    if place != Place::Collection {
        for (set, name) in [
            (f.is_primary, "is_primary"),
            (f.auto_id, "auto_id"),
            (f.is_partition_key, "is_partition_key"),
        ] {
            if set {
                attr(name, "only collection fields can be keys".into());
            }
        }
        if t.is_vector() && place == Place::JsonKey {
            attr("type", format!("{t} cannot be stored inside JSON"));
        }
        if f.index.is_some() {
            attr("index", "only collection fields are indexed".into());
        }
    }
    if f.is_primary {
        if !matches!(t, DataType::Int64 | DataType::VarChar) {
            attr(
                "is_primary",
                format!("a primary key must be Int64 or VarChar, not {t}"),
            );
        }
        if f.nullable {
            attr("nullable", "a primary key cannot be nullable".into());
        }
        if f.default_value.is_some() {
            attr(
                "default_value",
                "a primary key cannot have a default value".into(),
            );
        }
        if f.is_partition_key {
            attr(
                "is_partition_key",
                "the primary key cannot also be the partition key".into(),
            );
        }
        if f.cardinality_ratio.is_some() || f.enum_values.is_some() {
            attr(
                "cardinality_ratio",
                "primary keys are always unique; remove cardinality_ratio/enum_values".into(),
            );
        }
    } else if f.auto_id {
        attr(
            "auto_id",
            "auto_id is only allowed on the primary key".into(),
        );
    }
    if f.is_partition_key {
        if !matches!(t, DataType::Int64 | DataType::VarChar) {
            attr(
                "is_partition_key",
                format!("a partition key must be Int64 or VarChar, not {t}"),
            );
        }
        if f.nullable {
            attr("nullable", "a partition key cannot be nullable".into());
        }
    }
    if f.nullable && t.is_vector() {
        attr(
            "nullable",
            format!("{t} fields cannot be nullable (Milvus 2.5/2.6 reject nullable vectors)"),
        );
    }
    if let Some(ratio) = f.null_ratio {
        if !f.nullable {
            attr(
                "null_ratio",
                "only nullable fields can have nulls: set `nullable: true`".into(),
            );
        } else if !(0.0..=1.0).contains(&ratio) {
            attr(
                "null_ratio",
                format!("must be between 0 and 1 (got {ratio})"),
            );
        }
    }
    if let Some(ratio) = f.default_ratio {
        if f.default_value.is_none() {
            attr("default_ratio", "needs a `default_value`".into());
        } else if !(0.0..=1.0).contains(&ratio) {
            attr(
                "default_ratio",
                format!("must be between 0 and 1 (got {ratio})"),
            );
        }
    }

    check_lengths(f, t, &mut attr);
    check_dims(f, t, &mut attr);
    check_array(f, t, &mut attr);
    check_range(f, &mut attr);
    check_value_controls(f, &mut attr);
    check_literals(f, &mut attr);
    if let Some(shape) = &f.shape {
        if t != DataType::Json {
            attr("shape", format!("only JSON fields have a shape, not {t}"));
        } else {
            for (key, spec) in shape {
                let key_label = format!("{label}.{key}");
                match serde_path_to_error::deserialize::<_, Field>(spec.clone()) {
                    Ok(inner) => check_field(&inner, &key_label, Place::JsonKey, out),
                    Err(e) => out.push(Problem {
                        field: Some(key_label),
                        attribute: Some(e.path().to_string()).filter(|p| p != "."),
                        rule: e.into_inner().to_string(),
                    }),
                }
            }
        }
    }
}

pub(super) type Attr<'a> = dyn FnMut(&str, String) + 'a;

fn check_lengths(f: &Field, t: DataType, attr: &mut Attr<'_>) {
    let holds_strings = f.value_type() == DataType::VarChar;
    match f.max_length {
        None if holds_strings => attr(
            "max_length",
            if t == DataType::Array {
                "is required for Array<VarChar> (the limit of each element in UTF-8 bytes)".into()
            } else {
                "is required for VarChar (the limit in UTF-8 bytes, 1 to 65535)".into()
            },
        ),
        Some(_) if !holds_strings => attr("max_length", format!("does not apply to {t}")),
        Some(n) if n == 0 || n > MAX_VARCHAR_LENGTH => attr(
            "max_length",
            format!("must be between 1 and {MAX_VARCHAR_LENGTH} bytes (got {n})"),
        ),
        _ => {}
    }
    if let Some(min) = f.min_length {
        if !holds_strings {
            attr("min_length", format!("does not apply to {t}"));
        } else if let Some(max) = f.max_length
            && min > max
        {
            attr(
                "min_length",
                format!("{min} is greater than max_length {max}"),
            );
        }
    }
}

fn check_dims(f: &Field, t: DataType, attr: &mut Attr<'_>) {
    match (t, f.dim) {
        (DataType::SparseFloatVector, Some(0)) => attr(
            "dim",
            "for a sparse vector `dim` is the index space and must be > 0".into(),
        ),
        (DataType::SparseFloatVector, _) => {}
        (t, None) if t.is_dense_vector() => attr("dim", format!("is required for {t}")),
        (t, Some(_)) if !t.is_vector() => attr("dim", format!("does not apply to {t}")),
        (t, Some(d)) => {
            let max = if t == DataType::BinaryVector {
                MAX_BINARY_DIM
            } else {
                MAX_DIM
            };
            if d == 0 || d > max {
                attr("dim", format!("must be between 1 and {max} (got {d})"));
            }
            if t == DataType::BinaryVector && d % 8 != 0 {
                attr(
                    "dim",
                    format!("a BinaryVector dim counts bits and must be a multiple of 8 (got {d})"),
                );
            }
        }
        _ => {}
    }
    if let Some(density) = f.density {
        if t != DataType::SparseFloatVector {
            attr(
                "density",
                format!("only sparse vectors have a density, not {t}"),
            );
        } else if !(density > 0.0 && density <= 1.0) {
            attr("density", format!("must be in (0, 1] (got {density})"));
        }
    }
    if t == DataType::SparseFloatVector {
        // density x dim non-zeros per row: a 4-billion index space at density 1 would need
        // gigabytes per row.
        let dim = f.dim.unwrap_or(crate::generate::values::DEFAULT_SPARSE_DIM);
        let density = f
            .density
            .unwrap_or(crate::generate::values::DEFAULT_DENSITY);
        let nnz = (density * f64::from(dim)).round();
        if density > 0.0 && nnz > MAX_SPARSE_NNZ as f64 {
            attr(
                "density",
                format!(
                    "density {density} of dim {dim} is {nnz} non-zeros per row; at most {MAX_SPARSE_NNZ} are generated: lower density or dim"
                ),
            );
        }
    }
}

fn check_array(f: &Field, t: DataType, attr: &mut Attr<'_>) {
    if t != DataType::Array {
        for (set, name) in [
            (f.element_type.is_some(), "element_type"),
            (f.max_capacity.is_some(), "max_capacity"),
            (f.min_capacity.is_some(), "min_capacity"),
        ] {
            if set {
                attr(name, format!("does not apply to {t}"));
            }
        }
        return;
    }
    match f.element_type {
        None => attr("element_type", "is required for Array".into()),
        Some(e) if !DataType::ARRAY_ELEMENTS.contains(&e) => attr(
            "element_type",
            format!(
                "{e} cannot be an array element; allowed: Bool, Int8, Int16, Int32, Int64, Float, Double, VarChar"
            ),
        ),
        _ => {}
    }
    match f.max_capacity {
        None => attr("max_capacity", "is required for Array (1 to 4096)".into()),
        Some(c) if c == 0 || c > MAX_ARRAY_CAPACITY => attr(
            "max_capacity",
            format!("must be between 1 and {MAX_ARRAY_CAPACITY} (got {c})"),
        ),
        Some(c) => {
            if let Some(min) = f.min_capacity
                && min > c
            {
                attr(
                    "min_capacity",
                    format!("{min} is greater than max_capacity {c}"),
                );
            }
        }
    }
}

fn check_value_controls(f: &Field, attr: &mut Attr<'_>) {
    let t = f.data_type;
    let vt = f.value_type();
    if let Some(r) = f.cardinality_ratio
        && !(r > 0.0 && r <= 1.0)
    {
        attr("cardinality_ratio", format!("must be in (0, 1] (got {r})"));
    }
    if f.cardinality_ratio.is_some() && (t.is_vector() || t == DataType::Json) {
        attr("cardinality_ratio", format!("does not apply to {t}"));
    }
    if let Some(kind) = &f.kind {
        if vt != DataType::VarChar {
            attr(
                "kind",
                format!("string kinds apply to VarChar values, not {vt}"),
            );
        } else if let Err(e) = kind.parse::<StringKind>() {
            attr("kind", e);
        }
    }
    if f.words.is_some() {
        if vt != DataType::VarChar {
            attr("words", format!("does not apply to {vt}"));
        } else if let Some(words) = f.words.as_ref() {
            if words.is_empty() {
                attr("words", "must not be empty".into());
            } else {
                // No value may hold a fragment of a word: each word must fit the limits.
                for rule in super::words::word_problems(f, words) {
                    attr("words", rule);
                }
            }
        }
    }
    if let Some(d) = &f.distribution {
        let ok = match d {
            Distribution::Uniform => vt.is_numeric() || f.enum_values.is_some() || t.is_vector(),
            Distribution::Normal { std, mean } => {
                if std.is_some_and(|s| s <= 0.0) {
                    attr("distribution", "normal `std` must be > 0".into());
                }
                // Values are clamped to [min, max]: a mean outside it puts (nearly) every
                // value on one end.
                if let Some(m) = mean {
                    let below = f.min.is_some_and(|lo| *m < lo.as_f64());
                    let above = f.max.is_some_and(|hi| *m > hi.as_f64());
                    if below || above {
                        attr(
                            "distribution",
                            format!(
                                "normal `mean` {m} is outside [min, max]: clamping would put the values on one end"
                            ),
                        );
                    }
                }
                vt.is_numeric()
            }
            Distribution::Zipf { exponent } => {
                if exponent.is_some_and(|e| e <= 0.0) {
                    attr("distribution", "zipf `exponent` must be > 0".into());
                }
                vt.is_integer() || f.enum_values.is_some() || f.cardinality_ratio.is_some()
            }
            Distribution::Gaussian => t.is_dense_vector(),
            Distribution::Clustered { clusters, spread } => {
                if *clusters == 0 {
                    attr("distribution", "clustered needs `clusters` >= 1".into());
                }
                if spread.is_some_and(|s| s < 0.0 || !s.is_finite()) {
                    attr(
                        "distribution",
                        "clustered `spread` must be a finite number >= 0".into(),
                    );
                }
                t.is_dense_vector()
            }
        };
        if !ok {
            attr(
                "distribution",
                format!("`{}` does not apply to {}", d.name(), describe(f)),
            );
        }
    }
    if let Some(values) = &f.enum_values {
        if values.is_empty() {
            attr("enum_values", "must not be empty".into());
        }
        if t.is_vector() || t == DataType::Json {
            attr("enum_values", format!("does not apply to {t}"));
        }
    }
    if f.metric_type.is_some() && !t.is_vector() {
        attr(
            "metric_type",
            format!("only vector fields have a metric, not {t}"),
        );
    }
    if let Some(metric) = &f.metric_type
        && t.is_vector()
    {
        let allowed: &[&str] = match t {
            DataType::BinaryVector => &["HAMMING", "JACCARD", "SUBSTRUCTURE", "SUPERSTRUCTURE"],
            DataType::SparseFloatVector => &["IP", "BM25"],
            _ => &["L2", "IP", "COSINE"],
        };
        if !allowed.iter().any(|m| m.eq_ignore_ascii_case(metric)) {
            attr(
                "metric_type",
                format!(
                    "`{metric}` is not a {t} metric; allowed: {}",
                    allowed.join(", ")
                ),
            );
        }
    }
}

fn describe(f: &Field) -> String {
    if f.data_type == DataType::Array {
        format!("Array<{}>", f.value_type())
    } else {
        f.data_type.to_string()
    }
}

/// `default_value` and `enum_values` must hold values the field can store.
fn check_literals(f: &Field, attr: &mut Attr<'_>) {
    let t = f.data_type;
    if let Some(default) = &f.default_value {
        if t.is_vector() || matches!(t, DataType::Json | DataType::Array) {
            attr(
                "default_value",
                format!("{t} fields cannot have a default value"),
            );
        } else if let Err(rule) = literal_fits(f, t, default) {
            attr("default_value", rule);
        }
    }
    if let Some(values) = &f.enum_values
        && !(t.is_vector() || t == DataType::Json)
    {
        for v in values {
            if let Err(rule) =
                literal_fits(f, f.value_type(), v).and_then(|()| within_controls(f, v))
            {
                attr("enum_values", rule);
                break;
            }
        }
    }
}

/// Whether `v` is a value of type `t` inside the field's declared limits.
pub fn literal_fits(f: &Field, t: DataType, v: &Value) -> Result<(), String> {
    let wrong = || format!("{} is {}, not a {t} value", v, kind_of(v));
    match t {
        DataType::Bool => v.as_bool().map(|_| ()).ok_or_else(wrong),
        t if t.is_integer() => {
            let n = v.as_i64().ok_or_else(wrong)?;
            let (lo, hi) = t.integer_range().expect("integer type");
            if n < lo || n > hi {
                return Err(format!("{n} is outside the {t} range {lo}..={hi}"));
            }
            Ok(())
        }
        t if t.is_float() => {
            let x = v.as_f64().ok_or_else(wrong)?;
            // A Float holds 32 bits: a larger literal would become infinity (JSON null).
            if t == DataType::Float && x.abs() > f64::from(f32::MAX) {
                return Err(format!("{x} is outside the Float (32-bit) range"));
            }
            Ok(())
        }
        DataType::VarChar => {
            let s = v.as_str().ok_or_else(wrong)?;
            match f.max_length {
                Some(max) if s.len() > max as usize => Err(format!(
                    "\"{s}\" is {} UTF-8 bytes, over max_length {max}",
                    s.len()
                )),
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}
