//! The Timeline tab: each thread's weight over the run, a cursor, and a time range selected
//! with `f` at both ends or a mouse drag (it then filters every view).

use profview_analyze::{Timeline, Transform};
use profview_model::{Profile, WeightKindId};
use ratatui::layout::Rect;
use ratatui::Frame;

use super::{Context, Opening, Reply, TabView};
use crate::action::Action;
use crate::shared::ListGeometry;
use crate::ui::{self, Theme};

/// Buckets of the browser's timeline (drawn in as many columns as fit).
const TIMELINE_BUCKETS: usize = 200;

/// Where the timeline's chart was drawn: its first column and row, its size, and how many
/// buckets its columns show.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimelineGeometry {
    /// The chart's first screen column.
    pub left: u16,
    /// Its width.
    pub columns: u16,
    /// Its first screen row.
    pub top: u16,
    /// Its height (one row per thread).
    pub rows: u16,
    /// How many buckets its columns show.
    pub buckets: usize,
}

impl TimelineGeometry {
    /// The first bucket drawn in screen column `x`, when `x` is on the chart.
    pub fn bucket_at(&self, x: u16) -> Option<usize> {
        let column = x.checked_sub(self.left).filter(|c| *c < self.columns)?;
        // Bucket b is drawn in column b * columns / buckets: the first in column c is
        // ceil(c * buckets / columns).
        let (c, n) = (usize::from(column), usize::from(self.columns.max(1)));
        Some(
            (c * self.buckets)
                .div_ceil(n)
                .min(self.buckets.saturating_sub(1)),
        )
    }

    /// As [`Self::bucket_at`], a column left or right of the chart taken as its first or
    /// last (a drag may leave it).
    pub fn bucket_at_clamped(&self, x: u16) -> Option<usize> {
        if self.columns == 0 {
            return None;
        }
        let x = x.clamp(self.left, self.left + self.columns - 1);
        self.bucket_at(x)
    }
}

/// The run over time (when the samples have times), its cursor and the range being
/// selected, in buckets.
#[derive(Debug)]
pub struct TimelineTab {
    /// The run over time, for the weight shown.
    pub timeline: Option<Timeline>,
    /// The cursor, in buckets.
    pub cursor: usize,
    /// Where the range being selected starts, in buckets.
    pub mark: Option<usize>,
    /// Where a mouse drag on the chart started, while the button is held.
    drag: Option<usize>,
    /// Where the chart was drawn, for the mouse (set by the renderer).
    pub geometry: TimelineGeometry,
}

impl TimelineTab {
    /// The weight shown changed: the timeline is `kind`'s (the cursor stays, a range being
    /// selected is dropped).
    pub fn set_kind(&mut self, profile: &Profile, kind: WeightKindId) {
        self.timeline = Timeline::new(profile, kind, TIMELINE_BUCKETS);
        self.mark = None;
    }

    /// The mouse pressed on the chart: the cursor goes there, and a drag from there selects
    /// a range.
    fn press(&mut self, x: u16, y: u16) {
        let g = self.geometry;
        if !(g.top..g.top + g.rows).contains(&y) {
            return;
        }
        if let Some(bucket) = g.bucket_at(x) {
            self.cursor = bucket;
            self.drag = Some(bucket);
            self.mark = None;
        }
    }

    fn drag_to(&mut self, x: u16) {
        let Some(start) = self.drag else {
            return;
        };
        if let Some(bucket) = self.geometry.bucket_at_clamped(x) {
            self.cursor = bucket;
            // Drawn as the range being selected.
            self.mark = (bucket != start).then_some(start);
        }
    }

    /// The button released: after a drag, the range from where it was pressed to here is
    /// selected (as `f` at both ends); after a click, only the cursor moved.
    fn release(&mut self, x: u16) -> Reply {
        let Some(start) = self.drag.take() else {
            return Reply::Done;
        };
        let Some(end) = self.geometry.bucket_at_clamped(x) else {
            return Reply::Done;
        };
        self.cursor = end;
        if end == start {
            self.mark = None;
            return Reply::Done;
        }
        self.mark = Some(start);
        self.mark_time()
    }

    /// `f`: the first press marks where a range starts, the second where it ends, and every
    /// view then shows only that time (`u` undoes it).
    fn mark_time(&mut self) -> Reply {
        let Some(t) = &self.timeline else {
            return Reply::Done;
        };
        let Some(start) = self.mark.take() else {
            self.mark = Some(self.cursor);
            return Reply::Say("range start marked: move to its end and press f".to_owned());
        };
        let (first, last) = (start.min(self.cursor), start.max(self.cursor));
        let bucket_ns = t.bucket_s * 1e9;
        let at = |b: usize| t.start_ns + (b as f64 * bucket_ns) as u64;
        let (start_s, end_s) = (first as f64 * t.bucket_s, (last + 1) as f64 * t.bucket_s);
        Reply::Apply {
            transform: Transform::TimeRange {
                start: at(first),
                end: at(last + 1),
            },
            message: format!("only {start_s:.3} s to {end_s:.3} s (u to undo)"),
        }
    }
}

impl TabView for TimelineTab {
    fn open(start: &mut Opening<'_>) -> Self {
        Self {
            timeline: Timeline::new(start.profile, start.kind, TIMELINE_BUCKETS),
            cursor: 0,
            mark: None,
            drag: None,
            geometry: TimelineGeometry::default(),
        }
    }

    /// Only with sample times.
    fn shown(&self) -> bool {
        self.timeline.is_some()
    }

    /// ←/→ (and the page and end keys) move the cursor a bucket at a time.
    fn navigate(&mut self, action: Action, delta: isize, _: &Context<'_>) -> Reply {
        let Some(t) = &self.timeline else {
            return Reply::Done;
        };
        let buckets = t.threads.first().map_or(1, |th| th.buckets.len());
        let step = match action {
            Action::Collapse | Action::Left => -1,
            Action::Expand | Action::Right => 1,
            Action::PageUp => -10,
            Action::PageDown => 10,
            _ => delta,
        };
        let last = buckets.saturating_sub(1) as isize;
        self.cursor = (self.cursor as isize + step).clamp(0, last) as usize;
        Reply::Done
    }

    /// A press on the chart moves the cursor, a drag selects a range.
    fn mouse(&mut self, action: Action, _: &Context<'_>) -> Reply {
        match action {
            Action::Click { x, y } => self.press(x, y),
            Action::Drag { x, .. } => self.drag_to(x),
            Action::Release { x, .. } => return self.release(x),
            _ => {}
        }
        Reply::Done
    }

    /// The top function of the phase under the cursor.
    fn selected(&self, _: &Context<'_>) -> Option<String> {
        let t = self.timeline.as_ref()?;
        let at = (self.cursor as f64 + 0.5) * t.bucket_s;
        t.phases
            .iter()
            .find(|p| p.start_s <= at && at < p.end_s)
            .map(|p| p.top_function.clone())
    }

    /// `f` marks the ends of a time range rather than focusing on a function.
    fn key(&mut self, action: Action, _: &Context<'_>) -> Option<Reply> {
        (action == Action::Focus).then(|| self.mark_time())
    }

    fn draw(
        &mut self,
        _: &Context<'_>,
        _: &mut ListGeometry,
        theme: Theme,
        frame: &mut Frame<'_>,
        area: Rect,
    ) {
        ui::timeline::render(self, theme, frame, area);
    }
}
