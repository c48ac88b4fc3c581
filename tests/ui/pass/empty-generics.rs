// Empty generic parameters and an empty where clause: rustc accepts both on `main`.
mod plain {
    fn cleanup() {}

    #[on_exit::on_exit(cleanup)]
    pub fn main<>() {}
}

fn cleanup() {}

#[on_exit::on_exit(cleanup)]
fn main<>()
where
{
    let _ = plain::main;
}
