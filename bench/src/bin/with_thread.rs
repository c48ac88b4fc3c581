//! A bare `main` that only starts one parked thread: the floor for any design that keeps a
//! thread waiting for signals (ctrlc and on-exit both do; the latency target requires it).
fn main() {
    std::thread::spawn(|| loop {
        std::thread::park();
    });
}
