//! Signed-in users (§2.6): the `user_data` a `pusher:signin` carries, as signed by the app's user
//! authentication endpoint. It must be a JSON object with a non-empty `id` (numbers are accepted and
//! kept as their decimal text); an optional `watchlist` lists user ids whose presence it follows.

use serde::Deserialize;
use serde_json::Value;

use crate::names::UserId;

/// Most watchlist entries honoured; more earn a 4302 error and are dropped.
pub const MAX_WATCHLIST: usize = 100;

/// A user as described by `user_data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub watchlist: Vec<UserId>,
    /// Whether the watchlist was cut to [`MAX_WATCHLIST`].
    pub watchlist_truncated: bool,
}

/// Why `user_data` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("user_data is not a JSON object")]
    NotAnObject,
    #[error("user_data needs an id that is a non-empty string or a number")]
    BadId,
    #[error("watchlist must be an array of user ids")]
    BadWatchlist,
}

#[derive(Deserialize)]
struct UserData {
    id: Option<Value>,
    #[serde(default)]
    watchlist: Option<Vec<Value>>,
}

impl User {
    /// Reads the user out of a `user_data` string.
    ///
    /// # Errors
    /// A [`UserError`] naming the fault.
    pub fn parse(user_data: &str) -> Result<Self, UserError> {
        let data: UserData = serde_json::from_str(user_data).map_err(|_| UserError::NotAnObject)?;
        let id = data.id.as_ref().and_then(id_text).ok_or(UserError::BadId)?;
        let mut watchlist = data
            .watchlist
            .unwrap_or_default()
            .iter()
            .map(|v| id_text(v).map(|t| UserId::from(t.as_str())))
            .collect::<Option<Vec<_>>>()
            .ok_or(UserError::BadWatchlist)?;
        let watchlist_truncated = watchlist.len() > MAX_WATCHLIST;
        watchlist.truncate(MAX_WATCHLIST);
        Ok(Self {
            id: UserId::from(id.as_str()),
            watchlist,
            watchlist_truncated,
        })
    }
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ids_and_watchlists() {
        let u = User::parse(r#"{"id":"1","name":"Alice","watchlist":["2",3]}"#).unwrap();
        assert_eq!(u.id.as_str(), "1");
        assert_eq!(u.watchlist, [UserId::from("2"), UserId::from("3")]);
        assert!(!u.watchlist_truncated);
        assert_eq!(User::parse(r#"{"id":7}"#).unwrap().id.as_str(), "7");
        let many: Vec<String> = (0..150).map(|i| format!("\"{i}\"")).collect();
        let u = User::parse(&format!(r#"{{"id":"1","watchlist":[{}]}}"#, many.join(","))).unwrap();
        assert_eq!((u.watchlist.len(), u.watchlist_truncated), (100, true));
    }

    #[test]
    fn rejects_bad_user_data() {
        assert_eq!(User::parse("x"), Err(UserError::NotAnObject));
        assert_eq!(User::parse(r#"{"name":"a"}"#), Err(UserError::BadId));
        assert_eq!(User::parse(r#"{"id":""}"#), Err(UserError::BadId));
        assert_eq!(
            User::parse(r#"{"id":"1","watchlist":[null]}"#),
            Err(UserError::BadWatchlist)
        );
    }
}
