//! The synchronisation primitives of the runtime's OS-free half (`state.rs`, `registry.rs`,
//! `waiters.rs`, `runtime.rs`, `handoff.rs`): std's, or loom's when that half is model checked
//! (`RUSTFLAGS="--cfg on_exit_loom"`, see `model.rs`).

#[cfg(all(test, on_exit_loom))]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
#[cfg(all(test, on_exit_loom))]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};

#[cfg(not(all(test, on_exit_loom)))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
#[cfg(not(all(test, on_exit_loom)))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};
