//! Where there are no descriptors to pass (Windows, wasm32), an armed path is its string: the
//! guardian removes what it names when the program has ended.

use std::io;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

/// An armed path.
pub(crate) struct Entry(PathBuf);

/// Nothing travels beside a frame here.
pub(crate) type Descriptor<'a> = PhantomData<&'a ()>;

impl Entry {
    #[allow(clippy::unnecessary_wraps)] // the signature of the Unix one, which opens its parent
    pub(crate) fn open(path: &Path) -> io::Result<Entry> {
        Ok(Entry(path.to_path_buf()))
    }

    /// The entry the guardian received as `path`.
    pub(crate) fn adopt(path: &Path) -> Entry {
        Entry(path.to_path_buf())
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    #[allow(clippy::unused_self)]
    pub(crate) fn descriptor(&self) -> Option<Descriptor<'_>> {
        None
    }
}
