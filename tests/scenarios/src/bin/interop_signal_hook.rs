//! A program that also uses signal-hook directly: its own flag for `SIGTERM`, registered after
//! the attribute installed on-exit's handler. signal-hook's registry runs both.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::ExitCode;

use on_exit::on_exit;
use on_exit_scenarios::{body, cleanup, Failure};

#[on_exit(cleanup)]
fn main() -> Result<ExitCode, Failure> {
    #[cfg(unix)]
    {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;

        let term = Arc::new(AtomicBool::new(false));
        signal_hook::flag::register(signal_hook::consts::SIGTERM, Arc::clone(&term))
            .expect("signal-hook registers");
        std::thread::spawn(move || loop {
            if term.load(Ordering::SeqCst) {
                on_exit_scenarios::log("signal-hook flag set");
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        });
    }
    body()
}
