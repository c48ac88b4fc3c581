//! Starting one of the runtime's threads: `pthread_create` on Unix, std's `thread::Builder`
//! elsewhere.

#[cfg(unix)]
mod pthread;
#[cfg(unix)]
pub(crate) use self::pthread::spawn;

#[cfg(not(unix))]
mod std_thread;
#[cfg(not(unix))]
pub(crate) use self::std_thread::spawn;
