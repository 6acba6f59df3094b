//! Checks of the `broker_policy` fuzz target: the broker's policy file and password hashes,
//! from arbitrary text `POLICY\0USERNAME\0CLIENT_ID\0TOPIC` (missing parts are empty).
//! None of this may panic, and:
//! - a policy that parses has valid account names, and its Mosquitto `acl_file` has exactly
//!   one line per rule and account (no text of the policy starts a line of its own);
//! - for a client id that belongs to its username (`client_id_belongs`, as logins require),
//!   every rule of the account, placeholders filled in, is a valid filter with no more
//!   wildcards than the rule itself;
//! - `may_publish` / `may_subscribe` allow nothing to unknown accounts, here and in the
//!   built-in policy;
//! - `client_id_belongs` means "the username, or `username-…`, without `/ + # NUL`";
//! - `passwd::verify` takes any stored text (a hash and its password verify, a wrong one
//!   does not), and password files survive writing and reading back.
#![allow(clippy::expect_used)]

use std::sync::OnceLock;

use modt_broker::policy_file::{self, CLIENT_ID, USERNAME};
use modt_broker::{mosquitto, passwd, BrokerPolicy};

/// Runs every check on one input.
pub(crate) fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split('\0');
    let policy_text = parts.next().unwrap_or_default();
    let user = parts.next().unwrap_or_default();
    let client = parts.next().unwrap_or_default();
    let topic = parts.next().unwrap_or_default();

    if let Ok(policy) = BrokerPolicy::parse(policy_text) {
        parsed(&policy, user, client, topic);
    }
    let builtin = builtin();
    parsed(builtin, user, client, topic);

    let belongs = policy_file::client_id_belongs(user, client);
    let owned = client == user || client.starts_with(&format!("{user}-"));
    assert_eq!(
        belongs,
        owned && !client.contains(['/', '+', '#', '\0']),
        "{user:?} {client:?}"
    );
    passwords(user, policy_text);
}

fn builtin() -> &'static BrokerPolicy {
    static BUILTIN: OnceLock<BrokerPolicy> = OnceLock::new();
    BUILTIN.get_or_init(|| BrokerPolicy::builtin().expect("the built-in policy parses"))
}

fn parsed(policy: &BrokerPolicy, user: &str, client: &str, topic: &str) {
    let rules = |r: &policy_file::Rules| r.publish.len() + r.subscribe.len();
    let mut lines = rules(&policy.common);
    for (name, r) in &policy.accounts {
        assert!(policy_file::valid_account_name(name), "{name:?}");
        // A plain subscribe rule is also written for each `$share` group the account may join:
        // its own name and each shorter name before a `-` (`state-2` joins `state-2`, `state`).
        let groups = 1 + name.matches('-').count();
        let shared = r
            .subscribe
            .iter()
            .filter(|f| !f.contains(CLIENT_ID))
            .count();
        lines += 1 + rules(r) + shared * groups;
    }
    let acl = mosquitto::acl_file(policy);
    let directives = acl
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count();
    assert_eq!(
        directives, lines,
        "one ACL line per rule and account, and per $share group of a subscribe rule:\n{acl}"
    );

    if policy.accounts.contains_key(user) {
        let _ = policy.may_publish(user, client, topic);
        let _ = policy.may_subscribe(user, client, topic);
        if policy_file::client_id_belongs(user, client) {
            expanded(policy, user, client);
        }
    } else {
        assert!(
            !policy.may_publish(user, client, topic),
            "{user:?} is no account"
        );
        assert!(
            !policy.may_subscribe(user, client, topic),
            "{user:?} is no account"
        );
    }
    for name in policy.account_names() {
        let _ = policy.may_publish(name, name, topic);
        let _ = policy.may_subscribe(name, name, topic);
        expanded(policy, name, name);
    }
}

/// Every rule of `user`, as enforced for `client`, is a filter with only the rule's wildcards.
fn expanded(policy: &BrokerPolicy, user: &str, client: &str) {
    let Some(account) = policy.accounts.get(user) else {
        return;
    };
    let wildcards = |f: &str| f.matches(['+', '#']).count();
    for r in [&policy.common, account] {
        for f in r.publish.iter().chain(&r.subscribe) {
            let e = f.replace(USERNAME, user).replace(CLIENT_ID, client);
            if e.len() > modt::protocol::topic::MAX_TOPIC_LEN {
                continue;
            }
            let filter = modt::TopicFilter::new(e.as_str());
            assert!(filter.is_ok(), "{f:?} for {user:?}/{client:?}: {filter:?}");
            assert_eq!(wildcards(&e), wildcards(f), "{f:?} → {e:?}");
        }
    }
}

fn passwords(password: &str, text: &str) {
    for stored in std::iter::once(text).chain(text.lines()) {
        // Iterations are up to 1,000,000 by design (the file is the operator's); skip the
        // slow ones so a run tests parsing, not PBKDF2's speed.
        let slow = stored
            .split('$')
            .nth(2)
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n > 5_000);
        if !slow {
            let _ = passwd::verify(password.as_bytes(), stored);
        }
    }
    if text.len() < 64 {
        let hash = passwd::hash(text.as_bytes()).expect("random salt");
        assert!(passwd::verify(text.as_bytes(), &hash), "{hash}");
        assert!(!passwd::verify(format!("{text}x").as_bytes(), &hash));
    }
    let file = passwd::parse_password_file(text);
    let written = passwd::password_file(file.iter().map(|(u, h)| (u.as_str(), h.as_str())));
    assert_eq!(passwd::parse_password_file(&written), file, "{written:?}");
}
