//! Several profiles as one: a bench suite's profiles, or the runs of one program.

use std::collections::HashMap;

use crate::{
    Frame, FrameId, Function, Module, ProcessId, Profile, ResolvedFrame, Sample, StackId,
    UnresolvedFrame, WeightKindId,
};

/// Two inputs name the same event with different units.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input}: event `{event}` counts {unit}, but the profiles before it count {earlier}")]
pub struct MergeError {
    /// The input being merged.
    pub input: String,
    /// The event.
    pub event: String,
    /// Its unit in `input`.
    pub unit: &'static str,
    /// Its unit in the profiles merged before.
    pub earlier: &'static str,
}

impl Profile {
    /// Add `other`'s samples to this profile, as samples of `input`: each process of `other`
    /// becomes a process of its own named `input` (with its own name after it), so a view can
    /// filter or group by input. Weight kinds are matched by name (same name, same unit);
    /// `other`'s warnings are kept with `input` in front.
    pub fn merge(&mut self, other: &Profile, input: &str) -> Result<(), MergeError> {
        self.merge_as(other, Some(input))
    }

    /// Add `other`'s samples to this profile as they are: its processes keep their names (for
    /// joining profiles that were themselves merged from inputs).
    pub fn absorb(&mut self, other: &Profile) -> Result<(), MergeError> {
        self.merge_as(other, None)
    }

    fn merge_as(&mut self, other: &Profile, input: Option<&str>) -> Result<(), MergeError> {
        let label = input.unwrap_or("(merged)");
        let kinds = self.merged_kinds(other, label)?;
        let mut frames: Vec<FrameId> = Vec::with_capacity(other.frames().len());
        let modules: Vec<_> = other
            .modules()
            .iter()
            .map(|m| {
                let path = self.intern_string(other.string(m.path));
                self.intern_module(Module { path, ..m.clone() })
            })
            .collect();
        let functions: Vec<_> = other
            .functions()
            .iter()
            .map(|f| {
                let name = self.intern_string(other.string(f.name));
                let module = f.module.map(|m| modules[m.index()]);
                self.intern_function(Function { name, module })
            })
            .collect();
        for frame in other.frames() {
            let mapped = match *frame {
                Frame::Unresolved(f) => Frame::Unresolved(UnresolvedFrame {
                    module: f.module.map(|m| modules[m.index()]),
                    ..f
                }),
                Frame::Resolved(f) => Frame::Resolved(ResolvedFrame {
                    function: functions[f.function.index()],
                    file: f.file.map(|s| self.intern_string(other.string(s))),
                    ..f
                }),
            };
            frames.push(self.intern_frame(mapped));
        }
        // A stack's parent is interned before it: one pass in order maps them all.
        let mut stacks: Vec<StackId> = Vec::with_capacity(other.stacks().len());
        for node in other.stacks() {
            let parent = node.parent.map(|p| stacks[p.index()]);
            stacks.push(self.intern_stack(parent, frames[node.frame.index()]));
        }
        let threads = self.merged_threads(other, input);
        for s in other.samples().iter() {
            self.add_sample(Sample {
                thread: threads[s.thread.index()],
                stack: stacks[s.stack.index()],
                kind: kinds[s.kind.index()],
                ..s
            });
        }
        for w in other.meta.warnings.iter() {
            self.meta
                .warnings
                .add_many(w.kind, w.count, || match input {
                    Some(input) => format!("{input}: {}", w.message),
                    None => w.message.clone(),
                });
        }
        self.meta.lost_samples += other.meta.lost_samples;
        self.meta.unwound_samples += other.meta.unwound_samples;
        self.meta.truncated_unwinds += other.meta.truncated_unwinds;
        self.meta.symbolized |= other.meta.symbolized;
        if self.meta.stacks_recorded.is_none() {
            self.meta.stacks_recorded = other.meta.stacks_recorded;
        }
        Ok(())
    }

    /// `other`'s weight kinds as kinds of this profile, added where new.
    fn merged_kinds(
        &mut self,
        other: &Profile,
        input: &str,
    ) -> Result<Vec<WeightKindId>, MergeError> {
        let mut kinds = Vec::with_capacity(other.weight_kinds().len());
        for kind in other.weight_kinds() {
            let name = other.string(kind.name);
            let id = match self.find_weight_kind(name) {
                Some(id) if self.weight_kind(id).unit != kind.unit => {
                    return Err(MergeError {
                        input: input.to_owned(),
                        event: name.to_owned(),
                        unit: kind.unit.name(),
                        earlier: self.weight_kind(id).unit.name(),
                    })
                }
                Some(id) => {
                    // A period is kept only while every input has the same.
                    if self.weight_kind(id).period != kind.period {
                        self.weight_kind_mut(id).period = None;
                    }
                    id
                }
                None => {
                    let id = self.add_weight_kind(name, kind.unit);
                    self.weight_kind_mut(id).period = kind.period;
                    id
                }
            };
            kinds.push(id);
        }
        Ok(kinds)
    }

    /// `other`'s threads as threads of this profile, under processes named after `input`
    /// (or as they are named, without one).
    fn merged_threads(&mut self, other: &Profile, input: Option<&str>) -> Vec<crate::ThreadId> {
        let mut processes: HashMap<Option<ProcessId>, Option<ProcessId>> = HashMap::new();
        let mut threads = Vec::with_capacity(other.threads().len());
        for t in other.threads() {
            let process = *processes.entry(t.process).or_insert_with(|| {
                let old = t.process.map(|p| other.process(p));
                let old_name = old.and_then(|p| p.name).map(|n| other.string(n));
                let name = match (input, old_name) {
                    (Some(input), Some(name)) => Some(format!("{input}: {name}")),
                    (Some(input), None) => Some(input.to_owned()),
                    (None, name) => name.map(str::to_owned),
                };
                if input.is_none() && old.is_none() {
                    return None;
                }
                Some(self.add_process(old.and_then(|p| p.pid), name.as_deref()))
            });
            let name = t.name.map(|n| other.string(n).to_owned());
            threads.push(self.add_thread(process, t.tid, name.as_deref()));
        }
        threads
    }
}

#[cfg(test)]
mod tests {
    use crate::*;

    fn one(name: &str, leaf: &str, weight: f64) -> Profile {
        let mut p = Profile::new();
        let kind = p.add_weight_kind("cpu", WeightUnit::Nanoseconds);
        let process = p.add_process(Some(7), Some(name));
        let thread = p.add_thread(Some(process), Some(7), Some(name));
        let main = p.resolved_frame("main", None, FrameKind::User);
        let work = p.resolved_frame(leaf, None, FrameKind::User);
        let stack = p.intern_stack_path(&[main, work]);
        p.add_sample(Sample {
            thread,
            time: None,
            stack,
            kind,
            weight,
        });
        p
    }

    #[test]
    fn merged_profiles_sum_by_function_and_keep_their_inputs_apart() {
        let mut all = Profile::new();
        all.merge(&one("a", "parse", 3.0), "bench-a.pb").unwrap();
        all.merge(&one("b", "parse", 2.0), "bench-b.pb").unwrap();
        all.merge(&one("b", "hash", 5.0), "bench-c.pb").unwrap();
        let kind = all.find_weight_kind("cpu").unwrap();
        assert_eq!(all.total_weight(kind), 10.0);
        // `main` and `parse` are one function each, whichever input they came from.
        assert_eq!(all.functions().len(), 3);
        let names: Vec<&str> = all
            .processes()
            .iter()
            .map(|p| all.string(p.name.unwrap()))
            .collect();
        assert_eq!(names, ["bench-a.pb: a", "bench-b.pb: b", "bench-c.pb: b"]);
    }

    #[test]
    fn an_event_with_another_unit_is_an_error_naming_the_input() {
        let mut all = one("a", "f", 1.0);
        let mut other = Profile::new();
        other.add_weight_kind("cpu", WeightUnit::Samples);
        let err = all.merge(&other, "other.folded").unwrap_err();
        assert_eq!(
            err.to_string(),
            "other.folded: event `cpu` counts samples, but the profiles before it count nanoseconds"
        );
    }
}
