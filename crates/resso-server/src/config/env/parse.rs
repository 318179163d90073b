//! Environment values parsed as the server that defined them read them, each error naming the
//! variable: Laravel's `env()` (`null`, `(true)`…), Soketi's JSON-parsed values (`-1` for no
//! limit, milliseconds), and the broker URLs both become.

use std::str::FromStr;

use crate::config::{invalid, ConfigError};

/// A whole number of type `T`.
pub fn number<T: FromStr>(name: &str, value: &str) -> Result<T, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| invalid(name, format!("{value:?} is not a whole number in range")))
}

/// A TCP port (`0`: any free one).
pub fn port(name: &str, value: &str) -> Result<u16, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| invalid(name, format!("{value:?} is not a port number")))
}

/// A boolean as Laravel's `env()` and Soketi's JSON parsing both read it.
pub fn boolean(name: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "(true)" | "1" => Ok(true),
        "false" | "(false)" | "0" => Ok(false),
        _ => Err(invalid(name, format!("{value:?} is not true or false"))),
    }
}

/// A Soketi count where `-1` (or any negative) means no limit: `None` then.
pub fn limit(name: &str, value: &str) -> Result<Option<u64>, ConfigError> {
    let n: i64 = number(name, value)?;
    Ok(u64::try_from(n).ok())
}

/// Soketi's kilobytes (fractions allowed, as it reads them) as bytes.
pub fn kilobytes(name: &str, value: &str) -> Result<u64, ConfigError> {
    match value.trim().parse::<f64>() {
        Ok(kb) if (0.0..1e12).contains(&kb) =>
        {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok((kb * 1024.0).round() as u64)
        }
        _ => Err(invalid(
            name,
            format!("{value:?} is not a size in kilobytes"),
        )),
    }
}

/// Milliseconds (Soketi's unit) rounded up to whole seconds (Ressò's).
pub fn millis_as_secs(name: &str, value: &str) -> Result<u64, ConfigError> {
    let ms: u64 = number(name, value)?;
    Ok(ms.div_ceil(1000))
}

/// Laravel's `env()` conversions: `null`/`(null)` is unset, `empty`/`(empty)` is empty (so
/// unset too, as an empty value is).
#[must_use]
pub fn laravel(value: String) -> Option<String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "null" | "(null)" | "empty" | "(empty)" | "" => None,
        _ => Some(value),
    }
}

/// A Redis URL from its parts (`host:port` and the database), user and password percent-encoded.
#[must_use]
pub fn redis_url(
    tls: bool,
    at: (&str, u16),
    auth: (Option<&str>, Option<&str>),
    db: u32,
) -> String {
    let scheme = if tls { "rediss" } else { "redis" };
    let (host, port) = (bracketed(at.0), at.1);
    format!("{scheme}://{}{host}:{port}/{db}", userinfo(auth))
}

/// `user:password@`, `:password@`, `user@` or nothing, percent-encoded.
#[must_use]
pub fn userinfo(auth: (Option<&str>, Option<&str>)) -> String {
    match auth {
        (None, None) => String::new(),
        (Some(user), None) => format!("{}@", encode(user)),
        (user, Some(password)) => {
            format!("{}:{}@", encode(user.unwrap_or_default()), encode(password))
        }
    }
}

/// An IPv6 literal in brackets, anything else as it is.
fn bracketed(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_as_their_servers_read_them() {
        assert!(boolean("X", "(true)").unwrap() && !boolean("X", "0").unwrap());
        assert!(boolean("X", "yes").unwrap_err().to_string().contains('X'));
        assert_eq!(limit("X", "-1").unwrap(), None);
        assert_eq!(limit("X", "5").unwrap(), Some(5));
        assert_eq!(kilobytes("X", "2.5").unwrap(), 2560);
        assert_eq!(millis_as_secs("X", "3001").unwrap(), 4);
        assert_eq!(laravel("null".into()), None);
        assert_eq!(laravel("x".into()).as_deref(), Some("x"));
        assert!(port("P", "443x").unwrap_err().to_string().contains('P'));
    }

    #[test]
    fn urls_encode_credentials() {
        assert_eq!(
            redis_url(true, ("::1", 6380), (None, Some("p@ss")), 0),
            "rediss://:p%40ss@[::1]:6380/0"
        );
        assert_eq!(
            redis_url(false, ("h", 6379), (Some("u"), None), 2),
            "redis://u@h:6379/2"
        );
    }
}
