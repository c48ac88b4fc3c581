//! Who the program was when it armed an item, and the guardian acting as that and no more.
//!
//! Each frame travels with the program's effective user and group as `SCM_CREDENTIALS`, which
//! the kernel checks when they are sent (a process can only claim ids it has, unless it holds
//! `CAP_SETUID`/`CAP_SETGID`), and carries [`Rights`]: the supplementary groups and effective
//! capabilities the program claims. The guardian believes those claims only as far as the
//! kernel shows them to be true of the sender ([`Identity::verified`]), and acts on the item
//! under that identity ([`Identity::act`]): its ids, groups and capabilities switched for the
//! work and back after it. (Linux only: elsewhere the guardian acts as itself,
//! `../as_itself.rs`.)

use super::super::Rights;

/// What the kernel says about a frame's sender (`SCM_CREDENTIALS`), as seen from the
/// guardian's namespaces: checked by the kernel when it was sent.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Sender {
    pub(crate) pid: libc::pid_t,
    pub(crate) uid: libc::uid_t,
    pub(crate) gid: libc::gid_t,
}

impl Sender {
    /// This process, as it asks the kernel to vouch for it: its effective ids, which are
    /// the ones its file operations and signals use.
    pub(crate) fn this_process() -> Sender {
        // SAFETY: getpid, geteuid and getegid have no preconditions and cannot fail.
        unsafe {
            Sender {
                pid: libc::getpid(),
                uid: libc::geteuid(),
                gid: libc::getegid(),
            }
        }
    }
}

/// The claim sent with each frame: this thread's supplementary groups and effective
/// capabilities, now.
pub(crate) fn current_rights() -> Rights {
    Rights {
        groups: groups(),
        capabilities: match capabilities() {
            Some(sets) => sets.effective(),
            None => 0,
        },
    }
}

/// The identity the guardian acts under for one item.
pub(crate) struct Identity {
    uid: libc::uid_t,
    gid: libc::gid_t,
    groups: Vec<libc::gid_t>,
    capabilities: u64,
}

impl Identity {
    /// The identity of `sender` (the kernel's word) with the groups and capabilities it
    /// claimed, each kept only if `/proc` shows the program to hold it as the frame is read
    /// (`alive` tells whether the program still runs, so that the number was still its own):
    /// a process without `CAP_SETGID` cannot add groups, and one cannot add capabilities to
    /// its permitted set but by `exec`, which closes the channel.
    ///
    /// - Groups that cannot be checked (the program is gone already) are not believed: then
    ///   the guardian acts with fewer rights than the program had, never more. A guardian
    ///   that cannot change its groups (it has not `CAP_SETGID`) started with the program's,
    ///   which the program could not have changed either: it keeps its own.
    /// - Capabilities count only for user 0: a program that is not root is acted for without
    ///   any. For user 0, those claimed and held; none if that cannot be checked.
    /// - Only the program itself is acted for: a frame from any other process (a child made
    ///   without `fork`'s handlers, which kept the channel, in a sandbox of its own) is
    ///   refused (`None`).
    pub(crate) fn verified(
        sender: Sender,
        claimed: &Rights,
        program: libc::pid_t,
        alive: impl FnOnce() -> bool,
    ) -> Option<Identity> {
        if sender.pid != program {
            return None;
        }
        let own = capabilities().unwrap_or_default();
        let may_set_groups = own.permitted() & (1 << CAP_SETGID) != 0;
        // Only what the guardian could grant needs a look (a guardian without `CAP_SETGID`,
        // acting for a user other than 0, keeps its groups and uses no capabilities).
        let look = may_set_groups || sender.uid == 0;
        let seen = if look && sender.pid == program {
            observed(sender.pid)
        } else {
            None
        };
        let seen = match seen {
            Some(seen) if alive() => Some(seen),
            _ => None,
        };
        let groups = match (&seen, may_set_groups) {
            (Some(seen), _) => intersection(&claimed.groups, &seen.groups),
            (None, true) => Vec::new(),
            (None, false) => groups(),
        };
        let held = match &seen {
            Some(seen) => seen.permitted,
            None => 0,
        };
        let capabilities = if sender.uid == 0 {
            claimed.capabilities & held
        } else {
            0
        };
        Some(Identity {
            uid: sender.uid,
            gid: sender.gid,
            groups,
            capabilities,
        })
    }

    /// Runs `work` as this identity: the effective (and real) user and group, the groups
    /// and the effective capabilities switched for it, then switched back. `None`, and
    /// `work` not run, if the guardian cannot become it (it never runs with more).
    pub(crate) fn act<R>(&self, work: impl FnOnce() -> R) -> Option<R> {
        let before = Saved::now()?;
        if self.is_already(&before) {
            return Some(work());
        }
        let switched = self.become_it(&before);
        let result = switched.then(work);
        before.restore();
        result
    }

    /// Whether the guardian already is this identity, or less.
    fn is_already(&self, now: &Saved) -> bool {
        now.uid == [self.uid; 2]
            && now.gid[1] == self.gid
            && same_groups(&now.groups, &self.groups)
            && now.capabilities.effective() & !self.capabilities == 0
    }

    fn become_it(&self, before: &Saved) -> bool {
        // Groups first, while the guardian may still change them.
        if !same_groups(&before.groups, &self.groups) && !set_groups(&self.groups) {
            return false;
        }
        // SAFETY: setresgid and setresuid take numbers (`KEEP`: unchanged). The guardian has
        // one thread, whose capabilities `capset` changes below. The saved ids stay the
        // guardian's, so that it can switch back.
        let switched = unsafe {
            libc::setresgid(KEEP, self.gid, KEEP) == 0
                && libc::setresuid(self.uid, self.uid, KEEP) == 0
        };
        if !switched {
            return false;
        }
        // Leaving user 0 cleared the effective capabilities; for user 0, keep only those
        // the program had.
        let Some(mut now) = capabilities() else {
            return false;
        };
        now.set_effective(now.effective() & self.capabilities);
        set_capabilities(&now)
            && match capabilities() {
                Some(now) => now.effective() & !self.capabilities == 0,
                None => false,
            }
    }
}

/// The guardian's identity before it switched.
struct Saved {
    uid: [libc::uid_t; 2],
    gid: [libc::gid_t; 2],
    groups: Vec<libc::gid_t>,
    capabilities: Capabilities,
}

impl Saved {
    fn now() -> Option<Saved> {
        let (mut uid, mut gid) = ([0; 3], [0; 3]);
        // SAFETY: getresuid and getresgid write three ids each into valid places.
        let read = unsafe {
            libc::getresuid(&mut uid[0], &mut uid[1], &mut uid[2]) == 0
                && libc::getresgid(&mut gid[0], &mut gid[1], &mut gid[2]) == 0
        };
        if !read {
            return None;
        }
        Some(Saved {
            uid: [uid[0], uid[1]],
            gid: [gid[0], gid[1]],
            groups: groups(),
            capabilities: capabilities()?,
        })
    }

    /// Switches back: the user first (which gives back the capabilities), then the
    /// capabilities, the group and the groups.
    fn restore(&self) {
        // SAFETY: as in `become_it`; the saved ids were never changed, so these are ids
        // the thread may take again.
        unsafe {
            libc::setresuid(self.uid[0], self.uid[1], KEEP);
        }
        set_capabilities(&self.capabilities);
        // SAFETY: as above.
        unsafe {
            libc::setresgid(self.gid[0], self.gid[1], KEEP);
        }
        if !same_groups(&groups(), &self.groups) {
            set_groups(&self.groups);
        }
    }
}

/// What `/proc/PID/status` shows of a process: its groups and permitted capabilities.
struct Observed {
    groups: Vec<libc::gid_t>,
    permitted: u64,
}

fn observed(pid: libc::pid_t) -> Option<Observed> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    // Groups are read as `u64`, as `CapPrm` is (one parser for both), then checked to fit.
    let mut groups = Vec::new();
    for group in &numbers(&status, "Groups:", 10)? {
        groups.push(libc::gid_t::try_from(*group).ok()?);
    }
    let [permitted] = numbers(&status, "CapPrm:", 16)?[..] else {
        return None;
    };
    Some(Observed { groups, permitted })
}

/// The numbers (in `radix`) on the first line of `status` that starts with `name`, after it.
/// `None` if there is no such line, or a word there is not such a number.
fn numbers(status: &str, name: &str, radix: u32) -> Option<Vec<u64>> {
    let bytes = status.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        let mut end = start;
        while end < bytes.len() && bytes[end] != b'\n' {
            end += 1;
        }
        if let Some(value) = status[start..end].strip_prefix(name) {
            return words(value, radix);
        }
        start = end + 1;
    }
    None
}

/// The words of `value` read as numbers in `radix`, or `None` if one is not. The words are
/// split at ASCII whitespace: the kernel writes tabs and spaces.
fn words(value: &str, radix: u32) -> Option<Vec<u64>> {
    let bytes = value.as_bytes();
    let mut numbers = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        if bytes[start].is_ascii_whitespace() {
            start += 1;
            continue;
        }
        let mut end = start;
        while end < bytes.len() && !bytes[end].is_ascii_whitespace() {
            end += 1;
        }
        numbers.push(u64::from_str_radix(&value[start..end], radix).ok()?);
        start = end;
    }
    Some(numbers)
}

/// The claimed groups that were seen, in the claimed order. The kernel keeps a process's
/// groups sorted and lists them so in `getgroups` and in `/proc`: a program that claims all
/// it holds sends the very list that is seen (one pass), and a sorted list is searched by
/// halves (a search of each group along the other would be quadratic: seconds for the 65,536
/// groups the kernel allows).
fn intersection(claimed: &[libc::gid_t], seen: &[libc::gid_t]) -> Vec<libc::gid_t> {
    if claimed == seen {
        return claimed.to_vec();
    }
    let sorted = is_sorted(seen);
    let mut both = Vec::new();
    for group in claimed {
        let found = if sorted {
            seen.binary_search(group).is_ok()
        } else {
            seen.contains(group)
        };
        if found {
            both.push(*group);
        }
    }
    both
}

/// Whether two lists hold the same groups, in any order and with any repeats. Lists from the
/// kernel come sorted (see [`intersection`]): those are compared in one pass; others by a
/// search of each group along the other list, which needs no sort in the build.
fn same_groups(a: &[libc::gid_t], b: &[libc::gid_t]) -> bool {
    if is_sorted(a) && is_sorted(b) {
        return same_sorted(a, b);
    }
    all_in(a, b) && all_in(b, a)
}

fn is_sorted(groups: &[libc::gid_t]) -> bool {
    for at in 1..groups.len() {
        if groups[at - 1] > groups[at] {
            return false;
        }
    }
    true
}

/// [`same_groups`] for two sorted lists: the same groups, each repeated any number of times.
fn same_sorted(a: &[libc::gid_t], b: &[libc::gid_t]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let group = a[i];
        if b[j] != group {
            return false;
        }
        while i < a.len() && a[i] == group {
            i += 1;
        }
        while j < b.len() && b[j] == group {
            j += 1;
        }
    }
    i == a.len() && j == b.len()
}

/// Whether every one of `groups` is in `list`.
fn all_in(groups: &[libc::gid_t], list: &[libc::gid_t]) -> bool {
    for group in groups {
        if !list.contains(group) {
            return false;
        }
    }
    true
}

/// This thread's supplementary groups.
fn groups() -> Vec<libc::gid_t> {
    loop {
        // SAFETY: with a size of 0, getgroups only counts.
        let count = unsafe { libc::getgroups(0, std::ptr::null_mut()) };
        let Ok(size) = usize::try_from(count) else {
            return Vec::new();
        };
        let mut groups = vec![0; size];
        // SAFETY: `groups` has room for `count` ids.
        let read = unsafe { libc::getgroups(count, groups.as_mut_ptr()) };
        if let Ok(read) = usize::try_from(read) {
            groups.truncate(read);
            return groups;
        }
        // The groups changed in between: count again.
    }
}

fn set_groups(groups: &[libc::gid_t]) -> bool {
    // SAFETY: setgroups reads `groups.len()` ids.
    unsafe { libc::setgroups(groups.len(), groups.as_ptr()) == 0 }
}

/// An id that `setresuid`/`setresgid` leave as it is.
const KEEP: u32 = u32::MAX;
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;
/// The capability to change one's groups (`linux/capability.h`).
const CAP_SETGID: u32 = 6;

#[repr(C)]
struct CapabilityHeader {
    version: u32,
    pid: libc::c_int,
}

/// A thread's capability sets, as `capget` gives them: two words of 32 bits each.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapabilityWord {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

#[derive(Clone, Copy, Default)]
struct Capabilities([CapabilityWord; 2]);

impl Capabilities {
    fn effective(&self) -> u64 {
        u64::from(self.0[0].effective) | u64::from(self.0[1].effective) << 32
    }
    fn permitted(&self) -> u64 {
        u64::from(self.0[0].permitted) | u64::from(self.0[1].permitted) << 32
    }
    #[allow(clippy::cast_possible_truncation)] // the two halves of a 64-bit mask
    fn set_effective(&mut self, mask: u64) {
        self.0[0].effective = mask as u32;
        self.0[1].effective = (mask >> 32) as u32;
    }
}

/// This thread's capability sets.
fn capabilities() -> Option<Capabilities> {
    let mut header = CapabilityHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut sets = Capabilities::default();
    // SAFETY: capget reads the header and writes two words (version 3) into `sets`.
    let read = unsafe {
        libc::syscall(
            libc::SYS_capget,
            std::ptr::addr_of_mut!(header),
            sets.0.as_mut_ptr(),
        )
    };
    if read == 0 {
        Some(sets)
    } else {
        None
    }
}

fn set_capabilities(sets: &Capabilities) -> bool {
    let mut header = CapabilityHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    // SAFETY: capset reads the header and two words (version 3); it changes this thread.
    unsafe {
        libc::syscall(
            libc::SYS_capset,
            std::ptr::addr_of_mut!(header),
            sets.0.as_ptr(),
        ) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::{intersection, same_groups};

    #[test]
    fn groups_are_compared_as_sets() {
        assert!(same_groups(&[4, 7, 9], &[4, 7, 9]));
        assert!(same_groups(&[9, 4, 7, 7], &[4, 7, 9]));
        assert!(same_groups(&[4, 4, 7, 9, 9], &[4, 7, 7, 9]));
        assert!(same_groups(&[], &[]));
        assert!(!same_groups(&[4, 7], &[4, 7, 9]));
        assert!(!same_groups(&[4, 7, 9], &[4, 7]));
        assert!(!same_groups(&[4, 7, 9], &[4, 7, 8]));
        assert!(!same_groups(&[4, 4], &[4, 5]));
        assert!(!same_groups(&[], &[4]));
        assert!(!same_groups(&[9, 4], &[4, 7]));
    }

    /// Two lists of the kernel's size, the last group apart, as the guardian meets them for
    /// each item once the program dropped a group: milliseconds, where a search of each group
    /// along the other list takes tens of seconds in a debug build.
    #[test]
    #[cfg_attr(miri, ignore)] // no unsafe code, and minutes there
    fn many_groups_in_the_kernel_s_order_are_compared_in_one_pass() {
        let all: Vec<libc::gid_t> = (0..65_536).collect();
        let fewer = &all[..all.len() - 1];
        assert!(!same_groups(&all, fewer));
        assert!(same_groups(fewer, fewer));
        assert_eq!(intersection(&all, fewer), fewer);
    }

    #[test]
    fn the_groups_believed_are_those_claimed_and_seen_in_the_claimed_order() {
        assert_eq!(intersection(&[4, 7, 9], &[4, 7, 9]), [4, 7, 9]);
        assert_eq!(intersection(&[9, 2, 4], &[4, 7, 9]), [9, 4]);
        assert_eq!(intersection(&[4, 7, 9], &[]), []);
        assert_eq!(intersection(&[], &[4]), []);
        assert_eq!(intersection(&[9, 2, 4, 4], &[9, 4, 7]), [9, 4, 4]);
    }
}
