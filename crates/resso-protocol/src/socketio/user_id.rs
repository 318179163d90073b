//! A presence `user_id` in Socket.IO packets, written as laravel-echo-server wrote Laravel's ids.

use serde::Serialize;

/// A presence `user_id` as Socket.IO clients get it: a canonical decimal integer (no sign, no
/// leading zero, at most 2^53 − 1, so JavaScript holds it exactly) is written as a number, as
/// laravel-echo-server passed on Laravel's integer keys; any other id stays a string. Pusher
/// clients always get strings, as Pusher sends them.
pub struct SioUserId<'a>(pub &'a str);

impl Serialize for SioUserId<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        const MAX_SAFE: u64 = (1 << 53) - 1;
        let id = self.0;
        let canonical = !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_digit())
            && (id == "0" || !id.starts_with('0'));
        match id.parse::<u64>() {
            Ok(n) if canonical && n <= MAX_SAFE => s.serialize_u64(n),
            _ => s.serialize_str(id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SioUserId;

    #[test]
    fn only_canonical_safe_integers_become_numbers() {
        let id = |text: &str| serde_json::to_string(&SioUserId(text)).unwrap();
        assert_eq!(id("0"), "0");
        assert_eq!(id("42"), "42");
        assert_eq!(id("9007199254740991"), "9007199254740991");
        for text in [
            "9007199254740992",
            "007",
            "-1",
            "1.5",
            "1e3",
            "",
            "abc",
            "12a",
        ] {
            assert_eq!(id(text), serde_json::to_string(text).unwrap(), "{text:?}");
        }
    }
}
