//! Names made to fit a column.

/// `name` in at most `width` characters. A long name loses its beginning, not its end: in
/// `alloc::raw_vec::RawVec<T,A>::grow_one` the function is what matters, so the cut falls
/// after a `::` when one leaves enough of the end, and `…` marks it.
pub fn shorten(name: &str, width: usize) -> String {
    let len = name.chars().count();
    if len <= width {
        return name.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let keep = width - 1;
    let tail: String = name.chars().skip(len - keep).collect();
    // Start the tail at a path separator when that keeps at least half of the room.
    let cut = tail
        .match_indices("::")
        .map(|(i, _)| i + 2)
        .find(|&i| tail[i..].chars().count() * 2 >= keep);
    match cut {
        Some(i) => format!("…{}", &tail[i..]),
        None => format!("…{tail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::shorten;

    #[test]
    fn short_names_are_kept() {
        assert_eq!(shorten("main", 10), "main");
        assert_eq!(shorten("main", 4), "main");
    }

    #[test]
    fn long_names_keep_their_end() {
        let name = "alloc::raw_vec::RawVec<T,A>::grow_one";
        let short = shorten(name, 24);
        assert!(short.chars().count() <= 24, "{short}");
        assert!(short.ends_with("RawVec<T,A>::grow_one"), "{short}");
        assert!(short.starts_with('…'));
        assert_eq!(shorten("abcdefghij", 5), "…ghij");
        assert_eq!(shorten("abc", 0), "");
    }
}
