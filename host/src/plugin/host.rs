//! The plugin host: one wasmtime engine for the process, the loaded plugins, and the epoch
//! ticker that enforces per-call time limits.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::component::Linker;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::cache::{default_cache_dir, load_component, sha256_hex};
use super::error::PluginError;
use super::loaded::LoadedPlugin;
use super::sandbox::HostState;

/// How often the engine's epoch advances; a call's deadline is a whole number of ticks.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Resource limits applied to every plugin instance and call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluginLimits {
    /// Linear memory per instance, in bytes.
    pub memory: usize,
    /// Wall time per call; zero means no limit.
    pub timeout: Duration,
}

impl Default for PluginLimits {
    fn default() -> Self {
        PluginLimits {
            memory: 256 << 20,
            timeout: Duration::from_secs(10),
        }
    }
}

impl PluginLimits {
    pub(crate) fn deadline_ticks(&self) -> u64 {
        (self.timeout.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64 + 1
    }
}

/// Shared by the host and every loaded plugin.
pub(crate) struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) limits: PluginLimits,
    pub(crate) seed: u64,
    linker: Linker<HostState>,
    stop: Arc<AtomicBool>,
    ticker: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Runtime {
    // Loaded plugins keep the runtime alive, so the epoch ticker lives exactly as long as
    // anything can still call a plugin.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self
            .ticker
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            let _ = t.join();
        }
    }
}

/// Loads plugins and hands out generators, validators and sync handlers backed by them.
pub struct PluginHost {
    runtime: Arc<Runtime>,
    cache_dir: Option<PathBuf>,
    plugins: Mutex<BTreeMap<String, Arc<LoadedPlugin>>>,
}

impl PluginHost {
    /// A host whose plugins see `seed` (for their deterministic entropy) and obey `limits`,
    /// caching compiled components in the default cache directory.
    pub fn new(limits: PluginLimits, seed: u64) -> Result<PluginHost, PluginError> {
        PluginHost::with_cache_dir(limits, seed, default_cache_dir())
    }

    /// Like [`PluginHost::new`] with an explicit cache directory (`None`: compile every time).
    pub fn with_cache_dir(
        limits: PluginLimits,
        seed: u64,
        cache_dir: Option<PathBuf>,
    ) -> Result<PluginHost, PluginError> {
        // A zero timeout means no time limit: the engine then compiles no epoch checks, which
        // makes tight guest loops faster (for trusted plugins and benchmarks).
        let timed = !limits.timeout.is_zero();
        let engine = engine(timed, &limits)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| PluginError::Engine(format!("{e:#}")))?;
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = if !timed {
            None
        } else {
            let engine = engine.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("plugin-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(EPOCH_TICK);
                        engine.increment_epoch();
                    }
                })
                .map_err(|e| PluginError::Engine(format!("starting the epoch thread: {e}")))
                .map(Some)?
        };
        Ok(PluginHost {
            runtime: Arc::new(Runtime {
                engine,
                limits,
                seed,
                linker,
                stop,
                ticker: Mutex::new(ticker),
            }),
            cache_dir,
            plugins: Mutex::new(BTreeMap::new()),
        })
    }

    pub fn limits(&self) -> PluginLimits {
        self.runtime.limits
    }

    /// Loads the component at `path`, checks its world and interface version, and asks it to
    /// describe itself. The plugin is then known by the name it reports.
    pub fn load(&self, path: &Path) -> Result<Arc<LoadedPlugin>, PluginError> {
        let bytes = std::fs::read(path).map_err(|source| PluginError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        self.load_bytes(path, &bytes)
    }

    /// Like [`PluginHost::load`] for a component already in memory (e.g. one embedded in the
    /// binary); `path` only names it in messages and `plugin inspect`.
    pub fn load_bytes(&self, path: &Path, bytes: &[u8]) -> Result<Arc<LoadedPlugin>, PluginError> {
        let sha256 = sha256_hex(bytes);
        let component = load_component(
            &self.runtime.engine,
            self.cache_dir.as_deref(),
            path,
            bytes,
            &sha256,
        )?;
        let plugin = Arc::new(LoadedPlugin::new(
            self.runtime.clone(),
            &self.runtime.linker,
            &component,
            path,
            sha256,
        )?);
        let name = plugin.name().to_string();
        let mut plugins = self.plugins.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = plugins.get(&name)
            && old.info().sha256 != plugin.info().sha256
        {
            return Err(PluginError::Load {
                path: path.to_path_buf(),
                message: format!(
                    "another plugin named `{name}` is already loaded from {}",
                    old.info().path.display()
                ),
            });
        }
        plugins.insert(name, plugin.clone());
        Ok(plugin)
    }

    /// A loaded plugin by the name it reports.
    pub fn get(&self, name: &str) -> Result<Arc<LoadedPlugin>, PluginError> {
        let plugins = self.plugins.lock().unwrap_or_else(|p| p.into_inner());
        plugins
            .get(name)
            .cloned()
            .ok_or_else(|| PluginError::NotLoaded {
                name: name.to_string(),
                loaded: if plugins.is_empty() {
                    "none".to_string()
                } else {
                    plugins.keys().cloned().collect::<Vec<_>>().join(", ")
                },
            })
    }

    pub fn loaded(&self) -> Vec<Arc<LoadedPlugin>> {
        let plugins = self.plugins.lock().unwrap_or_else(|p| p.into_inner());
        plugins.values().cloned().collect()
    }
}

/// The process-wide engine settings: epoch interruption for time limits, no async/concurrency
/// machinery (calls are synchronous and per batch, and it makes every call ~5x cheaper), and a
/// pooling allocator, because every call instantiates afresh: pooled slots are reused and reset
/// in place instead of mapping and unmapping linear memory per call.
fn engine(epoch_interruption: bool, limits: &PluginLimits) -> Result<Engine, PluginError> {
    let mut config = Config::new();
    config.epoch_interruption(epoch_interruption);
    config.wasm_component_model(true);
    config.concurrency_support(false);
    if std::env::var_os("MILVUS_INGEST_PERFMAP").is_some() {
        // `perf record` names JIT-compiled plugin functions from /tmp/perf-PID.map.
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    // Slots bound how many calls can run at once (one per worker thread); only address space is
    // reserved for them up front.
    let slots = std::thread::available_parallelism()
        .map_or(4, |n| n.get() as u32)
        .saturating_mul(4)
        .max(64);
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(slots)
        .total_core_instances(slots * 8)
        .total_memories(slots * 2)
        .total_tables(slots * 8)
        .total_stacks(slots)
        .max_memories_per_component(4)
        .max_tables_per_component(16)
        .max_memory_size(limits.memory);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config).map_err(|e| PluginError::Engine(format!("{e:#}")))
}
