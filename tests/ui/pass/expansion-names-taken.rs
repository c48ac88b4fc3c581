// Unit structs named like the expansion's own names: it binds no local a struct could take.
#![allow(non_camel_case_types)]

struct __on_exit_guard;
struct __on_exit_result;
struct __on_exit_main;

fn cleanup() {}

#[on_exit::on_exit(cleanup)]
fn main() -> Result<(), String> {
    let _ = (__on_exit_guard, __on_exit_result, __on_exit_main);
    Ok(())
}
