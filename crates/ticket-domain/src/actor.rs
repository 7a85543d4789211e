//! Actors and what each may do (rule "Actors" of the domain document).

use crate::values::{OrganisationId, StaffHandle};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Roles of the federation operator's staff.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    /// Level-2 support: triage, acknowledge, answer, resolve, close.
    Agent,
    /// Level-3 support: technical incidents that need a developer.
    Engineer,
    /// Security officers: every security incident and every identity-theft case.
    Security,
    /// Owners named by the priority table; receive escalations; may override.
    Supervisor,
    /// Manages the trust-sphere registry and API keys.
    Admin,
    /// Data-protection officer: reads the access journal, answers people's access and erasure
    /// requests, sets legal holds; sees tickets with personal data masked.
    Dpo,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Agent,
        Role::Engineer,
        Role::Security,
        Role::Supervisor,
        Role::Admin,
        Role::Dpo,
    ];

    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn parse(name: &str) -> Option<Role> {
        name.parse().ok()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Who performs a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// A member of the operator's staff.
    Staff { handle: StaffHandle, role: Role },
    /// A partner organisation, acting through one of its API keys.
    Partner {
        organisation: OrganisationId,
        /// The name of the key used, for the record.
        key_name: String,
    },
    /// A member of the public holding the ticket's private tracking link (the API checks the secret).
    PublicReporter,
    /// The service itself: clocks, reminders, automatic closure.
    System,
}

/// What an actor may do, before looking at a particular ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Declare an incident or report a usurpation.
    Declare,
    /// Read tickets (staff: all; partners: their organisation's).
    ReadTickets,
    /// Read internal notes.
    ReadInternalNotes,
    /// Triage and handle tickets: acknowledge, assign, prioritise, answer, resolve, close, cancel.
    Handle,
    /// Qualify usurpation reports, record notifications and revocations, waive revocation.
    HandleSecurity,
    /// Manage the trust-sphere registry and API keys.
    Administer,
}

impl Actor {
    pub fn staff(handle: StaffHandle, role: Role) -> Self {
        Actor::Staff { handle, role }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::Staff { role, .. } => Some(*role),
            _ => None,
        }
    }

    /// Whether the actor has the `security` role, or overrides as a supervisor.
    pub fn is_security_or_supervisor(&self) -> bool {
        matches!(self.role(), Some(Role::Security | Role::Supervisor))
    }

    pub fn organisation(&self) -> Option<OrganisationId> {
        match self {
            Actor::Partner { organisation, .. } => Some(*organisation),
            _ => None,
        }
    }

    /// Role-level permissions; ticket-level checks (own organisation, security case) come on top.
    pub fn may(&self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Actor::Staff { role, .. } => match role {
                Role::Agent | Role::Engineer => {
                    matches!(
                        permission,
                        Declare | ReadTickets | ReadInternalNotes | Handle
                    )
                }
                Role::Security | Role::Supervisor => !matches!(permission, Administer),
                Role::Admin => matches!(permission, ReadTickets | ReadInternalNotes | Administer),
                Role::Dpo => matches!(permission, ReadTickets),
            },
            Actor::Partner { .. } => matches!(permission, Declare | ReadTickets),
            Actor::PublicReporter => matches!(permission, ReadTickets),
            Actor::System => matches!(permission, Handle | HandleSecurity),
        }
    }

    /// A short description for the history ("agent alice", "partner key main", "the reporter").
    /// Contains no personal data of users.
    pub fn describe(&self) -> String {
        match self {
            Actor::Staff { handle, role } => format!("{role} {handle}"),
            Actor::Partner { key_name, .. } => format!("partner key {key_name}"),
            Actor::PublicReporter => "the reporter".to_owned(),
            Actor::System => "the service".to_owned(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn staff(role: Role) -> Actor {
        Actor::staff(StaffHandle::parse("h", "alice").unwrap(), role)
    }

    #[test]
    fn roles_may_what_the_domain_says() {
        use Permission::*;
        assert!(staff(Role::Agent).may(Handle));
        assert!(!staff(Role::Agent).may(HandleSecurity));
        assert!(!staff(Role::Engineer).may(HandleSecurity));
        assert!(staff(Role::Security).may(HandleSecurity));
        assert!(staff(Role::Supervisor).may(HandleSecurity));
        assert!(!staff(Role::Supervisor).may(Administer));
        assert!(staff(Role::Admin).may(Administer));
        assert!(!staff(Role::Admin).may(Handle));
    }

    #[test]
    fn partners_and_public_never_handle_tickets_or_read_internal_notes() {
        let partner = Actor::Partner {
            organisation: OrganisationId::new_v7(),
            key_name: "main".into(),
        };
        for actor in [partner, Actor::PublicReporter] {
            assert!(!actor.may(Permission::Handle));
            assert!(!actor.may(Permission::ReadInternalNotes));
            assert!(!actor.may(Permission::Administer));
        }
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.name()), Some(role));
        }
    }
}
