fn cleanup() {}

mod all {
    #[on_exit::on_exit(super::cleanup, signals(interrupt, terminate, hangup, quit, ctrl_break, close, logoff, shutdown), timeout = "500ms",)]
    pub fn main() {}
}

mod seconds {
    #[on_exit::on_exit(super::cleanup, timeout = "5s", signals(terminate))]
    pub fn main() {}
}

mod minutes {
    #[on_exit::on_exit(super::cleanup, timeout = "2m")]
    pub fn main() {}
}

mod graceful {
    #[on_exit::on_exit(super::cleanup, graceful, timeout = "10s")]
    pub fn main() {}
}

mod none {
    #[on_exit::on_exit(super::cleanup, signals())]
    pub fn main() {}
}

fn main() {
    all::main();
    seconds::main();
    minutes::main();
    graceful::main();
    none::main();
}
