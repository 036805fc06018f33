//! Names made to fit a column.

/// `name` in at most `width` characters, `…` marking what was left out. What goes first is
/// what says least: a C++ parameter list, then the leading module path (`alloc::raw_vec::`),
/// then template / generic arguments, innermost first. The function or method name at the
/// end is what matters, so a cut never takes it while anything else is left.
pub fn shorten(name: &str, width: usize) -> String {
    if name.chars().count() <= width {
        return name.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut text = elide_groups(name, '(', ')', usize::MAX);
    loop {
        if text.chars().count() <= width {
            return text;
        }
        if let Some(cut) = cut_at_path(&text, width) {
            return cut;
        }
        let Some(depth) = deepest_group(&text, '<', '>') else {
            break;
        };
        let elided = elide_groups(&text, '<', '>', depth);
        if elided == text {
            break;
        }
        text = elided;
    }
    cut_start(&text, width)
}

/// `text` with the contents of every `open`…`close` group at `depth` (1 = outermost) or
/// deeper replaced by `…` (`f(int, char)` -> `f(…)`); groups already `…` stay.
fn elide_groups(text: &str, open: char, close: char, depth: usize) -> String {
    let mut out = String::with_capacity(text.len());
    let mut level = 0usize;
    for c in text.chars() {
        if c == close && level > 0 {
            level -= 1;
            if level + 1 == depth || (depth == usize::MAX && level == 0) {
                out.push('…');
            }
        }
        let hidden = if depth == usize::MAX {
            level >= 1
        } else {
            level >= depth
        };
        if !hidden {
            out.push(c);
        }
        if c == open {
            level += 1;
        }
    }
    out
}

/// The nesting depth of the innermost `open`…`close` group whose contents are more than `…`.
fn deepest_group(text: &str, open: char, close: char) -> Option<usize> {
    // Characters inside each open group, nested groups counted as their parent's content.
    let mut content: Vec<usize> = Vec::new();
    let mut deepest = None;
    for c in text.chars() {
        if c == open {
            if let Some(outer) = content.last_mut() {
                *outer += 2;
            }
            content.push(0);
        } else if c == close && !content.is_empty() {
            if content.pop().is_some_and(|n| n > 1) {
                deepest = deepest.max(Some(content.len() + 1));
            }
        } else if let Some(inner) = content.last_mut() {
            *inner += 1;
        }
    }
    deepest
}

/// The end of `text` in `width` characters, cut after a `::` outside any brackets, when that
/// keeps at least half of the room.
fn cut_at_path(text: &str, width: usize) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let keep = width.checked_sub(1)?;
    let mut level = 0i32;
    for i in 0..chars.len() {
        match chars[i] {
            '<' | '(' => level += 1,
            '>' | ')' => level -= 1,
            ':' if level == 0 && i > 0 && chars[i - 1] == ':' => {
                let rest = chars.len() - (i + 1);
                if rest <= keep && rest * 2 >= keep {
                    return Some(format!("…{}", chars[i + 1..].iter().collect::<String>()));
                }
            }
            _ => {}
        }
    }
    None
}

/// The last `width - 1` characters of `text` after a `…`.
fn cut_start(text: &str, width: usize) -> String {
    let len = text.chars().count();
    let keep = width - 1;
    let tail: String = text.chars().skip(len.saturating_sub(keep)).collect();
    format!("…{tail}")
}

/// `text` in rows: the first at most `first` characters wide, the others at most `rest`,
/// broken between words (a word longer than a row is split).
pub fn wrap_words(text: &str, first: usize, rest: usize) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    let mut row = String::new();
    let mut room = first.max(1);
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = row.chars().count();
            let gap = usize::from(used > 0);
            if used + gap + word.len() <= room {
                if gap == 1 {
                    row.push(' ');
                }
                row.extend(word.iter());
                break;
            }
            if used > 0 {
                rows.push(std::mem::take(&mut row));
                room = rest.max(1);
                continue;
            }
            // A word wider than the row: as much as fits, the rest on the next.
            let tail = word.split_off(room);
            rows.push(word.into_iter().collect());
            room = rest.max(1);
            word = tail;
        }
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(row);
    }
    rows
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

    #[test]
    fn parameter_lists_and_template_arguments_go_before_the_method_name() {
        let name = "llvm::MemorySSAAnalysis::buildMemorySSA(llvm::Function&, llvm::AAResults&, llvm::DominatorTree&)";
        let short = shorten(name, 50);
        assert_eq!(short, "llvm::MemorySSAAnalysis::buildMemorySSA(…)");
        let short = shorten(name, 30);
        assert!(short.chars().count() <= 30, "{short}");
        assert!(short.contains("buildMemorySSA"), "{short}");
        let rust = "<alloc::vec::Vec<T,A> as core::ops::drop::Drop>::drop";
        let short = shorten(rust, 40);
        assert!(
            short.chars().count() <= 40 && short.ends_with("::drop"),
            "{short}"
        );
        let templated = "std::_Hashtable<std::string, std::pair<const std::string, int>, std::allocator<std::pair<const std::string, int>>>::_M_find_before_node";
        let short = shorten(templated, 60);
        assert!(short.chars().count() <= 60, "{short}");
        assert!(short.ends_with("::_M_find_before_node"), "{short}");
        assert!(short.starts_with("std::_Hashtable<"), "{short}");
    }

    #[test]
    fn words_wrap_to_the_room_of_each_row() {
        use super::wrap_words;
        assert_eq!(
            wrap_words("one two three four", 9, 5),
            ["one two", "three", "four"]
        );
        assert_eq!(wrap_words("abcdefghij", 4, 3), ["abcd", "efg", "hij"]);
        assert_eq!(wrap_words("", 4, 4), [""]);
    }
}
