//! The Diff tab (`profview diff --tui`): the diff table, or (`v`) the call paths of both
//! profiles as a tree.

use profview_analyze::diff::{DiffTree, ProfileDiff};
use ratatui::layout::Rect;
use ratatui::Frame;

use super::{find_row, navigate_tree, Context, Found, ListState, Opening, Reply, TabView};
use crate::action::Action;
use crate::rows::TreeRows;
use crate::shared::ListGeometry;
use crate::ui::{self, Theme};

/// The comparison, its table's selection and its tree's rows.
#[derive(Debug)]
pub struct DiffTab {
    /// The comparison shown.
    pub diff: Option<ProfileDiff>,
    /// The table's selection.
    pub list: ListState,
    /// The call paths as a tree.
    pub tree: Option<DiffTree>,
    /// The tree's visible rows.
    pub rows: TreeRows,
    /// The call-path tree is shown rather than the table.
    pub as_tree: bool,
}

impl DiffTab {
    /// `v`: the table or the tree; false without a comparison.
    pub fn toggle_tree(&mut self) -> bool {
        if self.diff.is_none() {
            return false;
        }
        self.as_tree = !self.as_tree;
        true
    }

    fn len(&self) -> usize {
        self.diff.as_ref().map_or(0, |d| d.functions.len())
    }
}

impl TabView for DiffTab {
    fn open(start: &mut Opening<'_>) -> Self {
        let diff = start.diff.take();
        let mut tree = diff.as_ref().map(ProfileDiff::tree);
        let rows = tree.as_mut().map(|t| TreeRows::new(t)).unwrap_or_default();
        Self {
            diff,
            list: ListState::default(),
            tree,
            rows,
            as_tree: false,
        }
    }

    /// Only with a comparison.
    fn shown(&self) -> bool {
        self.diff.is_some()
    }

    fn navigate(&mut self, action: Action, delta: isize, _: &Context<'_>) -> Reply {
        if self.as_tree {
            if let Some(tree) = &mut self.tree {
                navigate_tree(&mut self.rows, tree, action, delta);
            }
        } else {
            self.list.move_by(delta, self.len());
        }
        Reply::Done
    }

    fn click(&mut self, index: usize, _: &Context<'_>) {
        if self.as_tree {
            self.rows.select(index);
        } else {
            self.list.click(index, self.len());
        }
    }

    fn find(&mut self, forward: bool, ctx: &Context<'_>) -> Found {
        if self.as_tree {
            let Some(tree) = &self.tree else {
                return Found::NoMatch;
            };
            let names: Vec<&str> = self.rows.rows().iter().map(|r| tree.name(r.node)).collect();
            find_row(&mut self.rows, &names, forward, ctx.search)
        } else {
            let Some(d) = &self.diff else {
                return Found::NoMatch;
            };
            let names: Vec<&str> = d.functions.iter().map(|f| f.name.as_str()).collect();
            self.list.find(&names, forward, ctx.search)
        }
    }

    fn selected(&self, _: &Context<'_>) -> Option<String> {
        if self.as_tree {
            let tree = self.tree.as_ref()?;
            self.rows.selected_node().map(|n| tree.name(n).to_owned())
        } else {
            self.diff
                .as_ref()
                .and_then(|d| d.functions.get(self.list.selected))
                .map(|f| f.name.clone())
        }
    }

    fn draw(
        &mut self,
        ctx: &Context<'_>,
        geometry: &mut ListGeometry,
        theme: Theme,
        frame: &mut Frame<'_>,
        area: Rect,
    ) {
        ui::diff::render(self, ctx, geometry, theme, frame, area);
    }
}
