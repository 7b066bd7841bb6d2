//! The `freshcreds` command: a thin entry point over [`freshcreds::cli`].

fn main() {
    std::process::exit(freshcreds::cli::main());
}
