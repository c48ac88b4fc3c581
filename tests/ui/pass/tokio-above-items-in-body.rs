// `#[tokio::main]` written above the attribute: tokio makes the body an async block in its
// own `main`, and the handler still sees the items declared in the body.
mod m {
    pub fn cleanup() {}
}

mod multi {
    #[tokio::main]
    #[on_exit::on_exit(inner)]
    pub async fn main() {
        fn inner() {
            println!("inner cleanup");
        }
    }
}

mod current {
    #[tokio::main(flavor = "current_thread")]
    #[on_exit::on_exit(c2)]
    pub async fn main() -> Result<(), String> {
        use crate::m::cleanup as c2;
        tokio::task::yield_now().await;
        Ok(())
    }
}

mod in_static {
    static ST: fn() = || println!("static cleanup");

    #[tokio::main]
    #[on_exit::on_exit(ST)]
    pub async fn main() {
        static ST: fn() = || println!("the body's own static cleanup");
    }
}

fn main() {
    // Each installs once, so only one of them runs in this program; all three compile.
    match std::env::args().count() {
        0 => multi::main(),
        1 => current::main().unwrap(),
        _ => in_static::main(),
    }
}
