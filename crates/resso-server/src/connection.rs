//! One task per WebSocket connection, owning its socket. It `select!`s over the client's frames, its
//! outbound queue (whose doom signal also carries terminate and shutdown) and one timer; all
//! protocol decisions and every frame's bytes are its [`Protocol`]'s (Pusher's: [`crate::pusher`]),
//! and the stream is any [`Stream`]. Queued frames are written in batches, and a write never
//! outlives a doom signal, so a client that stops reading only ever costs its own bounded queue.

use std::future::{poll_fn, Future};
use std::ops::DerefMut;
use std::pin::{pin, Pin};
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use resso_protocol::ErrorCode;
use tokio::time::{sleep_until, Instant};

use crate::broadcast::Broadcast;
pub use crate::deadline::Deadline;
use crate::metrics::{self, AppMeters};
use crate::outbox::{Inbox, BATCH};
use crate::ws::frame::{self, op};
use crate::ws::socket::{Stream, Unsent};
use crate::ws::{Incoming, ReadEnd, Socket, Violation};

/// The protocol a connection speaks: its session logic and the bytes of each frame the connection
/// task sends on its own (greeting, heartbeat, broadcasts, goodbye).
pub trait Protocol: Send + 'static {
    /// The first frame, once the connection is admitted.
    fn greeting(&self, heartbeat: Heartbeat) -> Bytes;
    /// Acts on one text message from the client, appending the frames to answer with to `out`.
    fn on_text(&mut self, text: &str, out: &mut Vec<Bytes>);
    /// When the connection must have done what it has not yet (signed in, subscribed), if anything.
    fn deadline(&self, opened: Instant) -> Option<Deadline>;
    /// The frame carrying `msg` (encoded once, shared by every subscriber); `None` when this
    /// protocol's clients never get it.
    fn frame(msg: &Broadcast) -> Option<&Bytes>;
    /// The ping for a silent client.
    fn ping() -> Bytes;
    /// What precedes the close frame with `code`, if anything.
    fn goodbye(code: ErrorCode, message: &str) -> Option<Bytes>;
    /// The counters of the connection's app.
    fn meters(&self) -> &AppMeters;
    /// The connection ended with `code`: told to the app's tap (the console, `--debug`).
    fn closed(&self, code: u16);
    /// Which protocol the counters count this connection under.
    const METERED_AS: metrics::Protocol;
}

/// Heartbeat settings, in milliseconds: every connection carries them, so kept small.
#[derive(Debug, Clone, Copy)]
pub struct Heartbeat {
    activity_ms: u32,
    pong_ms: u32,
}

impl Heartbeat {
    /// Ping after `activity` of silence; close with 4201 when nothing came `pong` after the ping.
    #[must_use]
    pub fn new(activity: Duration, pong: Duration) -> Self {
        let ms = |d: Duration| u32::try_from(d.as_millis()).unwrap_or(u32::MAX);
        Self {
            activity_ms: ms(activity),
            pong_ms: ms(pong),
        }
    }

    /// Silence before a ping.
    #[must_use]
    pub fn activity(self) -> Duration {
        Duration::from_millis(self.activity_ms.into())
    }

    fn pong(self) -> Duration {
        Duration::from_millis(self.pong_ms.into())
    }
}

/// Why the loop ended.
enum End {
    /// The transport failed: nothing more to send.
    Gone,
    /// The client closed (with this code): answer its close.
    Answer(Option<u16>),
    /// Close with this code.
    Close(ErrorCode),
    /// The client broke the WebSocket protocol: close with the RFC 6455 code it earns.
    Violation(Violation),
}

impl End {
    /// The close code the connection ends with, for the counters (1006: it just vanished).
    fn code(&self) -> u16 {
        match self {
            Self::Gone => 1006,
            Self::Answer(code) => code.unwrap_or(1005),
            Self::Close(code) => code.code(),
            Self::Violation(v) => v.close().0,
        }
    }
}

impl From<ReadEnd> for End {
    fn from(end: ReadEnd) -> Self {
        match end {
            ReadEnd::Gone => Self::Gone,
            ReadEnd::Violation(v) => Self::Violation(v),
        }
    }
}

/// Serves an established connection until it ends; the first frame has been sent already.
///
/// Not an `async fn`: its arguments are captured by the returned future and used in place (an
/// `async fn` would copy them into a second set of locals, pinned by the task-size tests). The
/// loop and the goodbye are separate futures, the goodbye boxed, so the task only ever carries the
/// loop's state.
#[allow(clippy::manual_async_fn)] // on purpose: see above
pub fn serve<P: Protocol, S: Stream>(
    mut ws: Socket<S>,
    mut session: P,
    mut inbox: Inbox,
    heartbeat: Heartbeat,
) -> impl Future<Output = ()> + Send {
    async move {
        let end = run(&mut ws, &mut session, &mut inbox, heartbeat).await;
        session.meters().disconnected(P::METERED_AS, end.code());
        session.closed(end.code());
        drop(session);
        Box::pin(finish::<P, S>(&mut ws, end)).await;
    }
}

/// The connection's loop, until it must end.
///
/// The doom and timer futures are made once and polled again on every turn (the one
/// timer, for the heartbeat and the session's [`Deadline`], is re-armed lazily when it fires): a
/// delivery wakes the task without registering a waiter or a timer anew.
async fn run<P: Protocol, S: Stream>(
    ws: &mut Socket<S>,
    session: &mut P,
    inbox: &mut Inbox,
    heartbeat: Heartbeat,
) -> End {
    let opened = Instant::now();
    let mut beat = Beat::new(heartbeat, opened);
    let doom = inbox.doom_signal();
    let mut guard = Guard {
        doomed: pin!(doom.doomed()),
    };
    let next = |beat: &Beat, session: &P| {
        let due = session.deadline(opened);
        due.map_or(beat.deadline(), |d| d.at.min(beat.deadline()))
    };
    let mut timer = pin!(sleep_until(next(&beat, session)));
    let mut frames: Vec<Bytes> = Vec::new();
    loop {
        tokio::select! {
            biased;
            code = guard.doomed.as_mut() => return End::Close(code),
            message = ws.recv() => {
                let message = match message {
                    Ok(message) => message,
                    Err(end) => return end.into(),
                };
                beat.seen(Instant::now());
                if let Err(end) = handle(session, message, &mut frames) {
                    return end;
                }
            }
            Some(first) = inbox.recv() => {
                frames.extend(P::frame(&first).cloned());
                let rest = std::iter::from_fn(|| inbox.try_recv()).take(BATCH - 1);
                frames.extend(rest.filter_map(|m| P::frame(&m).cloned()));
            }
            () = timer.as_mut() => {
                let now = Instant::now();
                if let Some(due) = session.deadline(opened).filter(|d| d.at <= now) {
                    return End::Close(due.code);
                }
                match beat.due(now) {
                    Due::Later => {}
                    Due::Ping => frames.push(P::ping()),
                    Due::Dead => return End::Close(ErrorCode::PongNotReceived),
                }
                timer.as_mut().reset(next(&beat, session));
            }
        }
        if frames.is_empty() {
            continue;
        }
        if let Err(end) = guard.send(ws, &frames, beat.settings.pong_ms).await {
            return end;
        }
        let bytes = frames.iter().map(Bytes::len).sum();
        session.meters().sent(P::METERED_AS, frames.len(), bytes);
        frames.clear();
        frames.shrink_to(BATCH / 8);
    }
}

/// Says goodbye the way `end` asks.
async fn finish<P: Protocol, S: Stream>(ws: &mut Socket<S>, end: End) {
    match end {
        End::Close(code) => close::<P, S>(ws, code, code.message()).await,
        End::Violation(v) => {
            let (code, reason) = v.close();
            ws.close(Vec::new(), code, reason).await;
        }
        End::Answer(code) => ws.answer_close(code).await,
        End::Gone => {}
    }
}

/// The heartbeat's state: when the client was last heard from and whether a ping awaits its pong.
struct Beat {
    settings: Heartbeat,
    last_seen: Instant,
    ping_sent: Option<Instant>,
}

/// What the heartbeat timer found when it fired.
enum Due {
    /// The client spoke since: nothing to do yet.
    Later,
    /// Silent for the activity timeout: send a ping.
    Ping,
    /// No answer to the ping within the pong timeout.
    Dead,
}

impl Beat {
    const fn new(settings: Heartbeat, now: Instant) -> Self {
        Self {
            settings,
            last_seen: now,
            ping_sent: None,
        }
    }

    /// Any frame from the client counts as activity (and as the pong).
    fn seen(&mut self, now: Instant) {
        self.last_seen = now;
        self.ping_sent = None;
    }

    /// When the timer must next fire.
    fn deadline(&self) -> Instant {
        self.ping_sent
            .map_or(self.last_seen + self.settings.activity(), |p| {
                p + self.settings.pong()
            })
    }

    fn due(&mut self, now: Instant) -> Due {
        if now < self.deadline() {
            return Due::Later;
        }
        if self.ping_sent.is_some() {
            return Due::Dead;
        }
        self.ping_sent = Some(now);
        Due::Ping
    }
}

/// The signal that cuts a write short (a doomed queue: overflow, terminate, shutdown), pinned once
/// per connection.
struct Guard<D> {
    doomed: Pin<D>,
}

impl<D> Guard<D>
where
    D: DerefMut<Target: Future<Output = ErrorCode>>,
{
    /// Writes `frames`; gives up with the reason to end if the connection is doomed, the write
    /// fails, or the client has not taken it all within its pong timeout (4100, see
    /// [`Socket::drain_within`]). A write that goes out at once never waits.
    async fn send<S: Stream>(
        &mut self,
        ws: &mut Socket<S>,
        frames: &[Bytes],
        stall_ms: u32,
    ) -> Result<(), End> {
        if let Poll::Ready(r) = poll_fn(|cx| Poll::Ready(ws.start_send(cx, frames))).await {
            return r.map_err(|_| End::Gone);
        }
        let stall = Duration::from_millis(stall_ms.into());
        match Box::pin(ws.drain_within(stall, self.doomed.as_mut())).await {
            Ok(()) => Ok(()),
            Err(Unsent::Failed) => Err(End::Gone),
            Err(Unsent::Stalled) => Err(End::Close(ErrorCode::OverCapacity)),
            Err(Unsent::Cancelled(code)) => Err(End::Close(code)),
        }
    }
}

/// Acts on one client message, queueing what to answer in `out`.
fn handle<P: Protocol>(
    session: &mut P,
    message: Incoming,
    out: &mut Vec<Bytes>,
) -> Result<(), End> {
    match message {
        Incoming::Text(text) => {
            session.meters().received(P::METERED_AS, text.len());
            session.on_text(&text, out);
        }
        Incoming::Ping(payload) => out.push(frame::encode(op::PONG, &payload)),
        Incoming::Close(code) => return Err(End::Answer(code)),
        // Pongs and binary frames only count as activity.
        Incoming::Pong | Incoming::Binary => {}
    }
    Ok(())
}

/// Sends `P`'s goodbye and a close frame with `code`, then waits briefly for the client's close.
pub fn close<'a, P: Protocol, S: Stream>(
    ws: &'a mut Socket<S>,
    code: ErrorCode,
    message: &'a str,
) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
    let goodbye = P::goodbye(code, message).into_iter().collect();
    ws.close(goodbye, code.code(), message)
}
