//! How the hook reaches the guardian's code without naming it, so that a program that never
//! calls `kill_on_exit` or `remove_on_exit` does not carry that code (about 60 KiB of it,
//! with what it needs of std).
//!
//! On Linux the guardian's entry is a static, [`ENTRY`], that only `start_guardian` names:
//! the linker keeps it (and the code it points to) exactly in the programs that can start a
//! guardian. The hook finds it by looking through the executable's own data, as the loader
//! mapped it, for its mark and its own address (an [`Entry`] points to itself, which no copy
//! of the mark elsewhere does). Nothing of it comes from the environment or any other input:
//! the address found is one the compiler wrote into this very file. Elsewhere the hook names
//! the entry directly, and every program carries the guardian.

use super::hook::Run;

/// The guardian's entry, as the hook finds it.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[repr(C)]
pub(super) struct Entry {
    mark: [u64; 2],
    this: &'static Entry,
    run: Run,
}

/// Sixteen random bytes: rare enough that the search stops at the entry, not elsewhere
/// (and the address beside them must be their own).
#[cfg(any(target_os = "linux", target_os = "android"))]
const MARK: [u64; 2] = [0x6f6e_2d65_7869_7447, 0x9c3a_51e2_d47b_08f6];

/// Named only by `start_guardian` (see the module's text).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) static ENTRY: Entry = Entry {
    mark: MARK,
    this: &ENTRY,
    run: super::bootstrap::become_guardian,
};

/// What a program that starts a guardian does so that the linker keeps [`ENTRY`].
pub(super) fn keep() {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    std::hint::black_box(&ENTRY);
}

/// The guardian's entry, or `None` in a program that never starts a guardian (and so was not
/// linked with it).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[allow(clippy::unnecessary_wraps)] // the signature of the Linux one
pub(super) fn find() -> Option<Run> {
    Some(super::bootstrap::become_guardian)
}

/// The guardian's entry, or `None` in a program that never starts a guardian (and so was not
/// linked with it).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) fn find() -> Option<Run> {
    use std::ffi::c_void;

    /// Looks through the first object only: the executable (which the loader lists first).
    unsafe extern "C" fn first(
        info: *mut libc::dl_phdr_info,
        _size: usize,
        found: *mut c_void,
    ) -> libc::c_int {
        // SAFETY: dl_iterate_phdr passes a valid dl_phdr_info, and `found` is the
        // `Option<Run>` below, alive for the whole call.
        unsafe {
            let info = &*info;
            let found = &mut *found.cast::<Option<Run>>();
            // The writable segments first: the entry holds relocated pointers, so it is in
            // the relocated data (`.data.rel.ro`), and the read-only data need not be read.
            for &writable in &[libc::PF_W, 0] {
                for index in 0..usize::from(info.dlpi_phnum) {
                    let header = &*info.dlpi_phdr.add(index);
                    let flags = header.p_flags & (libc::PF_R | libc::PF_W | libc::PF_X);
                    if header.p_type == libc::PT_LOAD && flags == libc::PF_R | writable {
                        #[allow(clippy::useless_conversion, clippy::cast_possible_truncation)]
                        let start = (info.dlpi_addr as usize).wrapping_add(header.p_vaddr as usize);
                        #[allow(clippy::useless_conversion, clippy::cast_possible_truncation)]
                        let size = header.p_memsz as usize;
                        *found = search(start, size);
                        if found.is_some() {
                            return 1;
                        }
                    }
                }
            }
        }
        1
    }
    let mut found: Option<Run> = None;
    // SAFETY: `first` has the signature dl_iterate_phdr expects and only reads the headers
    // and the mapped segments they describe.
    unsafe { libc::dl_iterate_phdr(Some(first), std::ptr::addr_of_mut!(found).cast()) };
    found
}

/// The entry in the mapped segment `[start, start + size)`, if it is there.
///
/// # Safety
///
/// The range is mapped and readable (a loaded segment of the executable).
#[cfg(any(target_os = "linux", target_os = "android"))]
unsafe fn search(start: usize, size: usize) -> Option<Run> {
    let align = std::mem::align_of::<Entry>();
    let first = start.checked_add(align - 1)? & !(align - 1);
    let end = start.checked_add(size)?;
    let mut at = first;
    while at.checked_add(std::mem::size_of::<Entry>())? <= end {
        let word = at as *const u64;
        // SAFETY: `at` is aligned and an Entry's size fits before `end`, inside the segment.
        unsafe {
            if *word == MARK[0] && *word.add(1) == MARK[1] {
                let this = std::ptr::read((at + std::mem::offset_of!(Entry, this)) as *const usize);
                if this == at {
                    // An Entry, at its own address: its `run` is become_guardian.
                    return Some((*(at as *const Entry)).run);
                }
            }
        }
        at += align;
    }
    None
}
