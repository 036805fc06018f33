//! The code behind the Lines view: source text and instructions come from a [`CodeSource`]
//! the program running the browser provides (the browser itself reads no files), and are
//! kept here once asked for.

use std::collections::HashMap;

use profview_analyze::{Annotation, InstructionWeight};
use profview_model::Profile;

/// Where the browser gets a function's source files and instructions.
///
/// The browser does no I/O of its own: `profview` implements this with the symbolizer (the
/// program file, found by path, build-id or symbol path) and `--source-path` remapping.
/// Errors are sentences shown in the view, never failures of the browser.
pub trait CodeSource: std::fmt::Debug {
    /// The lines of source file `file`, as the debug info names it.
    fn source(&self, file: &str) -> Result<Vec<String>, String>;
    /// The instructions of the function `annotation` describes, with their shares.
    fn instructions(
        &self,
        profile: &Profile,
        annotation: &Annotation,
    ) -> Result<Vec<InstructionWeight>, String>;
}

/// A row of the assembly listing: a source line before the instructions compiled from it,
/// or an instruction (an index into the instructions).
#[derive(Debug, Clone, PartialEq)]
pub enum AsmRow {
    /// A source line.
    Source {
        /// The file, as debug info names it.
        file: String,
        /// The line.
        line: u32,
    },
    /// An instruction, by its index.
    Instruction(usize),
}

/// What the Lines view has fetched: source files by name, the instructions of the function
/// shown, and which of the two it shows.
#[derive(Debug, Default)]
pub struct CodeCache {
    /// Source files by the name debug info gives, or why they are not shown.
    pub sources: HashMap<String, Result<Vec<String>, String>>,
    /// The function's instructions once asked for, or why they are not shown.
    pub instructions: Option<Result<Vec<InstructionWeight>, String>>,
    /// The assembly listing's rows.
    pub rows: Vec<AsmRow>,
    /// Instruction rows (indices into `rows`) from the hottest down.
    pub hottest: Vec<usize>,
    /// The Lines view shows the instructions rather than the lines.
    pub assembly: bool,
}

impl CodeCache {
    /// Fetch `file` unless it was fetched before.
    pub fn fetch_source(&mut self, code: Option<&dyn CodeSource>, file: &str) {
        if self.sources.contains_key(file) {
            return;
        }
        let text = match code {
            Some(code) => code.source(file),
            None => Err("the browser was opened without access to source files".to_owned()),
        };
        self.sources.insert(file.to_owned(), text);
    }

    /// Line `line` (1-based) of `file`, when fetched and there.
    pub fn source_line(&self, file: &str, line: u32) -> Option<&str> {
        let lines = self.sources.get(file)?.as_ref().ok()?;
        lines
            .get((line as usize).checked_sub(1)?)
            .map(String::as_str)
    }

    /// Fetch the instructions of `annotation`'s function and their source lines, and lay
    /// out the listing: each source line before the instructions compiled from it.
    pub fn fetch_instructions(
        &mut self,
        code: Option<&dyn CodeSource>,
        profile: &Profile,
        annotation: &Annotation,
    ) {
        let fetched = match code {
            Some(code) => code.instructions(profile, annotation),
            None => Err("the browser was opened without access to program files".to_owned()),
        };
        self.rows.clear();
        self.hottest.clear();
        if let Ok(instructions) = &fetched {
            let mut last: Option<&(String, u32)> = None;
            for (i, ins) in instructions.iter().enumerate() {
                if let Some(src) = &ins.source {
                    if last != Some(src) {
                        self.rows.push(AsmRow::Source {
                            file: src.0.clone(),
                            line: src.1,
                        });
                        last = Some(src);
                    }
                }
                self.rows.push(AsmRow::Instruction(i));
            }
            let mut hot: Vec<(usize, f64)> = self
                .rows
                .iter()
                .enumerate()
                .filter_map(|(r, row)| match row {
                    AsmRow::Instruction(i) => Some((r, instructions[*i].self_percent)),
                    AsmRow::Source { .. } => None,
                })
                .filter(|(_, share)| *share > 0.0)
                .collect();
            hot.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            self.hottest = hot.into_iter().map(|(r, _)| r).collect();
            let files: Vec<String> = self
                .rows
                .iter()
                .filter_map(|r| match r {
                    AsmRow::Source { file, .. } => Some(file.clone()),
                    AsmRow::Instruction(_) => None,
                })
                .collect();
            for file in files {
                self.fetch_source(code, &file);
            }
        }
        self.instructions = Some(fetched);
    }

    /// The instruction row after `row` in hotness order (the hottest after the last, and
    /// after a row that is not hot).
    pub fn next_hottest(&self, row: usize) -> Option<usize> {
        let at = self.hottest.iter().position(|&r| r == row);
        let next = at.map_or(0, |i| (i + 1) % self.hottest.len());
        self.hottest.get(next).copied()
    }
}
