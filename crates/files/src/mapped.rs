//! Memory-mapped files: binaries and debug files are read in place, not copied.

use std::fs::File;
use std::io;
use std::path::Path;

use memmap2::Mmap;

/// Map `path` read-only.
pub fn map_file(path: &Path) -> io::Result<Mmap> {
    let file = File::open(path)?;
    // SAFETY: the mapping is read-only and private to this process. If another process
    // truncates the file while it is mapped, reads past the new end fault; profview accepts
    // that risk, as every mmap-based tool (perf, addr2line, samply) does, for the speed of not
    // copying multi-megabyte debug files.
    #[allow(unsafe_code)]
    unsafe {
        Mmap::map(&file)
    }
}
