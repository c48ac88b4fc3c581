//! Installs the attribute and sleeps: the harness reads its CPU time while it waits.
#[on_exit::on_exit(|| {})]
fn main() {
    on_exit_bench::say("ready");
    std::thread::sleep(std::time::Duration::from_secs(3));
}
