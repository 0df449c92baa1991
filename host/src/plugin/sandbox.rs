//! What a plugin instance may touch: nothing but its own memory, deterministic clocks and
//! deterministic random bytes.
//!
//! Guests built for `wasm32-wasip2` import WASI even when they never use it, and Rust std asks
//! WASI for random bytes to seed `HashMap`s. We link the WASI interfaces with an empty context
//! (no preopened directories, no environment, no arguments, stdin closed, output discarded, all
//! socket addresses denied) and replace the entropy and clock sources: random bytes come from a
//! ChaCha stream keyed by (run seed, plugin, field, chunk) of the call, and the clocks stand
//! still. A guest therefore computes the same output for the same call
//! whichever instance or thread serves it.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::RngCore;
use rand_chacha::ChaCha8Rng;
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{
    HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView,
};

use crate::generate::{Purpose, stream};

/// Guest stderr kept per instance; writes beyond it fail (the guest's problem, not ours).
const STDERR_CAPACITY: usize = 64 << 10;

/// The wall clock every plugin sees: 2025-01-01T00:00:00Z.
const FIXED_WALL_CLOCK_SECS: u64 = 1_735_689_600;

/// Per-store state: WASI context, its resource table, and the memory limiter.
pub(crate) struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    /// What the guest wrote to stderr (a Rust panic message, say), kept to explain failures.
    stderr: MemoryOutputPipe,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl HostState {
    /// State for one call's instance. Random bytes come from the stream of (run seed,
    /// `key`, `chunk`), so what a guest draws depends on the call alone.
    pub(crate) fn new(memory_limit: usize, seed: u64, key: &str, chunk: u64) -> HostState {
        let mut rng = stream(
            seed,
            &format!("plugin-entropy:{key}"),
            Purpose::Extra,
            chunk,
        );
        // std seeds its HashMap keys from `insecure-seed`: derive it from the same stream.
        let insecure_seed = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
        let entropy = Entropy(Arc::new(Mutex::new(rng)));
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        let mut builder = WasiCtxBuilder::new();
        builder
            .stderr(stderr.clone())
            .secure_random(entropy.clone())
            .insecure_random(entropy)
            .insecure_random_seed(insecure_seed)
            .wall_clock(FixedWallClock)
            .monotonic_clock(FixedMonotonicClock)
            .allow_ip_name_lookup(false)
            .allow_tcp(false)
            .allow_udp(false);
        HostState {
            wasi: builder.build(),
            table: ResourceTable::new(),
            limiter: MemoryLimiter::new(memory_limit),
            stderr,
        }
    }

    /// The guest's last words on stderr (a Rust panic's location and message), if any.
    pub(crate) fn stderr_tail(&self) -> Option<String> {
        let bytes = self.stderr.contents();
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE"))
            .collect();
        let tail = lines[lines.len().saturating_sub(2)..].join(" ");
        (!tail.is_empty()).then(|| tail.chars().take(500).collect())
    }
}

/// Random bytes from one ChaCha stream, shared by the secure and the insecure WASI random
/// interfaces.
#[derive(Clone)]
struct Entropy(Arc<Mutex<ChaCha8Rng>>);

impl rand_core_wasi::TryRng for Entropy {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.0.lock().unwrap_or_else(|p| p.into_inner()).next_u32())
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.0.lock().unwrap_or_else(|p| p.into_inner()).next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .fill_bytes(dst);
        Ok(())
    }
}

struct FixedWallClock;

impl HostWallClock for FixedWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::from_secs(FIXED_WALL_CLOCK_SECS)
    }
}

/// A monotonic clock that never advances: time-dependent guest loops end at the call deadline.
struct FixedMonotonicClock;

impl HostMonotonicClock for FixedMonotonicClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// Caps linear memory and remembers that the cap was hit, so the error can say so instead of
/// showing the guest's allocation-failure trap.
pub(crate) struct MemoryLimiter {
    inner: StoreLimits,
    pub(crate) max: usize,
    pub(crate) exceeded: Option<usize>,
}

impl MemoryLimiter {
    fn new(max: usize) -> MemoryLimiter {
        MemoryLimiter {
            inner: StoreLimitsBuilder::new()
                .memory_size(max)
                .instances(64)
                .build(),
            max,
            exceeded: None,
        }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max {
            self.exceeded = Some(desired);
            // An error (not `Ok(false)`) traps at once: a guest allocator that ignores a failed
            // grow must not keep running past the limit.
            wasmtime::bail!(
                "memory limit of {} MiB exceeded (the plugin asked for {} MiB)",
                self.max >> 20,
                desired.div_ceil(1 << 20)
            );
        }
        self.inner.memory_growing(current, desired, maximum)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}
