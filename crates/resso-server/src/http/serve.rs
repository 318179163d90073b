//! The accept loop: every TCP connection is served as HTTP/1.1 by hyper with the router, with
//! upgrades enabled so the WebSocket route can take the stream back as a plain [`TcpStream`]
//! (hyper's HTTP/1 connection hands it over unwrapped; the auto-detecting HTTP/2 one would not).

use std::pin::pin;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Accepts until `shutdown`, each connection in its own task on `tracker`; on shutdown, open HTTP
/// connections finish their request in flight and close.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    tracker: TaskTracker,
) {
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                tracker.spawn(connection(stream, router.clone(), shutdown.clone()));
            }
            Err(e) if is_connection_error(&e) => {}
            Err(e) => {
                // Out of file descriptors, most likely: wait for connections to end.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
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

async fn connection(stream: TcpStream, router: Router, shutdown: CancellationToken) {
    // Each frame is one write; it must leave at once, not wait for the previous one's ACK.
    let _ = stream.set_nodelay(true);
    let service = TowerToHyperService::new(router);
    let mut conn = pin!(http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades());
    tokio::select! {
        _ = conn.as_mut() => {}
        () = shutdown.cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}
