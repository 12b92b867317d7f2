//! `tollgate`: the binary. Parses the command line and configuration, wires the parts together,
//! and nothing else.

/// mimalloc: the gateway allocates and frees per call; glibc's allocator cost it about 20 µs per
/// call with policies and 7 without (`bench/README.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod config;
mod secret;
mod serve;
mod token;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Tollgate: a self-hosted API management service that speaks the Azure API Management contract.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the management API.
    Serve(config::ServeArgs),
    /// Print a SharedAccessSignature Authorization header value for the management API.
    Token(token::TokenArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    config::init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("tollgate: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Token(args) => token::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tollgate: {message}");
            ExitCode::FAILURE
        }
    }
}
