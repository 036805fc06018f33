//! The CLI's wording of the libraries' hints: the libraries say what the user can supply
//! ([`Hint`]); here it becomes the flag that supplies it.

use profview::model::Hint;

/// How to supply `hint` on the command line (and in the browser, where it differs).
pub fn hint_text(hint: &Hint) -> String {
    match hint {
        Hint::Binary => {
            "pass --symbol-path DIR with the unstripped binary or its debug file".to_owned()
        }
        Hint::BuildIdCache => "pass the recording machine's ~/.debug as --symbol-path".to_owned(),
        Hint::Kallsyms => "pass --kallsyms FILE with a copy of /proc/kallsyms from the recording machine, same boot, read as root with kernel.kptr_restrict=0".to_owned(),
        Hint::TimeRange { start_s, end_s } => format!(
            "`--time {start_s:.3}..{end_s:.3}` on report, analyze or tree shows it alone; in the browser, drag across the Timeline view (7) or press f at both ends"
        ),
        _ => String::new(),
    }
}

/// `message`, then how to supply `hint` if there is one, in parentheses.
pub fn with_hint(message: &str, hint: Option<&Hint>) -> String {
    match hint.map(hint_text).filter(|h| !h.is_empty()) {
        Some(h) => format!("{message} ({h})"),
        None => message.to_owned(),
    }
}

/// What to pass instead, for errors of a request that a flag caused or can fix.
pub fn error_hint(err: &anyhow::Error) -> Option<&'static str> {
    use profview::analyze::diff::DiffError;
    if matches!(
        err.downcast_ref::<DiffError>(),
        Some(DiffError::UnitsDiffer { .. })
    ) {
        return Some("drop --absolute");
    }
    if matches!(
        err.downcast_ref::<profview::Error>(),
        Some(profview::Error::Differential { .. })
    ) {
        return Some("pass --side before or --side after");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hint_names_what_to_pass() {
        for (hint, flag) in [
            (Hint::Binary, "--symbol-path"),
            (Hint::BuildIdCache, "--symbol-path"),
            (Hint::Kallsyms, "--kallsyms"),
            (
                Hint::TimeRange {
                    start_s: 0.0,
                    end_s: 1.25,
                },
                "--time 0.000..1.250",
            ),
        ] {
            assert!(hint_text(&hint).contains(flag), "{hint:?}");
        }
        assert_eq!(with_hint("m", None), "m");
        assert!(with_hint("m", Some(&Hint::Kallsyms)).starts_with("m (pass --kallsyms"));
    }
}
