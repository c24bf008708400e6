//! The full render of a one-file repository: `kiln.yaml`, a line `===`, then the spec file
//! (without the line, the input is the spec file under a fixed kiln.yaml).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        kiln::fuzzing::render(text);
    }
});
