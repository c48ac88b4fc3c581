// `impl Trait` as an array's element in the return type: the array's length stays (it was
// taken into the `impl` type, and a valid `main` had three errors).
fn cleanup() {}

#[on_exit::on_exit(cleanup)]
fn main() -> Result<(), [impl std::fmt::Debug; 2]> {
    if std::env::args().count() > 100 {
        return Err([1, 2]);
    }
    Ok(())
}
