//! The guardian's descriptor limit.

use std::ptr;

/// Raises the soft limit on descriptors to the hard one: the guardian holds a pidfd for each
/// armed child, and the program may have raised its own limit after starting it (systemd's
/// default soft limit is 1024, its hard one far higher).
pub(crate) fn raise_descriptor_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read or fill one valid rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, ptr::addr_of_mut!(limit)) == 0
            && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, ptr::addr_of!(limit));
        }
    }
}
