//! [`Role`]: what a user may do — an ordinary user or an administrator. The identify unit
//! stores it, says it in `modt/session/info` and `modt/auth/success` (`"role": "user"` or
//! `"admin"`, docs/protocol.md §2), and every web unit decides with it who sees what.
//!
//! This module owns the role's words on the wire; it does not decide what a role may do
//! (each unit checks that itself).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a user may do. On the wire `"user"` or `"admin"`, as the original units write it.
///
/// ```
/// use modt::protocol::Role;
/// assert_eq!(serde_json::to_string(&Role::Admin).unwrap(), r#""admin""#);
/// assert_eq!("user".parse::<Role>(), Ok(Role::User));
/// assert!(Role::Admin.is_admin());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An ordinary user (the default: the least a role can mean).
    #[default]
    User,
    /// An administrator (e.g. may open any user's keys in the viewer, and the monitor).
    Admin,
}

/// A role word that is neither `user` nor `admin`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?} (expected \"user\" or \"admin\")")]
pub struct UnknownRole(pub String);

impl Role {
    /// The wire and database word: `user` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    /// Parses the wire word; `None` for anything else.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "user" => Some(Role::User),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// The role a peer announced, read with least privilege: any word but `admin` (an
    /// unknown one from a newer or foreign identify unit, say) counts as [`Role::User`].
    pub fn from_wire(s: &str) -> Role {
        Role::parse(s).unwrap_or(Role::User)
    }

    /// Whether this is [`Role::Admin`].
    pub fn is_admin(self) -> bool {
        self == Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        Role::parse(s).ok_or_else(|| UnknownRole(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_words_round_trip() {
        for r in [Role::User, Role::Admin] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{r}\""));
            assert_eq!(serde_json::from_str::<Role>(&json).unwrap(), r);
        }
        assert_eq!(Role::parse("root"), None);
        assert!("Admin".parse::<Role>().is_err(), "words are lower case");
        assert!(serde_json::from_str::<Role>("\"root\"").is_err());
    }

    #[test]
    fn unknown_words_from_peers_mean_least_privilege() {
        assert_eq!(Role::from_wire("admin"), Role::Admin);
        assert_eq!(Role::from_wire("superuser"), Role::User);
        assert_eq!(Role::from_wire(""), Role::User);
    }
}
