//! The `baton` binary: everything is in the library, so tests reach it all.

/// mimalloc. Measured on the webhook path, glibc's malloc spent about a fifth of the CPU
/// (`_int_malloc`, `malloc_consolidate`, `unlink_chunk` on sled's and hyper's buffers) and,
/// untuned, kept freed memory in per-thread arenas; mimalloc cut the CPU per DM by about a
/// tenth and returns freed pages to the system by itself. The in-process benches that measure
/// throughput (`benches/e2e.rs`) use it too, so their figures are the shipped allocator's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    baton::cli::main()
}
