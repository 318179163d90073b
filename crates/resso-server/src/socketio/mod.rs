//! The Socket.IO endpoint (`/socket.io/` by default, per app), for Laravel Echo's `socket.io`
//! connector with socket.io-client 2.x (Engine.IO 3, Socket.IO 4) and 3.x/4.x (Engine.IO 4,
//! Socket.IO 5), on the same port as everything else. The wire formats are
//! `resso_protocol::socketio`'s; here is the transport:
//! - [`request`]: a request's `EIO`/`transport`/`sid` and the refusals (400 + `{"code","message"}`);
//! - [`polling`]: long-polling GET/POST and CORS, talking to the socket's task by [`Command`]s;
//! - [`upgrade`]: the websocket transport, straight (`transports: ['websocket']`) or as an upgrade
//!   from polling, taken off the connection by `ws::upgrade` like Pusher's;
//! - [`codec`]: a broadcast as Socket.IO clients get it, encoded once per broadcast;
//! - [`open`]: admission (origin, app limits, `Registry::connect`) and the session's birth;
//! - [`task`]: one task per socket owning its inbox, transport, heartbeat and handler;
//! - [`engine`]: what the task does with each Engine.IO and Socket.IO packet;
//! - [`echo`]: the application logic, Echo's connector (subscribe, presence, whispers, channel
//!   auth), which never sees a transport.
//!
//! A Socket.IO socket is one registry socket, its `SocketId` the `socket.id` clients see, so the
//! registry, the HTTP API, limits and the cluster treat both protocols alike.

mod beat;
pub mod codec;
pub mod echo;
mod engine;
mod open;
mod polling;
mod request;
mod task;
mod upgrade;

pub use upgrade::serve as serve_upgrade;

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::{Request, State};
use axum::response::Response;
use tokio::sync::{mpsc, oneshot};
use tokio_util::task::TaskTracker;

use crate::apps::{Alias, App, Apps};
use crate::config::ServerConfig;
use crate::registry::Registry;
use crate::ws::{Socket, Stream};
use request::Failure;

/// What the endpoint needs to admit and serve sockets; cheap to clone.
#[derive(Clone)]
pub struct Endpoint {
    pub apps: Arc<Apps>,
    pub registry: Registry,
    pub settings: Arc<ServerConfig>,
    /// What every socket's Echo handler shares (the auth client).
    pub echo: echo::Echo,
    /// The live Engine.IO sessions.
    pub sessions: Arc<EngineSessions>,
    pub tracker: TaskTracker,
}

#[cfg(test)]
impl Endpoint {
    /// An endpoint for `apps` with default settings and nothing running.
    pub(crate) fn for_tests(apps: &[crate::config::AppConfig]) -> Self {
        Self {
            apps: Arc::new(Apps::new(apps)),
            registry: Registry::default(),
            settings: Arc::default(),
            echo: echo::Echo::default(),
            sessions: Arc::default(),
            tracker: TaskTracker::new(),
        }
    }
}

/// A websocket that joins a polling session: it arrived on another connection, over whichever
/// stream that was, so its type is erased (one indirection per read and write, for sockets that
/// started on polling; a socket born on the websocket keeps its stream's own type).
pub(crate) type Joining = Socket<Box<dyn Stream>>;

/// The joining websocket as this task's transport: a polling-born task runs over the erased
/// stream a join arrives on, so this is the same type there (a websocket-born task has no
/// polling session to join, and gets `None`).
pub(super) fn adopt<S: Stream>(joining: Joining) -> Option<Socket<S>> {
    let mut slot = Some(joining);
    (&mut slot as &mut dyn Any)
        .downcast_mut::<Option<Socket<S>>>()?
        .take()
}

/// What an HTTP request or an upgrading websocket asks of a socket's task.
pub(crate) enum Command {
    /// A long-poll GET, answered with a polling body when there is something to send.
    Get(oneshot::Sender<Result<String, Failure>>),
    /// A POST's body, answered once its packets are handled.
    Post(String, oneshot::Sender<Result<(), Failure>>),
    /// A websocket opened with this session's sid, to probe and switch to. Boxed: every socket's
    /// command channel allocates a block of slots up front, each the size of the largest variant.
    Upgrade(Box<Joining>),
    /// A request broke the transport's rules (a second POST in flight): close the session.
    Close,
}

/// The live Engine.IO sessions by sid: how polling requests and upgrades find their socket's
/// task. A `std` mutex: every critical section is one map operation.
#[derive(Default)]
pub struct EngineSessions(Mutex<HashMap<String, Session>>);

/// A live polling session, as its requests find it: its task's commands, and whether a POST is
/// in flight (the spec allows one at a time).
#[derive(Clone)]
pub(crate) struct Session {
    pub tx: mpsc::Sender<Command>,
    posting: Arc<AtomicBool>,
}

/// A POST in flight; dropping it ends it.
pub(crate) struct Posting(Arc<AtomicBool>);

impl Drop for Posting {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl Session {
    /// Marks a POST in flight; `None` when one already is.
    pub fn begin_post(&self) -> Option<Posting> {
        let busy = self.posting.swap(true, Ordering::AcqRel);
        (!busy).then(|| Posting(self.posting.clone()))
    }
}

impl EngineSessions {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Session>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn insert(&self, sid: String, tx: mpsc::Sender<Command>) {
        let posting = Arc::default();
        self.lock().insert(sid, Session { tx, posting });
    }

    fn get(&self, sid: &str) -> Option<Session> {
        self.lock().get(sid).cloned()
    }

    fn remove(&self, sid: &str) {
        self.lock().remove(sid);
    }

    /// How many sessions are live (for tests of expiry).
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Serves a request on a Socket.IO path (`{path}/`) of an app, which may have come with a reload:
/// `Err` gives back a request on no app's path.
///
/// # Errors
/// The request itself, when no app serves its path.
pub async fn serve_polling(endpoint: Endpoint, request: Request) -> Result<Response, Request> {
    match app_for_path(&endpoint.apps, request.uri().path()).await {
        Some(app) => Ok(polling::handle(State(endpoint), app, request).await),
        None => Err(request),
    }
}

/// The answer to a Socket.IO request (its query has `EIO`) on a path no app serves, logged; `None`
/// for any other request.
pub fn refuse_unserved(path: &str, query: Option<&str>) -> Option<axum::response::Response> {
    let engine_io = query?
        .split('&')
        .any(|pair| pair.len() > 4 && pair[..4].eq_ignore_ascii_case("eio="));
    engine_io.then(|| axum::response::IntoResponse::into_response(unserved(path)))
}

/// Logs a Socket.IO request on `path`, which no app serves; the failure to answer with.
fn unserved(path: &str) -> Failure {
    crate::refusals::log(crate::refusals::Reason::NoSocketIoApp, "-", &path);
    Failure::NoApp
}

/// The app whose Socket.IO endpoint is at `path` (with the clients' trailing slash): a file
/// app's, else a database app's (its path is known without a query).
async fn app_for_path(apps: &Apps, path: &str) -> Option<Arc<App>> {
    let path = path.strip_suffix('/')?;
    apps.find_alias(Alias::SocketIoPath(path)).await
}

#[cfg(test)]
mod size {
    use resso_protocol::socketio::EngineVersion;
    use tokio::net::{TcpListener, TcpStream};

    use super::open::{open, Birth};
    use super::task::{self, Link};
    use super::Endpoint;
    use crate::config::{AppConfig, SocketIoConfig};
    use crate::ws::Socket;

    /// Each polling session's command channel holds a block of 32 slots of this size.
    #[test]
    fn commands_stay_small() {
        assert!(std::mem::size_of::<super::Command>() <= 40);
    }

    fn shared() -> Endpoint {
        let mut app = AppConfig::development();
        app.socketio = Some(SocketIoConfig::default());
        Endpoint::for_tests(&[app])
    }

    /// Every open socket is one such task, so its size is pinned: an argument stored twice or an
    /// unboxed rare future shows up here. (The bound is for the test profile.)
    #[tokio::test]
    async fn a_socket_task_stays_small() {
        let s = shared();
        let app = s.apps.snapshot().iter().next().unwrap().clone();
        let opened = open(&s, &app, EngineVersion::V4, Birth::Websocket, vec![]).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        let link = Link::Ws(Socket::new(accepted, &[], 1024));
        let task = task::run(opened.engine, link, opened.inbox, None);
        let size = std::mem::size_of_val(&task);
        assert!(size <= 960, "a socket's task takes {size} bytes");
        assert!(s.sessions.is_empty(), "a websocket-born socket is listed");
    }
}
