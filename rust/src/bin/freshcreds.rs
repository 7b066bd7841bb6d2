//! The `freshcreds` command: a thin entry point over [`freshcreds::cli`].

fn main() {
    eprintln!("freshcreds: the command line is not built yet");
    std::process::exit(2);
}
