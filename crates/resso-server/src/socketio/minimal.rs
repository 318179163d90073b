//! A stand-in application until Echo's connector (`socketio::echo`) is merged: `subscribe` to a
//! public channel, and `echo`, which answers with its own arguments. Enough to drive the engine end
//! to end in tests; to be deleted when the real handler arrives.

use bytes::Bytes;
use resso_protocol::{ChannelKind, ChannelName};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::handler::{Connect, Handler, Refused};
use crate::apps::App;
use crate::outbox::Outbox;
use crate::registry::Registry;

struct Minimal {
    app: Arc<App>,
    socket_id: resso_protocol::SocketId,
    registry: Registry,
    outbox: Outbox,
    channels: Vec<ChannelName>,
}

pub fn connect(c: Connect) -> Result<Box<dyn Handler>, Refused> {
    Ok(Box::new(Minimal {
        app: c.app,
        socket_id: c.socket_id,
        registry: c.registry,
        outbox: c.outbox,
        channels: Vec::new(),
    }))
}

#[derive(Deserialize)]
struct Subscribe {
    channel: String,
}

impl Handler for Minimal {
    fn on_event(&mut self, args: &RawValue, out: &mut Vec<Bytes>) {
        let Ok(parts) = serde_json::from_str::<Vec<&RawValue>>(args.get()) else {
            return;
        };
        if parts.first().map(|n| n.get()) == Some("\"subscribe\"") {
            if let Some(Ok(s)) = parts
                .get(1)
                .map(|p| serde_json::from_str::<Subscribe>(p.get()))
            {
                self.subscribe(&s.channel);
            }
            return;
        }
        out.push(Bytes::from(format!("42{}", args.get())));
    }

    fn poll_work(&mut self, _cx: &mut Context<'_>, _out: &mut Vec<Bytes>) -> Poll<()> {
        Poll::Pending
    }
}

impl Minimal {
    fn subscribe(&mut self, name: &str) {
        let Ok(channel) = ChannelName::parse(name, &self.app.limits) else {
            return;
        };
        if channel.kind() != ChannelKind::Public || self.channels.contains(&channel) {
            return;
        }
        let subscribed =
            self.registry
                .subscribe(&self.app, &channel, self.socket_id, &self.outbox, None);
        if subscribed.is_ok() {
            self.channels.push(channel);
        }
    }
}

impl Drop for Minimal {
    fn drop(&mut self) {
        self.registry
            .disconnect(&self.app, self.socket_id, self.channels.iter());
    }
}
