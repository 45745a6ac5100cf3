//! The benchmarks' allocator: mimalloc, the one the `kenpo-sign` binary uses
//! (`cli/src/main.rs`), so that the figures are those of the shipped tool; with
//! `--features bench-system-alloc`, the system allocator (what a program embedding the
//! library gets unless it chooses otherwise).

#[cfg(not(feature = "bench-system-alloc"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The allocator in use, for the benchmark's header.
pub const NAME: &str = if cfg!(feature = "bench-system-alloc") {
    "system allocator"
} else {
    "mimalloc (as the kenpo-sign binary)"
};
