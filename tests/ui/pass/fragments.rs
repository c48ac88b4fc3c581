// A handler, options and parts of `main` that reach the attribute through `macro_rules!`
// fragments, which come wrapped in invisible groups.
fn cleanup() {}

macro_rules! program {
    ($handler:expr, $timeout:literal, $option:meta, $krate:path, $vis:vis, $ret:ty, $body:block) => {
        #[on_exit::on_exit($handler, timeout = $timeout, $option, crate = $krate)]
        $vis fn main() -> $ret $body
    };
}

program!(cleanup, "5s", graceful, on_exit, pub, Result<(), String>, { Ok(()) });
