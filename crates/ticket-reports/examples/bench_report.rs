//! Benchmark of the quality-of-service report (not a test): a year of 100,000 tickets with their
//! events, then the report endpoint's work (the store's `report_histories` and `report`) over the
//! whole year, several runs; median, 90th percentile and the process's peak memory. Run by
//! `scripts/bench-reports`:
//!
//! ```text
//! cargo run --release -p ticket-reports --example bench_report -- load <database-url> [tickets]
//! cargo run --release -p ticket-reports --example bench_report -- run <database-url> [runs]
//! ```
//!
//! `load` migrates an empty database and writes the history; `run` (a process of its own, so its
//! peak memory is the report's) times the report. Each ticket's life is played in memory by the
//! domain itself (`open`, `decide`, and `sweep` at each instant something falls due, as the
//! sweeper would), then written as the store writes it (`Store::insert_generated`: the same
//! ticket rows and chained events), a few thousand tickets per transaction.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use std::time::{Duration, Instant};
use ticket_domain::kind::{
    BirthIdentity, Contact, IncidentData, KindData, Qualification, ServiceSnapshot,
    SupportRequestData, TicketKind, UserUsurpationData, UsurpationReporter,
};
use ticket_domain::lifecycle::{Decision, Record, decide, next_due, open, sweep};
use ticket_domain::testkit::{at, staff, text};
use ticket_domain::ticket::Cancellation;
use ticket_domain::values::{OrganisationId, ServiceId, StaffHandle, TicketId};
use ticket_domain::{
    Actor, ClosureProof, ClosureReason, Command, Language, NewTicket, Policy, Priority, Role,
    State, Ticket,
};
use ticket_reports::{Dimension, ReportQuery, report};
use ticket_store::Store;
use uuid::Uuid;

const BATCH: usize = 2_000;

/// Deterministic pseudo-random numbers (xorshift64*): every run loads the same history.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn minutes(&mut self, lo: i64, hi: i64) -> TimeDelta {
        TimeDelta::minutes(lo + self.below((hi - lo).max(1) as u64) as i64)
    }
}

/// Twenty services of ten partners, 24/7 and office hours, most with a maximum unavailability.
fn services() -> Vec<ServiceSnapshot> {
    (0..20u128)
        .map(|i| ServiceSnapshot {
            id: ServiceId(Uuid::from_u128(100 + i)),
            organisation: OrganisationId(Uuid::from_u128(1 + i / 2)),
            name: format!("Service {i}"),
            max_unavailability_seconds: (i % 4 != 3).then_some(3_600 * (1 + i as i64 % 8)),
            availability: Some(
                if i % 2 == 0 {
                    "24/7"
                } else {
                    "heures ouvrées"
                }
                .to_owned(),
            ),
        })
        .collect()
}

/// One ticket's life in memory: its state and every event recorded since its opening.
struct Life<'a> {
    policy: &'a Policy,
    ticket: Ticket,
    records: Vec<Record>,
    now: DateTime<Utc>,
    horizon: DateTime<Utc>,
}

impl Life<'_> {
    fn take(&mut self, decision: Decision) {
        self.ticket = decision.ticket;
        self.records.extend(decision.records);
    }

    /// The sweeper at each instant something falls due up to `until`.
    fn sweep_until(&mut self, until: DateTime<Utc>) {
        for _ in 0..64 {
            let Some(due) = next_due(&self.ticket, self.policy).filter(|d| *d <= until) else {
                return;
            };
            let due = due.max(self.now);
            let Some(decision) = sweep(&self.ticket, due, self.policy) else {
                return;
            };
            self.now = due;
            self.take(decision);
        }
    }

    /// Runs `command` `after` the last instant; false (and nothing done) past the horizon or
    /// when the domain refuses it.
    fn run(&mut self, after: TimeDelta, command: Command, actor: &Actor) -> bool {
        let when = self.now + after;
        if when >= self.horizon {
            return false;
        }
        self.sweep_until(when);
        match decide(&self.ticket, command, actor, when, self.policy) {
            Ok(decision) => {
                self.now = when;
                self.take(decision);
                true
            }
            Err(_) => false,
        }
    }
}

fn priority(rng: &mut Rng) -> Priority {
    Priority::ALL[rng.below(5) as usize]
}

fn ack_delay(rng: &mut Rng) -> TimeDelta {
    match rng.below(10) {
        0..=6 => rng.minutes(5, 180),
        7 | 8 => rng.minutes(180, 2 * 24 * 60),
        _ => rng.minutes(2 * 24 * 60, 5 * 24 * 60),
    }
}

fn work_delay(rng: &mut Rng) -> TimeDelta {
    match rng.below(20) {
        0..=9 => rng.minutes(30, 24 * 60),
        10..=16 => rng.minutes(24 * 60, 6 * 24 * 60),
        _ => rng.minutes(6 * 24 * 60, 15 * 24 * 60),
    }
}

/// Opens ticket number `n` at `opened` and plays its life until `horizon`.
fn make_ticket(
    policy: &Policy,
    rng: &mut Rng,
    services: &[ServiceSnapshot],
    n: u32,
    opened: DateTime<Utc>,
    horizon: DateTime<Utc>,
) -> Option<(Ticket, Vec<Record>)> {
    let roll = rng.below(100);
    let agent = staff(Role::Agent);
    let security = staff(Role::Security);
    let (data, organisation, opener) = if roll < 60 {
        let service = services[rng.below(services.len() as u64) as usize].clone();
        let org = service.organisation;
        let opener = if rng.chance(80) {
            Actor::Partner {
                organisation: org,
                key_name: "bench".into(),
            }
        } else {
            agent.clone()
        };
        let data = KindData::Incident(IncidentData {
            service: Some(service),
            started_at: opened - rng.minutes(0, 180),
            impact: text("Les usagers ne peuvent plus se connecter"),
            security: false,
        });
        (data, Some(org), opener)
    } else if roll < 88 {
        let org = OrganisationId(Uuid::from_u128(1 + u128::from(rng.below(10))));
        let data = KindData::SupportRequest(SupportRequestData {
            question: text("Comment raccorder un nouveau service ?"),
        });
        let opener = Actor::Partner {
            organisation: org,
            key_name: "bench".into(),
        };
        (data, Some(org), opener)
    } else {
        let data = KindData::UserUsurpation(UserUsurpationData {
            reported_by: UsurpationReporter::Operator,
            session_id: None,
            suspicious_connection_at: Some(opened - TimeDelta::days(1)),
            suspicious_connection_date: None,
            identity_provider: Some(OrganisationId(Uuid::from_u128(50))),
            service_providers: vec![OrganisationId(Uuid::from_u128(51))],
            victim: BirthIdentity::default(),
            contact: Contact::default(),
            description: None,
            consent: true,
            qualification: None,
        });
        (data, None, security.clone())
    };
    let kind = data.kind();
    let new = NewTicket {
        id: TicketId::new_v7(),
        reference_number: n,
        title: text("Panne de connexion"),
        data,
        organisation,
        reporter_email: None,
        language: Language::Fr,
        proposed_priority: (kind != TicketKind::UserUsurpation).then(|| priority(rng)),
        follow_up_of: None,
        same_session_as: Vec::new(),
    };
    let opening = open(new, &opener, opened, policy).ok()?;
    let mut life = Life {
        policy,
        ticket: opening.ticket.clone(),
        records: Vec::new(),
        now: opened,
        horizon,
    };
    life.records.extend(opening.records);
    if kind == TicketKind::UserUsurpation {
        usurpation_life(&mut life, rng, &security);
    } else {
        ordinary_life(&mut life, rng, &agent, kind == TicketKind::Incident);
    }
    life.sweep_until(horizon);
    Some((life.ticket, life.records))
}

fn ordinary_life(life: &mut Life<'_>, rng: &mut Rng, staff: &Actor, outage: bool) {
    let long = !outage || rng.chance(3);
    if rng.chance(25) {
        let to = priority(rng);
        if to != life.ticket.priority {
            let after = rng.minutes(1, 120);
            let reason = text("Réévaluation");
            life.run(
                after,
                Command::SetPriority {
                    priority: to,
                    reason,
                },
                staff,
            );
        }
    }
    if rng.chance(3) {
        let cancellation = Cancellation::Spam;
        let after = rng.minutes(1, 600);
        life.run(
            after,
            Command::Cancel {
                cancellation,
                note: None,
            },
            staff,
        );
        return;
    }
    if long && rng.chance(4) {
        return;
    }
    let after = if long {
        ack_delay(rng)
    } else {
        rng.minutes(5, 90)
    };
    if !life.run(after, Command::Acknowledge { note: None }, staff) {
        return;
    }
    let assignee = StaffHandle::parse("h", "alice").unwrap();
    life.run(rng.minutes(1, 60), Command::Assign { assignee }, staff);
    // Comments and notes: events no figure reads, as many as in a real conversation.
    for _ in 0..rng.below(4) {
        let body = text("Nous analysons les journaux du fournisseur d'identité.");
        let internal = rng.chance(50);
        life.run(
            rng.minutes(10, 600),
            Command::Comment { body, internal },
            staff,
        );
    }
    if rng.chance(10) {
        let reason = text("Besoin d'un ingénieur");
        life.run(
            rng.minutes(10, 24 * 60),
            Command::Escalate { reason },
            staff,
        );
    }
    if rng.chance(30) {
        let question = text("Pouvez-vous préciser ?");
        life.run(
            rng.minutes(10, 24 * 60),
            Command::WaitForReporter { question },
            staff,
        );
        let after = if long {
            rng.minutes(60, 5 * 24 * 60)
        } else {
            rng.minutes(20, 180)
        };
        if life.ticket.state == State::WaitingReporter {
            let note = text("Réponse par téléphone");
            life.run(after, Command::RecordReporterAnswered { note }, staff);
        }
    }
    if long && rng.chance(5) {
        return;
    }
    let after = if long {
        work_delay(rng)
    } else {
        rng.minutes(20, 300)
    };
    let summary = text("Corrigé");
    if !life.run(after, Command::Resolve { summary }, staff) {
        return;
    }
    if rng.chance(8) {
        let note = text("Toujours en panne");
        life.run(
            rng.minutes(60, 2 * 24 * 60),
            Command::RecordNotFixed { note },
            staff,
        );
        let summary = text("Corrigé pour de bon");
        life.run(work_delay(rng), Command::Resolve { summary }, staff);
    }
    let reason = match rng.below(100) {
        0..=49 => ClosureReason::ResolvedConfirmed,
        50..=79 => ClosureReason::MutualAgreement,
        _ => return,
    };
    let proof = ClosureProof {
        note: Some(text("Convenu avec le déclarant")),
    };
    life.run(
        rng.minutes(30, 3 * 24 * 60),
        Command::Close { reason, proof },
        staff,
    );
    if rng.chance(10) {
        let reason = text("Le problème est revenu");
        life.run(
            rng.minutes(60, 10 * 24 * 60),
            Command::Reopen { reason },
            staff,
        );
        let summary = text("Corrigé à nouveau");
        life.run(work_delay(rng), Command::Resolve { summary }, staff);
        let proof = ClosureProof { note: None };
        let reason = ClosureReason::ResolvedConfirmed;
        life.run(
            rng.minutes(30, 2 * 24 * 60),
            Command::Close { reason, proof },
            staff,
        );
    }
}

fn usurpation_life(life: &mut Life<'_>, rng: &mut Rng, security: &Actor) {
    if !life.run(
        ack_delay(rng),
        Command::Acknowledge { note: None },
        security,
    ) {
        return;
    }
    let after = rng.minutes(10, 2 * 24 * 60);
    if rng.chance(30) {
        let qualification = Qualification::Unfounded {
            explanation: text("Connexion légitime"),
        };
        life.run(after, Command::Qualify { qualification }, security);
    } else {
        let qualification = Qualification::Confirmed;
        if !life.run(after, Command::Qualify { qualification }, security) {
            return;
        }
        for org in [50u128, 51] {
            let organisation = OrganisationId(Uuid::from_u128(org));
            life.run(
                rng.minutes(5, 2 * 24 * 60),
                Command::RecordOrganisationNotified { organisation },
                security,
            );
        }
        let summary = text("Comptes sécurisés");
        life.run(work_delay(rng), Command::Resolve { summary }, security);
    }
    let reason = ClosureReason::ResolvedByOperator;
    let proof = ClosureProof { note: None };
    life.run(
        rng.minutes(30, 2 * 24 * 60),
        Command::Close { reason, proof },
        security,
    );
}

/// The year the history covers, Paris days.
fn year() -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
    )
}

async fn load(store: &Store, count: u32) {
    store.migrate().await.unwrap();
    let policy = Policy::default();
    let services = services();
    let mut rng = Rng(0x5eed_2025);
    let first = at("2024-12-31T23:00:00Z");
    let span = TimeDelta::days(365).num_seconds();
    // The history runs on to late January: tickets of December are worked on past the year.
    let horizon = at("2026-01-31T00:00:00Z");
    let started = Instant::now();
    let (mut tickets, mut events) = (0usize, 0usize);
    let mut batch = Vec::with_capacity(BATCH);
    for n in 1..=count {
        // Evenly spread over the year, a little jitter.
        let offset = span * i64::from(n - 1) / i64::from(count) + rng.below(600) as i64;
        let opened = first + TimeDelta::seconds(offset);
        let opened = opened - TimeDelta::nanoseconds(i64::from(opened.timestamp_subsec_nanos()));
        if let Some(life) = make_ticket(&policy, &mut rng, &services, n, opened, horizon) {
            events += life.1.len();
            tickets += 1;
            batch.push(life);
        }
        if batch.len() == BATCH || n == count {
            store.insert_generated(&batch, &policy).await.unwrap();
            batch.clear();
        }
    }
    store.analyse().await.unwrap();
    println!(
        "{:?}: {tickets} tickets, {events} events loaded in {:.1} s",
        store.backend(),
        started.elapsed().as_secs_f64()
    );
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    // Nearest rank.
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1000.0
}

/// The CPU time this process used so far (user and system), from `/proc/self/stat` (Linux; in
/// clock ticks of 10 ms).
fn cpu_time() -> Duration {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // The fields after the command's name (which may hold spaces), from field 3 on.
            let rest = s.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: u64 = fields.get(11)?.parse().ok()?;
            let stime: u64 = fields.get(12)?.parse().ok()?;
            Some(Duration::from_millis((utime + stime) * 10))
        })
        .unwrap_or_default()
}

/// The process's peak resident memory, in MiB (Linux).
fn peak_memory_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

async fn run(store: &Store, runs: usize) {
    let policy = Policy::default();
    let (from, to) = year();
    let queries = [
        ("whole year, one group", vec![]),
        (
            "whole year, by priority and month",
            vec![Dimension::Priority, Dimension::Month],
        ),
        ("whole year, by service", vec![Dimension::Service]),
    ];
    for (label, group_by) in queries {
        let query = ReportQuery::new(from, to, group_by).unwrap();
        let (mut read, mut computed, mut total) = (Vec::new(), Vec::new(), Vec::new());
        let mut cpu = Vec::new();
        let mut summary = String::new();
        for _ in 0..runs {
            let cpu_start = cpu_time();
            let start = Instant::now();
            let histories = store
                .report_histories(query.start(), query.end(), None)
                .await
                .unwrap();
            let between = Instant::now();
            let figures = report(&query, &histories, &policy);
            let end = Instant::now();
            cpu.push(cpu_time().saturating_sub(cpu_start));
            read.push(between - start);
            computed.push(end - between);
            total.push(end - start);
            let events: usize = histories.iter().map(|h| h.events.len()).sum();
            summary = format!(
                "{} tickets, {} events read, {} groups, {} services",
                histories.len(),
                events,
                figures.groups.len(),
                figures.services.len()
            );
        }
        for samples in [&mut read, &mut computed, &mut total, &mut cpu] {
            samples.sort();
        }
        println!("{label}: {summary}");
        for (name, samples) in [
            ("read", &read),
            ("compute", &computed),
            ("total", &total),
            ("cpu", &cpu),
        ] {
            println!(
                "    {name:<8} median {:>8.1} ms   p90 {:>8.1} ms   min {:>8.1} ms   max {:>8.1} ms",
                percentile(samples, 0.5),
                percentile(samples, 0.9),
                samples[0].as_secs_f64() * 1000.0,
                samples[samples.len() - 1].as_secs_f64() * 1000.0,
            );
        }
    }
    println!(
        "peak resident memory of the process: {:.0} MiB",
        peak_memory_mib()
    );
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average at the end: {}", load.trim());
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().expect("load or run");
    let url = args.next().expect("a database URL");
    let store = Store::connect(&url).await.unwrap();
    match mode.as_str() {
        "load" => load(&store, args.next().map_or(100_000, |n| n.parse().unwrap())).await,
        "run" => run(&store, args.next().map_or(7, |n| n.parse().unwrap())).await,
        other => panic!("unknown mode {other}: load or run"),
    }
}
