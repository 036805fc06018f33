#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| profview_testkit::fuzzing::heap(data));
