//! One loaded plugin: its description and its pre-instantiated component.
//!
//! By default every call runs on a fresh instance made from the `InstancePre` (about 10-20 us,
//! next to the milliseconds a chunk takes). Reusing instances per worker thread would save
//! that, but guest state would then carry from one chunk to the next in whatever order a thread
//! happened to process chunks: std's per-instance `HashMap` key counter alone changes iteration
//! order, and with it the output. A fresh instance per call makes every chunk's output a
//! function of the call alone, which is what lets 1 and 2 worker threads write identical files;
//! it also means a trap or a leak never outlives the call that caused it.
//!
//! A 0.2 plugin that declares itself `stateless` promises its output depends on the request
//! alone; its instances are then kept in a small pool and reused after successful calls (an
//! instance whose call failed is dropped).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use wasmtime::component::{Component, Linker};
use wasmtime::{Store, Trap};

use super::bound::{Bound, Described, Line, Pre};
use super::error::PluginError;
use super::host::Runtime;
use super::sandbox::HostState;
use super::sync_desc::HandlerDesc;
use super::wit::{self, World, v0_2};

/// What a plugin is and offers, as `plugin inspect` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    pub description: String,
    pub world: World,
    pub interface_version: String,
    pub path: PathBuf,
    pub sha256: String,
    /// Generators or validators (empty for sync handlers).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<FunctionDesc>,
    /// Declared stateless (0.2), or a 0.3 sync handler: instances may be reused across calls.
    pub stateless: bool,
    /// Collection types served (sync handlers only), with default params.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub handlers: Vec<HandlerDesc>,
    /// The component's raw export and import names.
    pub exports: Vec<String>,
    pub imports: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FunctionDesc {
    pub name: String,
    pub description: String,
    /// Milvus type names the function accepts.
    pub types: Vec<String>,
    pub params_schema: serde_json::Value,
}

pub(crate) struct Worker {
    pub(crate) store: Store<HostState>,
    pub(crate) bound: Bound,
}

/// Idle instances kept per stateless plugin: enough for every worker thread, few enough that
/// the pooling allocator's slots stay free for other plugins.
const MAX_IDLE: usize = 8;

/// A plugin ready to be called from any thread.
pub struct LoadedPlugin {
    runtime: Arc<Runtime>,
    info: PluginInfo,
    pre: Pre,
    /// Idle instances of a stateless plugin, reused by later calls.
    idle: Mutex<Vec<Worker>>,
}

/// The world and interface version a component exports, from its export names.
fn detect_world(path: &Path, exports: &[String]) -> Result<(World, String), PluginError> {
    let mut ours = Vec::new();
    for name in exports {
        if let Some((interface, version)) = wit::parse_export(name) {
            ours.push((interface.to_string(), version.to_string()));
        }
    }
    for (interface, version) in &ours {
        if let Some(world) = World::ALL.iter().find(|w| w.interface() == interface) {
            if !wit::accepts(*world, version) {
                return Err(PluginError::IncompatibleVersion {
                    path: path.to_path_buf(),
                    found: version.clone(),
                    accepted: world
                        .accepted_versions()
                        .iter()
                        .map(|v| {
                            format!(
                                "{v} (and compatible {}.x)",
                                &v[..v.rfind('.').unwrap_or(v.len())]
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
            return Ok((*world, version.clone()));
        }
    }
    Err(PluginError::UnknownWorld {
        path: path.to_path_buf(),
        found: if exports.is_empty() {
            "no exports".to_string()
        } else {
            exports.join(", ")
        },
        expected: World::ALL
            .iter()
            .map(|w| {
                format!(
                    "{}/{}@{}",
                    wit::PACKAGE,
                    w.interface(),
                    w.accepted_versions().join(" or ")
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
    })
}

fn json_or_string(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_string()))
}

fn type_name(t: v0_2::MilvusType) -> String {
    use v0_2::MilvusType as M;
    match t {
        M::Bool => "Bool",
        M::Int8 => "Int8",
        M::Int16 => "Int16",
        M::Int32 => "Int32",
        M::Int64 => "Int64",
        M::Float => "Float",
        M::Double => "Double",
        M::Varchar => "VarChar",
        M::Json => "JSON",
        M::Array => "Array",
        M::FloatVector => "FloatVector",
        M::BinaryVector => "BinaryVector",
        M::Float16Vector => "Float16Vector",
        M::Bfloat16Vector => "BFloat16Vector",
        M::SparseFloatVector => "SparseFloatVector",
        M::Int8Vector => "Int8Vector",
    }
    .to_string()
}

fn functions_of(info: &v0_2::PluginInfo) -> Vec<FunctionDesc> {
    info.functions
        .iter()
        .map(|f| FunctionDesc {
            name: f.name.clone(),
            description: f.description.clone(),
            types: f.types.iter().copied().map(type_name).collect(),
            params_schema: json_or_string(&f.params_schema),
        })
        .collect()
}

impl LoadedPlugin {
    pub(crate) fn new(
        runtime: Arc<Runtime>,
        linker: &Linker<HostState>,
        component: &Component,
        path: &Path,
        sha256: String,
    ) -> Result<LoadedPlugin, PluginError> {
        let ty = component.component_type();
        let exports: Vec<String> = ty
            .exports(&runtime.engine)
            .map(|(n, _)| n.to_string())
            .collect();
        let imports: Vec<String> = ty
            .imports(&runtime.engine)
            .map(|(n, _)| n.to_string())
            .collect();
        let (world, interface_version) = detect_world(path, &exports)?;
        let load_err = |e: wasmtime::Error| PluginError::Load {
            path: path.to_path_buf(),
            message: format!("{e:#}"),
        };
        // Imports are resolved now, at load: a plugin asking for anything beyond WASI (which
        // the sandbox empties) is refused before it runs. (Stubbing unknown imports as traps
        // would also shadow WASI's semver-compatible matches, e.g. a guest's 0.2.6 imports
        // served by the host's 0.2.12.)
        let instance_pre = linker
            .instantiate_pre(component)
            .map_err(|e| PluginError::Load {
                path: path.to_path_buf(),
                message: format!("imports something the plugin sandbox does not provide: {e:#}"),
            })?;
        let pre = Pre::new(world, Line::of(&interface_version), instance_pre).map_err(load_err)?;
        let file_stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut plugin = LoadedPlugin {
            runtime,
            info: PluginInfo {
                name: file_stem,
                version: String::new(),
                description: String::new(),
                world,
                interface_version,
                path: path.to_path_buf(),
                sha256,
                functions: Vec::new(),
                stateless: false,
                handlers: Vec::new(),
                exports,
                imports,
            },
            pre,
            idle: Mutex::new(Vec::new()),
        };
        plugin.describe()?;
        Ok(plugin)
    }

    /// Fills name, version and functions (or handlers, described with default params) from
    /// the plugin's own `describe`.
    fn describe(&mut self) -> Result<(), PluginError> {
        let described = self.call("describe", "-", 0, |bound, store| {
            bound.describe(store, "{}")
        })?;
        let path = self.info.path.clone();
        let info = &mut self.info;
        match described {
            Described::Functions(d) => {
                info.functions = functions_of(&d);
                info.name = d.name;
                info.version = d.version;
                info.description = d.description;
                info.stateless = d.stateless;
            }
            Described::Sync01(d) => {
                info.name = d.name;
                info.version = d.version;
                info.description = d.description;
                info.handlers = d.handlers.into_iter().map(HandlerDesc::from_v0_1).collect();
            }
            Described::Sync02(d) => {
                let d = d.map_err(|m| PluginError::Load {
                    path: path.clone(),
                    message: format!("describe with default params failed: {m}"),
                })?;
                info.name = d.name;
                info.version = d.version;
                info.description = d.description;
                info.handlers = d.handlers.into_iter().map(HandlerDesc::from_v0_2).collect();
                // Interface 0.3 lets the host call `convert` many times on one instance (its
                // contract: no state between calls), so a batch does not pay for a fresh
                // instance and a fresh, page-faulting linear memory.
                info.stateless = info.interface_version.starts_with("0.3.");
            }
        }
        if info.name.trim().is_empty() {
            return Err(PluginError::Load {
                path,
                message: "describe returned an empty plugin name".into(),
            });
        }
        let mut seen = std::collections::BTreeSet::new();
        for h in &info.handlers {
            if h.collection_type.trim().is_empty() || !seen.insert(h.collection_type.as_str()) {
                return Err(PluginError::Load {
                    path,
                    message: format!(
                        "describe declared the collection type `{}` twice or empty",
                        h.collection_type
                    ),
                });
            }
        }
        Ok(())
    }

    pub fn name(&self) -> &str {
        &self.info.name
    }

    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    pub fn world(&self) -> World {
        self.info.world
    }

    fn instantiate(&self, field: &str, chunk: u64) -> wasmtime::Result<Worker> {
        let key = format!("{}/{field}", self.info.name);
        let state = HostState::new(self.runtime.limits.memory, self.runtime.seed, &key, chunk);
        let mut store = Store::new(&self.runtime.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(self.runtime.limits.deadline_ticks());
        let bound = self.pre.instantiate(&mut store)?;
        Ok(Worker { store, bound })
    }

    /// Runs `f` on a fresh instance under the time limit, with the guest's entropy keyed to
    /// (seed, plugin, `field`, `chunk`). Failures become [`PluginError::Call`] naming
    /// `function` and `field`.
    pub(crate) fn call<R>(
        &self,
        function: &str,
        field: &str,
        chunk: u64,
        f: impl FnOnce(&Bound, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R, PluginError> {
        let reused = if self.info.stateless {
            self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop()
        } else {
            None
        };
        let mut worker = match reused {
            Some(w) => w,
            None => self.instantiate(field, chunk).map_err(|e| {
                self.call_error(
                    function,
                    field,
                    None,
                    format!("instantiation failed: {e:#}"),
                )
            })?,
        };
        worker
            .store
            .set_epoch_deadline(self.runtime.limits.deadline_ticks());
        let out = f(&worker.bound, &mut worker.store)
            .map_err(|e| self.failure(function, field, &worker, e))?;
        if self.info.stateless {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < MAX_IDLE {
                idle.push(worker);
            }
        }
        Ok(out)
    }

    /// Explains a failed call: timeout and memory limit in the user's terms, traps with what
    /// the guest printed before dying.
    fn failure(
        &self,
        function: &str,
        field: &str,
        worker: &Worker,
        e: wasmtime::Error,
    ) -> PluginError {
        let limits = self.runtime.limits;
        let state = worker.store.data();
        let message = if e.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
            format!(
                "timed out: the call ran longer than {:.1} s (raise with --plugin-timeout)",
                limits.timeout.as_secs_f64()
            )
        } else if let Some(wanted) = state.limiter.exceeded {
            format!(
                "exceeded the memory limit of {} MiB (it asked for {} MiB; raise with --plugin-memory)",
                state.limiter.max >> 20,
                wanted.div_ceil(1 << 20)
            )
        } else {
            let what = match e.downcast_ref::<Trap>() {
                Some(trap) => format!("trapped: {trap}"),
                None => format!("failed: {}", e.root_cause()),
            };
            match state.stderr_tail() {
                Some(line) => format!("{what} (guest stderr: {line})"),
                None => what,
            }
        };
        self.call_error(function, field, None, message)
    }

    pub(crate) fn call_error(
        &self,
        function: &str,
        field: &str,
        _row: Option<u64>,
        message: String,
    ) -> PluginError {
        PluginError::Call {
            plugin: self.info.name.clone(),
            function: function.to_string(),
            field: field.to_string(),
            message,
        }
    }

    pub(crate) fn seed(&self) -> u64 {
        self.runtime.seed
    }
}
