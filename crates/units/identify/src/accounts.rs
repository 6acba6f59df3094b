//! Who may have an account: user name and password rules, and roles.

/// Shortest user name, in characters.
pub const MIN_USERNAME: usize = 3;
/// Longest user name, in characters.
pub const MAX_USERNAME: usize = 32;
/// Shortest password, in characters.
pub const MIN_PASSWORD: usize = 8;
/// Longest password, in bytes (bounds the hashing work one request can cause).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// What a user may do: the protocol's [`Role`](modt::protocol::Role) (`user` or `admin`),
/// stored as its wire word.
pub use modt::protocol::Role;

/// Why a user name or password is not acceptable. The messages are for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// Too short or too long.
    #[error("user names are 3 to 32 characters long")]
    UsernameLength,
    /// A character outside the allowed set.
    #[error("user names may use letters a–z, digits, '.', '_' and '-'")]
    UsernameCharacters,
    /// Too short.
    #[error("passwords need at least 8 characters")]
    PasswordTooShort,
    /// Too long.
    #[error("passwords may be at most 1024 bytes long")]
    PasswordTooLong,
    /// The confirmation differs.
    #[error("the two passwords differ")]
    PasswordMismatch,
}

/// Checks a new user name: ASCII letters, digits, `.`, `_`, `-`, 3–32 long. Names are unique
/// regardless of case.
pub fn check_username(name: &str) -> Result<(), RuleError> {
    let len = name.chars().count();
    if !(MIN_USERNAME..=MAX_USERNAME).contains(&len) {
        return Err(RuleError::UsernameLength);
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(RuleError::UsernameCharacters);
    }
    Ok(())
}

/// Checks a new password's length.
pub fn check_password(password: &str) -> Result<(), RuleError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(RuleError::PasswordTooLong);
    }
    if password.chars().count() < MIN_PASSWORD {
        return Err(RuleError::PasswordTooShort);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(check_username("alice"), Ok(()));
        assert_eq!(check_username("a.b_c-9"), Ok(()));
        assert_eq!(check_username("ab"), Err(RuleError::UsernameLength));
        assert_eq!(
            check_username(&"a".repeat(33)),
            Err(RuleError::UsernameLength)
        );
        assert_eq!(check_username("al ice"), Err(RuleError::UsernameCharacters));
        assert_eq!(check_username("ålice"), Err(RuleError::UsernameCharacters));
    }

    #[test]
    fn passwords() {
        assert_eq!(check_password("12345678"), Ok(()));
        assert_eq!(check_password("パスワードです長い"), Ok(()));
        assert_eq!(check_password("1234567"), Err(RuleError::PasswordTooShort));
        assert_eq!(
            check_password(&"x".repeat(MAX_PASSWORD_BYTES + 1)),
            Err(RuleError::PasswordTooLong)
        );
    }

    #[test]
    fn roles_round_trip() {
        for r in [Role::User, Role::Admin] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
