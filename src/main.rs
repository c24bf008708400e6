//! The kiln binary: everything happens in [`kiln::run::main`].

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(kiln::run::main());
}
