//! Built-in schemas, embedded from the repository's `schemas/` directory at compile time.

use super::error::SchemaError;
use super::field::Schema;
use super::parse::{SchemaFormat, parse_schema};

/// (id, JSON text) of every built-in schema.
pub const BUILTINS: &[(&str, &str)] = &[
    ("simple", include_str!("../../../schemas/simple.json")),
    (
        "product_catalog",
        include_str!("../../../schemas/product_catalog.json"),
    ),
    (
        "ecommerce_search",
        include_str!("../../../schemas/ecommerce_search.json"),
    ),
    (
        "news_articles",
        include_str!("../../../schemas/news_articles.json"),
    ),
    (
        "document_search",
        include_str!("../../../schemas/document_search.json"),
    ),
    (
        "multi_tenant_data",
        include_str!("../../../schemas/multi_tenant_data.json"),
    ),
    (
        "multimedia_content",
        include_str!("../../../schemas/multimedia_content.json"),
    ),
    (
        "knowledge_base",
        include_str!("../../../schemas/knowledge_base.json"),
    ),
];

pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|(name, _)| *name)
}

pub fn builtin_text(name: &str) -> Option<&'static str> {
    BUILTINS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// Parses a built-in schema by id.
pub fn load_builtin(name: &str) -> Result<Schema, SchemaError> {
    let text = builtin_text(name).ok_or_else(|| SchemaError::UnknownBuiltin {
        name: name.to_string(),
        available: builtin_names().collect::<Vec<_>>().join(", "),
    })?;
    parse_schema(text, SchemaFormat::Json, &format!("builtin:{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_is_valid() {
        for name in builtin_names() {
            load_builtin(name).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
