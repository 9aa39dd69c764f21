//! The `baton` binary: everything is in the library, so tests reach it all.

fn main() -> std::process::ExitCode {
    baton::cli::main()
}
