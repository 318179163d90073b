//! Presence `channel_data` (§2.3): the member a subscriber claims to be, as signed by the app's auth
//! endpoint. `user_id` may be a string or a number (Laravel sends numbers); both become a [`UserId`]
//! of their decimal text. `user_info` may be any JSON value and is kept byte-for-byte.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::names::UserId;
use crate::Limits;

/// A presence member as claimed in `channel_data`.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: UserId,
    pub user_info: Option<Box<RawValue>>,
}

/// Why `channel_data` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresenceError {
    #[error("presence channels need channel_data")]
    Missing,
    #[error("channel_data is not a JSON object")]
    NotAnObject,
    #[error("channel_data needs a user_id that is a non-empty string or a number")]
    BadUserId,
    #[error("user_id is longer than {0} characters")]
    UserIdTooLong(usize),
}

#[derive(Deserialize)]
struct ChannelData {
    user_id: Option<Box<RawValue>>,
    user_info: Option<Box<RawValue>>,
}

impl Member {
    /// Reads the member out of a `channel_data` string.
    ///
    /// # Errors
    /// A [`PresenceError`] naming the fault.
    pub fn parse(channel_data: Option<&str>, limits: &Limits) -> Result<Self, PresenceError> {
        let text = channel_data.ok_or(PresenceError::Missing)?;
        let data: ChannelData =
            serde_json::from_str(text).map_err(|_| PresenceError::NotAnObject)?;
        let raw = data.user_id.ok_or(PresenceError::BadUserId)?;
        let id = user_id_text(raw.get()).ok_or(PresenceError::BadUserId)?;
        if id.len() > limits.user_id {
            return Err(PresenceError::UserIdTooLong(limits.user_id));
        }
        Ok(Self {
            user_id: UserId::from(id.as_str()),
            user_info: data.user_info,
        })
    }
}

fn user_id_text(raw: &str) -> Option<String> {
    match serde_json::from_str::<serde_json::Value>(raw).ok()? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Member, PresenceError> {
        Member::parse(Some(s), &Limits::default())
    }

    #[test]
    fn accepts_string_and_numeric_ids_and_any_info() {
        let m = parse(r#"{"user_id":"1","user_info":{"name":"Al\/ice"}}"#).unwrap();
        assert_eq!(
            (m.user_id.as_str(), m.user_info.unwrap().get()),
            ("1", r#"{"name":"Al\/ice"}"#)
        );
        let m = parse(r#"{"user_id":42,"user_info":true}"#).unwrap();
        assert_eq!(
            (m.user_id.as_str(), m.user_info.unwrap().get()),
            ("42", "true")
        );
        assert!(parse(r#"{"user_id":"7"}"#).unwrap().user_info.is_none());
    }

    #[test]
    fn rejects_bad_channel_data() {
        assert_eq!(
            Member::parse(None, &Limits::default()).unwrap_err(),
            PresenceError::Missing
        );
        assert_eq!(parse("nope").unwrap_err(), PresenceError::NotAnObject);
        assert_eq!(
            parse(r#"{"user_info":{}}"#).unwrap_err(),
            PresenceError::BadUserId
        );
        assert_eq!(
            parse(r#"{"user_id":""}"#).unwrap_err(),
            PresenceError::BadUserId
        );
        assert_eq!(
            parse(r#"{"user_id":null}"#).unwrap_err(),
            PresenceError::BadUserId
        );
        let long = format!(r#"{{"user_id":"{}"}}"#, "x".repeat(129));
        assert_eq!(parse(&long).unwrap_err(), PresenceError::UserIdTooLong(128));
    }
}
