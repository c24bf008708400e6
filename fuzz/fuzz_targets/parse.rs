//! The YAML loader and the spec parser: any bytes as a spec file (and as kiln.yaml), through
//! schema checks and typed parsing, and every diagnostic resolved to a line and column.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        kiln::fuzzing::parse(text);
    }
});
