//! The `baton` binary: everything is in the library, so tests reach it all.

fn main() -> std::process::ExitCode {
    tame_malloc();
    baton::cli::main()
}

/// glibc's malloc gives each thread that allocates an arena of its own (up to 8 per core) and
/// keeps what is freed in them. sled frees and reallocates large write buffers all the time,
/// so measured at 100,000 open conversations through 5,000 agents the daemon held about 420 MB
/// of freed memory: 6.6 KiB of RSS per conversation instead of 2.7. Two arenas and a fixed mmap
/// threshold (large buffers go back to the system when freed) fix that; set before any thread
/// starts. The environment (`MALLOC_ARENA_MAX`, `MALLOC_MMAP_THRESHOLD_`) still wins if set.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tame_malloc() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only changes allocator parameters; no thread has started yet.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, 2) };
    }
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
        // SAFETY: as above.
        unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024) };
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tame_malloc() {}
