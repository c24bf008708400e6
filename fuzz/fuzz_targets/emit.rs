//! The YAML writer: any bytes parsed as YAML, every document written by kiln's one-pass
//! writer and by serde-saphyr, which must agree byte for byte.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        kiln::fuzzing::emit(text);
    }
});
