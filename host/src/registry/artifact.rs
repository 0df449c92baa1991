//! The Wasm OCI artifact layout (CNCF TAG Runtime's `oci-wasm`, as `wkg` writes it): an image
//! manifest whose config has media type `application/vnd.wasm.config.v0+json` and whose only
//! layer is the component, media type `application/wasm`. Our additions to the config (the
//! plugin world and interface version) sit under one extra key that other tools ignore.

use serde::{Deserialize, Serialize};

use crate::plugin::PluginInfo;

/// Media type of the artifact config.
pub const WASM_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// Media type of the single layer: the component bytes.
pub const WASM_LAYER_MEDIA_TYPE: &str = "application/wasm";
/// Media type of the manifest.
pub const IMAGE_MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// What milvus-ingest stamps into an artifact at publish time, so `search`/`info` and `add`
/// can tell a plugin's world and interface version without downloading it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginMeta {
    /// `field-generator`, `validator` or `sync-handler`.
    pub world: String,
    /// The `milvus-ingest:plugin` WIT version the component exports, e.g. `0.1.0`.
    pub interface_version: String,
    /// The name the plugin reports about itself (what schemas write in `"plugin"`).
    pub plugin: String,
    #[serde(default)]
    pub description: String,
}

impl PluginMeta {
    pub fn from_info(info: &PluginInfo) -> PluginMeta {
        PluginMeta {
            world: info.world.name().to_string(),
            interface_version: info.interface_version.clone(),
            plugin: info.name.clone(),
            description: info.description.clone(),
        }
    }

    /// The WIT world id, e.g. `milvus-ingest:plugin/field-generator@0.1.0`.
    pub fn target(&self) -> String {
        format!(
            "{}/{}@{}",
            crate::plugin::wit::PACKAGE,
            self.world,
            self.interface_version
        )
    }
}

/// The component section of the config: its exports, imports and target world.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ComponentSection {
    #[serde(default)]
    pub exports: Vec<String>,
    #[serde(default)]
    pub imports: Vec<String>,
    #[serde(default)]
    pub target: Option<String>,
}

/// The `application/vnd.wasm.config.v0+json` document. Every field is optional on read, so
/// artifacts pushed by other tools (oras, wkg) parse too.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WasmConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub layer_digests: Vec<String>,
    #[serde(default)]
    pub component: Option<ComponentSection>,
    #[serde(
        default,
        rename = "milvusIngest",
        skip_serializing_if = "Option::is_none"
    )]
    pub milvus_ingest: Option<PluginMeta>,
}

impl WasmConfig {
    /// The config for a component with `layer_digest`, described by `info`.
    pub fn for_plugin(info: &PluginInfo, layer_digest: &str) -> WasmConfig {
        let meta = PluginMeta::from_info(info);
        WasmConfig {
            created: Some(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            author: None,
            architecture: "wasm".into(),
            os: "wasip2".into(),
            layer_digests: vec![layer_digest.to_string()],
            component: Some(ComponentSection {
                exports: info.exports.clone(),
                imports: info.imports.clone(),
                target: Some(meta.target()),
            }),
            milvus_ingest: Some(meta),
        }
    }
}

/// One published version, as a registry describes it.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    pub name: super::PackageName,
    #[serde(serialize_with = "ser_display")]
    pub version: semver::Version,
    /// sha256 digest of the component bytes (the layer).
    pub digest: String,
    /// sha256 digest of the OCI manifest (OCI registries only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// Size of the component in bytes.
    pub size: u64,
    /// World and interface version, when the publisher stamped them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<PluginMeta>,
}

pub(crate) fn ser_display<T: std::fmt::Display, S: serde::Serializer>(
    v: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}
