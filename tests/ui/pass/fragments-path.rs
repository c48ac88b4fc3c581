// A handler as a `$path` fragment, a timeout as an `$expr`, signals as a `$meta`.
mod app {
    pub fn cleanup() {}
}

macro_rules! program {
    ($handler:path, $timeout:expr, $signals:meta) => {
        #[on_exit::on_exit($handler, timeout = $timeout, $signals)]
        fn main() {}
    };
}

program!(app::cleanup, "1s", signals(interrupt, terminate));
