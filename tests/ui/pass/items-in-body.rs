// The handler sees what `main`'s first statement sees: a function declared in the body.
#[on_exit::on_exit(cleanup)]
fn main() {
    fn cleanup() {
        println!("cleanup");
    }
    println!("main");
}
