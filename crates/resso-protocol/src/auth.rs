//! Channel and signin signatures (§4). Each is a pure function of the app secret and the exact bytes
//! the client sent — never re-serialized JSON, since PHP escapes `/` and non-ASCII differently.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::names::{AppKey, ChannelName, SocketId};

type HmacSha256 = Hmac<Sha256>;

/// Why an `auth` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("auth is missing")]
    Missing,
    #[error("auth is not of the form key:signature")]
    Malformed,
    #[error("invalid key in auth data")]
    WrongKey,
    #[error("invalid signature")]
    BadSignature,
}

/// Lowercase hex HMAC-SHA256 of `message` under `secret`.
#[must_use]
pub fn sign_hex(secret: &str, message: &[u8]) -> String {
    hex::encode(mac(secret, message).finalize().into_bytes())
}

/// Whether `signature_hex` is the HMAC-SHA256 of `message` under `secret`, compared in constant time.
#[must_use]
pub fn verify_hex(secret: &str, message: &[u8], signature_hex: &str) -> bool {
    let Ok(signature) = hex::decode(signature_hex) else {
        return false;
    };
    mac(secret, message).verify_slice(&signature).is_ok()
}

fn mac(secret: &str, message: &[u8]) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(message);
    mac
}

/// The string a channel subscription signs: `socket_id:channel[:channel_data]`.
#[must_use]
pub fn channel_string(
    socket_id: SocketId,
    channel: &ChannelName,
    channel_data: Option<&str>,
) -> String {
    match channel_data {
        Some(data) => format!("{socket_id}:{channel}:{data}"),
        None => format!("{socket_id}:{channel}"),
    }
}

/// The string a user signin signs: `socket_id::user::user_data`.
#[must_use]
pub fn signin_string(socket_id: SocketId, user_data: &str) -> String {
    format!("{socket_id}::user::{user_data}")
}

/// An app's credentials, as needed to check an `auth` value.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    pub key: &'a AppKey,
    pub secret: &'a str,
}

impl Credentials<'_> {
    /// Checks `auth` (`"{key}:{hex}"`) against `signed`.
    ///
    /// # Errors
    /// An [`AuthError`] naming the first thing wrong.
    pub fn verify(&self, auth: Option<&str>, signed: &str) -> Result<(), AuthError> {
        let auth = auth.filter(|a| !a.is_empty()).ok_or(AuthError::Missing)?;
        let (key, signature) = auth.split_once(':').ok_or(AuthError::Malformed)?;
        if key != self.key.as_str() {
            return Err(AuthError::WrongKey);
        }
        if verify_hex(self.secret, signed.as_bytes(), signature) {
            Ok(())
        } else {
            Err(AuthError::BadSignature)
        }
    }

    /// The `auth` value an auth endpoint would return for `signed` (used by tests and SDK helpers).
    #[must_use]
    pub fn auth_for(&self, signed: &str) -> String {
        format!("{}:{}", self.key, sign_hex(self.secret, signed.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;

    const SOCKET: SocketId = SocketId::new(123, 456);

    fn creds(key: &AppKey) -> Credentials<'_> {
        Credentials {
            key,
            secret: "app-secret",
        }
    }

    fn channel(s: &str) -> ChannelName {
        ChannelName::parse(s, &Limits::default()).unwrap()
    }

    #[test]
    fn project_vectors() {
        let key = AppKey::from("app-key");
        let c = creds(&key);
        let private = channel_string(SOCKET, &channel("private-orders.1"), None);
        assert_eq!(
            c.auth_for(&private),
            "app-key:d5ddd577b56ebc9ed89f55ec4e3aa51f5f2b5691714eda41028fb9e7ab2b7283"
        );
        let data = r#"{"user_id":"1","user_info":{"name":"Alice"}}"#;
        let presence = channel_string(SOCKET, &channel("presence-chat.1"), Some(data));
        assert_eq!(
            c.auth_for(&presence),
            "app-key:92c443c78fb3fd0c97b4da5bdcbc9bcd9135e4ed51ee895f0de2ba9ce140abfc"
        );
        let numeric = channel_string(
            SOCKET,
            &channel("presence-chat.1"),
            Some(r#"{"user_id":1,"user_info":{"name":"Alice"}}"#),
        );
        assert_eq!(
            c.auth_for(&numeric),
            "app-key:28b46ecd4727f5471ca2315011c109cef8b6b0d1146415a1b4158fffa40d6a71"
        );
        let signin = signin_string(SOCKET, r#"{"id":"1","name":"Alice"}"#);
        assert_eq!(
            c.auth_for(&signin),
            "app-key:87b6acf879c38f9fb807474a202239803ca10b12e84505ddaf0d257044fe04a9"
        );
        let encrypted = channel_string(SOCKET, &channel("private-encrypted-doc"), None);
        assert_eq!(
            c.auth_for(&encrypted),
            "app-key:0e906d38d445c544b1ee44698ee8acc988556e75cc5a2a063b43acb05248d560"
        );
    }

    #[test]
    fn official_doc_vectors() {
        let key = AppKey::from("278d425bdf160c739803");
        let c = Credentials {
            key: &key,
            secret: "7ad3773142a6692b25b8",
        };
        let s = SocketId::new(1234, 1234);
        let sig = |m: &str| sign_hex(c.secret, m.as_bytes());
        assert_eq!(
            sig(&channel_string(s, &channel("private-foobar"), None)),
            "58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"
        );
        assert_eq!(
            sig(&signin_string(s, r#"{"id":"12345"}"#)),
            "4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba"
        );
        let data = r#"{"user_id":10,"user_info":{"name":"Mr. Channels"}}"#;
        assert_eq!(
            sig(&channel_string(s, &channel("presence-foobar"), Some(data))),
            "31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80"
        );
    }

    #[test]
    fn verify_names_the_fault() {
        let key = AppKey::from("app-key");
        let c = creds(&key);
        let signed = "123.456:private-orders.1";
        let good = c.auth_for(signed);
        assert_eq!(c.verify(Some(&good), signed), Ok(()));
        assert_eq!(c.verify(None, signed), Err(AuthError::Missing));
        assert_eq!(c.verify(Some(""), signed), Err(AuthError::Missing));
        assert_eq!(c.verify(Some("nocolon"), signed), Err(AuthError::Malformed));
        assert_eq!(
            c.verify(Some(&good.replace("app-key", "other")), signed),
            Err(AuthError::WrongKey)
        );
        assert_eq!(
            c.verify(Some("app-key:zz"), signed),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            c.verify(Some(&good), "123.457:private-orders.1"),
            Err(AuthError::BadSignature)
        );
    }
}
