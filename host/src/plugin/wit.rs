//! Host bindings per interface version, and how a component's version and world are read.
//!
//! Each accepted WIT version gets a module generated from its frozen directory under `wit/`.
//! For generators and validators the newest (0.2) is the one the rest of the host speaks
//! ([`latest`]); components built against 0.1 are called through their own bindings and their
//! values converted to and from the 0.2 shapes with the `From` impls in `adapt.rs`, so they
//! keep working unchanged. 0.3 defines the sync-handler world only (BSON documents in, float32
//! vectors out); `plugin/sync.rs` speaks it and adapts 0.2 and 0.1 handlers.

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

/// Bindings for `wit/since_v0.3.0` (the sync-handler world only).
pub mod v0_3 {
    pub mod sync {
        wasmtime::component::bindgen!({
            path: "../wit/since_v0.3.0",
            world: "sync-handler",
        });
    }

    pub use sync::exports::milvus_ingest::plugin::document_sync;
}

/// The interface version the host speaks internally for generators and validators.
pub use v0_2 as latest;

/// The WIT package every plugin implements.
pub const PACKAGE: &str = "milvus-ingest:plugin";

/// Interface versions this host accepts for some world (semver-compatible with these); see
/// [`World::accepted_versions`] for each world's.
pub const ACCEPTED_VERSIONS: &[&str] = &["0.3.0", "0.2.0", "0.1.0"];

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

    /// The world named `name` (`field-generator`, `validator`, `sync-handler`).
    pub fn from_name(name: &str) -> Option<World> {
        World::ALL.into_iter().find(|w| w.name() == name)
    }

    /// The interface versions this host accepts for the world, newest first (0.3.0 defines
    /// the sync-handler world only).
    pub fn accepted_versions(self) -> &'static [&'static str] {
        match self {
            World::SyncHandler => ACCEPTED_VERSIONS,
            World::FieldGenerator | World::Validator => &ACCEPTED_VERSIONS[1..],
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

/// Whether `version` of `world` is compatible with an accepted one: same major, and for 0.x
/// the same minor (semver caret rules), with a patch not newer than the host knows.
pub fn accepts(world: World, version: &str) -> bool {
    let parse = |v: &str| -> Option<(u64, u64, u64)> {
        let mut it = v.split(['.', '-', '+']).map(|p| p.parse::<u64>().ok());
        Some((it.next()??, it.next()??, it.next()??))
    };
    let Some(found) = parse(version) else {
        return false;
    };
    world
        .accepted_versions()
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

/// [`accepts`] for the world named `world`; for a name that is no world, whether any world
/// accepts `version` (the load that follows names the real problem).
pub fn accepts_named(world: &str, version: &str) -> bool {
    match World::from_name(world) {
        Some(w) => accepts(w, version),
        None => World::ALL.into_iter().any(|w| accepts(w, version)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_follow_caret_rules() {
        for w in World::ALL {
            assert!(accepts(w, "0.1.0"));
            assert!(accepts(w, "0.1.7"));
            assert!(accepts(w, "0.2.0"));
            assert!(accepts(w, "0.2.3"));
            assert!(!accepts(w, "0.4.0"));
            assert!(!accepts(w, "1.0.0"));
            assert!(!accepts(w, "0.0.9"));
            assert!(!accepts(w, "garbage"));
        }
        assert!(accepts(World::SyncHandler, "0.3.0"));
        assert!(accepts(World::SyncHandler, "0.3.1"));
        assert!(!accepts(World::FieldGenerator, "0.3.0"));
        assert!(!accepts(World::Validator, "0.3.0"));
        assert_eq!(
            parse_export("milvus-ingest:plugin/field-generation@0.1.0"),
            Some(("field-generation", "0.1.0"))
        );
        assert_eq!(parse_export("wasi:cli/run@0.2.0"), None);
    }
}
