//! kiln diff's reading of a git revision into memory: any `git ls-tree` listing (symlinks,
//! folders under links, repeated paths, sizes) is refused or read without a panic, and a
//! followed link never ends on a link or outside the tree.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        kiln::fuzzing::checkout(text);
    }
});
