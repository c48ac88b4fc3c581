use std::process::ExitCode;

fn cleanup() {}

mod unit {
    #[on_exit::on_exit(super::cleanup)]
    pub fn main() {}
}

mod result {
    #[on_exit::on_exit(super::cleanup)]
    pub fn main() -> Result<(), std::io::Error> {
        let _ = std::env::var("HOME");
        if std::env::args().count() > 99 {
            return Ok(()); // an early return
        }
        std::fs::metadata(".")?; // a `?`
        Ok(())
    }
}

mod boxed_error {
    #[on_exit::on_exit(super::cleanup)]
    pub fn main() -> Result<(), Box<dyn std::error::Error>> {
        Ok(())
    }
}

mod exit_code {
    #[on_exit::on_exit(super::cleanup)]
    pub fn main() -> super::ExitCode {
        super::ExitCode::from(42)
    }
}

mod termination {
    #[on_exit::on_exit(super::cleanup)]
    pub fn main() -> impl std::process::Termination {
        std::process::ExitCode::SUCCESS
    }
}

mod never {
    #[on_exit::on_exit(super::cleanup)]
    pub fn main() -> ! {
        std::process::exit(0)
    }
}

fn main() -> ExitCode {
    unit::main();
    let _ = result::main();
    let _ = boxed_error::main();
    let _ = termination::main();
    if std::env::args().count() > 99 {
        never::main();
    }
    let _ = exit_code::main();
    ExitCode::SUCCESS
}
