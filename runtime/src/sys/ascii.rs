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
