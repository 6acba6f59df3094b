//! Bridges rmqtt's hook system to an [`AccessPolicy`].

use std::sync::Arc;

use async_trait::async_trait;
use rmqtt::codec::v5::SubscribeAckReason;
use rmqtt::hook::{Handler, HookResult, Parameter, ReturnType};
use rmqtt::types::{AuthResult, PublishAclResult, SubscribeAclResult};

use crate::policy::{AccessPolicy, ClientIdentity};

pub(crate) struct PolicyHook {
    pub(crate) policy: Arc<dyn AccessPolicy>,
}

#[async_trait]
impl Handler for PolicyHook {
    async fn hook(&self, param: &Parameter, acc: Option<HookResult>) -> ReturnType {
        match param {
            Parameter::ClientAuthenticate(info) => {
                let id = info.id();
                let who = ClientIdentity {
                    client_id: &id.client_id,
                    username: id.username.as_deref(),
                };
                let password = info.password().map(|p| p.as_ref());
                let result = if self.policy.authenticate(who, password) {
                    AuthResult::Allow(false, None)
                } else {
                    let username = who.username.unwrap_or("(none)");
                    tracing::info!(client_id = %who.client_id, %username, "broker login refused");
                    AuthResult::BadUsernameOrPassword
                };
                (false, Some(HookResult::AuthResult(result)))
            }
            Parameter::ClientSubscribeCheckAcl(session, sub) => {
                let who = ClientIdentity {
                    client_id: &session.id.client_id,
                    username: session.id.username.as_deref(),
                };
                // rmqtt has taken a shared subscription's `$share/{group}/` apart; the
                // policy decides on the whole filter, group included.
                let whole;
                let filter: &str = match sub.opts.shared_group() {
                    Some(group) => {
                        whole = format!("$share/{group}/{}", sub.topic_filter);
                        &whole
                    }
                    None => &sub.topic_filter,
                };
                if self.policy.may_subscribe(who, filter) {
                    (true, acc)
                } else {
                    tracing::info!(client_id = %who.client_id, %filter, "subscription refused by policy");
                    let r = SubscribeAclResult::new_failure(SubscribeAckReason::NotAuthorized);
                    (false, Some(HookResult::SubscribeAclResult(r)))
                }
            }
            Parameter::MessagePublishCheckAcl(session, publish) => {
                let who = ClientIdentity {
                    client_id: &session.id.client_id,
                    username: session.id.username.as_deref(),
                };
                let topic: &str = &publish.inner.topic;
                let response_topic = publish
                    .inner
                    .properties
                    .as_ref()
                    .and_then(|p| p.response_topic.as_deref());
                let names_allowed =
                    response_topic.is_none_or(|rt| self.policy.may_name_response_topic(who, rt));
                if self.policy.may_publish(who, topic) && names_allowed {
                    (true, acc)
                } else {
                    tracing::info!(client_id = %who.client_id, %topic, ?response_topic, "publish refused by policy");
                    (
                        false,
                        Some(HookResult::PublishAclResult(PublishAclResult::rejected(
                            false, None,
                        ))),
                    )
                }
            }
            _ => (true, acc),
        }
    }
}
