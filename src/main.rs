/// mimalloc: request handling allocates many small, short-lived buffers on several threads,
/// where glibc's allocator spent about a fifth of the server's CPU time (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    liaison::cli::main()
}
