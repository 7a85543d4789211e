//! The `ticketd` binary: parse the command line, load the configuration, run a subcommand.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use ticketd::cli::{Cli, Command};
use ticketd::{Application, Config, startup, telemetry};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ticketd: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.subcommand() {
        Command::Serve => serve(config),
        Command::CheckConfig => {
            print!("{}", config.to_redacted_toml()?);
            Ok(())
        }
        Command::Migrate => {
            telemetry::init(&config)?;
            runtime()?.block_on(async {
                startup::open_store(&config).await?;
                println!("ticketd: database migrated");
                Ok(())
            })
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn serve(config: Config) -> anyhow::Result<()> {
    telemetry::init(&config)?;
    runtime()?.block_on(async {
        let shutdown = startup::shutdown_signal()?;
        let app = Application::build(config).await?;
        app.run_until_stopped(shutdown).await
    })
}
