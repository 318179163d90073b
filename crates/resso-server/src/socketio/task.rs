//! One task per Socket.IO socket, owning its transport, its registry inbox, its heartbeat and its
//! handler, `select!`ing over them like the Pusher connection task. Polling requests reach it as
//! [`Command`]s; a long poll is answered when there is something to send. Broadcasts leave the
//! inbox only when a transport can take them at once — a waiting GET or the websocket — so the
//! outbox's byte bound covers polling sockets too, and a packet is never in two places: the
//! upgrade (`2probe` → `3probe`, the pending GET ended with `6`, then `5`) switches transports
//! between two turns of the loop, and a long poll that vanished gives its packets back.

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};

use bytes::Bytes;
use resso_protocol::socketio::{payload, EngineVersion};
use resso_protocol::ErrorCode;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{sleep_until, Instant};

use super::engine::{Engine, SocketEnd};
use super::request::Failure;
use super::{adopt, Command, Joining};
use crate::outbox::{Inbox, BATCH};
use crate::ws::frame::{self, op};
use crate::ws::socket::Unsent;
use crate::ws::{Incoming, ReadEnd, Socket, Stream};

/// The socket's transport: polling, or a websocket over `S` (a socket born on polling runs with
/// `S` the erased stream its upgrade arrives on).
pub(super) enum Link<S> {
    Polling(Polling),
    Ws(Socket<S>),
}

/// A polling transport: the GET waiting for packets, and a websocket being probed.
#[derive(Default)]
pub(super) struct Polling {
    pending: Option<oneshot::Sender<Result<String, Failure>>>,
    upgrade: Option<Upgrading>,
}

struct Upgrading {
    socket: Joining,
    probed: bool,
    deadline: Instant,
}

impl<S: Stream> Link<S> {
    pub fn polling() -> Self {
        Self::Polling(Polling::default())
    }

    /// Whether broadcasts can be written now.
    fn takes_broadcasts(&self) -> bool {
        match self {
            Self::Ws(_) => true,
            Self::Polling(p) => {
                p.pending.is_some() && !p.upgrade.as_ref().is_some_and(|u| u.probed)
            }
        }
    }

    fn upgrade_deadline(&self) -> Option<Instant> {
        match self {
            Self::Polling(Polling {
                upgrade: Some(u), ..
            }) => Some(u.deadline),
            _ => None,
        }
    }
}

/// What arrived on a transport.
enum Arrival {
    /// On the websocket transport.
    Main(Result<Incoming, ReadEnd>),
    /// On a websocket being probed.
    Probe(Result<Incoming, ReadEnd>),
}

fn poll_link<S: Stream>(link: &mut Link<S>, cx: &mut Context<'_>) -> Poll<Arrival> {
    match link {
        Link::Ws(socket) => socket.poll_recv(cx).map(Arrival::Main),
        Link::Polling(Polling {
            upgrade: Some(u), ..
        }) => u.socket.poll_recv(cx).map(Arrival::Probe),
        Link::Polling(_) => Poll::Pending,
    }
}

/// Serves the socket until it ends, then says goodbye; dropping the engine disconnects it.
/// `commands` is `None` for a socket born on the websocket: nothing can poll it or upgrade it.
///
/// Not an `async fn`: that would store its arguments twice in the task (as arguments and as the
/// locals they are moved to); an `async move` block borrows its captures in place.
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn stores its arguments twice"
)]
pub(super) fn run<S: Stream>(
    mut engine: Engine,
    mut link: Link<S>,
    mut inbox: Inbox,
    mut commands: Option<mpsc::Receiver<Command>>,
) -> impl Future<Output = ()> + Send {
    async move {
        let end = serve(&mut engine, &mut link, &mut inbox, &mut commands).await;
        tracing::debug!(sid = engine.sid(), socket_id = %engine.socket_id(), ?end, "socket.io socket ended");
        engine.count_end(&end);
        engine.park(&end);
        goodbye(&mut engine, &mut link, end).await;
    }
}

fn poll_command(
    commands: &mut Option<mpsc::Receiver<Command>>,
    cx: &mut Context<'_>,
) -> Poll<Option<Command>> {
    commands
        .as_mut()
        .map_or(Poll::Pending, |rx| rx.poll_recv(cx))
}

async fn serve<S: Stream>(
    engine: &mut Engine,
    link: &mut Link<S>,
    inbox: &mut Inbox,
    commands: &mut Option<mpsc::Receiver<Command>>,
) -> SocketEnd {
    let doom = inbox.doom_signal();
    let mut doomed = pin!(doom.doomed());
    let mut timer = pin!(sleep_until(engine.beat.next()));
    loop {
        if let Err(end) = flush(engine, link, &mut doomed).await {
            return end;
        }
        if engine.closing() && !engine.has_output() {
            return SocketEnd::Close;
        }
        let deadline = link
            .upgrade_deadline()
            .map_or(engine.beat.next(), |u| u.min(engine.beat.next()));
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        let turn = tokio::select! {
            biased;
            code = doomed.as_mut() => Err(SocketEnd::Doomed(code)),
            command = poll_fn(|cx| poll_command(commands, cx)) => match command {
                Some(command) => on_command(engine, link, command),
                None => Err(SocketEnd::Gone),
            },
            arrival = poll_fn(|cx| poll_link(link, cx)) => on_arrival(engine, link, arrival).await,
            Some(first) = inbox.recv(), if link.takes_broadcasts() && !engine.claiming() => {
                engine.push_broadcast(first);
                for msg in std::iter::from_fn(|| inbox.try_recv()).take(BATCH - 1) {
                    engine.push_broadcast(msg);
                }
                Ok(())
            }
            result = poll_fn(|cx| engine.poll_work(cx)) => result,
            () = timer.as_mut() => on_timer(engine, link),
        };
        if let Err(end) = turn {
            return end;
        }
    }
}

/// Writes what is queued, if the transport can take it.
async fn flush<S: Stream, D>(
    engine: &mut Engine,
    link: &mut Link<S>,
    doomed: &mut Pin<&mut D>,
) -> Result<(), SocketEnd>
where
    D: std::future::Future<Output = ErrorCode>,
{
    if !engine.has_output() {
        return Ok(());
    }
    match link {
        Link::Ws(socket) => {
            let frames = engine.take_frames();
            // A write that goes out at once never waits; one that must, waits bounded.
            match poll_fn(|cx| Poll::Ready(socket.start_send(cx, &frames))).await {
                Poll::Ready(r) => r.map_err(|_| SocketEnd::Gone),
                // What it could not write waits in the socket's unsent buffer.
                Poll::Pending => {
                    let stall = engine.beat_timeout();
                    match Box::pin(socket.drain_within(stall, doomed.as_mut())).await {
                        Ok(()) => Ok(()),
                        Err(Unsent::Failed) => Err(SocketEnd::Gone),
                        Err(Unsent::Stalled) => Err(SocketEnd::Doomed(ErrorCode::OverCapacity)),
                        Err(Unsent::Cancelled(code)) => Err(SocketEnd::Doomed(code)),
                    }
                }
            }
        }
        Link::Polling(p) => {
            if p.upgrade.as_ref().is_some_and(|u| u.probed) {
                return Ok(()); // kept for the websocket
            }
            if let Some(tx) = p.pending.take() {
                let packets = engine.take_packets();
                let body = encode(&packets, engine.version);
                if tx.send(Ok(body)).is_err() {
                    engine.requeue(packets); // the long poll went away: the next one gets them
                }
            }
            Ok(())
        }
    }
}

fn encode(packets: &[Bytes], version: EngineVersion) -> String {
    let texts = packets
        .iter()
        .map(|p| std::str::from_utf8(p).unwrap_or_default());
    payload::encode(texts, version)
}

/// A polling body holding one noop.
fn noop(version: EngineVersion) -> String {
    payload::encode(["6"], version)
}

fn on_command<S: Stream>(
    engine: &mut Engine,
    link: &mut Link<S>,
    command: Command,
) -> Result<(), SocketEnd> {
    let Link::Polling(p) = link else {
        // Polling after the upgrade, or a second websocket: refused; the socket lives on.
        match command {
            Command::Get(tx) => drop(tx.send(Err(Failure::BadRequest))),
            Command::Post(_, tx) => drop(tx.send(Err(Failure::BadRequest))),
            Command::Upgrade(socket) => drop(socket),
            Command::Close => {}
        }
        return Ok(());
    };
    match command {
        Command::Get(tx) => {
            if p.upgrade.as_ref().is_some_and(|u| u.probed) {
                let _ = tx.send(Ok(noop(engine.version)));
            } else if p.pending.as_ref().is_some_and(|t| !t.is_closed()) {
                // The spec: one GET at a time, else 400 and the session closed (the waiting GET
                // gets the close packet).
                let _ = tx.send(Err(Failure::BadRequest));
                return Err(SocketEnd::Close);
            } else {
                p.pending = Some(tx);
            }
            Ok(())
        }
        Command::Post(body, tx) => on_post(engine, &body, tx),
        Command::Close => Err(SocketEnd::Close),
        Command::Upgrade(socket) => {
            if p.upgrade.is_none() {
                let deadline = Instant::now() + engine.beat_timeout();
                p.upgrade = Some(Upgrading {
                    socket: *socket,
                    probed: false,
                    deadline,
                });
            }
            Ok(())
        }
    }
}

fn on_post(
    engine: &mut Engine,
    body: &str,
    tx: oneshot::Sender<Result<(), Failure>>,
) -> Result<(), SocketEnd> {
    let Ok(packets) = payload::decode(body, engine.version) else {
        let _ = tx.send(Err(Failure::BadRequest));
        return Err(SocketEnd::Close);
    };
    let handled = packets
        .into_iter()
        .try_for_each(|text| engine.on_text(text));
    let _ = tx.send(match &handled {
        Err(SocketEnd::Close) => Err(Failure::BadRequest),
        _ => Ok(()),
    });
    handled
}

async fn on_arrival<S: Stream>(
    engine: &mut Engine,
    link: &mut Link<S>,
    arrival: Arrival,
) -> Result<(), SocketEnd> {
    match arrival {
        Arrival::Main(Ok(Incoming::Text(text))) => engine.on_text(&text),
        Arrival::Main(Ok(Incoming::Ping(payload))) => {
            engine.push_frame(frame::encode(op::PONG, &payload));
            Ok(())
        }
        Arrival::Main(Ok(Incoming::Pong | Incoming::Binary)) => Ok(()),
        Arrival::Main(Ok(Incoming::Close(code))) => Err(SocketEnd::Answer(code)),
        Arrival::Main(Err(ReadEnd::Gone)) => Err(SocketEnd::Gone),
        Arrival::Main(Err(ReadEnd::Violation(v))) => Err(SocketEnd::Violation(v)),
        Arrival::Probe(arrived) => {
            // Boxed: it happens once per upgrade, and inline it would double the size of every
            // socket's task.
            Box::pin(on_probe(link, arrived, engine.version)).await;
            Ok(())
        }
    }
}

/// A frame on the websocket being probed: `2probe`, then `5`; anything else abandons the upgrade.
async fn on_probe<S: Stream>(
    link: &mut Link<S>,
    arrived: Result<Incoming, ReadEnd>,
    version: EngineVersion,
) {
    let Link::Polling(p) = link else { return };
    let Some(up) = p.upgrade.as_mut() else { return };
    match arrived {
        Ok(Incoming::Text(t)) if t == "2probe" && !up.probed => {
            if up.socket.send(&[frame::text("3probe")]).await.is_err() {
                p.upgrade = None;
                return;
            }
            up.probed = true;
            if let Some(tx) = p.pending.take() {
                let _ = tx.send(Ok(noop(version))); // lets the client pause polling
            }
        }
        Ok(Incoming::Text(t)) if t == "5" && up.probed => {
            let Some(up) = p.upgrade.take() else { return };
            if let Some(tx) = p.pending.take() {
                let _ = tx.send(Ok(noop(version)));
            }
            if let Some(socket) = adopt(up.socket) {
                *link = Link::Ws(socket);
            }
        }
        Ok(Incoming::Ping(_) | Incoming::Pong | Incoming::Binary) => {}
        _ => p.upgrade = None,
    }
}

fn on_timer<S: Stream>(engine: &mut Engine, link: &mut Link<S>) -> Result<(), SocketEnd> {
    let now = Instant::now();
    if let Link::Polling(p) = link {
        if p.upgrade.as_ref().is_some_and(|u| u.deadline <= now) {
            tracing::debug!(sid = engine.sid(), "upgrade abandoned");
            p.upgrade = None;
        }
    }
    engine.on_timer(now)
}

/// The goodbye `end` asks for: an engine close (with a Socket.IO DISCONNECT first when the client
/// must not come back), on whichever transport is left.
async fn goodbye<S: Stream>(engine: &mut Engine, link: &mut Link<S>, end: SocketEnd) {
    let packets: &[&str] = match &end {
        SocketEnd::Gone | SocketEnd::Left | SocketEnd::Answer(_) | SocketEnd::Violation(_) => &[],
        SocketEnd::Doomed(code) if (4000..4100).contains(&code.code()) => &["41", "1"],
        SocketEnd::Close | SocketEnd::Doomed(_) => &["1"],
    };
    match link {
        Link::Ws(socket) => {
            let frames: Vec<Bytes> = packets.iter().map(|p| frame::text(p)).collect();
            match &end {
                SocketEnd::Gone | SocketEnd::Left => {}
                SocketEnd::Answer(code) => socket.answer_close(*code).await,
                SocketEnd::Violation(v) => {
                    let (code, reason) = v.close();
                    socket.close(frames, code, reason).await;
                }
                SocketEnd::Close | SocketEnd::Doomed(_) => socket.close(frames, 1000, "").await,
            }
        }
        Link::Polling(p) => {
            if let Some(tx) = p.pending.take() {
                // The client said goodbye: its waiting GET gets a noop, as the reference server
                // answers it; otherwise the close packet.
                let packets = match (&end, packets.is_empty()) {
                    (SocketEnd::Gone | SocketEnd::Left, _) => &["6"][..],
                    (_, true) => &["1"][..],
                    (_, false) => packets,
                };
                let body = payload::encode(packets.iter().copied(), engine.version);
                let _ = tx.send(Ok(body));
            }
        }
    }
}
