use profview_model::{FrameKind, Profile, Sample, ThreadId, WeightKindId, WeightUnit};

use super::*;

/// A profile of `(thread, time, stack root first, weight)` samples; every function in module
/// `app` except names with a `lib:` prefix, which go to module `libc.so.6`.
fn profile(samples: &[(usize, u64, &str, f64)]) -> (Profile, WeightKindId) {
    let mut p = Profile::new();
    let kind = p.add_weight_kind("samples", WeightUnit::Samples);
    let process = p.add_process(Some(1), Some("app"));
    let other = p.add_process(Some(2), Some("other"));
    let threads: Vec<ThreadId> = (0..3)
        .map(|t| p.add_thread(Some(if t == 2 { other } else { process }), None, None))
        .collect();
    let app = module(&mut p, "/bin/app");
    let libc = module(&mut p, "/lib/libc.so.6");
    for &(thread, time, stack, weight) in samples {
        let frames: Vec<_> = stack
            .split(';')
            .map(|name| match name.strip_prefix("lib:") {
                Some(n) => p.resolved_frame(n, Some(libc), FrameKind::User),
                None => p.resolved_frame(name, Some(app), FrameKind::User),
            })
            .collect();
        let stack = p.intern_stack_path(&frames);
        p.add_sample(Sample {
            thread: threads[thread],
            time: Some(time),
            stack,
            kind,
            weight,
        });
    }
    (p, kind)
}

fn module(p: &mut Profile, path: &str) -> profview_model::ModuleId {
    let path = p.intern_string(path);
    p.intern_module(profview_model::Module {
        path,
        build_id: None,
        address_range: None,
        relative_addresses: false,
    })
}

/// The tree as `name total/self` lines, indented by depth.
fn render(view: &View, tree: &mut impl WeightedTree) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo: Vec<(NodeId, usize)> = tree
        .child_nodes(CallTree::ROOT)
        .iter()
        .rev()
        .map(|&n| (n, 0))
        .collect();
    while let Some((n, depth)) = todo.pop() {
        out.push(format!(
            "{}{} {}/{}",
            "  ".repeat(depth),
            view.label(&*tree, n),
            tree.total_weight(n),
            tree.self_weight(n)
        ));
        todo.extend(tree.child_nodes(n).iter().rev().map(|&c| (c, depth + 1)));
    }
    out
}

fn sample_set() -> (Profile, WeightKindId) {
    profile(&[
        (0, 10, "main;parse;lib:malloc", 2.0),
        (0, 20, "main;parse;lex", 3.0),
        (1, 30, "main;run;parse;lex", 4.0),
        (1, 40, "main;run", 1.0),
        (2, 50, "other_main;lib:malloc", 5.0),
    ])
}

fn view(p: &Profile, kind: WeightKindId, transforms: &[Transform]) -> View {
    Explorer::new(p, Grouping::Function).view(&[kind], transforms)
}

#[test]
fn top_down_tree_has_totals_and_self() {
    let (p, k) = sample_set();
    let v = view(&p, k, &[]);
    assert_eq!(v.tree().total(), 15.0);
    assert_eq!(
        render(&v, &mut v.tree()),
        [
            "main 10/0",
            "  parse 5/0",
            "    lex 3/3",
            "    malloc 2/2",
            "  run 5/1",
            "    parse 4/0",
            "      lex 4/4",
            "other_main 5/0",
            "  malloc 5/5",
        ]
    );
}

#[test]
fn bottom_up_tree_starts_at_sampled_functions() {
    let (p, k) = sample_set();
    let v = view(&p, k, &[]);
    let mut up = v.bottom_up();
    assert_eq!(up.total(), 15.0);
    assert_eq!(
        render(&v, &mut up),
        [
            // Equal totals: the function seen first comes first.
            "malloc 7/0",
            "  other_main 5/5",
            "  parse 2/0",
            "    main 2/2",
            "lex 7/0",
            "  parse 7/0",
            "    run 4/0",
            "      main 4/4",
            "    main 3/3",
            "run 1/0",
            "  main 1/1",
        ]
    );
}

#[test]
fn view_functions_match_top_functions() {
    let (p, k) = sample_set();
    let v = view(&p, k, &[]);
    for sort in [SortBy::SelfWeight, SortBy::Total] {
        assert_eq!(v.functions(&p, sort), TopFunctions::new(&p, k, sort));
    }
    // The bottom-up roots are the functions' self weights.
    let mut up = v.bottom_up();
    let top = TopFunctions::new(&p, k, SortBy::SelfWeight);
    for root in up.children(BottomUp::ROOT).to_vec() {
        let name = v.label(&up, root);
        let row = top.functions.iter().find(|f| f.name == name).unwrap();
        assert_eq!(up.total_weight(root), row.self_weight, "{name}");
    }
}

#[test]
fn caller_callee_of_a_function() {
    let (p, k) = sample_set();
    let v = view(&p, k, &[]);
    let parse = v.caller_callee("parse").unwrap();
    assert_eq!((parse.self_weight, parse.total_weight), (0.0, 9.0));
    let names = |r: &[Related]| {
        r.iter()
            .map(|r| (r.name.clone(), r.weight))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&parse.callers),
        [("main".into(), 5.0), ("run".into(), 4.0)]
    );
    assert_eq!(
        names(&parse.callees),
        [("lex".into(), 7.0), ("malloc".into(), 2.0)]
    );
    let main = v.caller_callee("main").unwrap();
    assert_eq!(main.from_root, 10.0);
    assert!(v.caller_callee("nowhere").is_none());
}

#[test]
fn caller_callee_counts_recursion_in_the_outer_call() {
    let (p, k) = profile(&[
        (0, 0, "main;fib;fib;fib", 3.0),
        (0, 0, "main;fib;work", 1.0),
    ]);
    let v = view(&p, k, &[]);
    let fib = v.caller_callee("fib").unwrap();
    assert_eq!((fib.self_weight, fib.total_weight), (3.0, 4.0));
    assert_eq!(fib.callers.len(), 1);
    assert_eq!(fib.callers[0].weight, 4.0);
}

#[test]
fn focus_makes_the_function_the_root() {
    let (p, k) = sample_set();
    let v = view(&p, k, &[Transform::FocusFunction("parse".into())]);
    assert_eq!(v.tree().total(), 9.0);
    assert_eq!(
        render(&v, &mut v.tree()),
        ["parse 9/0", "  lex 7/7", "  malloc 2/2"]
    );
}

#[test]
fn merge_gives_self_time_to_the_caller() {
    let (p, k) = sample_set();
    let v = view(&p, k, &[Transform::MergeFunction("parse".into())]);
    assert_eq!(v.tree().total(), 15.0);
    let top = v.functions(&p, SortBy::SelfWeight);
    assert!(top.functions.iter().all(|f| f.name != "parse"));
    assert_eq!(
        render(&v, &mut v.tree()),
        [
            "main 10/0",
            "  run 5/1",
            "    lex 4/4",
            "  lex 3/3",
            "  malloc 2/2",
            "other_main 5/0",
            "  malloc 5/5"
        ]
    );
}

#[test]
fn drop_removes_samples() {
    let (p, k) = sample_set();
    let v = view(&p, k, &[Transform::DropFunction("malloc".into())]);
    assert_eq!(v.tree().total(), 8.0);
}

#[test]
fn transforms_compose_in_order() {
    let (p, k) = sample_set();
    // Focus on main, then merge run: parse's two call sites join under main.
    let v = view(
        &p,
        k,
        &[
            Transform::FocusFunction("main".into()),
            Transform::MergeFunction("run".into()),
        ],
    );
    assert_eq!(
        render(&v, &mut v.tree()),
        ["main 10/1", "  parse 9/0", "    lex 7/7", "    malloc 2/2"]
    );
}

#[test]
fn undo_and_redo() {
    let (p, k) = sample_set();
    let explorer = Explorer::new(&p, Grouping::Function);
    let mut t = Transforms::default();
    let before = render(
        &view(&p, k, &[]),
        &mut explorer.view(&[k], t.applied()).tree(),
    );
    t.push(Transform::DropFunction("lex".into()));
    assert_eq!(explorer.view(&[k], t.applied()).tree().total(), 8.0);
    assert!(t.undo());
    let v = explorer.view(&[k], t.applied());
    assert_eq!(render(&v, &mut v.tree()), before);
    assert!(!t.undo());
    assert!(t.redo());
    assert_eq!(t.applied(), [Transform::DropFunction("lex".into())]);
}

#[test]
fn collapse_recursion() {
    let (p, k) = profile(&[(0, 0, "main;walk;visit;walk;visit;leaf", 1.0)]);
    let v = view(&p, k, &[Transform::CollapseRecursion("walk".into())]);
    assert_eq!(
        render(&v, &mut v.tree()),
        ["main 1/0", "  walk 1/0", "    visit 1/0", "      leaf 1/1"]
    );
}

#[test]
fn collapse_module_into_one_frame() {
    let (p, k) = profile(&[(0, 0, "main;lib:qsort;lib:msort;cmp;lib:memcmp", 1.0)]);
    let v = view(&p, k, &[Transform::CollapseModule("libc.so.6".into())]);
    assert_eq!(
        render(&v, &mut v.tree()),
        [
            "main 1/0",
            "  [libc.so.6] 1/0",
            "    cmp 1/0",
            "      [libc.so.6] 1/1"
        ]
    );
}

#[test]
fn collapse_crate_takes_its_sub_crates() {
    let (p, k) = profile(&[(
        0,
        0,
        "main;rayon::join;rayon_core::registry::in_worker;<rayon_core::job::StackJob>::execute;work;std::thread::park",
        1.0,
    )]);
    let v = view(&p, k, &[Transform::CollapseCrate("rayon".into())]);
    assert_eq!(
        render(&v, &mut v.tree()),
        [
            "main 1/0",
            "  [rayon] 1/0",
            "    work 1/0",
            "      std::thread::park 1/1"
        ]
    );
}

#[test]
fn thread_process_and_time_filters() {
    let (p, k) = sample_set();
    let t1 = ThreadId::from_index(1);
    assert_eq!(
        view(&p, k, &[Transform::Threads(vec![t1])]).tree().total(),
        5.0
    );
    let other = profview_model::ProcessId::from_index(1);
    assert_eq!(
        view(&p, k, &[Transform::Processes(vec![other])])
            .tree()
            .total(),
        5.0
    );
    let range = Transform::TimeRange { start: 20, end: 40 };
    assert_eq!(
        view(&p, k, std::slice::from_ref(&range)).tree().total(),
        7.0
    );
    // Filters intersect.
    let both = [range, Transform::Threads(vec![t1])];
    assert_eq!(view(&p, k, &both).tree().total(), 4.0);
    assert_eq!(time_bounds(&p), Some((10, 50)));
}

#[test]
fn grouping_by_line() {
    let mut p = Profile::new();
    let k = p.add_weight_kind("samples", WeightUnit::Samples);
    let thread = p.add_thread(None, None, None);
    let name = p.intern_string("work");
    let file = p.intern_string("/src/work.rs");
    let function = p.intern_function(profview_model::Function { name, module: None });
    for (line, weight) in [(10, 1.0), (12, 3.0), (10, 2.0)] {
        let frame = p.intern_frame(profview_model::Frame::Resolved(
            profview_model::ResolvedFrame {
                function,
                file: Some(file),
                line: Some(line),
                inline_depth: 0,
                kind: FrameKind::User,
                address: None,
            },
        ));
        let stack = p.intern_stack_path(&[frame]);
        p.add_sample(Sample {
            thread,
            time: None,
            stack,
            kind: k,
            weight,
        });
    }
    let by_line = Explorer::new(&p, Grouping::FunctionAndLine).view(&[k], &[]);
    let rows = by_line.functions(&p, SortBy::SelfWeight);
    let rows: Vec<_> = rows
        .functions
        .iter()
        .map(|f| (f.name.as_str(), f.self_weight))
        .collect();
    assert_eq!(
        rows,
        [("work (work.rs:10)", 3.0), ("work (work.rs:12)", 3.0)]
    );
    // Transforms name the function: both lines go.
    let dropped = Explorer::new(&p, Grouping::FunctionAndLine)
        .view(&[k], &[Transform::DropFunction("work".into())]);
    assert!(dropped.tree().is_empty() || dropped.tree().total() == 0.0);
    let by_function = Explorer::new(&p, Grouping::Function).view(&[k], &[]);
    assert_eq!(
        by_function
            .functions(&p, SortBy::SelfWeight)
            .functions
            .len(),
        1
    );
}

#[test]
fn hottest_path_follows_the_heaviest_child() {
    let (p, k) = sample_set();
    let v = view(&p, k, &[]);
    let path = v.tree().hottest_path(CallTree::ROOT, 0.0);
    let names: Vec<String> = path.iter().map(|&n| v.label(v.tree(), n)).collect();
    assert_eq!(names, ["main", "parse", "lex"]);
    // A child below the threshold ends the path.
    assert_eq!(v.tree().hottest_path(CallTree::ROOT, 0.6).len(), 1);
}
