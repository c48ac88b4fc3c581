//! Windows: the console's input and output modes (`GetConsoleMode`), through the standard
//! handles. The reset bytes are written only if the output console interprets them (virtual
//! terminal processing on), before the output mode is put back.

use std::io;

use windows_sys::Win32::System::Console::{
    GetConsoleMode, GetStdHandle, SetConsoleMode, WriteConsoleA,
    ENABLE_VIRTUAL_TERMINAL_PROCESSING, STD_INPUT_HANDLE, STD_OUTPUT_HANDLE,
};

use super::RESET;

/// The console's modes as the program found them: (handle, mode) for input and output. The
/// handles are kept as integers: they are the process's standard handles, never closed here.
pub(crate) struct Terminal {
    input: Option<(isize, u32)>,
    output: Option<(isize, u32)>,
}

fn mode_of(which: u32) -> Option<(isize, u32)> {
    // SAFETY: GetStdHandle takes a constant; GetConsoleMode writes one u32 and fails on a
    // handle that is not a console (a pipe, a file, none).
    unsafe {
        let handle = GetStdHandle(which);
        let mut mode = 0;
        (GetConsoleMode(handle, std::ptr::addr_of_mut!(mode)) != 0)
            .then_some((handle as isize, mode))
    }
}

/// The console's modes now; `None` if neither standard handle is a console.
#[allow(clippy::unnecessary_wraps)] // Unix's can fail
pub(crate) fn record() -> io::Result<Option<Terminal>> {
    let input = mode_of(STD_INPUT_HANDLE);
    let output = mode_of(STD_OUTPUT_HANDLE);
    Ok((input.is_some() || output.is_some()).then_some(Terminal { input, output }))
}

impl Terminal {
    /// Writes the reset bytes if the console reads them now, then puts both modes back.
    pub(crate) fn restore(&self) {
        if let Some((handle, recorded)) = self.output {
            let handle = handle as _;
            let mut now = 0;
            // SAFETY: a console handle of this process; GetConsoleMode writes one u32,
            // WriteConsoleA reads `RESET`, SetConsoleMode takes integers.
            unsafe {
                if GetConsoleMode(handle, std::ptr::addr_of_mut!(now)) != 0
                    && now & ENABLE_VIRTUAL_TERMINAL_PROCESSING != 0
                {
                    let mut written = 0;
                    #[allow(clippy::cast_possible_truncation)] // a few dozen bytes
                    WriteConsoleA(
                        handle,
                        RESET.as_ptr(),
                        RESET.len() as u32,
                        std::ptr::addr_of_mut!(written),
                        std::ptr::null(),
                    );
                }
                SetConsoleMode(handle, recorded);
            }
        }
        if let Some((handle, recorded)) = self.input {
            // SAFETY: a console handle of this process and an integer mode.
            unsafe { SetConsoleMode(handle as _, recorded) };
        }
    }
}

/// Nothing to keep quiet here: no `SIGTTOU` or `SIGPIPE`.
pub(crate) fn quiet_thread() {}
