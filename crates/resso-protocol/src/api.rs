//! HTTP API bodies (§5.3–5.4) and their validation into a typed [`Publish`]. Pure: the server's HTTP
//! layer only maps [`ApiError`] to a status and a JSON body.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::names::{ChannelName, SocketId};
use crate::Limits;

/// Why a request body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400.
    #[error("{0}")]
    BadRequest(String),
    /// 413.
    #[error("{0}")]
    TooLarge(String),
}

impl ApiError {
    fn bad(msg: impl Into<String>) -> Self {
        Self::BadRequest(msg.into())
    }
}

/// The `info` attributes a request asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Info {
    pub user_count: bool,
    pub subscription_count: bool,
    pub cache: bool,
}

impl Info {
    /// Parses a comma list (`user_count,subscription_count`); unknown attributes are ignored.
    #[must_use]
    pub fn parse(list: Option<&str>) -> Self {
        let mut info = Self::default();
        for attr in list.unwrap_or("").split(',').map(str::trim) {
            match attr {
                "user_count" => info.user_count = true,
                "subscription_count" => info.subscription_count = true,
                "cache" => info.cache = true,
                _ => {}
            }
        }
        info
    }

    /// Whether any attribute was asked for.
    #[must_use]
    pub const fn any(self) -> bool {
        self.user_count || self.subscription_count || self.cache
    }
}

/// `POST /apps/{id}/events` body.
#[derive(Debug, Deserialize)]
pub struct EventsBody {
    name: Option<String>,
    data: Option<Box<RawValue>>,
    #[serde(default)]
    channels: Option<Vec<String>>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    socket_id: Option<String>,
    #[serde(default)]
    info: Option<String>,
}

/// `POST /apps/{id}/batch_events` body.
#[derive(Debug, Deserialize)]
pub struct BatchBody {
    batch: Vec<EventsBody>,
}

/// A validated publish: one event to one or more channels.
#[derive(Debug, Clone)]
pub struct Publish {
    pub name: String,
    pub data: String,
    pub channels: Vec<ChannelName>,
    pub except: Option<SocketId>,
    pub info: Info,
}

/// Parses and validates a `POST /events` body.
///
/// # Errors
/// [`ApiError`] for malformed JSON, missing fields, bad names, or data over the limit.
pub fn parse_events(body: &[u8], limits: &Limits) -> Result<Publish, ApiError> {
    let body: EventsBody = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad(format!("Invalid JSON body: {e}")))?;
    body.validate(limits, limits.channels_per_publish)
}

/// Parses and validates a `POST /batch_events` body; each item names exactly one channel.
///
/// # Errors
/// [`ApiError`] for malformed JSON, more than `limits.batch_events` items, or any bad item.
pub fn parse_batch(body: &[u8], limits: &Limits) -> Result<Vec<Publish>, ApiError> {
    let body: BatchBody = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad(format!("Invalid JSON body: {e}")))?;
    if body.batch.len() > limits.batch_events {
        return Err(ApiError::bad(format!(
            "Batch too large: at most {} events",
            limits.batch_events
        )));
    }
    body.batch
        .into_iter()
        .map(|item| item.validate(limits, 1))
        .collect()
}

impl EventsBody {
    fn validate(self, limits: &Limits, max_channels: usize) -> Result<Publish, ApiError> {
        let name = self
            .name
            .ok_or_else(|| ApiError::bad("Missing event name"))?;
        if name.is_empty() || name.len() > limits.event_name {
            return Err(ApiError::bad(format!(
                "Event name must be 1 to {} characters",
                limits.event_name
            )));
        }
        let data = data_text(&self.data.ok_or_else(|| ApiError::bad("Missing data"))?)?;
        if data.len() > limits.event_data {
            return Err(ApiError::TooLarge(format!(
                "Data too large: at most {} bytes",
                limits.event_data
            )));
        }
        let names = match (self.channels, self.channel) {
            (Some(list), _) => list,
            (None, Some(one)) => vec![one],
            (None, None) => return Err(ApiError::bad("Missing channels")),
        };
        if names.is_empty() || names.len() > max_channels {
            return Err(ApiError::bad(format!(
                "Must name 1 to {max_channels} channels"
            )));
        }
        let channels = names
            .iter()
            .map(|n| {
                ChannelName::parse(n, limits)
                    .map_err(|e| ApiError::bad(format!("Invalid channel {n:?}: {e}")))
            })
            .collect::<Result<_, _>>()?;
        let except = match self.socket_id.as_deref() {
            None | Some("") => None,
            Some(s) => Some(
                SocketId::parse(s).map_err(|e| ApiError::bad(format!("Invalid socket_id: {e}")))?,
            ),
        };
        Ok(Publish {
            name,
            data,
            channels,
            except,
            info: Info::parse(self.info.as_deref()),
        })
    }
}

/// `data` should be a string; any other JSON value is taken as its JSON text.
fn data_text(raw: &RawValue) -> Result<String, ApiError> {
    if raw.get().starts_with('"') {
        serde_json::from_str(raw.get()).map_err(|_| ApiError::bad("Invalid data"))
    } else {
        Ok(raw.get().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(body: &str) -> Result<Publish, ApiError> {
        parse_events(body.as_bytes(), &Limits::default())
    }

    #[test]
    fn accepts_sdk_bodies() {
        let p = events(r#"{"name":"my-event","channels":["a","b"],"data":"{\"m\":1}","socket_id":"1.2","info":"subscription_count"}"#).unwrap();
        assert_eq!(
            (p.name.as_str(), p.data.as_str(), p.channels.len()),
            ("my-event", r#"{"m":1}"#, 2)
        );
        assert_eq!(p.except, Some(SocketId::new(1, 2)));
        assert!(p.info.subscription_count && !p.info.user_count);
        let php = events(r#"{"name":"App\\Events\\X","channel":"private-a","data":"{}"}"#).unwrap();
        assert_eq!(
            (php.name.as_str(), php.channels[0].as_str()),
            (r"App\Events\X", "private-a")
        );
        assert_eq!(
            events(r#"{"name":"e","channel":"a","data":{"x":1}}"#)
                .unwrap()
                .data,
            r#"{"x":1}"#
        );
    }

    #[test]
    fn rejects_bad_bodies() {
        let bad = |b: &str| matches!(events(b), Err(ApiError::BadRequest(_)));
        assert!(bad("{"));
        assert!(bad(r#"{"channel":"a","data":"x"}"#));
        assert!(bad(r#"{"name":"e","data":"x"}"#));
        assert!(bad(r#"{"name":"e","channels":[],"data":"x"}"#));
        assert!(bad(r#"{"name":"e","channel":"a b","data":"x"}"#));
        assert!(bad(
            r#"{"name":"e","channel":"a","data":"x","socket_id":"abc"}"#
        ));
        let many: Vec<String> = (0..101).map(|i| format!("\"c{i}\"")).collect();
        assert!(bad(&format!(
            r#"{{"name":"e","channels":[{}],"data":"x"}}"#,
            many.join(",")
        )));
        let long = format!(
            r#"{{"name":"{}","channel":"a","data":"x"}}"#,
            "e".repeat(201)
        );
        assert!(bad(&long));
        let big = format!(
            r#"{{"name":"e","channel":"a","data":"{}"}}"#,
            "x".repeat(10 * 1024 + 1)
        );
        assert!(matches!(events(&big), Err(ApiError::TooLarge(_))));
    }

    #[test]
    fn batches_are_bounded() {
        let item = r#"{"name":"e","channel":"a","data":"x"}"#;
        let body = |n: usize| format!(r#"{{"batch":[{}]}}"#, vec![item; n].join(","));
        assert_eq!(
            parse_batch(body(10).as_bytes(), &Limits::default())
                .unwrap()
                .len(),
            10
        );
        assert!(matches!(
            parse_batch(body(11).as_bytes(), &Limits::default()),
            Err(ApiError::BadRequest(_))
        ));
    }
}
