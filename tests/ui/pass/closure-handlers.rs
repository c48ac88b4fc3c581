// Each closure form, each in its own module so that each has its own `main`.
mod plain {
    #[on_exit::on_exit(|| eprintln!("bye"))]
    pub fn main() {}
}

mod with_reason {
    #[on_exit::on_exit(|reason: on_exit::Reason| eprintln!("{reason}"))]
    pub fn main() {}
}

mod moving {
    #[on_exit::on_exit(move || drop(String::from("owned")))]
    pub fn main() {}
}

mod made_by_a_call {
    fn make(name: &'static str) -> impl FnOnce() + Send + 'static {
        move || eprintln!("{name}")
    }

    #[on_exit::on_exit(make("cleanup"))]
    pub fn main() {}
}

fn main() {
    plain::main();
    with_reason::main();
    moving::main();
    made_by_a_call::main();
}
