//! One function's time by source line, the hottest first (inlined code with the line of the
//! function it came in at), above the source around the selected line; or (`a`) the
//! function's instructions with their shares and the source lines they came from.

use std::collections::HashMap;

use profview_analyze::{Annotation, InstructionWeight};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Row, Table};
use ratatui::Frame;

use super::{window, Theme};
use crate::code::{AsmRow, CodeCache};
use crate::shared::ListGeometry;
use crate::tabs::LinesTab;
use crate::text::shorten;

pub(crate) fn render(
    tab: &mut LinesTab,
    geometry: &mut ListGeometry,
    theme: Theme,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    if tab.annotation.is_none() {
        return;
    }
    if tab.code.assembly {
        render_assembly(tab, geometry, theme, frame, area);
        return;
    }
    // The lines table takes what it needs up to half the height; the source the rest.
    let wanted = tab.annotation.as_ref().map_or(0, |a| a.lines.len()) as u16 + 3;
    let [table, source] =
        Layout::vertical([Constraint::Max(wanted.max(5)), Constraint::Min(0)]).areas(area);
    let source = if source.height < 5 {
        None
    } else {
        Some(source)
    };
    let table = match source {
        Some(_) => table,
        None => area,
    };
    render_table(tab, geometry, theme, frame, table);
    if let Some(area) = source {
        render_source(tab, theme, frame, area);
    }
}

fn render_table(
    tab: &LinesTab,
    geometry: &mut ListGeometry,
    theme: Theme,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let Some(a) = &tab.annotation else {
        return;
    };
    let title = format!(
        " {}: its self time by line (Enter: the next hottest; a: its instructions) ",
        a.function
    );
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    let selected = tab.list.selected;
    let range = window(
        geometry,
        inner.y + 1,
        inner.height.saturating_sub(1),
        selected,
        a.lines.len(),
    );
    let width = usize::from(inner.width.saturating_sub(20));
    let rows = range.map(|i| {
        let l = &a.lines[i];
        let file = l.file.rsplit('/').next().unwrap_or(&l.file);
        let place = match (&l.inlined_from, l.call_site) {
            (Some(f), Some(at)) => format!("{file}:{}  ({f}, inlined at line {at})", l.line),
            (Some(f), None) => format!("{file}:{}  ({f}, inlined)", l.line),
            _ => format!("{file}:{}", l.line),
        };
        Row::new([
            format!("{:>7.2}%", l.self_percent),
            format!("{:>7.2}%", l.total_percent),
            shorten(&place, width),
        ])
        .style(theme.row(Default::default(), i == selected, false))
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Fill(1),
        ],
    )
    .header(Row::new(["   Self", "  Total", "Line"]).style(theme.header()))
    .block(block);
    frame.render_widget(table, area);
}

/// The file of the selected line around it, each line with its self and total share.
fn render_source(tab: &LinesTab, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    let Some(a) = &tab.annotation else {
        return;
    };
    let Some(row) = a.lines.get(tab.list.selected) else {
        return;
    };
    let block = Block::bordered().title(format!(" {} ", shorten(&row.file, 60)));
    let inner = block.inner(area);
    let text = match tab.code.sources.get(&row.file) {
        Some(Ok(text)) => text,
        Some(Err(why)) => {
            let note = format!("source not shown: {why}");
            frame.render_widget(Paragraph::new(note).style(theme.dim()).block(block), area);
            return;
        }
        None => return,
    };
    let heat = line_shares(a, &row.file);
    let height = usize::from(inner.height);
    let first = (row.line as usize)
        .saturating_sub(height / 2 + 1)
        .min(text.len().saturating_sub(height));
    // Code is cut at the right edge, never shortened like a name.
    let lines: Vec<Line> = text
        .iter()
        .enumerate()
        .skip(first)
        .take(height)
        .map(|(i, code)| {
            let number = i as u32 + 1;
            let (own, total) = heat.get(&number).copied().unwrap_or((0.0, 0.0));
            let cell = |p: f64| {
                if p > 0.0 {
                    format!("{p:6.2}%")
                } else {
                    String::new()
                }
            };
            let text = format!(
                "{number:>5} {:>7} {:>7}  {}",
                cell(own),
                cell(total),
                code.replace('\t', "    ")
            );
            let style = if number == row.line {
                theme.selected()
            } else if total > 0.0 {
                Style::new()
            } else {
                theme.dim()
            };
            Line::styled(text, style)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Self and total share by line of `file`: its own lines, and in the function's own files the
/// code inlined at a line counted at that line too.
fn line_shares(a: &Annotation, file: &str) -> HashMap<u32, (f64, f64)> {
    let own_file = a
        .lines
        .iter()
        .any(|l| l.inlined_from.is_none() && l.file == file);
    let mut heat: HashMap<u32, (f64, f64)> = HashMap::new();
    for l in &a.lines {
        if l.file == file {
            let e = heat.entry(l.line).or_default();
            e.0 += l.self_percent;
            e.1 += l.total_percent;
        }
        if let (true, Some(_), Some(at)) = (own_file, &l.inlined_from, l.call_site) {
            let e = heat.entry(at).or_default();
            e.0 += l.self_percent;
            e.1 += l.self_percent;
        }
    }
    heat
}

fn render_assembly(
    tab: &LinesTab,
    geometry: &mut ListGeometry,
    theme: Theme,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let Some(a) = &tab.annotation else {
        return;
    };
    let title = format!(
        " {}: its instructions (Enter: the next hottest; a: its lines) ",
        a.function
    );
    let block = Block::bordered().title(title);
    let instructions = match &tab.code.instructions {
        Some(Ok(i)) => i,
        Some(Err(why)) => {
            let note = format!("instructions not shown: {why}");
            frame.render_widget(Paragraph::new(note).style(theme.dim()).block(block), area);
            return;
        }
        None => return,
    };
    let inner = block.inner(area);
    let selected = tab.asm_list.selected;
    let code = &tab.code;
    let range = window(
        geometry,
        inner.y + 1,
        inner.height.saturating_sub(1),
        selected,
        code.rows.len(),
    );
    let targets: std::collections::HashSet<u64> =
        instructions.iter().filter_map(|i| i.jump_target).collect();
    let rows = range.map(|r| {
        let (cells, base) = asm_cells(code, instructions, &code.rows[r], &targets, theme);
        Row::new(cells).style(theme.row(base, r == selected, false))
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(8),
            Constraint::Length(9),
            Constraint::Fill(1),
        ],
    )
    .header(Row::new([" Percent", "  Address", "Instruction"]).style(theme.header()))
    .block(block);
    frame.render_widget(table, area);
}

/// The cells of one row of the listing and its style.
fn asm_cells(
    code: &CodeCache,
    instructions: &[InstructionWeight],
    row: &AsmRow,
    targets: &std::collections::HashSet<u64>,
    theme: Theme,
) -> ([String; 3], Style) {
    match row {
        AsmRow::Source { file, line } => {
            let short = file.rsplit('/').next().unwrap_or(file);
            let text = code.source_line(file, *line).unwrap_or("").trim();
            let cells = [
                String::new(),
                String::new(),
                format!("{short}:{line}  {text}"),
            ];
            (cells, theme.dim())
        }
        AsmRow::Instruction(i) => {
            let ins = &instructions[*i];
            let percent = if ins.self_percent > 0.0 {
                format!("{:>7.2}%", ins.self_percent)
            } else {
                String::new()
            };
            let mark = if targets.contains(&ins.address) {
                '→'
            } else {
                ' '
            };
            let cells = [
                percent,
                format!("{mark}{:>8x}", ins.address),
                format!("  {}", ins.text),
            ];
            (cells, Style::new())
        }
    }
}
