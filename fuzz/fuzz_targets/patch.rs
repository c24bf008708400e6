//! The patch engine: the first YAML document is an environment (its `patches`), the others
//! are the documents patched, at both stages.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        kiln::fuzzing::patch(text);
    }
});
