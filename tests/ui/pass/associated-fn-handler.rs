mod app {
    pub struct State;

    impl State {
        pub fn cleanup(_reason: on_exit::Reason) {}
    }
}

#[on_exit::on_exit(app::State::cleanup)]
fn main() {}
