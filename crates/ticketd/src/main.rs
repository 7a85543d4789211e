//! The `ticketd` binary: parse the command line, load the configuration, run a subcommand.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use ticketd::cli::{
    Cli, Command, EvidenceCommand, JournalCommand, KeysCommand, StaffCommand, SubjectCommand,
};
use ticketd::{Application, Config, startup, telemetry};

/// mimalloc rather than the system's malloc: see the dependency's comment in Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    // Offline: needs neither the configuration nor the database.
    if let Command::Evidence(EvidenceCommand::Verify { file }) = cli.subcommand() {
        return ticketd::attachments::verify_archive_file(&file);
    }
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
        Command::Staff(command) => {
            telemetry::init(&config)?;
            runtime()?.block_on(staff(&config, command))
        }
        Command::Anonymise => {
            telemetry::init(&config)?;
            runtime()?.block_on(anonymise(config))
        }
        Command::Journal(JournalCommand::Verify) => {
            telemetry::init(&config)?;
            runtime()?.block_on(verify_journal(&config))
        }
        Command::Subject(command) => {
            telemetry::init(&config)?;
            runtime()?.block_on(subject(&config, command))
        }
        Command::MailIn => Ok(()),
        Command::Files(command) => {
            telemetry::init(&config)?;
            runtime()?.block_on(ticketd::file_backup::run(&config, command))
        }
        Command::Probe { path } => ticketd::probe::probe(config.listen, &path),
        Command::Evidence(EvidenceCommand::Verify { file }) => {
            ticketd::attachments::verify_archive_file(&file)
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

/// `ticketd anonymise`: one pass of the anonymiser.
async fn anonymise(config: Config) -> anyhow::Result<()> {
    let store = startup::open_store(&config).await?;
    let clock: std::sync::Arc<dyn ticket_store::clock::Clock> =
        std::sync::Arc::new(ticket_store::clock::SystemClock);
    let erasers = ticketd::anonymiser::external_erasers(
        &config,
        &store,
        std::sync::Arc::new(config.attachments.open()?),
        std::sync::Arc::clone(&clock),
    );
    let anonymiser = ticketd::anonymiser::Anonymiser::new(
        store,
        std::sync::Arc::new(config.policy.clone()),
        clock,
        erasers,
        &config.anonymiser,
    );
    let report = anonymiser.pass().await?;
    println!(
        "ticketd: {} ticket(s) anonymised, {} erased outside the database, {} failed, {} \
         inbound mail(s) threading to no ticket erased",
        report.anonymised, report.external, report.failed, report.stray_mails
    );
    anyhow::ensure!(report.failed == 0, "some tickets could not be anonymised");
    Ok(())
}

/// `ticketd journal verify`.
async fn verify_journal(config: &Config) -> anyhow::Result<()> {
    let store = startup::open_store(config).await?;
    let verification = store.verify_journal().await?;
    match verification.broken {
        None => {
            println!(
                "ticketd: the access journal verifies ({} entries)",
                verification.events
            );
            Ok(())
        }
        Some(broken) => anyhow::bail!(
            "the access journal is broken at entry {}: {}",
            broken.seq,
            broken.reason
        ),
    }
}

/// `ticketd subject …`.
async fn subject(config: &Config, command: SubjectCommand) -> anyhow::Result<()> {
    use ticket_domain::values::{EmailAddress, StaffHandle};
    let store = startup::open_store(config).await?;
    let now = chrono::Utc::now();
    let officer = |name: &str| {
        ticket_domain::Actor::staff(StaffHandle::sanitised(name), ticket_domain::Role::Dpo)
    };
    let address = |email: &str| {
        EmailAddress::parse("email", email)
            .map(|e| e.expose().to_owned())
            .map_err(|e| anyhow::anyhow!("--email: {}", e.message))
    };
    match command {
        SubjectCommand::Export {
            email,
            operator,
            output,
        } => {
            let export = store
                .export_person(&address(&email)?, &officer(&operator), None, now)
                .await?;
            let text = serde_json::to_string_pretty(&export)?;
            match output {
                Some(path) => {
                    std::fs::write(&path, text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!(
                        "ticketd: {} ticket(s) exported to {}",
                        export.tickets.len(),
                        path.display()
                    );
                }
                None => println!("{text}"),
            }
        }
        SubjectCommand::Erase { email, operator } => {
            use ticket_store::privacy::{Anonymisation, JournalAction, JournalRecord};
            let actor = officer(&operator);
            let (mut erased, mut held) = (0, 0);
            for ticket in store.tickets_of_person(&address(&email)?).await? {
                match store
                    .anonymise_ticket(
                        ticket,
                        &actor,
                        None,
                        "erasure request of the data subject",
                        now,
                    )
                    .await?
                {
                    Anonymisation::Held => {
                        held += 1;
                        println!("held: {}", ticket.0);
                    }
                    _ => {
                        erased += 1;
                        println!("erased: {}", ticket.0);
                    }
                }
            }
            let mails = store
                .erase_inbound_of_person(&address(&email)?, now)
                .await?;
            let record = JournalRecord::new(JournalAction::SubjectErasure, &actor, None).detail(
                &format!("{erased} ticket(s) erased, {held} held, {mails} inbound mail(s) erased"),
            );
            store.journal(&record, now).await?;
            eprintln!(
                "ticketd: {erased} ticket(s) erased, {held} kept under a legal hold, {mails} \
                 inbound mail(s) erased; mail files are erased by the anonymiser's next pass \
                 (`ticketd anonymise`)"
            );
        }
    }
    Ok(())
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
            member,
            machine,
            non_expiring,
            expires_in_days,
        } => {
            use ticket_store::keys::{Expiry, NewKey};
            let scope = match (role, organisation) {
                (Some(role), _) if role == ticket_store::keys::MAIL_GATEWAY_ROLE => {
                    KeyScope::MailGateway
                }
                (Some(role), _) => KeyScope::Staff {
                    role: ticket_domain::Role::parse(&role).with_context(|| {
                        format!(
                            "unknown role `{role}`: agent, engineer, security, supervisor, admin, \
                             dpo or mail_gateway"
                        )
                    })?,
                },
                (None, Some(organisation)) => KeyScope::Partner {
                    organisation: ticket_domain::values::OrganisationId(organisation),
                },
                (None, None) => anyhow::bail!("give --role or --organisation"),
            };
            let member = match (member, scope) {
                (Some(_), KeyScope::MailGateway) => {
                    anyhow::bail!("a mail gateway key belongs to no staff member: drop --member")
                }
                (Some(member), _) => Some(
                    ticket_domain::values::StaffHandle::parse("member", &member)
                        .map_err(|e| anyhow::anyhow!("--member: {}", e.message))?,
                ),
                (None, _) => None,
            };
            let expiry = match (non_expiring, expires_in_days) {
                (true, _) => Expiry::Never,
                (false, Some(days)) => Expiry::At(now + chrono::TimeDelta::days(i64::from(days))),
                (false, None) => Expiry::Policy,
            };
            let created = store
                .create_key(
                    NewKey {
                        name: &name,
                        scope,
                        member: member.as_ref(),
                        machine,
                        expiry,
                    },
                    now,
                )
                .await;
            let (key, secret) = match created {
                Err(ticket_store::StoreError::NotFound("staff member")) => {
                    anyhow::bail!("no such staff member (see `ticketd staff list`)")
                }
                other => other?,
            };
            let expires = key
                .expires_at
                .map_or("never expires".to_owned(), |at| format!("expires {at}"));
            eprintln!(
                "ticketd: key {} created ({}, {expires}); it is shown once:",
                key.id, key.prefix
            );
            println!("{secret}");
        }
        KeysCommand::List { expiring } => {
            let keys = if expiring {
                let within = store.key_policy().expiring_soon();
                store.list_expiring_api_keys(within, now).await?
            } else {
                store.list_api_keys().await?
            };
            for key in keys {
                let scope = match key.scope {
                    KeyScope::Staff { role } => format!("role={role}"),
                    KeyScope::Partner { organisation } => format!("organisation={organisation}"),
                    KeyScope::MailGateway => {
                        format!("role={}", ticket_store::keys::MAIL_GATEWAY_ROLE)
                    }
                };
                let state = match (key.revoked_at, key.expires_at) {
                    (Some(at), _) => format!("revoked {at}"),
                    (None, Some(at)) if at <= now => format!("expired {at}"),
                    (None, Some(at)) => format!("active, expires {at}"),
                    (None, None) => "active, never expires (machine)".to_owned(),
                };
                println!("{}\t{}\t{}\t{scope}\t{state}", key.id, key.prefix, key.name);
            }
        }
        KeysCommand::Revoke { id } => {
            let key = store.revoke_api_key(id, now).await?;
            println!("ticketd: key {} ({}) revoked", key.id, key.prefix);
        }
        KeysCommand::Rotate { id, grace_seconds } => {
            let grace = grace_seconds.map(|s| chrono::TimeDelta::seconds(i64::from(s)));
            let (key, secret) = store
                .rotate_api_key(id, grace, ticket_store::keys::Expiry::Policy, now)
                .await?;
            let until = key
                .previous_valid_until
                .map_or(String::new(), |at| at.to_string());
            eprintln!(
                "ticketd: key {} rotated ({}); the old secret works until {until}; the new one is \
                 shown once:",
                key.id, key.prefix
            );
            println!("{secret}");
        }
    }
    Ok(())
}

/// `ticketd staff …`: the staff directory, also managed through the API (`/api/v1/staff`).
async fn staff(config: &Config, command: StaffCommand) -> anyhow::Result<()> {
    use ticket_domain::values::{EmailAddress, StaffHandle};
    let store = startup::open_store(config).await?;
    let handle = |text: &str| {
        StaffHandle::parse("handle", text).map_err(|e| anyhow::anyhow!("--handle: {}", e.message))
    };
    match command {
        StaffCommand::Add {
            handle: text,
            email,
        } => {
            let handle = handle(&text)?;
            let email = EmailAddress::parse("email", &email)
                .map_err(|e| anyhow::anyhow!("--email: {}", e.message))?;
            let member = store
                .add_staff_member(&handle, &email, chrono::Utc::now())
                .await?;
            println!("ticketd: staff member {} added", member.handle);
        }
        StaffCommand::List => {
            for member in store.list_staff_members().await? {
                println!("{}\t{}", member.handle, member.email.expose());
            }
        }
        StaffCommand::Remove { handle: text } => {
            let revoked = store
                .remove_staff_member(&handle(&text)?, chrono::Utc::now())
                .await?;
            println!(
                "ticketd: staff member {text} removed, {} key(s) revoked",
                revoked.len()
            );
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
