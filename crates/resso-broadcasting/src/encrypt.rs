//! End-to-end encryption for `private-encrypted-` channels, as pusher-js expects it (§4.3 of the
//! protocol reference): the channel's key is `SHA256(channel name ‖ master key)`, each event's data
//! is NaCl secretbox (XSalsa20-Poly1305) with a fresh 24-byte nonce, sent as
//! `{"nonce":b64,"ciphertext":b64}`. The server in between never sees the plaintext.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::XSalsa20Poly1305;
use rand::Rng as _;
use sha2::{Digest, Sha256};

/// A 32-byte encryption master key (`PUSHER_ENCRYPTION_MASTER_KEY_BASE64`).
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

/// Why a master key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MasterKeyError {
    #[error("the encryption master key is not valid base64")]
    NotBase64,
    #[error("the encryption master key must be 32 bytes, got {0}")]
    WrongLength(usize),
}

impl MasterKey {
    /// Reads the base64 form Laravel's config uses.
    ///
    /// # Errors
    /// When it is not base64 of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, MasterKeyError> {
        let bytes = B64
            .decode(text.trim())
            .map_err(|_| MasterKeyError::NotBase64)?;
        let len = bytes.len();
        let key = <[u8; 32]>::try_from(bytes).map_err(|_| MasterKeyError::WrongLength(len))?;
        Ok(Self(key))
    }

    /// The raw key.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The channel's shared secret: `SHA256(channel ‖ master key)`.
    #[must_use]
    pub fn shared_secret(&self, channel: &str) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(channel.as_bytes());
        hash.update(self.0);
        hash.finalize().into()
    }

    /// The shared secret as the auth endpoint returns it (base64).
    #[must_use]
    pub fn shared_secret_base64(&self, channel: &str) -> String {
        B64.encode(self.shared_secret(channel))
    }

    /// Encrypts `plaintext` (the event's JSON) for `channel` with a random nonce.
    #[must_use]
    pub fn encrypt(&self, channel: &str, plaintext: &str) -> String {
        let mut nonce = [0u8; 24];
        rand::rng().fill(&mut nonce);
        self.encrypt_with_nonce(channel, plaintext, nonce)
    }

    /// Encrypts with a given nonce; the published `data` string `{"nonce":…,"ciphertext":…}`.
    #[must_use]
    pub fn encrypt_with_nonce(&self, channel: &str, plaintext: &str, nonce: [u8; 24]) -> String {
        let cipher = XSalsa20Poly1305::new(&self.shared_secret(channel).into());
        let ciphertext = cipher
            .encrypt(&nonce.into(), plaintext.as_bytes())
            .expect("secretbox encryption of an in-memory buffer cannot fail");
        serde_json::json!({ "nonce": B64.encode(nonce), "ciphertext": B64.encode(ciphertext) })
            .to_string()
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> MasterKey {
        MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap()
    }

    #[test]
    fn shared_secret_vector() {
        assert_eq!(
            key().shared_secret_base64("private-encrypted-doc"),
            "m7Hr8bKBiNWJYxRcg7AYXyDUT88eo/k8hvW+d11VUuE="
        );
    }

    #[test]
    fn ciphertext_vector() {
        let nonce: [u8; 24] = std::array::from_fn(|i| u8::try_from(i).unwrap());
        let data =
            key().encrypt_with_nonce("private-encrypted-doc", r#"{"message":"hello"}"#, nonce);
        let v: serde_json::Value = serde_json::from_str(&data).unwrap();
        assert_eq!(v["nonce"], "AAECAwQFBgcICQoLDA0ODxAREhMUFRYX");
        assert_eq!(
            v["ciphertext"],
            "VkS3u8fcRAcuhKBrrLI3FR6z9hvix8tlIUx5iSbFOIqY5OU="
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        assert_eq!(format!("{:?}", key()), "MasterKey(…)");
    }

    #[test]
    fn bad_keys_are_named() {
        assert_eq!(
            MasterKey::from_base64("!!").unwrap_err(),
            MasterKeyError::NotBase64
        );
        assert_eq!(
            MasterKey::from_base64("AAAA").unwrap_err(),
            MasterKeyError::WrongLength(3)
        );
    }
}
