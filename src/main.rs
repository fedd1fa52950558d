//! The `nvt` binary: parse options, start logging, run the daemon.

use std::io::IsTerminal;
use std::process::ExitCode;

use nvt::config::{Cli, Command, Config};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

fn main() -> ExitCode {
    let cli = match Cli::parse_args(std::env::args_os().skip(1)) {
        Ok(Command::Run(cli)) => cli,
        Ok(Command::Help) => {
            print!("{}", nvt::config::HELP);
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("{}", nvt::config::version());
            return ExitCode::SUCCESS;
        }
        // One line: what a service manager's log and a person skimming it need.
        Err(e) => {
            eprintln!("nvt: error: {e} (see nvt --help)");
            return ExitCode::from(2);
        }
    };
    let config = match Config::resolve(cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("nvt: error: {e}");
            return ExitCode::from(2);
        }
    };
    // `target=level` directives, comma-separated, as RUST_LOG spells them (`info`,
    // `info,nvt::rtsp=debug`): tracing-subscriber's `Targets`. Its `EnvFilter` also filters on
    // spans and field values, which a camera's log does not need, with a regex engine of
    // 213 KB of code and more in tables (docs/PERFORMANCE.md, "Binary size for a camera"). An
    // unreadable RUST_LOG falls back to `info`; an unreadable --log-level is an error.
    let filter = match &config.log_level {
        Some(level) => level.parse::<Targets>(),
        None => match std::env::var("RUST_LOG").ok().and_then(|v| v.parse().ok()) {
            Some(f) => Ok(f),
            None => "info".parse(),
        },
    };
    let filter = match filter {
        Ok(f) => f,
        Err(e) => {
            eprintln!("nvt: error: invalid log filter: {e}");
            return ExitCode::from(2);
        }
    };
    // Colour only for a person at a terminal: escape codes garble log files and journals.
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .with(filter)
        .init();

    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("nvt: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(nvt::daemon::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` prints the whole context chain on one line.
            eprintln!("nvt: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
