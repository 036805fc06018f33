//! Typed `u32` handles into the profile's tables.
//!
//! Every table in a [`crate::Profile`] is a `Vec`, and every reference between tables is one of
//! these handles, so a frame or a stack costs a few bytes and never owns a `String`.

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u32);

        impl $name {
            /// The handle for table index `index`.
            ///
            /// # Panics
            /// If `index` does not fit in a `u32`: a profile never holds that many entries.
            pub fn from_index(index: usize) -> Self {
                Self(u32::try_from(index).expect("profile table larger than u32::MAX entries"))
            }

            /// The table index this handle points at.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

define_id!(
    /// An interned string in [`crate::StringTable`].
    StringId
);
define_id!(
    /// A function (name + module).
    FunctionId
);
define_id!(
    /// A frame: one entry of a call stack, resolved or not.
    FrameId
);
define_id!(
    /// A node of the stack prefix tree: a frame plus its parent stack.
    StackId
);
define_id!(
    /// A loaded binary or library.
    ModuleId
);
define_id!(
    /// A process.
    ProcessId
);
define_id!(
    /// A thread.
    ThreadId
);
define_id!(
    /// A kind of sample weight (sample count, period of one event, bytes, ...).
    WeightKindId
);
