//! Numbers and paths as bytes, without allocating or formatting machinery: this code is in
//! every program, and runs in signal handlers' neighbourhood and before `main`.

#[cfg(target_os = "linux")]
/// A path on the stack: 48 bytes and how many are written.
pub(crate) struct Path48(pub(crate) [u8; 48], pub(crate) usize);

#[cfg(target_os = "linux")]
impl std::fmt::Write for Path48 {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        let end = self.1 + text.len();
        let room = self.0.get_mut(self.1..end).ok_or(std::fmt::Error)?;
        room.copy_from_slice(text.as_bytes());
        self.1 = end;
        Ok(())
    }
}

/// The decimal number (maybe negative) at the start of `bytes`, and what follows it. By hand,
/// since this runs in every process: no formatting machinery.
pub(crate) fn number(bytes: &[u8]) -> Option<(i64, &[u8])> {
    let (negative, bytes) = match bytes.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    // One plain loop: the iterator version is vectorised into 2 KiB of code.
    let (mut value, mut digits) = (0_i64, 0);
    while let Some(digit) = bytes.get(digits).filter(|byte| byte.is_ascii_digit()) {
        value = value.wrapping_mul(10).wrapping_add(i64::from(digit - b'0'));
        digits += 1;
    }
    if digits == 0 || digits > 18 {
        return None;
    }
    Some((if negative { -value } else { value }, &bytes[digits..]))
}

/// The fields of a `/proc/PID/stat` line after the process's name ("pid (comm) state ppid
/// ..."): the name may hold spaces and parentheses, so they start after the last `)`.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn stat_fields(stat: &[u8]) -> Option<&[u8]> {
    let mut from = stat.len();
    while from > 0 && stat[from - 1] != b')' {
        from -= 1;
    }
    if from == 0 {
        return None;
    }
    Some(&stat[from..])
}

/// Word `n` (from 0) of `line`, whose words are separated by ASCII whitespace (all the kernel
/// writes in `/proc`); empty if there are not that many.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn word(line: &[u8], n: usize) -> &[u8] {
    let (mut at, mut index) = (0, 0);
    loop {
        while at < line.len() && line[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while at < line.len() && !line[at].is_ascii_whitespace() {
            at += 1;
        }
        if start == at {
            return &[];
        }
        if index == n {
            return &line[start..at];
        }
        index += 1;
    }
}
