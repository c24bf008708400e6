//! The kiln binary: everything happens in [`kiln::run::main`].

fn main() {
    std::process::exit(kiln::run::main());
}
