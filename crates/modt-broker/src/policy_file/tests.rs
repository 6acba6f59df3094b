//! The policy's rules, namespaces, shared groups and login checks.

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
    // A whole-bus rule covers the namespace's bus only: a tenant's monitor never sees another's.
    assert!(acme.may_subscribe("monitor", "monitor-1", "acme/#"));
    assert!(
        !acme.may_subscribe("monitor", "monitor-1", "#"),
        "# becomes acme/#"
    );
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
    assert_eq!(
        web,
        ["dummy", "gateway", "identify", "ingest", "monitor", "todo", "viewer"]
    );
}

#[test]
fn only_the_gateway_and_the_operator_may_send_api_calls_and_only_identify_signs() {
    // Units trust an ApiRequest's `caller` because of these rules (docs/protocol.md §7).
    let p = builtin();
    for topic in [
        "modt/todo/create",
        "modt/todo/delete",
        "modt/auth/token/login",
        "modt/ingest/connections/create",
        "modt/ingest/connections/update",
    ] {
        assert!(p.may_publish("gateway", "gateway", topic), "{topic}");
        assert!(p.may_publish("cli", "cli-1", topic), "{topic}");
        for other in [
            "dummy", "viewer", "state", "echo", "hub", "monitor", "todo", "ingest",
        ] {
            assert!(!p.may_publish(other, other, topic), "{other} on {topic}");
        }
    }
    assert!(p.may_subscribe("todo", "todo", "modt/todo/create"));
    assert!(!p.may_subscribe("viewer", "viewer", "modt/todo/create"));
    assert!(p.may_subscribe("ingest", "ingest", "modt/ingest/connections/update"));
    assert!(!p.may_subscribe("todo", "todo", "modt/ingest/connections/update"));
    assert!(p.may_subscribe("identify", "identify", "modt/auth/token/login"));
    assert!(!p.may_subscribe("gateway", "gateway", "modt/auth/token/login"));
    // The JWK Set the gateway trusts comes from identify alone.
    assert!(p.may_publish("identify", "identify", "modt/auth/jwks"));
    for other in ["gateway", "todo", "dummy", "viewer", "state"] {
        assert!(!p.may_publish(other, other, "modt/auth/jwks"), "{other}");
    }
    assert!(p.may_subscribe("gateway", "gateway", "modt/auth/jwks"));
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
