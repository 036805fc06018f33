//! How long the browser takes per key on a large profile: apply one action and redraw the
//! whole 160×48 screen, on a synthetic profile of 2M samples and 250k distinct stacks (the
//! shape of the views benchmark). Target: under 16 ms per frame (60 per second).
//!
//! `cargo bench -p profview-tui --bench redraw` prints the median and the worst frame per
//! view, over 200 key presses each.

use std::time::{Duration, Instant};

use profview_testkit::synthetic::synthetic_profile;
use profview_tui::{Action, App, Input, Theme};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const KEYS: usize = 200;

fn main() {
    let start = Instant::now();
    let (profile, kind) = synthetic_profile(250_000, 2_000_000, 20_000);
    println!(
        "synthetic profile built in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    let mut app = App::new(Input {
        profile: &profile,
        kind,
        title: "synthetic".to_owned(),
        diff: None,
        code: None,
        hints: None,
    });
    println!(
        "{:<40} {:>9.1} ms",
        "App::new (views, findings)",
        start.elapsed().as_secs_f64() * 1000.0
    );
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("test backend");
    let theme = Theme { color: true };
    let mut frame = |app: &mut App<'_>, action: Action| {
        let start = Instant::now();
        app.update(action);
        terminal
            .draw(|f| profview_tui::render(app, theme, f))
            .expect("draw");
        start.elapsed()
    };
    let views: [(&str, &[Action], &[Action]); 6] = [
        ("functions: Down", &[Action::GoTab(2)], &[Action::Down]),
        (
            "top-down: expand hottest, Down",
            &[Action::GoTab(3), Action::ExpandHottest],
            &[Action::Down, Action::Expand],
        ),
        (
            "bottom-up: Down + Expand",
            &[Action::GoTab(4)],
            &[Action::Down, Action::Expand],
        ),
        (
            "flame graph: Down / Right",
            &[Action::GoTab(6)],
            &[Action::Down, Action::Right],
        ),
        ("summary: redraw", &[Action::GoTab(1)], &[Action::Down]),
        (
            "timeline: Right / Left",
            &[Action::GoTab(7)],
            &[Action::Right, Action::Right, Action::Left],
        ),
    ];
    for (label, setup, keys) in views {
        for a in setup {
            frame(&mut app, *a);
        }
        let mut times: Vec<Duration> = (0..KEYS)
            .map(|i| frame(&mut app, keys[i % keys.len()]))
            .collect();
        times.sort();
        println!(
            "{label:<40} {:>9.2} ms median, {:>7.2} ms worst",
            times[KEYS / 2].as_secs_f64() * 1000.0,
            times[KEYS - 1].as_secs_f64() * 1000.0
        );
    }
}
