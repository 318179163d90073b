//! The packets Echo's connector gets for this socket only, as Engine.IO message texts
//! (`42[event, channel, …]`, the same for EIO 3 and 4).

use bytes::Bytes;
use resso_protocol::presence::Member;
use serde::Serialize;
use serde_json::value::RawValue;

use resso_protocol::socketio::SioUserId;

#[derive(Serialize)]
struct Entry<'a> {
    user_id: SioUserId<'a>,
    user_info: Option<&'a RawValue>,
}

fn packet(args: &impl Serialize) -> Bytes {
    let json = serde_json::to_string(args).unwrap_or_else(|_| "[]".to_owned());
    Bytes::from(format!("42{json}"))
}

/// `subscription_error (channel, status)`.
pub fn subscription_error(channel: &str, status: u16) -> Bytes {
    packet(&("subscription_error", channel, status))
}

/// `presence:subscribed (channel, members)`, one entry per user (the registry's list is per user).
pub fn presence_subscribed(channel: &str, members: &[Member]) -> Bytes {
    let members: Vec<Entry<'_>> = members
        .iter()
        .map(|m| Entry {
            user_id: SioUserId(m.user_id.as_str()),
            user_info: m.user_info.as_deref(),
        })
        .collect();
    packet(&("presence:subscribed", channel, members))
}

#[cfg(test)]
mod tests {
    use super::*;
    use resso_protocol::UserId;

    #[test]
    fn encodes_echo_arguments() {
        assert_eq!(
            &subscription_error("private-a", 403)[..],
            br#"42["subscription_error","private-a",403]"#
        );
        let m = Member {
            user_id: UserId::from("1"),
            user_info: Some(serde_json::from_str(r#"{"n":"A\/"}"#).unwrap()),
        };
        assert_eq!(
            &presence_subscribed("presence-r", &[m])[..],
            br#"42["presence:subscribed","presence-r",[{"user_id":1,"user_info":{"n":"A\/"}}]]"#
        );
    }
}
