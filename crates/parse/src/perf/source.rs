//! The input: a file read through memory-mapped windows, or bytes already in memory.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

/// The general reader's read size.
pub(super) const READ_BUFFER: usize = 1 << 18;

/// Random access to the whole input, for the header checks, the block reader and the repair
/// of damaged files.
pub(super) trait Source {
    fn len(&self) -> u64;
    fn read_at(&self, at: u64, buf: &mut [u8]) -> bool;
    fn read_all(&self) -> Option<Vec<u8>>;
    /// `len` bytes from `at`, without copying where the input allows.
    fn window(&self, at: u64, len: usize) -> Option<Window<'_>>;
}

/// Some bytes of the input: borrowed from input in memory, or a read-only memory map of part of
/// a file (unmapped when dropped, so only the windows in use count in the resident size).
pub(super) enum Window<'a> {
    Borrowed(&'a [u8]),
    Mapped { map: memmap2::Mmap, skip: usize },
}

impl std::ops::Deref for Window<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Window::Borrowed(bytes) => bytes,
            Window::Mapped { map, skip } => &map[*skip..],
        }
    }
}

impl Source for &[u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
    fn read_at(&self, at: u64, buf: &mut [u8]) -> bool {
        let Ok(at) = usize::try_from(at) else {
            return false;
        };
        match self.get(at..at.saturating_add(buf.len())) {
            Some(bytes) => {
                buf.copy_from_slice(bytes);
                true
            }
            None => false,
        }
    }
    fn read_all(&self) -> Option<Vec<u8>> {
        Some(self.to_vec())
    }
    fn window(&self, at: u64, len: usize) -> Option<Window<'_>> {
        let at = usize::try_from(at).ok()?;
        self.get(at..at.checked_add(len)?).map(Window::Borrowed)
    }
}

impl Source for &File {
    fn len(&self) -> u64 {
        self.metadata().map_or(0, |m| m.len())
    }
    fn read_at(&self, at: u64, buf: &mut [u8]) -> bool {
        std::os::unix::fs::FileExt::read_exact_at(*self, buf, at).is_ok()
    }
    fn read_all(&self) -> Option<Vec<u8>> {
        let mut all = Vec::new();
        let mut file = *self;
        file.seek(SeekFrom::Start(0)).ok()?;
        file.read_to_end(&mut all).ok()?;
        Some(all)
    }
    fn window(&self, at: u64, len: usize) -> Option<Window<'_>> {
        const PAGE: u64 = 4096;
        let start = at - at % PAGE;
        let skip = (at - start) as usize;
        if at.checked_add(len as u64)? > Source::len(self) {
            return None;
        }
        // SAFETY: the map is read-only and private to this reader. As with every reader of a
        // memory-mapped file (perf itself maps perf.data), a program truncating the file while
        // it is read could fault the process; perf.data files are not written once recorded.
        #[allow(unsafe_code)]
        let map = unsafe {
            memmap2::MmapOptions::new()
                .offset(start)
                .len(skip + len)
                .populate()
                .map(*self)
        }
        .ok()?;
        Some(Window::Mapped { map, skip })
    }
}
