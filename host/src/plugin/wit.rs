//! Host bindings per interface version, and how a component's version and world are read.
//!
//! Each accepted WIT version gets a module generated from its frozen directory under `wit/`.
//! The newest (0.2) is the one the rest of the host speaks ([`latest`]); components built
//! against 0.1 are called through their own bindings and their values converted to and from
//! the 0.2 shapes with the `From` impls in `adapt.rs`, so they keep working unchanged.

/// Bindings for `wit/since_v0.1.0`.
pub mod v0_1 {
    pub mod generator {
        wasmtime::component::bindgen!({
            path: "../wit/since_v0.1.0",
            world: "field-generator",
        });
    }
    pub mod validator {
        wasmtime::component::bindgen!({
            path: "../wit/since_v0.1.0",
            world: "validator",
            with: {
                "milvus-ingest:plugin/types": super::generator::milvus_ingest::plugin::types,
            },
        });
    }
    pub mod sync {
        wasmtime::component::bindgen!({
            path: "../wit/since_v0.1.0",
            world: "sync-handler",
        });
    }

    pub use generator::exports::milvus_ingest::plugin::field_generation::GenerateRequest;
    pub use generator::milvus_ingest::plugin::types::{
        Arrays, Column, ColumnData, F32Vectors, FunctionInfo, MilvusType, PackedStrings,
        PluginInfo, S8Vectors, Scalars, U8Vectors,
    };
    pub use sync::exports::milvus_ingest::plugin::document_sync;
    pub use validator::exports::milvus_ingest::plugin::batch_validation::{
        NamedColumn, ValidateRequest, Violation,
    };
}

/// Bindings for `wit/since_v0.2.0`.
pub mod v0_2 {
    pub mod generator {
        wasmtime::component::bindgen!({
            path: "../wit/since_v0.2.0",
            world: "field-generator",
        });
    }
    pub mod validator {
        wasmtime::component::bindgen!({
            path: "../wit/since_v0.2.0",
            world: "validator",
            with: {
                "milvus-ingest:plugin/types": super::generator::milvus_ingest::plugin::types,
            },
        });
    }
    pub mod sync {
        wasmtime::component::bindgen!({
            path: "../wit/since_v0.2.0",
            world: "sync-handler",
        });
    }

    pub use generator::exports::milvus_ingest::plugin::field_generation::GenerateRequest;
    pub use generator::milvus_ingest::plugin::types::{
        Arrays, Column, ColumnData, F32Vectors, FunctionInfo, MilvusType, PackedStrings,
        PluginInfo, S8Vectors, Scalars, U8Vectors,
    };
    pub use sync::exports::milvus_ingest::plugin::document_sync;
    pub use validator::exports::milvus_ingest::plugin::batch_validation::{
        NamedColumn, ValidateRequest, Violation,
    };
}

/// The interface version the host speaks internally.
pub use v0_2 as latest;

/// The WIT package every plugin implements.
pub const PACKAGE: &str = "milvus-ingest:plugin";

/// Interface versions this host accepts (semver-compatible with these).
pub const ACCEPTED_VERSIONS: &[&str] = &["0.2.0", "0.1.0"];

/// Which of the three worlds a component implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum World {
    FieldGenerator,
    Validator,
    SyncHandler,
}

impl World {
    pub const ALL: [World; 3] = [World::FieldGenerator, World::Validator, World::SyncHandler];

    pub fn name(self) -> &'static str {
        match self {
            World::FieldGenerator => "field-generator",
            World::Validator => "validator",
            World::SyncHandler => "sync-handler",
        }
    }

    /// The interface the world exports.
    pub fn interface(self) -> &'static str {
        match self {
            World::FieldGenerator => "field-generation",
            World::Validator => "batch-validation",
            World::SyncHandler => "document-sync",
        }
    }
}

impl std::fmt::Display for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An export name split into (interface, version), e.g.
/// `milvus-ingest:plugin/field-generation@0.1.0` -> (`field-generation`, `0.1.0`).
pub fn parse_export(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix(PACKAGE)?.strip_prefix('/')?;
    rest.split_once('@')
}

/// Whether `version` is compatible with an accepted one: same major, and for 0.x the same
/// minor (semver caret rules), with a patch not newer than the host knows.
pub fn accepts(version: &str) -> bool {
    let parse = |v: &str| -> Option<(u64, u64, u64)> {
        let mut it = v.split(['.', '-', '+']).map(|p| p.parse::<u64>().ok());
        Some((it.next()??, it.next()??, it.next()??))
    };
    let Some(found) = parse(version) else {
        return false;
    };
    ACCEPTED_VERSIONS
        .iter()
        .filter_map(|a| parse(a))
        .any(|known| {
            let same_line = if known.0 == 0 {
                found.0 == 0 && found.1 == known.1
            } else {
                found.0 == known.0
            };
            same_line && found <= (known.0, known.1, u64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_follow_caret_rules() {
        assert!(accepts("0.1.0"));
        assert!(accepts("0.1.7"));
        assert!(accepts("0.2.0"));
        assert!(accepts("0.2.3"));
        assert!(!accepts("0.3.0"));
        assert!(!accepts("1.0.0"));
        assert!(!accepts("0.0.9"));
        assert!(!accepts("garbage"));
        assert_eq!(
            parse_export("milvus-ingest:plugin/field-generation@0.1.0"),
            Some(("field-generation", "0.1.0"))
        );
        assert_eq!(parse_export("wasi:cli/run@0.2.0"), None);
    }
}
