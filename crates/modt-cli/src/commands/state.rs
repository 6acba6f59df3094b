//! `modt state …`: the state unit from the command line, through correlated requests.

use modt::protocol::*;
use serde_json::Value;

use super::connect_requester;
use crate::cli::{StateCmd, StateOp};

/// A command-line value: JSON when it parses, else a plain string (so `dark` needs no quotes).
pub(crate) fn parse_value(text: &str, force_string: bool) -> Value {
    if force_string {
        return Value::String(text.to_owned());
    }
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// The user id to use for `given`: the id of the account named `given` among identify's
/// accounts (said on stderr), or `given` itself when it is an account's id. Another value is
/// refused with a hint, unless `any_user`, or there are no accounts to check against (no
/// SQLite file: another system's state unit).
async fn resolve_user(cmd: &StateCmd, given: &str) -> anyhow::Result<String> {
    if cmd.any_user {
        return Ok(given.to_owned());
    }
    let at = cmd.accounts.location(&cmd.client.data_dir)?;
    if super::users::missing_file(&at).is_some() {
        return Ok(given.to_owned());
    }
    let store = modt_identify::store::open(&at).await?;
    let found = find_user(store.as_ref(), given).await;
    store.close();
    match found? {
        Some(id) => Ok(id),
        None => anyhow::bail!(
            "no account is named {given:?} or has that id (see `modt users list`, or `modt users \
             add {given}`); to use it as a user id anyway, add --any-user"
        ),
    }
}

/// The id of the account named or identified by `given`, if any.
async fn find_user(
    store: &dyn modt_identify::IdentityStore,
    given: &str,
) -> anyhow::Result<Option<String>> {
    if let Some(c) = store.credentials(given).await? {
        eprintln!("user {} is {}", c.user.username, c.user.user_id);
        return Ok(Some(c.user.user_id));
    }
    let known = store.users().await?.iter().any(|u| u.user_id == given);
    Ok(known.then(|| given.to_owned()))
}

pub(crate) async fn run(mut cmd: StateCmd) -> anyhow::Result<()> {
    let given = cmd.op.user_id_mut().clone();
    let id = resolve_user(&cmd, &given).await?;
    *cmd.op.user_id_mut() = id;
    let client = connect_requester(&cmd.client, "modt-state").await?;
    let t = modt::RequestOptions::new().timeout(cmd.timeout);
    let result: anyhow::Result<Value> = async {
        Ok(match cmd.op {
            StateOp::Get { user_id, key } => {
                let v: StateValue = client
                    .request_json(&topics::STATE_GET, &StateGet::new(user_id, key), t.clone())
                    .await?;
                serde_json::to_value(v)?
            }
            StateOp::Set {
                user_id,
                key,
                value,
                string,
                if_version,
                ttl,
            } => {
                let mut req = StateSet::new(user_id, key, parse_value(&value, string));
                req.if_version = if_version;
                req.ttl_secs = ttl.map(|d| d.as_secs().max(1));
                let ack: StateAck = client
                    .request_json(&topics::STATE_SET, &req, t.clone())
                    .await?;
                serde_json::to_value(ack)?
            }
            StateOp::Keys { user_id, prefix } => {
                let mut req = StateKeysQuery::new(user_id);
                req.prefix = prefix;
                let l: StateKeysList = client
                    .request_json(&topics::STATE_KEYS_QUERY, &req, t.clone())
                    .await?;
                serde_json::to_value(l.keys)?
            }
            StateOp::All { user_id } => {
                let a: StateAllValue = client
                    .request_json(
                        &topics::STATE_ALL_GET,
                        &StateAllGet::new(user_id),
                        t.clone(),
                    )
                    .await?;
                serde_json::to_value(a)?
            }
            StateOp::Delete {
                user_id,
                key,
                if_version,
            } => {
                let mut req = StateDelete::new(user_id, key);
                req.if_version = if_version;
                let ack: StateAck = client
                    .request_json(&topics::STATE_DELETE, &req, t.clone())
                    .await?;
                serde_json::to_value(ack)?
            }
            StateOp::Clear { user_id } => {
                let ack: StateAck = client
                    .request_json(&topics::STATE_CLEAR, &StateClear::new(user_id), t.clone())
                    .await?;
                serde_json::to_value(ack)?
            }
        })
    }
    .await;
    client.shutdown().await;
    println!("{}", serde_json::to_string_pretty(&result?)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_value;
    use serde_json::json;

    #[test]
    fn values_are_json_when_they_parse_else_strings() {
        assert_eq!(parse_value("5", false), json!(5));
        assert_eq!(parse_value("5", true), json!("5"));
        assert_eq!(parse_value("dark", false), json!("dark"));
        assert_eq!(parse_value(r#"{"a":[1]}"#, false), json!({"a": [1]}));
        assert_eq!(parse_value(r#""quoted""#, false), json!("quoted"));
    }
}
