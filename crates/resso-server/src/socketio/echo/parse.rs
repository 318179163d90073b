//! What Echo's `socket.io` connector sends, parsed once at the edge: an EVENT's argument array
//! (`["subscribe",{channel,auth}]`, `["unsubscribe",{channel}]`,
//! `["client event",{channel,event,data}]`) becomes an [`Inbound`], or a [`BadEvent`] saying what was
//! wrong — a malformed packet is refused, never trusted and never a crash.

use serde::Deserialize;
use serde_json::value::RawValue;

/// One event from the client.
#[derive(Debug)]
pub enum Inbound {
    Subscribe {
        channel: String,
        /// `auth.headers` with string values (others are dropped).
        headers: Vec<(String, String)>,
    },
    Unsubscribe {
        channel: String,
    },
    ClientEvent {
        channel: String,
        event: String,
        data: Option<Box<RawValue>>,
    },
}

/// Why an event was not understood.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadEvent {
    #[error("the arguments are not an array starting with an event name")]
    NotAnEvent,
    #[error("unknown event {0:?}")]
    Unknown(String),
    #[error("{0:?} needs an object with a string `channel`")]
    BadPayload(&'static str),
    #[error("client event needs a string `event`")]
    NoEventName,
}

#[derive(Deserialize)]
struct Channel {
    channel: String,
    #[serde(default)]
    auth: Option<Auth>,
}

#[derive(Deserialize)]
struct Auth {
    #[serde(default)]
    headers: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct Whisper {
    channel: String,
    event: Option<String>,
    #[serde(default)]
    data: Option<Box<RawValue>>,
}

impl Inbound {
    /// Parses an EVENT's argument array.
    ///
    /// # Errors
    /// A [`BadEvent`] naming the fault.
    pub fn parse(args: &RawValue) -> Result<Self, BadEvent> {
        let items: Vec<&RawValue> =
            serde_json::from_str(args.get()).map_err(|_| BadEvent::NotAnEvent)?;
        let (name, payload) = match items.as_slice() {
            [name, rest @ ..] => (name, rest.first()),
            [] => return Err(BadEvent::NotAnEvent),
        };
        let name: String = serde_json::from_str(name.get()).map_err(|_| BadEvent::NotAnEvent)?;
        let payload = payload.map_or("null", |p| p.get());
        match name.as_str() {
            "subscribe" => {
                let c: Channel = from(payload, "subscribe")?;
                let headers = c.auth.and_then(|a| a.headers).unwrap_or_default();
                Ok(Self::Subscribe {
                    channel: c.channel,
                    headers: string_headers(headers),
                })
            }
            "unsubscribe" => Ok(Self::Unsubscribe {
                channel: from::<Channel>(payload, "unsubscribe")?.channel,
            }),
            "client event" => {
                let w: Whisper = from(payload, "client event")?;
                Ok(Self::ClientEvent {
                    channel: w.channel,
                    event: w.event.ok_or(BadEvent::NoEventName)?,
                    data: w.data,
                })
            }
            _ => Err(BadEvent::Unknown(name)),
        }
    }
}

fn from<'a, T: Deserialize<'a>>(payload: &'a str, event: &'static str) -> Result<T, BadEvent> {
    serde_json::from_str(payload).map_err(|_| BadEvent::BadPayload(event))
}

fn string_headers(map: serde_json::Map<String, serde_json::Value>) -> Vec<(String, String)> {
    map.into_iter()
        .filter_map(|(name, value)| match value {
            serde_json::Value::String(s) => Some((name, s)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Inbound, BadEvent> {
        let raw: Box<RawValue> = serde_json::from_str(text).unwrap();
        Inbound::parse(&raw)
    }

    #[test]
    fn reads_what_echo_sends() {
        let sub = parse(
            r#"["subscribe",{"channel":"private-a","auth":{"headers":{"X-CSRF-TOKEN":"t","n":1}}}]"#,
        );
        let Ok(Inbound::Subscribe { channel, headers }) = sub else {
            panic!("{sub:?}")
        };
        assert_eq!(channel, "private-a");
        assert_eq!(headers, [("X-CSRF-TOKEN".to_owned(), "t".to_owned())]);
        assert!(matches!(
            parse(r#"["subscribe",{"channel":"a"}]"#),
            Ok(Inbound::Subscribe { headers, .. }) if headers.is_empty()
        ));
        assert!(matches!(
            parse(r#"["unsubscribe",{"channel":"a","auth":{}}]"#),
            Ok(Inbound::Unsubscribe { channel }) if channel == "a"
        ));
        let w =
            parse(r#"["client event",{"channel":"private-a","event":"client-t","data":{"x":1}}]"#);
        let Ok(Inbound::ClientEvent { event, data, .. }) = w else {
            panic!("{w:?}")
        };
        assert_eq!(
            (event.as_str(), data.unwrap().get()),
            ("client-t", r#"{"x":1}"#)
        );
    }

    #[test]
    fn refuses_bad_packets() {
        assert_eq!(parse("{}").unwrap_err(), BadEvent::NotAnEvent);
        assert_eq!(parse("[]").unwrap_err(), BadEvent::NotAnEvent);
        assert_eq!(parse("[1]").unwrap_err(), BadEvent::NotAnEvent);
        assert_eq!(
            parse(r#"["subscribe"]"#).unwrap_err(),
            BadEvent::BadPayload("subscribe")
        );
        assert_eq!(
            parse(r#"["subscribe",{"channel":5}]"#).unwrap_err(),
            BadEvent::BadPayload("subscribe")
        );
        assert_eq!(
            parse(r#"["subscribe","a"]"#).unwrap_err(),
            BadEvent::BadPayload("subscribe")
        );
        assert_eq!(
            parse(r#"["subscribe",{"channel":"a","auth":{"headers":[]}}]"#).unwrap_err(),
            BadEvent::BadPayload("subscribe")
        );
        assert_eq!(
            parse(r#"["client event",{"channel":"a"}]"#).unwrap_err(),
            BadEvent::NoEventName
        );
        assert_eq!(
            parse(r#"["nope",{}]"#).unwrap_err(),
            BadEvent::Unknown("nope".into())
        );
    }
}
