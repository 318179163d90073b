//! Client events — Pusher's `client-*` events (§2.5) and Echo's whispers over Socket.IO — under one
//! set of rules for both protocols: only on a private or presence channel the sender joined, within
//! the app's switch, name, size and rate limits; relayed to every other subscriber of either
//! protocol on every node (with the sender's trusted `user_id` on presence channels), never back
//! to the sender, and reported to the `client_event` webhook.

use resso_protocol::ChannelName;
use serde_json::value::RawValue;
use tokio::time::Instant;

use crate::apps::App;
use crate::broadcast::Payload;
use crate::metrics::Limiter;
use crate::rate::RateWindow;
use crate::registry::Registry;
use crate::tap::Entry;
use crate::webhooks::HookEvent;
use resso_protocol::SocketId;

/// Why a client event was not relayed.
#[derive(Debug, thiserror::Error)]
pub enum ClientEventError {
    #[error("To send client events, you must enable this feature in the Settings page of your dashboard.")]
    Disabled,
    #[error("Cannot broadcast client event (connection not subscribed to channel {0})")]
    NotSubscribed(String),
    #[error("Client events are only allowed on private and presence channels")]
    WrongChannel,
    #[error("Event name is longer than {0} characters")]
    NameTooLong(usize),
    #[error("Client event data is larger than {0} bytes")]
    DataTooLarge(usize),
    #[error("client event rate limit reached")]
    RateLimited,
}

/// The connection a client event comes from.
pub struct Sender<'a> {
    pub app: &'a App,
    pub registry: &'a Registry,
    pub socket: SocketId,
    /// The connection's client-event rate window.
    pub rate: &'a mut RateWindow,
}

/// A client event as the client sent it.
pub struct ClientEvent<'a> {
    /// The channel named, as sent.
    pub requested: &'a str,
    /// That channel, if the sender joined it.
    pub joined: Option<&'a ChannelName>,
    pub event: String,
    pub data: Option<Box<RawValue>>,
}

/// Relays `ev` from `from`, or says why not.
///
/// # Errors
/// The first rule `ev` breaks.
pub fn relay(from: Sender<'_>, ev: ClientEvent<'_>) -> Result<(), ClientEventError> {
    let channel = check(&from, &ev)?;
    if !from.rate.allow(Instant::now()) {
        from.app.meters.rate_limited(Limiter::ClientEvents);
        return Err(ClientEventError::RateLimited);
    }
    let hook_data = ev.data.clone();
    let payload = ev.data.map_or(Payload::Empty, Payload::Json);
    let user = from.registry.publish_client_event(
        from.app,
        channel,
        ev.event.clone(),
        payload,
        from.socket,
    );
    from.app.tap.emit(|| Entry::ClientEvent {
        socket: from.socket.to_string(),
        channel: channel.to_string(),
        event: ev.event.clone(),
        data: hook_data
            .as_ref()
            .map_or_else(String::new, |d| Entry::clip(d.get())),
    });
    let hook = HookEvent::ClientEvent {
        channel: channel.clone(),
        event: ev.event,
        data: hook_data,
        socket_id: from.socket,
        user_id: user,
    };
    from.registry.webhooks().emit(&from.app.id, hook);
    from.app.meters.client_event();
    Ok(())
}

/// The channel `ev` may go to, if it breaks no rule but the rate.
fn check<'a>(from: &Sender<'_>, ev: &ClientEvent<'a>) -> Result<&'a ChannelName, ClientEventError> {
    if !from.app.config.client_events {
        return Err(ClientEventError::Disabled);
    }
    let Some(channel) = ev.joined else {
        return Err(ClientEventError::NotSubscribed(ev.requested.to_owned()));
    };
    if !channel.kind().allows_client_events() {
        return Err(ClientEventError::WrongChannel);
    }
    let limits = &from.app.limits;
    if ev.event.len() > limits.event_name {
        return Err(ClientEventError::NameTooLong(limits.event_name));
    }
    if ev
        .data
        .as_ref()
        .is_some_and(|d| d.get().len() > limits.event_data)
    {
        return Err(ClientEventError::DataTooLarge(limits.event_data));
    }
    Ok(channel)
}
