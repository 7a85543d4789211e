//! The report, computed from the tickets' events.
//!
//! Each ticket's events are walked once, in order, rebuilding its SLA clocks (the domain's
//! [`SlaClock`], so paused time never counts) and its priority and tier over time; the walk yields
//! dated facts, which fall into the group of the ticket's priority and tier at that instant.

use crate::figures::{
    BreachingTicket, Figures, Group, GroupKey, PerClock, Report, ServiceFigures, Timing, stats,
};
use crate::input::{Cause, Outcome, ReportData, TicketHistory};
use crate::query::{Dimension, ReportQuery};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use std::collections::{BTreeMap, HashMap};
use ticket_domain::clock::{ClockKind, SlaClock};
use ticket_domain::kind::ServiceSnapshot;
use ticket_domain::{Calendar, ClosureReason, Policy, Priority, State, Tier};
use uuid::Uuid;

/// Computes the report of `query` over `tickets` (those that may have a figure in the period:
/// more is harmless), with the policy's targets and calendars.
pub fn report(query: &ReportQuery, tickets: &[TicketHistory], policy: &Policy) -> Report {
    let buckets = query.buckets();
    let mut groups: BTreeMap<GroupKey, Accumulator> = BTreeMap::new();
    for ticket in tickets {
        let walk = walk(ticket, policy);
        for fact in &walk.facts {
            let Some((day, _, _)) = buckets
                .iter()
                .find(|(_, s, e)| *s <= fact.at && fact.at < *e)
            else {
                continue;
            };
            let key = key_of(query, ticket, *day, fact.priority, fact.tier);
            groups.entry(key).or_default().add(&fact.what);
        }
        for (day, _, end) in &buckets {
            if let Some(state) = walk.state_at(*end)
                && state.open
            {
                let key = key_of(query, ticket, *day, state.priority, state.tier);
                groups.entry(key).or_default().figures.open_at_end += 1;
            }
        }
    }
    Report {
        from: query.from,
        to: query.to,
        time_zone: "Europe/Paris",
        group_by: query.group_by.clone(),
        groups: groups
            .into_iter()
            .map(|(key, acc)| Group {
                key,
                figures: acc.finish(),
            })
            .collect(),
        services: services(query, tickets, policy),
    }
}

fn key_of(
    query: &ReportQuery,
    ticket: &TicketHistory,
    day: NaiveDate,
    priority: Priority,
    tier: Tier,
) -> GroupKey {
    let by = |d| query.groups_by(d);
    GroupKey {
        period: (by(Dimension::Month) || by(Dimension::Week)).then_some(day),
        priority: by(Dimension::Priority).then_some(priority),
        kind: by(Dimension::Kind).then(|| ticket.kind.name()),
        organisation: if by(Dimension::Organisation) {
            ticket.organisation
        } else {
            None
        },
        service: if by(Dimension::Service) {
            ticket
                .incident
                .as_ref()
                .and_then(|i| i.service.as_ref())
                .map(|s| s.id.0)
        } else {
            None
        },
        tier: by(Dimension::Tier).then(|| tier.name()),
    }
}

/// Something that happened to a ticket and moves a figure.
#[derive(Debug, Clone, PartialEq)]
enum What {
    Opened,
    Closed(ClosureReason),
    Cancelled,
    Acknowledged(Measure),
    FirstResolution(Measure),
    Resolution,
    Reopening,
    Warning(ClockKind),
    Breach(ClockKind),
    Escalation(Option<ClockKind>),
    Qualified(bool),
    Notified(i64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Measure {
    working: i64,
    elapsed: i64,
    within: bool,
}

#[derive(Debug)]
struct Fact {
    at: DateTime<Utc>,
    priority: Priority,
    tier: Tier,
    what: What,
}

/// The ticket's state after each of its events: open or not, priority, tier.
#[derive(Debug, Clone, Copy)]
struct Standing {
    at: DateTime<Utc>,
    open: bool,
    priority: Priority,
    tier: Tier,
}

#[derive(Debug)]
struct Walk {
    facts: Vec<Fact>,
    standings: Vec<Standing>,
}

impl Walk {
    /// The standing just before `instant` (after every event strictly before it).
    fn state_at(&self, instant: DateTime<Utc>) -> Option<Standing> {
        let after = self.standings.partition_point(|s| s.at < instant);
        after.checked_sub(1).map(|i| self.standings[i])
    }
}

fn seconds(delta: TimeDelta) -> i64 {
    delta.num_seconds()
}

fn walk(ticket: &TicketHistory, policy: &Policy) -> Walk {
    let created_at = ticket
        .events
        .first()
        .map_or(DateTime::<Utc>::MIN_UTC, |e| e.at);
    let mut facts = Vec::new();
    let mut standings = Vec::new();
    let mut priority = Priority::Normale;
    let mut tier = Tier::Agent;
    let mut open = true;
    let mut ack = SlaClock::default();
    let mut handling = SlaClock::default();
    let mut acknowledged = false;
    let mut resolved_once = false;
    let mut confirmed_at: Option<DateTime<Utc>> = None;
    let mut concerned_at: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    let service_limit = service_limit(ticket, policy);
    for event in &ticket.events {
        let at = event.at;
        let mut what = Vec::new();
        match &event.data {
            ReportData::Created {
                priority: p,
                tier: t,
            } => {
                priority = *p;
                tier = *t;
                ack = SlaClock::started(at);
                handling = SlaClock::started(at);
                what.push(What::Opened);
            }
            ReportData::PriorityChanged { to } => priority = *to,
            ReportData::Escalated { to, cause } => {
                tier = *to;
                what.push(What::Escalation(match cause {
                    Cause::Manual {} => None,
                    Cause::Breach { clock } => Some(*clock),
                }));
            }
            ReportData::SlaWarning { clock } => what.push(What::Warning(*clock)),
            ReportData::SlaBreached { clock } => what.push(What::Breach(*clock)),
            ReportData::Closed { reason } => what.push(What::Closed(*reason)),
            ReportData::Cancelled {} => what.push(What::Cancelled),
            ReportData::Qualified { qualification } => {
                let confirmed = matches!(qualification, Outcome::Confirmed);
                if confirmed {
                    confirmed_at = Some(at);
                }
                what.push(What::Qualified(confirmed));
            }
            ReportData::OrganisationConcerned { organisation } => {
                concerned_at.insert(*organisation, at);
            }
            ReportData::OrganisationNotified { organisation } => {
                let since = confirmed_at.unwrap_or(created_at).max(
                    concerned_at
                        .get(organisation)
                        .copied()
                        .unwrap_or(created_at),
                );
                what.push(What::Notified(seconds(at - since)));
            }
            _ => {}
        }
        if let Some((from, to)) = event.transition {
            if to == State::WaitingReporter {
                ack.pause(at);
                handling.pause(at);
            }
            if from == State::WaitingReporter
                && matches!(to, State::New | State::Acknowledged | State::InProgress)
            {
                handling.resume(at);
            }
            if matches!(from, State::Resolved | State::Closed) && to == State::InProgress {
                handling.resume(at);
                what.push(What::Reopening);
            }
            if matches!(to, State::Resolved | State::Closed | State::Cancelled) {
                ack.stop(at);
                handling.stop(at);
            }
            open = !matches!(to, State::Closed | State::Cancelled);
            if to == State::Resolved {
                what.push(What::Resolution);
                if !resolved_once {
                    resolved_once = true;
                    let calendar = policy.calendar_for(priority);
                    let used = handling.used(calendar, at);
                    let within = used < policy.handling_target(priority).amount
                        && service_limit
                            .as_ref()
                            .is_none_or(|(cal, max)| handling.used(cal, at) < *max);
                    what.push(What::FirstResolution(Measure {
                        working: seconds(used),
                        elapsed: seconds(at - created_at),
                        within,
                    }));
                }
            }
        }
        if matches!(event.data, ReportData::Acknowledged {}) {
            ack.stop(at);
            if !acknowledged {
                acknowledged = true;
                let target = policy.acknowledgement_target(priority);
                let used = ack.used(target.calendar, at);
                what.push(What::Acknowledged(Measure {
                    working: seconds(used),
                    elapsed: seconds(at - created_at),
                    within: used < target.amount,
                }));
            }
        }
        for what in what {
            facts.push(Fact {
                at,
                priority,
                tier,
                what,
            });
        }
        standings.push(Standing {
            at,
            open,
            priority,
            tier,
        });
    }
    Walk { facts, standings }
}

/// An incident's service limit: the calendar of the service's availability window and its
/// declared maximum unavailability.
fn service_limit(ticket: &TicketHistory, policy: &Policy) -> Option<(Calendar, TimeDelta)> {
    let service = ticket.incident.as_ref()?.service.as_ref()?;
    let max = service.max_unavailability_seconds.filter(|s| *s > 0)?;
    Some((
        service_calendar(service, policy).clone(),
        TimeDelta::seconds(max),
    ))
}

/// A 24/7 service is counted in elapsed time; any other on support hours.
fn service_calendar<'a>(service: &ServiceSnapshot, policy: &'a Policy) -> &'a Calendar {
    if service.is_around_the_clock() {
        &policy.critical_calendar
    } else {
        &policy.support_calendar
    }
}

#[derive(Debug, Default)]
struct Accumulator {
    figures: Figures,
    ack_working: Vec<i64>,
    ack_elapsed: Vec<i64>,
    res_working: Vec<i64>,
    res_elapsed: Vec<i64>,
    notify: Vec<i64>,
}

impl Accumulator {
    fn add(&mut self, what: &What) {
        let f = &mut self.figures;
        let clock = |per: &mut PerClock, clock: &ClockKind| match clock {
            ClockKind::Acknowledgement => per.acknowledgement += 1,
            ClockKind::Handling => per.handling += 1,
        };
        match what {
            What::Opened => f.opened += 1,
            What::Closed(reason) => {
                f.closed += 1;
                let c = &mut f.closures;
                match reason {
                    ClosureReason::ResolvedConfirmed => c.resolved_confirmed += 1,
                    ClosureReason::MutualAgreement => c.mutual_agreement += 1,
                    ClosureReason::ReporterUnresponsive => c.reporter_unresponsive += 1,
                    ClosureReason::ResolvedByOperator => c.resolved_by_operator += 1,
                }
            }
            What::Cancelled => f.cancelled += 1,
            What::Acknowledged(m) => {
                f.acknowledgement.count += 1;
                f.acknowledgement.within_target += u64::from(m.within);
                self.ack_working.push(m.working);
                self.ack_elapsed.push(m.elapsed);
            }
            What::FirstResolution(m) => {
                f.resolution.count += 1;
                f.resolution.within_target += u64::from(m.within);
                self.res_working.push(m.working);
                self.res_elapsed.push(m.elapsed);
            }
            What::Resolution => f.resolutions += 1,
            What::Reopening => f.reopenings += 1,
            What::Warning(c) => clock(&mut f.warnings, c),
            What::Breach(c) => clock(&mut f.breaches, c),
            What::Escalation(cause) => {
                let e = &mut f.escalations;
                match cause {
                    None => e.manual += 1,
                    Some(ClockKind::Acknowledgement) => e.acknowledgement_breach += 1,
                    Some(ClockKind::Handling) => e.handling_breach += 1,
                }
            }
            What::Qualified(true) => f.identity_theft.confirmed += 1,
            What::Qualified(false) => f.identity_theft.unfounded += 1,
            What::Notified(s) => {
                f.identity_theft.notifications += 1;
                self.notify.push(*s);
            }
        }
    }

    fn finish(mut self) -> Figures {
        let mut f = self.figures;
        let timing = |t: &mut Timing, working: &mut [i64], elapsed: &mut [i64]| {
            t.working = stats(working);
            t.elapsed = stats(elapsed);
            t.within_target_share = share(t.within_target, t.count);
        };
        timing(
            &mut f.acknowledgement,
            &mut self.ack_working,
            &mut self.ack_elapsed,
        );
        timing(
            &mut f.resolution,
            &mut self.res_working,
            &mut self.res_elapsed,
        );
        f.reopen_rate = share(f.reopenings, f.resolutions);
        f.identity_theft.time_to_notify = stats(&mut self.notify);
        f
    }
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Per service: the incidents' outages, from the incident's start to its resolution (again from
/// a reopening to the next resolution), cancelled incidents left out, merged where they overlap
/// and measured on the service's availability window.
fn services(
    query: &ReportQuery,
    tickets: &[TicketHistory],
    policy: &Policy,
) -> Vec<ServiceFigures> {
    let (start, end) = (query.start(), query.end());
    let mut by_service: BTreeMap<Uuid, (ServiceSnapshot, DateTime<Utc>, Vec<Outage>)> =
        BTreeMap::new();
    for ticket in tickets {
        let Some(incident) = &ticket.incident else {
            continue;
        };
        let Some(service) = &incident.service else {
            continue;
        };
        let Some(created) = ticket.events.first().map(|e| e.at) else {
            continue;
        };
        let Some(spans) = outage_spans(incident.started_at, ticket, end) else {
            continue;
        };
        if !spans.iter().any(|(s, e)| *s < end && *e > start) {
            continue;
        }
        let entry = by_service
            .entry(service.id.0)
            .or_insert_with(|| (service.clone(), created, Vec::new()));
        if created > entry.1 {
            entry.0 = service.clone();
            entry.1 = created;
        }
        entry.2.push(Outage {
            reference: ticket.reference.clone(),
            spans,
        });
    }
    by_service
        .into_values()
        .map(|(service, _, outages)| {
            let calendar = service_calendar(&service, policy);
            let mut clipped: Vec<(DateTime<Utc>, DateTime<Utc>)> = outages
                .iter()
                .flat_map(|o| o.spans.iter())
                .map(|(s, e)| ((*s).max(start), (*e).min(end)))
                .filter(|(s, e)| s < e)
                .collect();
            clipped.sort();
            let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
            for (s, e) in clipped {
                match merged.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            let measured: Vec<i64> = merged
                .iter()
                .map(|(s, e)| seconds(calendar.working_time_between(*s, *e)))
                .collect();
            let total: i64 = measured.iter().sum();
            let longest = measured.iter().copied().max().unwrap_or(0);
            let max = service.max_unavailability_seconds.filter(|m| *m > 0);
            let mut breaching: Vec<BreachingTicket> = outages
                .iter()
                .filter_map(|o| {
                    let own: i64 = o
                        .spans
                        .iter()
                        .map(|(s, e)| seconds(calendar.working_time_between(*s, *e)))
                        .sum();
                    max.filter(|m| own > *m).map(|_| BreachingTicket {
                        reference: o.reference.clone(),
                        unavailability_seconds: own,
                    })
                })
                .collect();
            breaching.sort_by(|a, b| a.reference.cmp(&b.reference));
            ServiceFigures {
                service: service.id.0,
                organisation: service.organisation.0,
                around_the_clock: service.is_around_the_clock(),
                name: service.name,
                availability: service.availability,
                max_unavailability_seconds: max,
                incidents: outages.len() as u64,
                unavailability_seconds: total,
                longest_outage_seconds: longest,
                cumulative_exceeds_maximum: max.is_some_and(|m| total > m),
                longest_exceeds_maximum: max.is_some_and(|m| longest > m),
                breaching_tickets: breaching,
            }
        })
        .collect()
}

#[derive(Debug)]
struct Outage {
    reference: String,
    spans: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

/// When the incident's service was down, up to `until`; `None` for a cancelled incident.
fn outage_spans(
    started_at: DateTime<Utc>,
    ticket: &TicketHistory,
    until: DateTime<Utc>,
) -> Option<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    let mut spans = Vec::new();
    let mut down_since = Some(started_at);
    for event in &ticket.events {
        if event.at >= until {
            break;
        }
        let Some((from, to)) = event.transition else {
            continue;
        };
        if to == State::Cancelled {
            return None;
        }
        if matches!(to, State::Resolved | State::Closed) {
            if let Some(since) = down_since.take()
                && since < event.at
            {
                spans.push((since, event.at));
            }
        } else if matches!(from, State::Resolved | State::Closed) && down_since.is_none() {
            down_since = Some(event.at);
        }
    }
    if let Some(since) = down_since
        && since < until
    {
        spans.push((since, until));
    }
    Some(spans)
}
