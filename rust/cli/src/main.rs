//! The `freshcreds` command: a thin entry point over [`freshcreds_cli`].

fn main() {
    std::process::exit(freshcreds_cli::main());
}
