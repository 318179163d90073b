//! Signing in: a name gets a user id and a random bearer token, kept in memory. [`User`] is the
//! extractor every signed-in route takes, `/broadcasting/auth` included: it reads
//! `Authorization: Bearer <token>` and rejects (401; the auth route turns any rejection into 403)
//! when the token is unknown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts, StatusCode};
use rand::Rng as _;
use serde::Serialize;

use crate::AppState;

/// A signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: u64,
    pub name: String,
}

/// The signed-in users by token. A std mutex: it is held for a map lookup, never across `.await`.
#[derive(Clone, Default)]
pub struct Users(Arc<Mutex<Table>>);

#[derive(Default)]
struct Table {
    next_id: u64,
    by_token: HashMap<String, User>,
}

impl Users {
    /// Signs `name` in as a new user; returns the user and their token.
    #[must_use]
    pub fn sign_in(&self, name: &str) -> (User, String) {
        let mut table = self.lock();
        table.next_id += 1;
        let user = User {
            id: table.next_id,
            name: name.to_owned(),
        };
        let token = hex_token();
        table.by_token.insert(token.clone(), user.clone());
        (user, token)
    }

    /// The user `token` belongs to.
    #[must_use]
    pub fn by_token(&self, token: &str) -> Option<User> {
        self.lock().by_token.get(token).cloned()
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // The table stays consistent whatever panicked while holding it: each change is one insert.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn hex_token() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl FromRequestParts<AppState> for User {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, StatusCode> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(StatusCode::UNAUTHORIZED)?;
        state.users.by_token(token).ok_or(StatusCode::UNAUTHORIZED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_user_only() {
        let users = Users::default();
        let (ann, ann_token) = users.sign_in("Ann");
        let (bob, bob_token) = users.sign_in("Bob");
        assert_ne!(ann.id, bob.id);
        assert_eq!(ann_token.len(), 32);
        assert_eq!(users.by_token(&ann_token), Some(ann));
        assert_eq!(users.by_token(&bob_token), Some(bob));
        assert_eq!(users.by_token("nope"), None);
    }
}
