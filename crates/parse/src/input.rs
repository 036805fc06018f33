//! Getting bytes: from a path or stdin, gunzipped when the content says gzip.

use std::io::{self, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::ParseError;

/// The two magic bytes that start every gzip member.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// True if `bytes` start like a gzip stream.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// The zstd frame magic number, little-endian.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// True if `bytes` start with the zstd magic number.
pub fn is_zstd(bytes: &[u8]) -> bool {
    bytes.starts_with(&ZSTD_MAGIC)
}

/// True if `bytes` are compressed in a form profview unpacks (gzip, zstd).
pub fn is_compressed(bytes: &[u8]) -> bool {
    is_gzip(bytes) || is_zstd(bytes)
}

/// The name used for stdin in messages and metadata.
pub const STDIN_NAME: &str = "-";

/// Read a whole input: `-` means stdin.
pub fn read_input(path: &Path) -> Result<Vec<u8>, ParseError> {
    let name = path.display().to_string();
    let result = if name == STDIN_NAME {
        let mut buf = Vec::new();
        io::stdin().lock().read_to_end(&mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    };
    result.map_err(|source| ParseError::Io { name, source })
}

/// The most a gzipped input may decompress to in memory: a few kilobytes of hostile gzip can
/// claim gigabytes (deflate reaches 1000:1). A larger profile can still be read unpacked, and
/// perf.data files on disk are streamed.
const MAX_GUNZIPPED: u64 = 4 << 30;

/// Decompress `bytes` if they are gzip or zstd, else return them as they are.
pub fn gunzip_if_needed(name: &str, bytes: Vec<u8>) -> Result<Vec<u8>, ParseError> {
    gunzip_at_most(name, bytes, MAX_GUNZIPPED)
}

/// A reader of the unpacked content of `bytes` if they are gzip or zstd, else `None`.
pub fn decompressor<'a>(
    name: &str,
    bytes: &'a [u8],
) -> Result<Option<Box<dyn Read + 'a>>, ParseError> {
    if is_gzip(bytes) {
        return Ok(Some(Box::new(MultiGzDecoder::new(bytes))));
    }
    if !is_zstd(bytes) {
        return Ok(None);
    }
    // heaptrack writes .zst by default, and perf.data is often kept compressed.
    let decoder = ruzstd::decoding::StreamingDecoder::new(bytes).map_err(|e| ParseError::Gzip {
        name: name.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
    })?;
    Ok(Some(Box::new(decoder)))
}

fn gunzip_at_most(name: &str, bytes: Vec<u8>, limit: u64) -> Result<Vec<u8>, ParseError> {
    let error = |source| ParseError::Gzip {
        name: name.to_owned(),
        source,
    };
    let Some(decoder) = decompressor(name, &bytes)? else {
        return Ok(bytes);
    };
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4));
    // One byte over the limit tells a file at the limit from a larger one.
    decoder
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(error)?;
    if out.len() as u64 > limit {
        return Err(ParseError::Gzip {
            name: name.to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "it decompresses to more than {limit} bytes (gunzip it and open the result)"
                ),
            ),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_gzip_bomb_is_refused_at_the_limit() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![0u8; 1 << 20]).unwrap();
        let bomb = gz.finish().unwrap();
        assert!(bomb.len() < 4096, "{} bytes", bomb.len());
        let err = gunzip_at_most("bomb.gz", bomb.clone(), 1000).unwrap_err();
        assert!(err.to_string().contains("bomb.gz"), "{err}");
        assert_eq!(
            gunzip_at_most("ok.gz", bomb, 1 << 20).unwrap().len(),
            1 << 20
        );
    }
}
