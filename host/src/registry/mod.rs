//! Shared plugin registries: publish Wasm plugins once, use pinned, verified versions in any
//! project.
//!
//! Follows the Wasm component ecosystem (`wkg`): a plugin is a package `namespace:name` with
//! semver versions, stored in an OCI registry as the Wasm OCI artifact layout (`artifact`,
//! `oci`) or in a plain directory tree (`dir`). A project file `milvus-ingest.toml` lists the
//! plugins with version requirements and `milvus-ingest.lock` pins them by digest (`project`).
//! Components are kept in one per-user cache by digest (`cache`), and every load re-checks the
//! digest against the lock (`session`). Registry tags are mutable; only digests are trusted.
//!
//! This module talks to the network (OCI registries) and the filesystem; it never prints.

mod artifact;
mod auth;
mod cache;
mod catalog;
mod client;
mod cred_helper;
mod dir;
mod error;
mod name;
mod oci;
mod project;
mod publish;
mod reference;
mod scaffold;
mod session;
mod settings;

pub use artifact::{
    IMAGE_MANIFEST_MEDIA_TYPE, PluginMeta, Published, WASM_CONFIG_MEDIA_TYPE,
    WASM_LAYER_MEDIA_TYPE, WasmConfig,
};
pub use auth::{Credentials, credentials_for};
pub use cache::{BlobCache, file_digest, sha256_digest};
pub use client::Registry;
pub use error::RegistryError;
pub use name::{PackageName, PluginSpec, best_match, parse_req, parse_version};
pub use project::{
    LOCK_FILE, LockedPlugin, Lockfile, PROJECT_FILE, PluginEntry, Project, ProjectFile,
};
pub use publish::{PackageInfo, PackageVersions, PublishRequest, info, publish, search};
pub use reference::RegistryRef;
pub use scaffold::{ScaffoldWorld, Scaffolded, scaffold};
pub use session::{Change, Resolved, Session, VerifyLine};
pub use settings::{RegistryOptions, UserConfig, user_config_path};
