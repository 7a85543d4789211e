//! The five priorities, as a table of data (rule "Priorities" of the domain document).
//!
//! The table is configuration with the annex's values as default: handling targets and owners are
//! looked up here, never written as `match` arms elsewhere.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A ticket's priority; 1 is the most urgent.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Priority {
    /// 1: service down and cannot be restarted without a full fix, or any security problem.
    Critique,
    /// 2: running only on backup systems, or response times heavily affected.
    Majeure,
    /// 3: running with reduced functions or malfunctions.
    Normale,
    /// 4: main functions unaffected.
    Mineure,
    /// 5: a request for information.
    Info,
}

impl Priority {
    pub const ALL: [Priority; 5] = [
        Priority::Critique,
        Priority::Majeure,
        Priority::Normale,
        Priority::Mineure,
        Priority::Info,
    ];

    /// 1 (critique) to 5 (info).
    pub fn level(self) -> u8 {
        match self {
            Priority::Critique => 1,
            Priority::Majeure => 2,
            Priority::Normale => 3,
            Priority::Mineure => 4,
            Priority::Info => 5,
        }
    }

    pub fn from_level(level: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.level() == level)
    }

    /// The name used on the wire and in the annex.
    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn parse(name: &str) -> Option<Self> {
        name.parse().ok()
    }

    /// Whether `self` is less urgent than `other`.
    pub fn is_lower_than(self, other: Priority) -> bool {
        self.level() > other.level()
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The people told when a ticket of a priority escalates; reached at addresses set in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    ProductionLead,
    ProductLead,
    PartnerRelationsLead,
    Supervisor,
}

impl Owner {
    pub const ALL: [Owner; 4] = [
        Owner::ProductionLead,
        Owner::ProductLead,
        Owner::PartnerRelationsLead,
        Owner::Supervisor,
    ];
}

/// One row of the priority table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityRow {
    pub priority: Priority,
    pub meaning: String,
    /// Handling target in working days, counted from creation.
    pub handling_target_days: u32,
    /// Owners told at escalation.
    pub owners: Vec<Owner>,
}

/// The priority table: one row per priority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<PriorityRow>", into = "Vec<PriorityRow>")]
pub struct PriorityTable {
    rows: Vec<PriorityRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriorityTableError {
    #[error("the priority table must have exactly one row for each of the five priorities")]
    NotOneRowPerPriority,
    #[error("priority {0} has a handling target of zero days")]
    ZeroTarget(Priority),
}

impl TryFrom<Vec<PriorityRow>> for PriorityTable {
    type Error = PriorityTableError;

    fn try_from(mut rows: Vec<PriorityRow>) -> Result<Self, Self::Error> {
        rows.sort_by_key(|r| r.priority);
        let priorities: Vec<Priority> = rows.iter().map(|r| r.priority).collect();
        if priorities != Priority::ALL {
            return Err(PriorityTableError::NotOneRowPerPriority);
        }
        if let Some(row) = rows.iter().find(|r| r.handling_target_days == 0) {
            return Err(PriorityTableError::ZeroTarget(row.priority));
        }
        Ok(Self { rows })
    }
}

impl From<PriorityTable> for Vec<PriorityRow> {
    fn from(table: PriorityTable) -> Self {
        table.rows
    }
}

impl Default for PriorityTable {
    /// The annex's table.
    fn default() -> Self {
        let row = |priority, meaning: &str, handling_target_days, owners: &[Owner]| PriorityRow {
            priority,
            meaning: meaning.to_owned(),
            handling_target_days,
            owners: owners.to_vec(),
        };
        Self {
            rows: vec![
                row(
                    Priority::Critique,
                    "service down, cannot be restarted without a full fix, or any security problem",
                    2,
                    &[Owner::ProductionLead, Owner::ProductLead],
                ),
                row(
                    Priority::Majeure,
                    "running only on backup systems, or response times heavily affected",
                    2,
                    &[Owner::ProductLead],
                ),
                row(
                    Priority::Normale,
                    "running with reduced functions or malfunctions",
                    5,
                    &[Owner::ProductLead],
                ),
                row(
                    Priority::Mineure,
                    "main functions unaffected",
                    5,
                    &[Owner::PartnerRelationsLead, Owner::ProductLead],
                ),
                row(
                    Priority::Info,
                    "a request for information",
                    8,
                    &[Owner::PartnerRelationsLead],
                ),
            ],
        }
    }
}

impl PriorityTable {
    pub fn row(&self, priority: Priority) -> &PriorityRow {
        // The constructor guarantees one row per priority, in order.
        &self.rows[usize::from(priority.level() - 1)]
    }

    /// Handling target of a priority, in working days.
    pub fn handling_target_days(&self, priority: Priority) -> u32 {
        self.row(priority).handling_target_days
    }

    /// Owners told when a ticket of this priority escalates.
    pub fn owners(&self, priority: Priority) -> &[Owner] {
        &self.row(priority).owners
    }

    pub fn rows(&self) -> &[PriorityRow] {
        &self.rows
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn priority_table_defaults_follow_the_annex() {
        let table = PriorityTable::default();
        let targets: Vec<u32> = Priority::ALL
            .iter()
            .map(|p| table.handling_target_days(*p))
            .collect();
        assert_eq!(targets, [2, 2, 5, 5, 8]);
        assert_eq!(
            table.owners(Priority::Critique),
            [Owner::ProductionLead, Owner::ProductLead]
        );
        assert_eq!(table.owners(Priority::Majeure), [Owner::ProductLead]);
        assert_eq!(table.owners(Priority::Normale), [Owner::ProductLead]);
        assert_eq!(
            table.owners(Priority::Mineure),
            [Owner::PartnerRelationsLead, Owner::ProductLead]
        );
        assert_eq!(table.owners(Priority::Info), [Owner::PartnerRelationsLead]);
    }

    #[test]
    fn priority_names_and_levels_round_trip() {
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.name()), Some(p));
            assert_eq!(Priority::from_level(p.level()), Some(p));
        }
        assert_eq!(Priority::parse("urgent"), None);
        assert!(Priority::Info.is_lower_than(Priority::Critique));
    }

    #[test]
    fn priority_table_is_configuration_and_must_be_complete() {
        let json = serde_json::to_string(&PriorityTable::default()).unwrap();
        let back: PriorityTable = serde_json::from_str(&json).unwrap();
        assert_eq!(back, PriorityTable::default());
        let mut rows: Vec<PriorityRow> = PriorityTable::default().into();
        rows.pop();
        assert_eq!(
            PriorityTable::try_from(rows),
            Err(PriorityTableError::NotOneRowPerPriority)
        );
    }
}
