//! profview's readers. One module per input format; each turns bytes into a
//! [`profview_model::Profile`].
//!
//! [`read_path`] reads a file (or stdin for `-`), gunzips it when the bytes say gzip, detects
//! the format from the content (or takes the one given), and parses it.
//!
//! Readers never print: problems that leave the rest of the input usable are counted in the
//! profile's [`profview_model::Warnings`]; the others are a [`ParseError`] that names the input
//! and the place.

#![warn(missing_docs)]

pub mod dhat;
mod error;
pub mod firefox;
pub mod folded;
mod folded_write;
pub mod heaptrack;
mod input;
pub mod massif;
mod names;
pub mod perf;
pub mod pprof;
mod progress;

use std::path::Path;

use profview_model::Profile;

pub use error::{FeatureProblem, ParseError, PerfDataError};
pub use folded::FoldedProfiles;
pub use folded_write::{folded_lines, format_weight, write_folded};
pub use input::{gunzip_if_needed, is_compressed, is_gzip, is_zstd, read_input, STDIN_NAME};
pub use progress::{Progress, Stage};

/// The input formats profview knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum InputFormat {
    /// Detect from the content.
    #[default]
    Auto,
    /// Folded / collapsed stacks.
    Folded,
    /// Linux `perf.data`.
    PerfData,
    /// Firefox Profiler JSON (processed or Gecko), as samply writes it.
    Firefox,
    /// DHAT heap profile JSON (valgrind `--tool=dhat`, the `dhat` crate).
    Dhat,
    /// valgrind massif output.
    Massif,
    /// heaptrack data (interpreted, as `heaptrack` writes it).
    Heaptrack,
    /// pprof protobuf (Go, pprof-rs, jemalloc_pprof).
    Pprof,
}

/// How to read an input.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ReadOptions {
    /// Which format to expect. Default: detect from the content.
    pub format: InputFormat,
    /// Where to find binaries (for unwinding DWARF call graphs).
    pub symbol_paths: Option<std::sync::Arc<profview_files::SymbolPaths>>,
    /// Called as a large input is read.
    pub progress: Option<Progress>,
    /// Sum samples with the same thread, stack and weight kind as they are read
    /// ([`Profile::aggregate_samples`]).
    pub aggregate_samples: bool,
}

/// What an input turned out to hold.
// Made once per input and unpacked at once: boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Parsed {
    /// One profile.
    Single(Profile),
    /// Two profiles from one file (a differential folded file).
    Differential {
        /// The first side.
        before: Profile,
        /// The second side.
        after: Profile,
    },
}

/// Read the profile(s) in `path` (`-` for stdin).
///
/// perf.data files are streamed; other files are memory-mapped, not copied.
pub fn read_path(path: &Path, options: &ReadOptions) -> Result<Parsed, ParseError> {
    let name = path.display().to_string();
    if name == STDIN_NAME {
        return read_bytes(&name, read_input(path)?, options);
    }
    let io_error = |source| ParseError::Io {
        name: name.clone(),
        source,
    };
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(ParseError::NotAProfile {
                name,
                what: "a directory",
            })
        }
        // A pipe or device (`<(zcat x.folded)`, /dev/null) cannot be mapped: stream it.
        Ok(meta) if !meta.is_file() => return read_bytes(&name, read_input(path)?, options),
        Ok(_) => {}
        Err(source) => return Err(io_error(source)),
    }
    let perf_format = matches!(options.format, InputFormat::Auto | InputFormat::PerfData);
    if perf_format && is_perf_data_file(path) {
        let file = std::fs::File::open(path).map_err(io_error)?;
        return perf::read_perf_file(&name, &file, &perf_options(options)).map(Parsed::Single);
    }
    let mapped = profview_files::map_file(path).map_err(io_error)?;
    if is_compressed(&mapped) {
        return read_bytes(&name, mapped.to_vec(), options);
    }
    let heaptrack = match options.format {
        InputFormat::Auto => heaptrack::looks_like_heaptrack(&mapped),
        given => given == InputFormat::Heaptrack,
    };
    if heaptrack {
        // Read once from start to end: streamed, its pages are not kept as a mapping's are.
        drop(mapped);
        let file = std::fs::File::open(path).map_err(io_error)?;
        let stream = std::io::BufReader::with_capacity(1 << 16, file);
        return heaptrack::read_heaptrack(&name, stream).map(Parsed::Single);
    }
    parse_plain(&name, &mapped, options)
}

/// Whether `path` is a perf.data file (by its magic), without reading more than that.
pub fn is_perf_data_file(path: &Path) -> bool {
    let mut magic = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|f| std::os::unix::fs::FileExt::read_exact_at(&f, &mut magic, 0))
        .is_ok()
        && (&magic == PERF_MAGIC || &magic == PERF_MAGIC_SWAPPED)
}

fn perf_options(options: &ReadOptions) -> perf::PerfOptions {
    perf::PerfOptions {
        symbol_paths: options.symbol_paths.clone(),
        progress: options.progress.clone(),
        reader: perf::PerfReader::Auto,
        aggregate_samples: options.aggregate_samples,
        ..perf::PerfOptions::default()
    }
}

/// Read the profile(s) in `bytes`; `name` is used in messages and metadata.
pub fn read_bytes(name: &str, bytes: Vec<u8>, options: &ReadOptions) -> Result<Parsed, ParseError> {
    if let Some(profile) = stream_heaptrack(name, &bytes, options)? {
        return Ok(Parsed::Single(profile));
    }
    let bytes = gunzip_if_needed(name, bytes)?;
    parse_plain(name, &bytes, options)
}

/// A compressed heaptrack file, read as it is unpacked: it unpacks to gigabytes of events
/// that are read once, so they are never held. `None` if `bytes` are not one.
fn stream_heaptrack(
    name: &str,
    bytes: &[u8],
    options: &ReadOptions,
) -> Result<Option<Profile>, ParseError> {
    if !matches!(options.format, InputFormat::Auto | InputFormat::Heaptrack) {
        return Ok(None);
    }
    let Some(decoder) = input::decompressor(name, bytes)? else {
        return Ok(None);
    };
    let mut stream = std::io::BufReader::with_capacity(1 << 16, decoder);
    let head = std::io::BufRead::fill_buf(&mut stream).map_err(|source| ParseError::Gzip {
        name: name.to_owned(),
        source,
    })?;
    if options.format == InputFormat::Auto && !heaptrack::looks_like_heaptrack(head) {
        return Ok(None);
    }
    heaptrack::read_heaptrack(name, stream).map(Some)
}

/// Parse bytes that are not compressed.
fn parse_plain(name: &str, bytes: &[u8], options: &ReadOptions) -> Result<Parsed, ParseError> {
    let format = match options.format {
        InputFormat::Auto => detect_format(name, bytes)?,
        given => given,
    };
    let mut parsed = match format {
        InputFormat::Folded | InputFormat::Auto => {
            let text = String::from_utf8_lossy(bytes);
            match folded::parse_folded(name, &text)? {
                FoldedProfiles::Single(p) => Parsed::Single(p),
                FoldedProfiles::Differential { before, after } => {
                    Parsed::Differential { before, after }
                }
            }
        }
        InputFormat::PerfData => {
            Parsed::Single(perf::read_perf_data(name, bytes, &perf_options(options))?)
        }
        InputFormat::Firefox => Parsed::Single(firefox::parse_firefox(name, bytes)?),
        InputFormat::Dhat => Parsed::Single(dhat::parse_dhat(name, bytes)?),
        InputFormat::Heaptrack => Parsed::Single(heaptrack::read_heaptrack(name, bytes)?),
        InputFormat::Pprof => Parsed::Single(pprof::parse_pprof(name, bytes)?),
        InputFormat::Massif => {
            Parsed::Single(massif::parse_massif(name, &String::from_utf8_lossy(bytes))?)
        }
    };
    // These formats are in memory whole anyway: summing afterwards costs nothing extra.
    if options.aggregate_samples {
        match &mut parsed {
            Parsed::Single(p) => p.aggregate_samples(),
            Parsed::Differential { before, after } => {
                before.aggregate_samples();
                after.aggregate_samples();
            }
        }
    }
    Ok(parsed)
}

/// What binary data that no reader takes is, for the error message; `None` for text.
fn binary_kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x7fELF") {
        return Some("an ELF file (a program or library; record it with `perf record`)");
    }
    let head = &bytes[..bytes.len().min(4096)];
    head.contains(&0)
        .then_some("binary data in no format profview reads")
}

/// The perf.data magic, in the byte order of the machine that wrote it.
const PERF_MAGIC: &[u8; 8] = b"PERFILE2";
const PERF_MAGIC_SWAPPED: &[u8; 8] = b"2ELIFREP";

/// Detect the format of (already decompressed) `bytes`.
pub fn detect_format(name: &str, bytes: &[u8]) -> Result<InputFormat, ParseError> {
    if bytes.starts_with(PERF_MAGIC) || bytes.starts_with(PERF_MAGIC_SWAPPED) {
        return Ok(InputFormat::PerfData);
    }
    // Protobuf has no magic number: pprof is told by decoding it (its first byte is a
    // newline in ASCII, so before the text formats).
    if pprof::looks_like_pprof(bytes) {
        return Ok(InputFormat::Pprof);
    }
    let text_start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = text_start else {
        return Err(ParseError::Empty {
            name: name.to_owned(),
        });
    };
    if bytes[start] == b'{' {
        if dhat::looks_like_dhat(&bytes[start..]) {
            return Ok(InputFormat::Dhat);
        }
        return Ok(InputFormat::Firefox);
    }
    if massif::looks_like_massif(&bytes[start..]) {
        return Ok(InputFormat::Massif);
    }
    if heaptrack::looks_like_heaptrack(&bytes[start..]) {
        return Ok(InputFormat::Heaptrack);
    }
    if let Some(what) = binary_kind(bytes) {
        return Err(ParseError::NotAProfile {
            name: name.to_owned(),
            what,
        });
    }
    // Anything else is read as folded stacks, which reports the first bad line if it is not.
    Ok(InputFormat::Folded)
}
