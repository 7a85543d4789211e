//! The `ticketd` binary: parse the command line, load the configuration, run a subcommand.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use ticketd::cli::{Cli, Command, KeysCommand};
use ticketd::{Application, Config, startup, telemetry};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.subcommand() == Command::MailIn {
        // Exit statuses an MTA's `pipe` understands (sysexits), not just success or failure.
        let config = match Config::load(cli.config.as_deref()) {
            Ok(config) => config,
            Err(err) => {
                eprintln!("ticketd: {err:#}");
                return ExitCode::from(75);
            }
        };
        if let Err(err) = telemetry::init(&config) {
            eprintln!("ticketd: {err:#}");
        }
        return ticketd::inbound::mail_in(&config);
    }
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
        Command::Keys(command) => {
            telemetry::init(&config)?;
            runtime()?.block_on(keys(&config, command))
        }
        Command::MailIn => Ok(()),
        Command::Probe { path } => ticketd::probe::probe(config.listen, &path),
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

/// `ticketd keys …`: the way to the first admin key, and a fallback when the API is out of reach.
async fn keys(config: &Config, command: KeysCommand) -> anyhow::Result<()> {
    use ticket_store::keys::KeyScope;
    let store = startup::open_store(config).await?;
    let now = chrono::Utc::now();
    match command {
        KeysCommand::Create {
            name,
            role,
            organisation,
        } => {
            let scope = match (role, organisation) {
                (Some(role), _) => KeyScope::Staff {
                    role: ticket_domain::Role::parse(&role).with_context(|| {
                        format!(
                            "unknown role `{role}`: agent, engineer, security, supervisor or admin"
                        )
                    })?,
                },
                (None, Some(organisation)) => KeyScope::Partner {
                    organisation: ticket_domain::values::OrganisationId(organisation),
                },
                (None, None) => anyhow::bail!("give --role or --organisation"),
            };
            let (key, secret) = store.create_api_key(&name, scope, now).await?;
            eprintln!(
                "ticketd: key {} created ({}); it is shown once:",
                key.id, key.prefix
            );
            println!("{secret}");
        }
        KeysCommand::List => {
            for key in store.list_api_keys().await? {
                let scope = match key.scope {
                    KeyScope::Staff { role } => format!("role={role}"),
                    KeyScope::Partner { organisation } => format!("organisation={organisation}"),
                };
                let state = key
                    .revoked_at
                    .map_or("active".to_owned(), |at| format!("revoked {at}"));
                println!("{}\t{}\t{}\t{scope}\t{state}", key.id, key.prefix, key.name);
            }
        }
        KeysCommand::Revoke { id } => {
            let key = store.revoke_api_key(id, now).await?;
            println!("ticketd: key {} ({}) revoked", key.id, key.prefix);
        }
    }
    Ok(())
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
