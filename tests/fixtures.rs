//! The fixture cases of `fixtures/`, each a test of its own (libtest-mimic: one trial per
//! folder, so one case can be run, filtered and reported alone). The cases and their rules
//! are in `kiln/fixtures.rs`.

#[allow(dead_code)]
#[path = "kiln/common.rs"]
mod common;
#[path = "kiln/fixtures.rs"]
mod fixtures;

fn main() {
    let arguments = libtest_mimic::Arguments::from_args();
    libtest_mimic::run(&arguments, fixtures::trials()).exit();
}
