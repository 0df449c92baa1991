//! Pre-instantiated and instantiated components of every accepted version, and the calls the
//! host makes on them: generators and validators in the 0.2 shapes, sync handlers in the 0.3
//! ones (older components are adapted here).

use wasmtime::Store;
use wasmtime::component::InstancePre;

use super::sandbox::HostState;
use super::wit::{World, v0_1, v0_2, v0_3};

/// Which accepted interface line a component was built against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line {
    V0_1,
    V0_2,
    /// Sync handlers only.
    V0_3,
}

impl Line {
    pub(crate) fn of(version: &str) -> Line {
        if version.starts_with("0.1.") {
            Line::V0_1
        } else if version.starts_with("0.3.") {
            Line::V0_3
        } else {
            Line::V0_2
        }
    }
}

/// The documents of one `convert` call, in the form the component's interface takes.
pub(crate) enum DocsIn<'a> {
    /// Relaxed Extended JSON, one string per document (0.1, 0.2).
    Text(&'a [String]),
    /// BSON documents one after another (0.3).
    Bson(&'a [u8]),
}

pub(crate) enum Pre {
    Generator01(v0_1::generator::FieldGeneratorPre<HostState>),
    Validator01(v0_1::validator::ValidatorPre<HostState>),
    Sync01(v0_1::sync::SyncHandlerPre<HostState>),
    Generator02(v0_2::generator::FieldGeneratorPre<HostState>),
    Validator02(v0_2::validator::ValidatorPre<HostState>),
    Sync02(v0_2::sync::SyncHandlerPre<HostState>),
    Sync03(v0_3::sync::SyncHandlerPre<HostState>),
}

impl Pre {
    pub(crate) fn new(
        world: World,
        line: Line,
        pre: InstancePre<HostState>,
    ) -> wasmtime::Result<Pre> {
        Ok(match (world, line) {
            (World::FieldGenerator, Line::V0_1) => {
                Pre::Generator01(v0_1::generator::FieldGeneratorPre::new(pre)?)
            }
            (World::Validator, Line::V0_1) => {
                Pre::Validator01(v0_1::validator::ValidatorPre::new(pre)?)
            }
            (World::SyncHandler, Line::V0_1) => Pre::Sync01(v0_1::sync::SyncHandlerPre::new(pre)?),
            (World::FieldGenerator, Line::V0_2) => {
                Pre::Generator02(v0_2::generator::FieldGeneratorPre::new(pre)?)
            }
            (World::Validator, Line::V0_2) => {
                Pre::Validator02(v0_2::validator::ValidatorPre::new(pre)?)
            }
            (World::SyncHandler, Line::V0_2) => Pre::Sync02(v0_2::sync::SyncHandlerPre::new(pre)?),
            (World::SyncHandler, Line::V0_3) => Pre::Sync03(v0_3::sync::SyncHandlerPre::new(pre)?),
            (World::FieldGenerator | World::Validator, Line::V0_3) => {
                return Err(wasmtime::Error::msg(
                    "interface 0.3 defines the sync-handler world only",
                ));
            }
        })
    }

    pub(crate) fn instantiate(&self, store: &mut Store<HostState>) -> wasmtime::Result<Bound> {
        Ok(match self {
            Pre::Generator01(p) => Bound::Generator01(p.instantiate(store)?),
            Pre::Validator01(p) => Bound::Validator01(p.instantiate(store)?),
            Pre::Sync01(p) => Bound::Sync01(p.instantiate(store)?),
            Pre::Generator02(p) => Bound::Generator02(p.instantiate(store)?),
            Pre::Validator02(p) => Bound::Validator02(p.instantiate(store)?),
            Pre::Sync02(p) => Bound::Sync02(p.instantiate(store)?),
            Pre::Sync03(p) => Bound::Sync03(p.instantiate(store)?),
        })
    }
}

/// An instantiated component.
pub(crate) enum Bound {
    Generator01(v0_1::generator::FieldGenerator),
    Validator01(v0_1::validator::Validator),
    Sync01(v0_1::sync::SyncHandler),
    Generator02(v0_2::generator::FieldGenerator),
    Validator02(v0_2::validator::Validator),
    Sync02(v0_2::sync::SyncHandler),
    Sync03(v0_3::sync::SyncHandler),
}

/// What `describe` answered.
pub(crate) enum Described {
    Functions(v0_2::PluginInfo),
    Sync01(v0_1::document_sync::SyncInfo),
    /// 0.2 and 0.3 handlers (0.3 describes itself in the same shapes).
    Sync02(Result<v0_2::document_sync::SyncInfo, String>),
}

/// A call made on a component of the wrong world: the host's own bug, never the plugin's.
fn wrong_world(what: &str) -> wasmtime::Error {
    wasmtime::Error::msg(format!(
        "internal: `{what}` called on a plugin of another world"
    ))
}

impl Bound {
    /// `describe` of any world; sync handlers get `params` (0.1 ones take none).
    pub(crate) fn describe(
        &self,
        store: &mut Store<HostState>,
        params: &str,
    ) -> wasmtime::Result<Described> {
        Ok(match self {
            Bound::Generator01(g) => Described::Functions(
                g.milvus_ingest_plugin_field_generation()
                    .call_describe(store)?
                    .into(),
            ),
            Bound::Validator01(v) => Described::Functions(
                v.milvus_ingest_plugin_batch_validation()
                    .call_describe(store)?
                    .into(),
            ),
            Bound::Sync01(s) => Described::Sync01(
                s.milvus_ingest_plugin_document_sync()
                    .call_describe(store)?,
            ),
            Bound::Generator02(g) => Described::Functions(
                g.milvus_ingest_plugin_field_generation()
                    .call_describe(store)?,
            ),
            Bound::Validator02(v) => Described::Functions(
                v.milvus_ingest_plugin_batch_validation()
                    .call_describe(store)?,
            ),
            Bound::Sync02(s) => Described::Sync02(
                s.milvus_ingest_plugin_document_sync()
                    .call_describe(store, params)?,
            ),
            Bound::Sync03(s) => Described::Sync02(
                s.milvus_ingest_plugin_document_sync()
                    .call_describe(store, params)?
                    .map(Into::into),
            ),
        })
    }

    pub(crate) fn generate(
        &self,
        store: &mut Store<HostState>,
        req: &v0_2::GenerateRequest,
    ) -> wasmtime::Result<Result<v0_2::Column, String>> {
        match self {
            Bound::Generator02(g) => g
                .milvus_ingest_plugin_field_generation()
                .call_generate(store, req),
            Bound::Generator01(g) => Ok(g
                .milvus_ingest_plugin_field_generation()
                .call_generate(store, &req.into())?
                .map(Into::into)),
            _ => Err(wrong_world("generate")),
        }
    }

    pub(crate) fn validate(
        &self,
        store: &mut Store<HostState>,
        req: &v0_2::ValidateRequest,
    ) -> wasmtime::Result<Result<Vec<v0_2::Violation>, String>> {
        match self {
            Bound::Validator02(v) => v
                .milvus_ingest_plugin_batch_validation()
                .call_validate(store, req),
            Bound::Validator01(v) => Ok(v
                .milvus_ingest_plugin_batch_validation()
                .call_validate(store, &req.into())?
                .map(|found| found.into_iter().map(Into::into).collect())),
            _ => Err(wrong_world("validate")),
        }
    }

    /// `convert`; a 0.1 handler gets no params (the host applied what it could). `docs` must be
    /// in the form the component takes (BSON for 0.3, text before).
    pub(crate) fn convert(
        &self,
        store: &mut Store<HostState>,
        collection_type: &str,
        params: &str,
        docs: &DocsIn<'_>,
    ) -> wasmtime::Result<Result<v0_3::document_sync::ConvertResult, String>> {
        match (self, docs) {
            (Bound::Sync03(s), DocsIn::Bson(bytes)) => s
                .milvus_ingest_plugin_document_sync()
                .call_convert(store, collection_type, params, bytes),
            (Bound::Sync02(s), DocsIn::Text(texts)) => Ok(s
                .milvus_ingest_plugin_document_sync()
                .call_convert(store, collection_type, params, texts)?
                .map(Into::into)),
            (Bound::Sync01(s), DocsIn::Text(texts)) => Ok(s
                .milvus_ingest_plugin_document_sync()
                .call_convert(store, collection_type, texts)?
                .map(|r| v0_2::document_sync::ConvertResult::from(r).into())),
            (Bound::Sync01(_) | Bound::Sync02(_) | Bound::Sync03(_), _) => Err(
                wasmtime::Error::msg("internal: documents in the wrong form for the handler"),
            ),
            _ => Err(wrong_world("convert")),
        }
    }
}
