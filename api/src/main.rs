use std::process::ExitCode;

use clap::Parser;

/// mimalloc: a command builds and drops its JSON, audit maps and rows, and a tenth of the till's profile was
/// the system allocator; with mimalloc a sale records about 8 % faster (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("LOUPE_LOG").unwrap_or_else(|_| {
            // delta-rs's kernel logs an error whenever it looks for a table that is about to be created, and
            // its merge a warning for every merge whose plan lacks a file-skipping metric
            "warn,loupe_http=info,loupe_etl=info,buoyant_kernel=off,deltalake_core::operations::merge=error".into()
        }))
        .with_writer(std::io::stderr)
        .init();
    let cli = api::cli::Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(api::cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
