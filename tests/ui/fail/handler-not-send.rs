use std::rc::Rc;

#[on_exit::on_exit({
    let shared = Rc::new(1);
    move || drop(shared)
})]
fn main() {}
