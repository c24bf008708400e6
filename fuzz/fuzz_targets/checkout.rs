//! kiln diff's checkout of a git revision: any `git ls-tree` listing (symlinks, folders,
//! repeated paths, sizes) is written into a private folder and nothing outside it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        kiln::fuzzing::checkout(text);
    }
});
