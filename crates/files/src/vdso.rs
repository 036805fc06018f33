//! The running process's vDSO, as a file: the kernel maps the same image into every process,
//! so when a recording's vDSO has this kernel's build-id, ours names its functions
//! (`__vdso_clock_gettime`), as samply does.

use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::OnceLock;

/// A file holding this process's vDSO image, written once per build-id into the temporary
/// directory; `None` if it cannot be read or written.
pub fn running_vdso_copy() -> Option<PathBuf> {
    static COPY: OnceLock<Option<PathBuf>> = OnceLock::new();
    COPY.get_or_init(|| {
        let image = read_running_vdso()?;
        let file = object::read::File::parse(&image[..]).ok()?;
        let id = object::Object::build_id(&file).ok().flatten()?;
        let path = std::env::temp_dir().join(format!("profview-vdso-{}", crate::hex::hex(id)));
        if !path.is_file() {
            // Written aside and renamed, so a concurrent profview never maps half a file.
            let partial = path.with_extension(format!("{}.partial", std::process::id()));
            std::fs::write(&partial, &image).ok()?;
            std::fs::rename(&partial, &path).ok()?;
        }
        Some(path)
    })
    .clone()
}

/// The bytes of the `[vdso]` mapping of this process, through `/proc/self/mem`.
fn read_running_vdso() -> Option<Vec<u8>> {
    let mut maps = String::new();
    std::fs::File::open("/proc/self/maps")
        .ok()?
        .read_to_string(&mut maps)
        .ok()?;
    let line = maps.lines().find(|l| l.ends_with("[vdso]"))?;
    let range = line.split_whitespace().next()?;
    let (start, end) = range.split_once('-')?;
    let start = u64::from_str_radix(start, 16).ok()?;
    let end = u64::from_str_radix(end, 16).ok()?;
    let len = usize::try_from(end.checked_sub(start)?).ok()?;
    // A vDSO is a few pages; anything large is not one.
    if len > 1 << 20 {
        return None;
    }
    let mut image = vec![0; len];
    std::fs::File::open("/proc/self/mem")
        .ok()?
        .read_exact_at(&mut image, start)
        .ok()?;
    Some(image)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_running_vdso_is_an_elf_image_with_clock_gettime() {
        let Some(path) = super::running_vdso_copy() else {
            panic!("this process has a vDSO on Linux x86_64");
        };
        let data = std::fs::read(path).unwrap();
        let file = object::read::File::parse(&data[..]).unwrap();
        let names: Vec<String> = object::Object::dynamic_symbols(&file)
            .filter_map(|s| object::ObjectSymbol::name(&s).ok().map(str::to_owned))
            .collect();
        assert!(
            names.iter().any(|n| n.contains("clock_gettime")),
            "{names:?}"
        );
    }
}
