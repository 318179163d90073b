//! The accept loops. A new connection's first request head is read by [`upgrade::read_first`]: a
//! WebSocket upgrade is served on the spot, on the same task, by the Pusher or the Socket.IO
//! endpoint; anything else goes to hyper (HTTP/1.1) and the router, with the bytes already read put
//! back in front. Everything after `accept` is generic over the stream ([`Stream`]), with the
//! peer's address beside it: [`spawn`] serves plain TCP, [`spawn_tls`] first makes the TLS
//! handshake in the connection's own task, then serves the TLS stream with the same code.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use futures_util::future::Either;
use futures_util::FutureExt;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use socket2::SockRef;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

use super::rewind::Rewind;
use super::{body, over_limit, Shared};
use crate::admission::{self, OverLimit, PerIp};
use crate::tls::{Tls, TlsStream};
use crate::ws::upgrade::{self, First};
use crate::ws::Stream;
use crate::{pusher, socketio};

/// How long a client may take to send a request's head: a connection that sends nothing (or
/// dribbles a header) is closed instead of holding a task forever. A TLS handshake gets as long
/// again, before it.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Most bytes hyper buffers for one connection, so the longest request head it accepts (431
/// beyond), instead of hyper's much larger default.
pub const MAX_BUFFER: usize = 64 * 1024;

/// One listening socket, and for a TLS one the certificates its handshakes use.
pub struct Listener {
    pub tcp: TcpListener,
    pub tls: Option<Tls>,
}

/// Accepts on every listener until the drain is over (`stop`), each connection in its own task
/// on the shared tracker; then open HTTP connections finish their request in flight and close. The
/// per-address limits count the connections of all listeners together.
pub async fn serve(listeners: Vec<Listener>, router: Router, s: Shared) {
    let per_ip = PerIp::new(&s.settings.limits);
    let within = s.settings.limits.request_body_timeout();
    let router = router.layer(axum::middleware::map_request(
        move |req: axum::extract::Request| async move { req.map(|b| body::timed(b, within)) },
    ));
    let loops = listeners
        .into_iter()
        .map(|listener| accept(listener, per_ip.clone(), router.clone(), s.clone()));
    futures_util::future::join_all(loops).await;
}

/// One listener's accept loop.
async fn accept(listener: Listener, per_ip: Option<Arc<PerIp>>, router: Router, s: Shared) {
    no_delay(&listener.tcp);
    loop {
        let accepted = tokio::select! {
            () = s.stop.cancelled() => return,
            accepted = listener.tcp.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => match &listener.tls {
                None => spawn(stream, peer, per_ip.as_ref(), &router, &s),
                Some(tls) => spawn_tls(stream, peer, tls, per_ip.as_ref(), &router, &s),
            },
            Err(e) if is_connection_error(&e) => {}
            Err(e) => {
                // Out of file descriptors, most likely: wait for connections to end.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Serves an accepted connection in its own task: past a per-address limit, only to refuse it;
/// within one, holding its place until the task ends.
fn spawn<S: Stream>(
    stream: S,
    peer: SocketAddr,
    per_ip: Option<&Arc<PerIp>>,
    router: &Router,
    s: &Shared,
) {
    if s.memory.is_over() {
        let max = s.settings.max_message_bytes;
        s.tracker
            .spawn(over_limit::refuse(stream, OverLimit::Memory, max));
        return;
    }
    let Some(per_ip) = per_ip else {
        s.tracker
            .spawn(connection(stream, router.clone(), s.clone()));
        return;
    };
    match per_ip.admit(peer.ip()) {
        Ok(place) => {
            let serve = connection(stream, router.clone(), s.clone());
            s.tracker.spawn(admission::holding(place, serve));
        }
        Err(why) => {
            tracing::debug!(%peer, "connection refused: {why}");
            let max = s.settings.max_message_bytes;
            s.tracker.spawn(over_limit::refuse(stream, why, max));
        }
    }
}

/// Serves an accepted TLS connection in its own task: the handshake (bounded by
/// [`HEADER_TIMEOUT`]) first, then the same serving as [`spawn`]'s, over the TLS stream. The
/// per-address place is taken at accept, so handshakes count against the limit too.
fn spawn_tls(
    tcp: TcpStream,
    peer: SocketAddr,
    tls: &Tls,
    per_ip: Option<&Arc<PerIp>>,
    router: &Router,
    s: &Shared,
) {
    let admitted = if s.memory.is_over() {
        Some(Err(OverLimit::Memory))
    } else {
        per_ip.map(|per_ip| per_ip.admit(peer.ip()))
    };
    let serve = tls_connection(tls.accept(tcp), peer, admitted, router.clone(), s.clone());
    s.tracker.spawn(serve);
}

/// A TLS connection's task: the handshake, then [`connection`] over the TLS stream (or, past a
/// per-address limit, the refusal, boxed: rare, and its buffers stay out of every TLS task). Two
/// stages chained, as in [`connection`], so the task holds the handshake or the connection,
/// never both.
fn tls_connection(
    handshake: impl Future<Output = std::io::Result<TlsStream>> + Send,
    peer: SocketAddr,
    admitted: Option<Result<admission::IpGuard, admission::OverLimit>>,
    router: Router,
    s: Shared,
) -> impl Future<Output = ()> + Send {
    type Refusal = Pin<Box<dyn Future<Output = ()> + Send>>;
    timeout(HEADER_TIMEOUT, handshake).then(move |handshaken| {
        let stream = match handshaken {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                tracing::debug!(%peer, "TLS handshake failed: {e}");
                return Either::Right(Box::pin(std::future::ready(())) as Refusal);
            }
            Err(_) => {
                tracing::debug!(%peer, "TLS handshake timed out");
                return Either::Right(Box::pin(std::future::ready(())) as Refusal);
            }
        };
        match admitted {
            None => Either::Left(Either::Left(connection(stream, router, s))),
            Some(Ok(place)) => Either::Left(Either::Right(admission::holding(
                place,
                connection(stream, router, s),
            ))),
            Some(Err(why)) => {
                tracing::debug!(%peer, "connection refused: {why}");
                let max = s.settings.max_message_bytes;
                Either::Right(Box::pin(over_limit::refuse(stream, why, max)))
            }
        }
    })
}

/// Reads the first head, then becomes a WebSocket connection or an HTTP one: two stages chained,
/// the HTTP one boxed, so a WebSocket connection's task carries neither hyper's state nor the
/// router.
fn connection<S: Stream>(
    mut stream: S,
    router: Router,
    s: Shared,
) -> impl Future<Output = ()> + Send {
    async move {
        let first = timeout(HEADER_TIMEOUT, upgrade::read_first(&mut stream)).await;
        (stream, first)
    }
    .then(
        move |(stream, first)| -> Either<_, Pin<Box<dyn Future<Output = ()> + Send>>> {
            match first {
                Ok(Ok(First::Upgrade(upgrade))) => {
                    Either::Left(pusher::serve_upgrade(stream, upgrade, s.pusher.clone()))
                }
                Ok(Ok(First::SocketIo(upgrade))) => Either::Right(Box::pin(
                    socketio::serve_upgrade(stream, upgrade, s.socketio.clone()),
                )),
                Ok(Ok(First::Http(prefix))) => Either::Right(Box::pin(http(
                    Rewind::new(prefix, stream),
                    router,
                    s.stop.clone(),
                ))),
                // Silent past the timeout, or the read failed: close.
                _ => Either::Right(Box::pin(std::future::ready(()))),
            }
        },
    )
}

/// Every frame is one write that must leave at once, not wait for the previous one's ACK. Set on
/// the listener, `TCP_NODELAY` is inherited by every accepted socket: one syscall per connection
/// fewer than setting it on each.
fn no_delay(listener: &TcpListener) {
    if let Err(e) = SockRef::from(listener).set_tcp_nodelay(true) {
        tracing::warn!("cannot set TCP_NODELAY: {e}");
    }
}

/// Errors about one connection that leave the listener fine.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

async fn http<S: Stream>(stream: Rewind<S>, router: Router, shutdown: CancellationToken) {
    let service = TowerToHyperService::new(router);
    let mut conn = pin!(http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(MAX_BUFFER)
        .serve_connection(TokioIo::new(stream), service));
    tokio::select! {
        _ = conn.as_mut() => {}
        () = shutdown.cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::net::{TcpListener, TcpStream};

    use crate::config::AppConfig;
    use crate::http::{Edge, Shared};

    fn shared() -> Shared {
        Edge::for_tests(&[AppConfig::development()])
    }

    /// Every open connection carries its task's state, so its size is pinned: an unboxed future
    /// or a copied argument added to the serving loop shows up here. (The bound is for the test
    /// profile; release builds lay the task out smaller.)
    #[tokio::test]
    async fn a_connection_task_stays_small() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        let s = shared();
        let task = super::connection(
            accepted,
            crate::http::router(s.clone(), None, &crate::config::ConsoleConfig::default()),
            s,
        );
        let size = std::mem::size_of_val(&task);
        // 728: 720 plus the pong timeout a stalled write is bounded by (the stall timer itself is
        // boxed, made only when a write has to wait).
        assert!(size <= 728, "a connection's task takes {size} bytes");
    }

    /// A TLS connection's task: the handshake's state, then the same serving as plain TCP over
    /// the TLS stream; the rare refusal is boxed (inline, its buffers made every TLS task 9 KB
    /// larger).
    #[tokio::test]
    async fn a_tls_connection_task_stays_small() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (accepted, peer) = listener.accept().await.unwrap();
        let s = shared();
        let router = crate::http::router(s.clone(), None, &crate::config::ConsoleConfig::default());
        let handshake = crate::tls::Tls::for_tests().accept(accepted);
        let task = super::tls_connection(handshake, peer, None, router, s);
        let size = std::mem::size_of_val(&task);
        // 1928: the plain task's 728 with the TLS stream (rustls's connection, 1.1 KB) in the TCP
        // stream's place.
        assert!(size <= 1928, "a TLS connection's task takes {size} bytes");
    }

    #[tokio::test]
    async fn accepted_sockets_inherit_no_delay_from_the_listener() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        super::no_delay(&listener);
        let _client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        assert!(accepted.nodelay().unwrap());
    }
}
