//! The child that the `exec` scenarios run, without on-exit: it logs each `SIGINT`, `SIGTERM`
//! and `SIGHUP` it gets (`child got N`), and ends as `EXEC_CHILD` says: `code:N` or `die:N`
//! at once, `sleep:MS` (then logs `child done` and exits 0), `after-signal:MS:HOW` (MS
//! milliseconds after the first signal, then `HOW`), or `stop:N:HOW` (logs `child stops`,
//! stops itself by signal `N`, and once continued logs `child continued`, then `HOW`).

#[cfg(unix)]
mod unix {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread;
    use std::time::{Duration, Instant};

    use on_exit_scenarios::log;

    static GOT: [AtomicUsize; 3] = [
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    ];
    const SIGNALS: [i32; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

    fn end(how: &str) -> ! {
        match how.split_once(':') {
            Some(("code", code)) => std::process::exit(code.parse().expect("a code")),
            Some(("sleep", ms)) => {
                thread::sleep(Duration::from_millis(ms.parse().expect("milliseconds")));
                log("child done");
                std::process::exit(0)
            }
            Some(("die", signal)) => {
                let signal: i32 = signal.parse().expect("a signal number");
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                unreachable!("the signal's default action ended the process")
            }
            Some(("stop", rest)) => {
                let (signal, then) = rest.split_once(':').expect("stop:N:HOW");
                let signal: i32 = signal.parse().expect("a signal number");
                log("child stops");
                // SAFETY: raise has no memory-safety preconditions.
                unsafe { libc::raise(signal) };
                log("child continued");
                end(then)
            }
            _ => panic!("unknown EXEC_CHILD ending {how}"),
        }
    }

    pub(crate) fn main() {
        let how = std::env::var("EXEC_CHILD").expect("EXEC_CHILD is set");
        let Some(rest) = how.strip_prefix("after-signal:") else {
            end(&how)
        };
        let (ms, then) = rest.split_once(':').expect("after-signal:MS:HOW");
        let ms: u64 = ms.parse().expect("milliseconds");
        for (index, signal) in SIGNALS.into_iter().enumerate() {
            // SAFETY: the action only increments an atomic, which is async-signal-safe.
            unsafe {
                signal_hook::low_level::register(signal, move || {
                    GOT[index].fetch_add(1, Ordering::SeqCst);
                })
            }
            .expect("the handler installs");
        }
        log("child ready");
        let start = Instant::now();
        let mut logged = [0; 3];
        let mut first: Option<Instant> = None;
        while start.elapsed() < Duration::from_mins(1) {
            for (index, signal) in SIGNALS.into_iter().enumerate() {
                let got = GOT[index].load(Ordering::SeqCst);
                while logged[index] < got {
                    logged[index] += 1;
                    log(&format!("child got {signal}"));
                    first.get_or_insert_with(Instant::now);
                }
            }
            if first.is_some_and(|first| first.elapsed() >= Duration::from_millis(ms)) {
                end(then);
            }
            thread::sleep(Duration::from_millis(1));
        }
        end(then)
    }
}

fn main() {
    #[cfg(unix)]
    unix::main();
}
