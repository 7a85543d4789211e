//! The report's figures computed again, independently, from the events as the store gives them
//! (the domain's full events) and from what the test opened each ticket with: written from the
//! domain document's words, not from the report's code. Only the calendars (working time) and the
//! output's plain data types are shared.
//!
//! The rules as read in DOMAIN.md (and the report's documented choices):
//! - a clock counts while the ticket is being worked on (new, acknowledged, in progress); waiting
//!   for the reporter never counts; the acknowledgement clock ends at the acknowledgement, the
//!   handling clock at the resolution;
//! - working time is on the 24/7 calendar for priority 1, on support hours otherwise, at the
//!   priority the ticket has when the clock is read;
//! - targets: acknowledgement 4 h (priority 1) or 2 working days; handling 2, 2, 5, 5, 8 working
//!   days; an incident on a service with a maximum unavailability must also stay under it, counted
//!   on the service's window; "within target" means the target was not reached;
//! - a service is down from the incident's start to its resolution (and again from a reopening to
//!   the next resolution); cancelled incidents are not outages; overlaps count once.

use crate::history::Made;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use std::collections::BTreeMap;
use ticket_domain::event::EscalationCause;
use ticket_domain::kind::{Qualification, TicketKind};
use ticket_domain::{Calendar, ClosureReason, Event, EventData, Priority, State, Tier};
use ticket_reports::figures::{
    BreachingTicket, Figures, Group, GroupKey, ServiceFigures, Stats, Timing,
};
use ticket_reports::{Dimension, Report};

pub struct Case {
    pub made: Made,
    pub events: Vec<Event>,
}

const WORKDAY: i64 = 8 * 3600 + 1800;

fn support() -> Calendar {
    Calendar::french_support_hours()
}

/// Working seconds in [a, b) for a ticket of `priority`.
fn working(priority: Priority, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
    if b <= a {
        return 0;
    }
    if priority == Priority::Critique {
        (b - a).num_seconds()
    } else {
        support().working_time_between(a, b).num_seconds()
    }
}

fn ack_target(priority: Priority) -> i64 {
    if priority == Priority::Critique {
        4 * 3600
    } else {
        2 * WORKDAY
    }
}

fn handling_target(priority: Priority) -> i64 {
    let days = match priority {
        Priority::Critique | Priority::Majeure => 2,
        Priority::Normale | Priority::Mineure => 5,
        Priority::Info => 8,
    };
    if priority == Priority::Critique {
        days * 86_400
    } else {
        days * WORKDAY
    }
}

fn nearest_rank(values: &[i64], percent: usize) -> i64 {
    let mut sorted = values.to_vec();
    sorted.sort();
    let n = sorted.len();
    let mut rank = (percent * n) / 100;
    if !(percent * n).is_multiple_of(100) {
        rank += 1;
    }
    sorted[rank.max(1) - 1]
}

fn stats_of(values: &[i64]) -> Option<Stats> {
    if values.is_empty() {
        return None;
    }
    let total: i64 = values.iter().sum();
    Some(Stats {
        median: nearest_rank(values, 50),
        p90: nearest_rank(values, 90),
        mean: total.div_euclid(values.len() as i64),
    })
}

fn counts_clock(state: State) -> bool {
    matches!(state, State::New | State::Acknowledged | State::InProgress)
}

/// Working time of the handling clock up to `until`: the spans in which the ticket was worked on.
fn handling_time(
    case: &Case,
    until: DateTime<Utc>,
    priority: Priority,
    calendar: Option<&Calendar>,
) -> i64 {
    let mut total = 0;
    let mut state = State::New;
    let mut since = case.events[0].at;
    for e in &case.events {
        if e.at > until {
            break;
        }
        if let Some((_, to)) = e.transition {
            if counts_clock(state) {
                total += span(calendar, priority, since, e.at);
            }
            state = to;
            since = e.at;
        }
    }
    if counts_clock(state) && since < until {
        total += span(calendar, priority, since, until);
    }
    total
}

fn span(
    calendar: Option<&Calendar>,
    priority: Priority,
    a: DateTime<Utc>,
    b: DateTime<Utc>,
) -> i64 {
    match calendar {
        Some(c) => c.working_time_between(a, b).num_seconds(),
        None => working(priority, a, b),
    }
}

fn service_calendar(made: &Made) -> Calendar {
    let availability = made
        .service
        .as_ref()
        .and_then(|s| s.availability.clone())
        .unwrap_or_default();
    if availability.contains("24/7") || availability.contains("24h/24") {
        Calendar::AlwaysOpen
    } else {
        support()
    }
}

#[derive(Default)]
struct Acc {
    f: Figures,
    ack_w: Vec<i64>,
    ack_e: Vec<i64>,
    res_w: Vec<i64>,
    res_e: Vec<i64>,
    notify: Vec<i64>,
}

pub struct Query {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: Vec<Dimension>,
    /// (first day, start, end) of each part of the period.
    pub parts: Vec<(NaiveDate, DateTime<Utc>, DateTime<Utc>)>,
}

fn key(q: &Query, made: &Made, day: NaiveDate, priority: Priority, tier: Tier) -> GroupKey {
    let has = |d: Dimension| q.group_by.contains(&d);
    GroupKey {
        period: if has(Dimension::Month) || has(Dimension::Week) {
            Some(day)
        } else {
            None
        },
        priority: if has(Dimension::Priority) {
            Some(priority)
        } else {
            None
        },
        kind: if has(Dimension::Kind) {
            Some(made.kind.name())
        } else {
            None
        },
        organisation: if has(Dimension::Organisation) {
            made.organisation
        } else {
            None
        },
        service: if has(Dimension::Service) {
            made.service.as_ref().map(|s| s.id.0)
        } else {
            None
        },
        tier: if has(Dimension::Tier) {
            Some(tier.name())
        } else {
            None
        },
    }
}

pub fn expected(q: &Query, cases: &[Case]) -> Report {
    let mut groups: BTreeMap<GroupKey, Acc> = BTreeMap::new();
    for case in cases {
        let created = case.events[0].at;
        let mut priority = Priority::Normale;
        let mut tier = Tier::Agent;
        let mut acknowledged = false;
        let mut resolved = false;
        let mut confirmed_at = None;
        let mut added_at: BTreeMap<uuid::Uuid, DateTime<Utc>> = BTreeMap::new();
        for e in &case.events {
            match &e.data {
                EventData::Created {
                    priority: p,
                    tier: t,
                    ..
                } => {
                    priority = *p;
                    tier = *t;
                }
                EventData::PriorityChanged { to, .. } => priority = *to,
                EventData::Escalated { to, .. } => tier = *to,
                _ => {}
            }
            let Some((day, _, _)) = q
                .parts
                .iter()
                .find(|(_, s, end)| *s <= e.at && e.at < *end)
                .copied()
            else {
                // Still follow the ticket's own facts outside the period.
                if matches!(e.data, EventData::Acknowledged { .. }) {
                    acknowledged = true;
                }
                if let Some((_, State::Resolved)) = e.transition {
                    resolved = true;
                }
                if let EventData::Qualified {
                    qualification: Qualification::Confirmed,
                } = &e.data
                {
                    confirmed_at = Some(e.at);
                }
                if let EventData::OrganisationConcerned { organisation, .. } = &e.data {
                    added_at.insert(organisation.0, e.at);
                }
                continue;
            };
            let acc = groups
                .entry(key(q, &case.made, day, priority, tier))
                .or_default();
            let f = &mut acc.f;
            match &e.data {
                EventData::Created { .. } => f.opened += 1,
                EventData::Closed { reason, .. } => {
                    f.closed += 1;
                    match reason {
                        ClosureReason::ResolvedConfirmed => f.closures.resolved_confirmed += 1,
                        ClosureReason::MutualAgreement => f.closures.mutual_agreement += 1,
                        ClosureReason::ReporterUnresponsive => {
                            f.closures.reporter_unresponsive += 1
                        }
                        ClosureReason::ResolvedByOperator => f.closures.resolved_by_operator += 1,
                    }
                }
                EventData::Cancelled { .. } => f.cancelled += 1,
                EventData::SlaWarning { clock, .. } => match clock {
                    ticket_domain::ClockKind::Acknowledgement => f.warnings.acknowledgement += 1,
                    ticket_domain::ClockKind::Handling => f.warnings.handling += 1,
                },
                EventData::SlaBreached { clock, .. } => match clock {
                    ticket_domain::ClockKind::Acknowledgement => f.breaches.acknowledgement += 1,
                    ticket_domain::ClockKind::Handling => f.breaches.handling += 1,
                },
                EventData::Escalated { cause, .. } => match cause {
                    EscalationCause::Manual { .. } => f.escalations.manual += 1,
                    EscalationCause::Breach {
                        clock: ticket_domain::ClockKind::Acknowledgement,
                    } => f.escalations.acknowledgement_breach += 1,
                    EscalationCause::Breach {
                        clock: ticket_domain::ClockKind::Handling,
                    } => f.escalations.handling_breach += 1,
                },
                EventData::Qualified { qualification } => match qualification {
                    Qualification::Confirmed => {
                        confirmed_at = Some(e.at);
                        f.identity_theft.confirmed += 1
                    }
                    Qualification::Unfounded { .. } => f.identity_theft.unfounded += 1,
                },
                EventData::OrganisationConcerned { organisation, .. } => {
                    added_at.insert(organisation.0, e.at);
                }
                EventData::OrganisationNotified { organisation, .. } => {
                    let mut since = confirmed_at.unwrap_or(created);
                    if let Some(added) = added_at.get(&organisation.0) {
                        since = since.max(*added);
                    }
                    f.identity_theft.notifications += 1;
                    acc.notify.push((e.at - since).num_seconds());
                }
                EventData::Acknowledged { .. } if !acknowledged => {
                    acknowledged = true;
                    // Acknowledged before any pause in this history: the clock ran from creation.
                    let w = working(priority, created, e.at);
                    f.acknowledgement.count += 1;
                    if w < ack_target(priority) {
                        f.acknowledgement.within_target += 1;
                    }
                    acc.ack_w.push(w);
                    acc.ack_e.push((e.at - created).num_seconds());
                }
                _ => {}
            }
            let f = &mut acc.f;
            if let Some((from, to)) = e.transition {
                if matches!(from, State::Resolved | State::Closed) && to == State::InProgress {
                    f.reopenings += 1;
                }
                if to == State::Resolved {
                    f.resolutions += 1;
                    if !resolved {
                        resolved = true;
                        let w = handling_time(case, e.at, priority, None);
                        let mut within = w < handling_target(priority);
                        if let Some(max) = case
                            .made
                            .service
                            .as_ref()
                            .and_then(|s| s.max_unavailability_seconds)
                        {
                            let cal = service_calendar(&case.made);
                            within &= handling_time(case, e.at, priority, Some(&cal)) < max;
                        }
                        f.resolution.count += 1;
                        if within {
                            f.resolution.within_target += 1;
                        }
                        acc.res_w.push(w);
                        acc.res_e.push((e.at - created).num_seconds());
                    }
                }
            }
        }
        // Open at the end of each part: the last state before the part's end.
        for (day, _, end) in &q.parts {
            let before: Vec<&Event> = case.events.iter().filter(|e| e.at < *end).collect();
            if before.is_empty() {
                continue;
            }
            let mut state = State::New;
            let mut p = Priority::Normale;
            let mut t = Tier::Agent;
            for e in &before {
                if let Some((_, to)) = e.transition {
                    state = to;
                }
                match &e.data {
                    EventData::Created {
                        priority: x,
                        tier: y,
                        ..
                    } => {
                        p = *x;
                        t = *y;
                    }
                    EventData::PriorityChanged { to, .. } => p = *to,
                    EventData::Escalated { to, .. } => t = *to,
                    _ => {}
                }
            }
            if state != State::Closed && state != State::Cancelled {
                groups
                    .entry(key(q, &case.made, *day, p, t))
                    .or_default()
                    .f
                    .open_at_end += 1;
            }
        }
    }
    let groups = groups
        .into_iter()
        .map(|(key, mut acc)| {
            let timing = |t: &mut Timing, w: &[i64], e: &[i64]| {
                t.working = stats_of(w);
                t.elapsed = stats_of(e);
                t.within_target_share =
                    (t.count > 0).then(|| t.within_target as f64 / t.count as f64);
            };
            timing(&mut acc.f.acknowledgement, &acc.ack_w, &acc.ack_e);
            timing(&mut acc.f.resolution, &acc.res_w, &acc.res_e);
            acc.f.reopen_rate =
                (acc.f.resolutions > 0).then(|| acc.f.reopenings as f64 / acc.f.resolutions as f64);
            acc.f.identity_theft.time_to_notify = stats_of(&acc.notify);
            Group {
                key,
                figures: acc.f,
            }
        })
        .collect();
    Report {
        from: q.from,
        to: q.to,
        time_zone: "Europe/Paris",
        group_by: q.group_by.clone(),
        groups,
        services: expected_services(q, cases),
    }
}

/// When an incident's service was down, up to `until` (cancelled: never).
fn down(case: &Case, until: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    if case
        .events
        .iter()
        .any(|e| e.at < until && matches!(e.transition, Some((_, State::Cancelled))))
    {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut from = case.made.started_at;
    for e in case.events.iter().filter(|e| e.at < until) {
        match e.transition {
            Some((_, State::Resolved | State::Closed)) => {
                if let Some(f) = from.take() {
                    out.push((f, e.at));
                }
            }
            Some((State::Resolved | State::Closed, State::InProgress)) => from = Some(e.at),
            _ => {}
        }
    }
    if let Some(f) = from {
        out.push((f, until));
    }
    out.retain(|(a, b)| a < b);
    out
}

fn expected_services(q: &Query, cases: &[Case]) -> Vec<ServiceFigures> {
    let start = q.parts[0].1;
    let end = q.parts[q.parts.len() - 1].2;
    let mut by: BTreeMap<uuid::Uuid, Vec<&Case>> = BTreeMap::new();
    for case in cases {
        if let Some(s) = &case.made.service
            && case.made.kind == TicketKind::Incident
            && down(case, end).iter().any(|(a, b)| *a < end && *b > start)
        {
            by.entry(s.id.0).or_default().push(case);
        }
    }
    by.into_iter()
        .map(|(id, cases)| {
            let snapshot = cases[0].made.service.clone().unwrap();
            let cal = service_calendar(&cases[0].made);
            // Sweep line over every start and end: a segment counts when some incident is down.
            let mut edges: Vec<(DateTime<Utc>, i32)> = Vec::new();
            for c in &cases {
                for (a, b) in down(c, end) {
                    let (a, b) = (a.max(start), b.min(end));
                    if a < b {
                        edges.push((a, 1));
                        edges.push((b, -1));
                    }
                }
            }
            edges.sort();
            let mut depth = 0;
            let mut last = start;
            let mut total = 0_i64;
            let mut current = TimeDelta::zero();
            let mut longest = TimeDelta::zero();
            for (t, d) in edges {
                if depth > 0 {
                    current += cal.working_time_between(last, t);
                }
                depth += d;
                if depth == 0 {
                    total += current.num_seconds();
                    longest = longest.max(current);
                    current = TimeDelta::zero();
                }
                last = t;
            }
            let max = snapshot.max_unavailability_seconds;
            let mut breaching: Vec<BreachingTicket> = cases
                .iter()
                .filter_map(|c| {
                    let own: i64 = down(c, end)
                        .iter()
                        .map(|(a, b)| cal.working_time_between(*a, *b).num_seconds())
                        .sum();
                    (max.is_some_and(|m| own > m)).then(|| BreachingTicket {
                        reference: c.made.reference.clone(),
                        unavailability_seconds: own,
                    })
                })
                .collect();
            breaching.sort_by(|a, b| a.reference.cmp(&b.reference));
            ServiceFigures {
                service: id,
                organisation: snapshot.organisation.0,
                name: snapshot.name.clone(),
                availability: snapshot.availability.clone(),
                around_the_clock: cal == Calendar::AlwaysOpen,
                max_unavailability_seconds: max,
                incidents: cases.len() as u64,
                unavailability_seconds: total,
                longest_outage_seconds: longest.num_seconds(),
                cumulative_exceeds_maximum: max.is_some_and(|m| total > m),
                longest_exceeds_maximum: max.is_some_and(|m| longest.num_seconds() > m),
                breaching_tickets: breaching,
            }
        })
        .collect()
}
