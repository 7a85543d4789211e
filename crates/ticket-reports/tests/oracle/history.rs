//! A generated history driven through the real store and domain: tickets of every kind on five
//! services (24/7 and office hours), priority changes, pauses, escalations, reopenings,
//! cancellations, identity-theft cases, and the clock sweeper run at each due instant.

use chrono::{DateTime, TimeDelta, Utc};
use ticket_domain::kind::{
    BirthIdentity, Contact, IncidentData, KindData, Qualification, ServiceSnapshot,
    SupportRequestData, TicketKind, UserUsurpationData, UsurpationReporter,
};
use ticket_domain::lifecycle::next_due;
use ticket_domain::testkit::{at, staff, text};
use ticket_domain::ticket::{Cancellation, ConcernedRole};
use ticket_domain::values::{OrganisationId, ServiceId, TicketId};
use ticket_domain::{Actor, ClosureProof, ClosureReason, Command, Language, NewTicket, Policy};
use ticket_domain::{Priority, Role};
use ticket_store::Store;
use ticket_store::tickets::{StoredTicket, TicketKey};
use uuid::Uuid;

/// What the test knows of a ticket it made (what it opened it with).
#[derive(Debug, Clone)]
pub struct Made {
    pub id: TicketId,
    pub reference: String,
    pub kind: TicketKind,
    pub organisation: Option<Uuid>,
    pub service: Option<ServiceSnapshot>,
    pub started_at: Option<DateTime<Utc>>,
}

/// Deterministic pseudo-random numbers (xorshift64*), so a failure can be replayed.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    /// Whole minutes between `lo` and `hi` minutes.
    fn minutes(&mut self, lo: i64, hi: i64) -> TimeDelta {
        TimeDelta::minutes(lo + self.below((hi - lo).max(1) as u64) as i64)
    }
}

pub const PARTNERS: [u128; 4] = [1, 2, 3, 4];
pub const IDP: u128 = 10;
pub const SPS: [u128; 2] = [11, 12];
pub const FOUND_LATER: u128 = 13;

/// The five services: (id, organisation, name, availability, maximum unavailability).
pub fn services() -> Vec<ServiceSnapshot> {
    let s =
        |id: u128, org: u128, name: &str, availability: &str, max: Option<i64>| ServiceSnapshot {
            id: ServiceId(Uuid::from_u128(id)),
            organisation: OrganisationId(Uuid::from_u128(org)),
            name: name.to_owned(),
            max_unavailability_seconds: max,
            availability: Some(availability.to_owned()),
        };
    vec![
        s(101, 1, "Connexion", "24/7", Some(4 * 3600)),
        s(102, 1, "Portail agents", "heures ouvrées", Some(30_600)),
        s(103, 2, "API prestations", "24/7", Some(48 * 3600)),
        s(104, 3, "Annuaire", "heures ouvrées", None),
        s(105, 4, "Démarches", "24h/24 7j/7", Some(2 * 3600)),
    ]
}

/// The workers share one outbox: a worker claiming mails could take another ticket's reminder and
/// settle it at its own instant, or hold it unsettled while that ticket's sweep looks for it (the
/// automatic closure then never comes). A sweep and the delivery of the reminders it queued are
/// therefore one step no other worker interleaves with.
static SWEEP_AND_DELIVER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One ticket's life, command after command, with the sweeper run at each instant something
/// fell due before the next command (as the real sweeper would).
struct Life<'a> {
    store: &'a Store,
    policy: &'a Policy,
    current: StoredTicket,
    now: DateTime<Utc>,
}

impl Life<'_> {
    async fn sweep_until(&mut self, until: DateTime<Utc>) {
        while let Some(due) = next_due(&self.current.ticket, self.policy)
            && due <= until
        {
            let due = due.max(self.now);
            let _step = SWEEP_AND_DELIVER.lock().await;
            match self
                .store
                .sweep_ticket(self.current.ticket.id, due, self.policy)
                .await
                .unwrap()
            {
                Some(swept) => self.current = swept,
                None => break,
            }
            self.now = due;
            self.deliver_reminders(due).await;
        }
    }

    /// The mail server accepts each reminder as soon as it is queued: closure condition 3 counts
    /// only a delivered one. Other mails are claimed and left (no figure depends on them).
    async fn deliver_reminders(&mut self, at: DateTime<Utc>) {
        let far = at + TimeDelta::days(36_500);
        let claimed = self
            .store
            .claim_outbox("oracle", far, TimeDelta::days(36_500), 10_000)
            .await
            .unwrap();
        let mut delivered = false;
        for claim in claimed {
            if claim.mail.template == ticket_domain::Template::ReporterReminder {
                let settled = self
                    .store
                    .settle_outbox(
                        claim.mail.id,
                        "oracle",
                        ticket_store::outbox::Settlement::Sent {
                            message_id: "<reminder@oracle>",
                            at: claim.mail.created_at.max(at),
                            policy: self.policy,
                        },
                    )
                    .await
                    .unwrap();
                delivered |= settled && claim.mail.ticket_id == self.current.ticket.id;
            }
        }
        if delivered {
            self.current = self
                .store
                .get_ticket(TicketKey::Id(self.current.ticket.id))
                .await
                .unwrap();
        }
    }

    async fn run(&mut self, after: TimeDelta, command: Command, actor: &Actor) {
        let when = self.now + after;
        self.sweep_until(when).await;
        self.now = when;
        let name = command.name();
        self.current = self
            .store
            .execute(
                TicketKey::Id(self.current.ticket.id),
                self.current.version,
                command,
                actor,
                when,
                self.policy,
            )
            .await
            .unwrap_or_else(|e| panic!("{name} at {when} refused: {e}"));
    }

    fn is(&self, state: ticket_domain::State) -> bool {
        self.current.ticket.state == state
    }
}

fn priority(rng: &mut Rng) -> Priority {
    Priority::ALL[rng.below(5) as usize]
}

fn note() -> Option<ticket_domain::values::Text> {
    Some(text("Convenu avec le déclarant"))
}

/// Opens ticket number `n` at `opened` and plays its life until `horizon`.
pub async fn make_ticket(
    store: &Store,
    policy: &Policy,
    rng: &mut Rng,
    opened: DateTime<Utc>,
    horizon: DateTime<Utc>,
) -> Made {
    let roll = rng.below(100);
    let services = services();
    let supervisor = staff(Role::Supervisor);
    let security = staff(Role::Security);
    let (kind_data, organisation, opener, service, started_at) = if roll < 60 {
        let service = services[rng.below(services.len() as u64) as usize].clone();
        let org = service.organisation;
        let started = opened - rng.minutes(0, 180);
        let opener = if rng.chance(80) {
            Actor::Partner {
                organisation: org,
                key_name: "oracle".into(),
            }
        } else {
            staff(Role::Agent)
        };
        (
            KindData::Incident(IncidentData {
                service: Some(service.clone()),
                started_at: started,
                impact: text("Les usagers ne peuvent plus se connecter"),
                security: false,
            }),
            Some(org.0),
            opener,
            Some(service),
            Some(started),
        )
    } else if roll < 85 {
        let org = Uuid::from_u128(PARTNERS[rng.below(4) as usize]);
        (
            KindData::SupportRequest(SupportRequestData {
                question: text("Comment raccorder un nouveau service ?"),
            }),
            Some(org),
            Actor::Partner {
                organisation: OrganisationId(org),
                key_name: "oracle".into(),
            },
            None,
            None,
        )
    } else {
        (
            KindData::UserUsurpation(UserUsurpationData {
                reported_by: UsurpationReporter::Operator,
                session_id: None,
                suspicious_connection_at: Some(opened - TimeDelta::days(1)),
                suspicious_connection_date: None,
                identity_provider: Some(OrganisationId(Uuid::from_u128(IDP))),
                service_providers: SPS
                    .iter()
                    .map(|o| OrganisationId(Uuid::from_u128(*o)))
                    .collect(),
                victim: BirthIdentity::default(),
                contact: Contact::default(),
                description: None,
                consent: true,
                qualification: None,
            }),
            None,
            security.clone(),
            None,
            None,
        )
    };
    let kind = kind_data.kind();
    let new = NewTicket {
        id: TicketId::new_v7(),
        reference_number: 0,
        title: text("Rapport de qualité"),
        data: kind_data,
        organisation: organisation.map(OrganisationId),
        reporter_email: None,
        language: Language::Fr,
        proposed_priority: (kind != TicketKind::UserUsurpation).then(|| priority(rng)),
        follow_up_of: None,
        same_session_as: Vec::new(),
    };
    let created = store
        .create_ticket(new, &opener, opened, policy, None, false)
        .await
        .unwrap();
    let made = Made {
        id: created.ticket.ticket.id,
        reference: created.ticket.ticket.reference.to_string(),
        kind,
        organisation,
        service,
        started_at,
    };
    let mut life = Life {
        store,
        policy,
        current: created.ticket,
        now: opened,
    };
    if kind == TicketKind::UserUsurpation {
        usurpation_life(&mut life, rng, &security).await;
    } else {
        ordinary_life(
            &mut life,
            rng,
            &supervisor,
            &opener,
            kind == TicketKind::Incident,
        )
        .await;
    }
    life.sweep_until(horizon).await;
    made
}

fn reason() -> ticket_domain::values::Text {
    text("Réévaluation")
}

/// Acknowledgement delays: mostly quick, some late enough to breach.
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

/// An incident (`outage`) is worked on at once and fixed within hours, so that its service has
/// outages with gaps between them; rarely, one lasts days or is left open.
async fn ordinary_life(
    life: &mut Life<'_>,
    rng: &mut Rng,
    staff: &Actor,
    opener: &Actor,
    outage: bool,
) {
    let long = !outage || rng.chance(3);
    use ticket_domain::State;
    if rng.chance(25) {
        let to = priority(rng);
        if to != life.current.ticket.priority {
            let after = rng.minutes(1, 120);
            life.run(
                after,
                Command::SetPriority {
                    priority: to,
                    reason: reason(),
                },
                staff,
            )
            .await;
        }
    }
    if rng.chance(3) {
        let after = rng.minutes(1, 600);
        life.run(
            after,
            Command::Cancel {
                cancellation: Cancellation::Spam,
                note: None,
            },
            staff,
        )
        .await;
        return;
    }
    if long && rng.chance(4) {
        // Never acknowledged: left to the sweeper.
        return;
    }
    let after = if long {
        ack_delay(rng)
    } else {
        rng.minutes(5, 90)
    };
    life.run(after, Command::Acknowledge { note: None }, staff)
        .await;
    let after = rng.minutes(1, 60);
    life.run(
        after,
        Command::Assign {
            assignee: ticket_domain::values::StaffHandle::parse("h", "alice").unwrap(),
        },
        staff,
    )
    .await;
    if rng.chance(20) {
        let to = priority(rng);
        if to != life.current.ticket.priority {
            let after = rng.minutes(10, 24 * 60);
            life.run(
                after,
                Command::SetPriority {
                    priority: to,
                    reason: reason(),
                },
                staff,
            )
            .await;
        }
    }
    if rng.chance(10) {
        let when = life.now + rng.minutes(10, 24 * 60);
        // The sweeper may have escalated it to the top already.
        life.sweep_until(when).await;
        if life.current.ticket.tier.next().is_some() {
            let after = when - life.now;
            life.run(after, Command::Escalate { reason: reason() }, staff)
                .await;
        }
    }
    if rng.chance(30) {
        let after = rng.minutes(10, 24 * 60);
        life.run(
            after,
            Command::WaitForReporter {
                question: text("Pouvez-vous préciser ?"),
            },
            staff,
        )
        .await;
        if long && rng.chance(12) {
            // A silent reporter: reminders, then the automatic closure, by the sweeper.
            return;
        }
        let after = if long {
            rng.minutes(60, 5 * 24 * 60)
        } else {
            rng.minutes(20, 180)
        };
        if life.is(State::WaitingReporter) {
            life.run(
                after,
                Command::RecordReporterAnswered {
                    note: text("Réponse par téléphone"),
                },
                staff,
            )
            .await;
        }
    }
    if long && rng.chance(5) {
        // Still being worked on at the end.
        return;
    }
    if !life.current.ticket.state.is_open() {
        return;
    }
    let after = if long {
        work_delay(rng)
    } else {
        rng.minutes(20, 300)
    };
    life.run(
        after,
        Command::Resolve {
            summary: text("Corrigé"),
        },
        staff,
    )
    .await;
    if rng.chance(8) {
        let after = rng.minutes(60, 2 * 24 * 60);
        life.run(
            after,
            Command::RecordNotFixed {
                note: text("Toujours en panne"),
            },
            staff,
        )
        .await;
        let after = if long {
            work_delay(rng)
        } else {
            rng.minutes(20, 300)
        };
        life.run(
            after,
            Command::Resolve {
                summary: text("Corrigé pour de bon"),
            },
            staff,
        )
        .await;
    }
    let roll = rng.below(100);
    let staff_opened = matches!(opener, Actor::Staff { .. });
    let reason = if staff_opened && roll < 50 {
        ClosureReason::ResolvedByOperator
    } else if roll < 55 {
        ClosureReason::ResolvedConfirmed
    } else if roll < 70 {
        ClosureReason::MutualAgreement
    } else if roll < 85 && !staff_opened {
        ClosureReason::ResolvedConfirmed
    } else {
        return;
    };
    let after = rng.minutes(30, 3 * 24 * 60);
    life.run(
        after,
        Command::Close {
            reason,
            proof: ClosureProof { note: note() },
        },
        staff,
    )
    .await;
    if rng.chance(10) {
        let after = rng.minutes(60, 10 * 24 * 60);
        life.run(
            after,
            Command::Reopen {
                reason: text("Le problème est revenu"),
            },
            staff,
        )
        .await;
        let after = if long {
            work_delay(rng)
        } else {
            rng.minutes(20, 300)
        };
        life.run(
            after,
            Command::Resolve {
                summary: text("Corrigé à nouveau"),
            },
            staff,
        )
        .await;
        let after = rng.minutes(30, 2 * 24 * 60);
        life.run(
            after,
            Command::Close {
                reason: ClosureReason::ResolvedConfirmed,
                proof: ClosureProof { note: note() },
            },
            staff,
        )
        .await;
    }
}

async fn usurpation_life(life: &mut Life<'_>, rng: &mut Rng, security: &Actor) {
    let after = ack_delay(rng);
    life.run(after, Command::Acknowledge { note: None }, security)
        .await;
    let after = rng.minutes(10, 2 * 24 * 60);
    if rng.chance(30) {
        life.run(
            after,
            Command::Qualify {
                qualification: Qualification::Unfounded {
                    explanation: text("Connexion légitime"),
                },
            },
            security,
        )
        .await;
    } else {
        life.run(
            after,
            Command::Qualify {
                qualification: Qualification::Confirmed,
            },
            security,
        )
        .await;
        let mut concerned: Vec<u128> = vec![IDP, SPS[0], SPS[1]];
        if rng.chance(25) {
            let after = rng.minutes(10, 24 * 60);
            life.run(
                after,
                Command::AddConcernedOrganisation {
                    organisation: OrganisationId(Uuid::from_u128(FOUND_LATER)),
                    role: ConcernedRole::ServiceProvider,
                },
                security,
            )
            .await;
            concerned.push(FOUND_LATER);
        }
        if rng.chance(10) {
            // Still being investigated at the end.
            return;
        }
        for org in concerned {
            let after = rng.minutes(5, 2 * 24 * 60);
            life.run(
                after,
                Command::RecordOrganisationNotified {
                    organisation: OrganisationId(Uuid::from_u128(org)),
                },
                security,
            )
            .await;
        }
        let after = work_delay(rng);
        life.run(
            after,
            Command::Resolve {
                summary: text("Comptes sécurisés"),
            },
            security,
        )
        .await;
    }
    let after = rng.minutes(30, 2 * 24 * 60);
    life.run(
        after,
        Command::Close {
            reason: ClosureReason::ResolvedByOperator,
            proof: ClosureProof { note: None },
        },
        security,
    )
    .await;
}

/// The generation window: tickets opened from `first` to `last`.
pub fn window() -> (DateTime<Utc>, DateTime<Utc>) {
    (at("2026-08-20T00:00:00Z"), at("2026-11-28T00:00:00Z"))
}
