// The body is checked against `main`'s declared return type: the mistake is in the body.
fn cleanup() {}

#[on_exit::on_exit(cleanup)]
fn main() -> Result<(), String> {
    Ok(1)
}
