//! The websocket transport, from an upgrade `ws::upgrade` took off a new connection: without a
//! sid it is a new socket served on this very task (`transports: ['websocket']`); with one it is
//! handed to that polling session's task to probe and switch to. A refused request gets its 400
//! before any 101.

use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::open::{open, Admitted, Birth};
use super::request::{EngineQuery, Failure, Transport};
use super::Endpoint;
use super::{app_for_path, task, Command};
use crate::admission;
use crate::ws::upgrade::SocketIoUpgrade;
use crate::ws::{Socket, Stream};

/// What an acceptable upgrade becomes.
enum Plan {
    /// The websocket of an existing polling session.
    Join(mpsc::Sender<Command>),
    /// A new socket, admitted.
    New(Box<Admitted>),
}

/// Serves a Socket.IO websocket upgrade: refuses it, hands it to its polling session, or starts
/// a new socket's task. That task is spawned apart rather than awaited here, so that it is laid
/// out for itself alone, not inside the connection task sized for Pusher's.
pub async fn serve<S: Stream>(mut stream: S, upgrade: SocketIoUpgrade, s: Endpoint) {
    let (plan, max_payload) = match plan(&upgrade, &s).await {
        Ok(plan) => plan,
        Err(failure) => {
            let _ = stream.write_all(&failure.raw_response()).await;
            let _ = stream.shutdown().await;
            return;
        }
    };
    let mut socket = Socket::new(stream, &upgrade.early, max_payload).with_unsent(upgrade.response);
    match plan {
        Plan::Join(tx) => {
            if socket.send(&[]).await.is_ok() {
                let _ = tx.send(Command::Upgrade(Box::new(socket.erased()))).await;
            }
        }
        Plan::New(opened) => {
            let Admitted { engine, inbox } = *opened;
            let run = task::run(engine, task::Link::Ws(socket), inbox, None);
            // The socket keeps its address's place for as long as it lives.
            let place = admission::take_place();
            admission::spawn_holding(&s.tracker, place, run);
        }
    }
}

async fn plan(upgrade: &SocketIoUpgrade, s: &Endpoint) -> Result<(Plan, usize), Failure> {
    let Some(app) = app_for_path(&s.apps, &upgrade.path).await else {
        return Err(super::unserved(&upgrade.path));
    };
    let query = EngineQuery::parse(&upgrade.query)?;
    if query.transport != Transport::Websocket {
        return Err(Failure::BadRequest);
    }
    let max_payload = app.config.socketio.as_ref().map_or(0, |c| c.max_payload);
    let plan = match &query.sid {
        Some(sid) => Plan::Join(s.sessions.get(sid).ok_or(Failure::UnknownSid)?.tx),
        None => {
            let headers = upgrade.headers.clone();
            Plan::New(Box::new(open(
                s,
                &app,
                query.version,
                Birth::Websocket,
                headers,
            )?))
        }
    };
    Ok((plan, max_payload))
}
