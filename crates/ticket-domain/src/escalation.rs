//! Escalation tiers (rule "Escalation" of the domain document).
//!
//! A breached or manually escalated ticket moves one tier up: agent → engineer → supervisor. Security
//! cases start with `security` and go straight to the supervisor, `security` keeping the case.

use crate::actor::Role;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Who currently handles a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Tier {
    /// Level-2 support.
    Agent,
    /// Level-3 support: a developer is needed.
    Engineer,
    /// Security officers: every security incident and usurpation.
    Security,
    /// The supervisor, with `security` for security cases.
    Supervisor,
}

impl Tier {
    /// Where a ticket starts: security cases with `security`, everything else with the agents.
    pub fn initial(security_case: bool) -> Tier {
        if security_case {
            Tier::Security
        } else {
            Tier::Agent
        }
    }

    /// The next tier up, or `None` at the top.
    pub fn next(self) -> Option<Tier> {
        match self {
            Tier::Agent => Some(Tier::Engineer),
            Tier::Engineer | Tier::Security => Some(Tier::Supervisor),
            Tier::Supervisor => None,
        }
    }

    /// The role that works at this tier.
    pub fn role(self) -> Role {
        match self {
            Tier::Agent => Role::Agent,
            Tier::Engineer => Role::Engineer,
            Tier::Security => Role::Security,
            Tier::Supervisor => Role::Supervisor,
        }
    }

    pub fn name(self) -> &'static str {
        self.into()
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escalation_moves_agent_to_engineer_to_supervisor() {
        assert_eq!(Tier::initial(false), Tier::Agent);
        assert_eq!(Tier::Agent.next(), Some(Tier::Engineer));
        assert_eq!(Tier::Engineer.next(), Some(Tier::Supervisor));
        assert_eq!(Tier::Supervisor.next(), None);
    }

    #[test]
    fn escalation_of_security_cases_goes_straight_to_the_supervisor() {
        assert_eq!(Tier::initial(true), Tier::Security);
        assert_eq!(Tier::Security.next(), Some(Tier::Supervisor));
    }
}
