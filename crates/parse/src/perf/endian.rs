//! Numbers in the byte order of the machine that wrote the file.

/// The byte order of the machine that wrote the file.
#[derive(Clone, Copy)]
pub(super) struct Endian {
    /// Big-endian (`2ELIFREP`), not little-endian (`PERFILE2`).
    pub big: bool,
}

impl Endian {
    /// The byte order a file's magic says, `None` if it is not perf.data's magic.
    pub(super) fn of(magic: &[u8]) -> Option<Self> {
        match magic {
            b"PERFILE2" => Some(Self { big: false }),
            b"2ELIFREP" => Some(Self { big: true }),
            _ => None,
        }
    }

    pub(super) fn u64(self, bytes: &[u8], at: usize) -> Option<u64> {
        let b: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
        Some(if self.big {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }

    pub(super) fn u32(self, bytes: &[u8], at: usize) -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    pub(super) fn u16(self, bytes: &[u8], at: usize) -> Option<u16> {
        let b: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }
}
