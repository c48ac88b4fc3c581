fn cleanup(code: i32) {
    let _ = code;
}

#[on_exit::on_exit(cleanup)]
fn main() {}
