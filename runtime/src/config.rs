//! Installing the runtime without the attribute: [`Config`], and the [`Guard`] that `main`
//! holds. The `#[on_exit]` expansion calls the same builder.

use core::marker::PhantomData;
use core::panic::Location;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::registry::Boxed;
use crate::runtime::Settings;
use crate::{driver, Cleanup, Reason, Signal};

/// What `#[on_exit(...)]` does, as a builder: for a tool that keeps proc macros out of its
/// build (`default-features = false`), or for code that decides its options at run time.
///
/// ```
/// use std::time::Duration;
///
/// use on_exit::{Config, Signal};
///
/// fn main() {
///     let _guard = Config::new(cleanup)
///         .signals(&[Signal::Interrupt, Signal::Terminate])
///         .timeout(Duration::from_secs(5))
///         .install();
///     // ... the work; the cleanup runs once, however `main` ends ...
/// }
///
/// fn cleanup() {}
/// ```
///
/// The guard must live until the end of `main`: its drop is `main` returning (or a panic
/// unwinding out of it). `let _ = ...install()` would drop it at once and run the cleanup.
#[must_use = "a Config does nothing until `.install()`"]
pub struct Config {
    cleanup: Boxed,
    signals: Option<Vec<Signal>>,
    timeout: Option<Duration>,
    graceful: bool,
}

/// The options, and that a handler is there (a closure has no `Debug`).
impl core::fmt::Debug for Config {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Config")
            .field("signals", &self.signals)
            .field("timeout", &self.timeout)
            .field("graceful", &self.graceful)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// The handler and the defaults: the platform's default signals, no timeout, not
    /// graceful. The handler takes the same forms as the attribute's.
    pub fn new<Args>(handler: impl Cleanup<Args>) -> Config {
        Config {
            cleanup: handler.into_boxed(),
            signals: None,
            timeout: None,
            graceful: false,
        }
    }

    /// The signals to catch, replacing the default set; those the platform lacks are
    /// ignored there. The attribute's `signals(...)`.
    pub fn signals(mut self, signals: &[Signal]) -> Config {
        self.signals = Some(signals.to_vec());
        self
    }

    /// The most time a cleanup started by a signal may take; with [`Config::graceful`], also
    /// the most time `main` gets to finish. The attribute's `timeout = "..."`.
    ///
    /// A timeout under one millisecond, zero included, is refused, as the attribute refuses
    /// `timeout = "0s"` (its unit is the millisecond; such a timeout would cut off every
    /// cleanup before it starts): the way the builder refuses an option, the call is ignored
    /// with a warning on stderr, and the timeout stays what it was.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let config = on_exit::Config::new(|| {}).timeout(Duration::ZERO);
    /// assert_eq!(
    ///     format!("{config:?}"),
    ///     "Config { signals: None, timeout: None, graceful: false, .. }"
    /// );
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Config {
        if timeout < Duration::from_millis(1) {
            driver::warn(format_args!(
                "a timeout under one millisecond is refused (it would cut off every cleanup); \
                 the timeout is left as it was"
            ));
        } else {
            self.timeout = Some(timeout);
        }
        self
    }

    /// The first signal asks `main` to finish instead of starting the cleanup. The
    /// attribute's `graceful`.
    pub fn graceful(mut self) -> Config {
        self.graceful = true;
        self
    }

    /// Installs the runtime: the handler is registered first, then the hooks and handlers.
    /// If the runtime was already started by a [`register`](crate::register) call, the
    /// handler joins it and these options are ignored, with a warning.
    ///
    /// # Panics
    ///
    /// On a second install while the first one's guard is held (two `#[on_exit]` on
    /// `main`, one of them under another name, or two `install` calls in `main`): the
    /// message names both places.
    #[track_caller]
    pub fn install(self) -> Guard {
        let here = Location::caller();
        {
            let mut live = LIVE_INSTALL.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(first) = *live {
                drop(live);
                panic!(
                    "on-exit: the runtime is installed twice, at {first} and again at {here}: \
                     give `main` one `#[on_exit]` (or call `Config::install` once)"
                );
            }
            *live = Some(here);
        }
        let defaults = driver::default_settings();
        let settings = Settings {
            // Installed once per program: the list lives as long as the handlers.
            signals: self
                .signals
                .map_or(defaults.signals, |signals| signals.leak()),
            timeout: self.timeout,
            graceful: self.graceful,
        };
        driver::install(settings, self.cleanup);
        Guard::new()
    }
}

/// Where the install whose guard is held was made.
static LIVE_INSTALL: Mutex<Option<&'static Location<'static>>> = Mutex::new(None);

/// Returned by [`Config::install`]: `main` holds it, and its drop is `main` returning (or a
/// panic unwinding out of `main`), which runs the cleanup.
#[must_use = "the cleanup runs when the guard drops: hold it until the end of `main`"]
pub struct Guard {
    // Stays on the thread that runs `main`.
    _not_send: PhantomData<*const ()>,
}

impl Guard {
    pub(crate) fn new() -> Guard {
        Guard {
            _not_send: PhantomData,
        }
    }
}

impl core::fmt::Debug for Guard {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Guard")
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        *LIVE_INSTALL.lock().unwrap_or_else(PoisonError::into_inner) = None;
        let reason = if std::thread::panicking() {
            Reason::Panicked
        } else {
            Reason::Returned
        };
        driver::conclude(reason);
    }
}

/// Ends the process with `code` after the cleanups, on every platform: they run now, told
/// [`Reason::Exited`], then the process exits.
///
/// What is still in std's stdout buffer (a `print!` without its newline) is written first,
/// unless a thread holding stdout's lock keeps it from being written within 200 ms.
///
/// On Unix `std::process::exit` does the same through the `exit` hook. On Windows it does not:
/// there `std::process::exit` is `ExitProcess`, which skips every hook, so this is the way to
/// end early with the cleanup. If a signal already asked the process to end, it dies by that
/// signal instead, as on every other path.
///
/// ```no_run
/// #[on_exit::on_exit(|| eprintln!("cleaned up"))]
/// fn main() {
///     if std::env::args().count() > 3 {
///         eprintln!("too many arguments");
///         on_exit::exit(2);
///     }
/// }
/// ```
pub fn exit(code: i32) -> ! {
    driver::conclude(Reason::Exited);
    // std's `exit` flushes stdout too, but would wait for ever on a full pipe nobody reads.
    driver::last_words();
    std::process::exit(code)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Config;

    #[test]
    fn a_timeout_under_a_millisecond_is_refused_and_the_earlier_one_kept() {
        assert_eq!(Config::new(|| {}).timeout(Duration::ZERO).timeout, None);
        let tiny = [Duration::from_nanos(1), Duration::from_micros(999)];
        for timeout in tiny {
            assert_eq!(Config::new(|| {}).timeout(timeout).timeout, None);
        }
        let one = Duration::from_millis(1);
        assert_eq!(Config::new(|| {}).timeout(one).timeout, Some(one));
        let five = Duration::from_secs(5);
        let config = Config::new(|| {}).timeout(five).timeout(Duration::ZERO);
        assert_eq!(config.timeout, Some(five));
        assert_eq!(
            format!("{config:?}"),
            "Config { signals: None, timeout: Some(5s), graceful: false, .. }"
        );
    }
}
