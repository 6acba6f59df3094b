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
pub const BUILTIN: &str = include_str!("../../../config/broker-policy.toml");

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
                .map(|f| namespace.to_wire(f).into_owned())
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
mod tests {
    use super::*;
    use crate::policy::OpenPolicy;

    fn builtin() -> BrokerPolicy {
        BrokerPolicy::builtin().unwrap()
    }

    #[test]
    fn the_builtin_policy_parses_and_names_every_unit() {
        let p = builtin();
        for name in [
            "state", "hub", "echo", "identify", "dummy", "viewer", "monitor", "cli",
        ] {
            assert!(p.accounts.contains_key(name), "{name}");
        }
    }

    #[test]
    fn only_identify_vouches_for_sessions() {
        let p = builtin();
        for topic in ["modt/session/info", "modt/auth/success"] {
            assert!(p.may_publish("identify", "identify-1", topic));
            for other in ["viewer", "dummy", "state", "hub", "monitor"] {
                assert!(
                    !p.may_publish(other, &format!("{other}-1"), topic),
                    "{other} {topic}"
                );
            }
        }
        assert!(p.may_publish("state", "state-1", "modt/state/value"));
        assert!(!p.may_publish("viewer", "viewer-1", "modt/state/value"));
    }

    #[test]
    fn private_replies_are_read_only_by_their_client() {
        let p = builtin();
        assert!(p.may_subscribe("dummy", "dummy-ab", "modt/reply/dummy/dummy-ab/#"));
        assert!(!p.may_subscribe("dummy", "dummy-ab", "modt/reply/viewer/viewer-cd/#"));
        assert!(!p.may_subscribe("dummy", "dummy-ab", "modt/reply/dummy/viewer-cd/#"));
        assert!(
            !p.may_subscribe("dummy", "viewer-cd", "modt/reply/viewer/viewer-cd/#"),
            "a borrowed client id does not open the other account's replies"
        );
        assert!(!p.may_subscribe("dummy", "dummy-ab", "modt/reply/#"));
        assert!(!p.may_subscribe("dummy", "dummy-ab", "modt/reply/+/#"));
        // Anyone may answer a request.
        assert!(p.may_publish("state", "state-1", "modt/reply/dummy/dummy-ab/r1"));
    }

    #[test]
    fn a_request_names_only_its_own_reply_subtree() {
        let enforced = Enforced::new(builtin(), HashMap::new());
        let who = ClientIdentity {
            client_id: "dummy-ab",
            username: Some("dummy"),
        };
        assert!(enforced.may_name_response_topic(who, "modt/reply/dummy/dummy-ab/r1"));
        for other in [
            "modt/reply/dummy/dummy-ab",
            "modt/reply/dummy/dummy-ab/",
            "modt/reply/dummy/dummy-abc/r1",
            "modt/reply/viewer/viewer-1/r1",
            "modt/units/identify/status",
            "modt/auth/success",
        ] {
            assert!(!enforced.may_name_response_topic(who, other), "{other}");
        }
        assert!(OpenPolicy.may_name_response_topic(who, "anything"));
    }

    #[test]
    fn a_namespace_moves_every_modt_rule_and_nothing_else() {
        let acme = builtin().in_namespace(&Namespace::new("acme").unwrap());
        assert!(acme.may_publish("state", "state-1", "acme/state/value"));
        assert!(!acme.may_publish("state", "state-1", "modt/state/value"));
        assert!(acme.may_subscribe("dummy", "dummy-ab", "acme/reply/dummy/dummy-ab/#"));
        assert!(!acme.may_subscribe("dummy", "dummy-ab", "modt/reply/dummy/dummy-ab/#"));
        assert!(acme.may_subscribe("monitor", "monitor-1", "#"), "# stays #");
        let enforced = Enforced::new(acme, HashMap::new());
        let who = ClientIdentity {
            client_id: "dummy-ab",
            username: Some("dummy"),
        };
        assert!(enforced.may_name_response_topic(who, "acme/reply/dummy/dummy-ab/r1"));
        assert!(!enforced.may_name_response_topic(who, "modt/reply/dummy/dummy-ab/r1"));
        let same = builtin().in_namespace(&Namespace::default());
        assert_eq!(same, builtin());
    }

    #[test]
    fn shared_subscriptions_only_in_the_accounts_own_group() {
        let p = builtin();
        assert!(p.may_subscribe("echo", "echo-1", "$share/echo/modt/echo"));
        assert!(!p.may_subscribe("echo", "echo-1", "$share/state/modt/echo"));
        assert!(!p.may_subscribe("cli", "cli-1", "$share/state/modt/state/set"));
        assert!(!p.may_subscribe("echo", "echo-1", "$share/echo/modt/state/set"));
        assert!(!p.may_subscribe("echo", "echo-1", "$share/echo"));
        let mut replicas = p.clone();
        let echo = replicas.accounts["echo"].clone();
        replicas.accounts.insert("echo-2".into(), echo);
        assert!(replicas.may_subscribe("echo-2", "echo-2-a", "$share/echo/modt/echo"));
        assert!(replicas.may_subscribe("echo-2", "echo-2-a", "$share/echo-2/modt/echo"));
        assert!(!replicas.may_subscribe("echo", "echo-1", "$share/echo-2/modt/echo"));
    }

    #[test]
    fn only_the_shipped_web_units_may_announce_a_web_side() {
        let policy = builtin();
        let web: Vec<&str> = policy.web_accounts().collect();
        assert_eq!(web, ["dummy", "identify", "monitor", "viewer"]);
    }

    #[test]
    fn presence_is_only_for_oneself() {
        let p = builtin();
        assert!(p.may_publish("echo", "echo-1", "modt/units/echo/status"));
        assert!(!p.may_publish("echo", "echo-1", "modt/units/state/status"));
        assert!(p.may_subscribe("viewer", "viewer-1", "modt/units/+/info"));
        assert!(
            !p.may_publish("nobody", "nobody", "modt/units/nobody/status"),
            "unknown accounts"
        );
    }

    #[test]
    fn client_ids_belong_to_their_account() {
        assert!(client_id_belongs("state", "state"));
        assert!(client_id_belongs("state", "state-9f2c"));
        assert!(!client_id_belongs("state", "stateful-1"));
        assert!(!client_id_belongs("state", "viewer-1"));
        assert!(!client_id_belongs("state", "state-a/#"));
    }

    #[test]
    fn filters_with_line_breaks_are_refused() {
        // Found with the broker_policy fuzz target's ACL check: "a\ntopic readwrite x" is a
        // valid MQTT filter, but in Mosquitto's acl_file it is two lines, the second a rule.
        for f in ["a\\ntopic readwrite x", "a\\r\\nb", "a\\rb"] {
            let text = format!("[accounts.x]\npublish = [\"{f}\"]");
            assert!(
                matches!(BrokerPolicy::parse(&text), Err(PolicyError::Filter { .. })),
                "{f}"
            );
        }
    }

    #[test]
    fn bad_files_are_refused_with_reasons() {
        assert!(matches!(
            BrokerPolicy::parse("accounts = 5"),
            Err(PolicyError::Syntax(_))
        ));
        assert!(matches!(
            BrokerPolicy::parse("[accounts.Bad]\npublish = []"),
            Err(PolicyError::AccountName(_))
        ));
        assert!(matches!(
            BrokerPolicy::parse("[accounts.x]\npublish = [\"a/#/b\"]"),
            Err(PolicyError::Filter { .. })
        ));
        assert!(matches!(
            BrokerPolicy::parse("[accounts.x]\npublsh = []"),
            Err(PolicyError::Syntax(_))
        ));
    }
}
