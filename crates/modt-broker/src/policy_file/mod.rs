//! The declarative broker policy (`config/broker-policy.toml`): accounts and the topic
//! filters each may publish and subscribe to, and its enforcement on the embedded broker.
//!
//! [`BrokerPolicy`] is the parsed file. [`Enforced`] is the [`AccessPolicy`] the embedded
//! broker runs: a login needs a known account and its password (checked against a
//! Mosquitto-format password file, see [`crate::passwd`]), a client id that is the username
//! or starts with `username-`, and then every PUBLISH and SUBSCRIBE must be allowed by the
//! account's rules or the common ones. [`mosquitto`](crate::mosquitto) writes the same rules
//! as Mosquitto's `acl_file`.
//!
//! The file speaks the canonical `modt/…` topics; [`BrokerPolicy::in_namespace`] moves every
//! rule into a topic namespace (`modt up --namespace X`). A shared subscription
//! (`$share/{group}/{filter}`) is allowed when its filter is, and on the embedded broker only
//! in the group named after the account (or, for a replica's account `NAME-…`, after `NAME`),
//! so no other account can join a unit's group and take its messages.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use modt::protocol::Namespace;

use crate::policy::{AccessPolicy, ClientIdentity};

/// The policy shipped with MoDT.
pub const BUILTIN: &str = include_str!("../../../../config/broker-policy.toml");

/// Placeholder for the account's name in a filter.
pub const USERNAME: &str = "{username}";
/// Placeholder for the connecting client's id in a filter.
pub const CLIENT_ID: &str = "{client_id}";

/// What an account (or every account) may do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// What the account is for (shown in generated files).
    #[serde(default)]
    pub description: Option<String>,
    /// Filters of the topics it may publish to.
    #[serde(default)]
    pub publish: Vec<String>,
    /// Filters it may subscribe to (a subscription must lie within one of them).
    #[serde(default)]
    pub subscribe: Vec<String>,
    /// Whether the account's unit may announce a web side (`http_url` in its info): only
    /// these are linked from other units' pages and followed to log in.
    #[serde(default)]
    pub web: bool,
}

/// A parsed policy file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokerPolicy {
    /// Rules every account has.
    #[serde(default)]
    pub common: Rules,
    /// Accounts by username.
    pub accounts: BTreeMap<String, Rules>,
    /// The topic namespace the rules are in (the file's are in the default one, `modt`).
    #[serde(skip)]
    pub namespace: Namespace,
}

/// Why a policy file was refused.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// Not valid TOML, or unknown keys.
    #[error("broker policy: {0}")]
    Syntax(String),
    /// An account name that cannot be a username.
    #[error("broker policy: account name {0:?} must be 1–64 of a–z, 0–9, '_' and '-'")]
    AccountName(String),
    /// A filter that is not a valid MQTT filter.
    #[error("broker policy: account {account}: {filter:?} is not a valid topic filter")]
    Filter {
        /// Which account (or `common`).
        account: String,
        /// The bad filter.
        filter: String,
    },
}

/// Whether `name` can be an account name (and so appear in client ids and topics).
pub fn valid_account_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl BrokerPolicy {
    /// Parses and checks a policy file's text.
    pub fn parse(text: &str) -> Result<BrokerPolicy, PolicyError> {
        let policy: BrokerPolicy =
            toml::from_str(text).map_err(|e| PolicyError::Syntax(e.to_string()))?;
        for (account, rules) in std::iter::once(("common", &policy.common))
            .chain(policy.accounts.iter().map(|(k, v)| (k.as_str(), v)))
        {
            if account != "common" && !valid_account_name(account) {
                return Err(PolicyError::AccountName(account.to_string()));
            }
            for filter in rules.publish.iter().chain(&rules.subscribe) {
                let sample = filter.replace(USERNAME, "u").replace(CLIENT_ID, "c");
                // Mosquitto's acl_file holds one filter per line: a line break would end it.
                if filter.contains(['\n', '\r']) || modt::TopicFilter::new(sample).is_err() {
                    return Err(PolicyError::Filter {
                        account: account.to_string(),
                        filter: filter.clone(),
                    });
                }
            }
        }
        Ok(policy)
    }

    /// The policy shipped with MoDT.
    pub fn builtin() -> Result<BrokerPolicy, PolicyError> {
        BrokerPolicy::parse(BUILTIN)
    }

    /// The same rules in topic namespace `namespace`: every filter's leading `modt` level
    /// becomes the namespace (filters that do not start with it, like `#`, stay as they are).
    ///
    /// ```
    /// use modt::protocol::Namespace;
    /// let policy = modt_broker::BrokerPolicy::builtin().unwrap();
    /// let acme = policy.in_namespace(&Namespace::new("acme").unwrap());
    /// assert!(acme.may_publish("echo", "echo-1", "acme/echo/reply"));
    /// assert!(!acme.may_publish("echo", "echo-1", "modt/echo/reply"));
    /// ```
    pub fn in_namespace(&self, namespace: &Namespace) -> BrokerPolicy {
        let moved = |filters: &Vec<String>| -> Vec<String> {
            filters
                .iter()
                .map(|f| match f.as_str() {
                    // The whole bus of a namespaced system is its namespace's subtree.
                    "#" if !namespace.is_default() => format!("{}/#", namespace.as_str()),
                    _ => namespace.to_wire(f).into_owned(),
                })
                .collect()
        };
        let rules = |r: &Rules| Rules {
            publish: moved(&r.publish),
            subscribe: moved(&r.subscribe),
            ..r.clone()
        };
        BrokerPolicy {
            common: rules(&self.common),
            accounts: self
                .accounts
                .iter()
                .map(|(name, r)| (name.clone(), rules(r)))
                .collect(),
            namespace: namespace.clone(),
        }
    }

    /// Every account's name.
    pub fn account_names(&self) -> impl Iterator<Item = &str> {
        self.accounts.keys().map(String::as_str)
    }

    /// The accounts whose units may announce a web side (`web = true`).
    pub fn web_accounts(&self) -> impl Iterator<Item = &str> {
        self.accounts
            .iter()
            .filter(|(_, rules)| rules.web)
            .map(|(name, _)| name.as_str())
    }

    fn allowed<'a>(
        &'a self,
        username: &str,
        pick: fn(&Rules) -> &Vec<String>,
    ) -> Option<impl Iterator<Item = &'a String>> {
        let account = self.accounts.get(username)?;
        Some(pick(&self.common).iter().chain(pick(account).iter()))
    }

    /// Whether `username` (connected as `client_id`) may publish to `topic`.
    pub fn may_publish(&self, username: &str, client_id: &str, topic: &str) -> bool {
        let Some(mut rules) = self.allowed(username, |r| &r.publish) else {
            return false;
        };
        rules.any(|f| modt::protocol::topic::matches(&expand(f, username, client_id), topic))
    }

    /// Whether `username` (connected as `client_id`) may subscribe to `filter`: it must lie
    /// within an allowed filter (its own wildcards count as literal levels, so `modt/#` is
    /// not within `modt/state/set`). A shared subscription `$share/{group}/{inner}` needs
    /// `inner` allowed and the group named after the account, or after the unit an account
    /// `{group}-…` is a replica of (account `state-2` may join group `state`).
    pub fn may_subscribe(&self, username: &str, client_id: &str, filter: &str) -> bool {
        let filter = match filter.strip_prefix("$share/") {
            Some(shared) => match shared.split_once('/') {
                Some((group, inner)) if client_id_belongs(group, username) => inner,
                _ => return false,
            },
            None => filter,
        };
        let Some(mut rules) = self.allowed(username, |r| &r.subscribe) else {
            return false;
        };
        rules.any(|f| modt::protocol::topic::matches(&expand(f, username, client_id), filter))
    }
}

fn expand(filter: &str, username: &str, client_id: &str) -> String {
    filter
        .replace(USERNAME, username)
        .replace(CLIENT_ID, client_id)
}

/// Whether `client_id` belongs to `username`: equal, or `username-…`, and free of the
/// characters that would change a filter it is put into.
pub fn client_id_belongs(username: &str, client_id: &str) -> bool {
    let owned = client_id == username
        || client_id
            .strip_prefix(username)
            .is_some_and(|rest| rest.starts_with('-'));
    owned && !client_id.contains(['/', '+', '#', '\0'])
}

/// The policy the embedded broker enforces: accounts with passwords, and their rules.
#[derive(Debug)]
pub struct Enforced {
    policy: BrokerPolicy,
    /// Username → Mosquitto `$7$` password hash.
    passwords: HashMap<String, String>,
}

impl Enforced {
    /// Enforces `policy`; `passwords` maps usernames to hashes ([`crate::passwd::hash`]).
    /// Accounts without a password cannot log in.
    pub fn new(policy: BrokerPolicy, passwords: HashMap<String, String>) -> Enforced {
        Enforced { policy, passwords }
    }
}

impl AccessPolicy for Enforced {
    fn authenticate(&self, who: ClientIdentity<'_>, password: Option<&[u8]>) -> bool {
        let (Some(user), Some(password)) = (who.username, password) else {
            return false;
        };
        let Some(hash) = self.passwords.get(user) else {
            return false;
        };
        self.policy.accounts.contains_key(user)
            && client_id_belongs(user, who.client_id)
            && crate::passwd::verify(password, hash)
    }

    fn may_publish(&self, who: ClientIdentity<'_>, topic: &str) -> bool {
        who.username
            .is_some_and(|u| self.policy.may_publish(u, who.client_id, topic))
    }

    fn may_subscribe(&self, who: ClientIdentity<'_>, filter: &str) -> bool {
        who.username
            .is_some_and(|u| self.policy.may_subscribe(u, who.client_id, filter))
    }

    /// Only the publisher's own reply subtree, `modt/reply/{username}/{client_id}/…`: a
    /// request cannot make a unit answer into another client's replies (or anywhere else).
    fn may_name_response_topic(&self, who: ClientIdentity<'_>, response_topic: &str) -> bool {
        let Some(username) = who.username else {
            return false;
        };
        let Ok(root) = modt::protocol::topics::reply_root(Some(username), who.client_id) else {
            return false;
        };
        // The rules are in the policy's namespace; reply roots are built canonical.
        let root = self.policy.namespace.to_wire(root.as_str());
        response_topic
            .strip_prefix(&*root)
            .is_some_and(|rest| rest.len() > 1 && rest.starts_with('/'))
    }

    fn describe(&self) -> String {
        format!(
            "least privilege ({} accounts with passwords; anonymous clients refused)",
            self.passwords.len()
        )
    }
}

#[cfg(test)]
mod tests;
