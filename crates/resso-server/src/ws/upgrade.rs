//! WebSocket upgrades taken straight off a new connection. The first request head is read and
//! parsed here (httparse) and classified: a valid upgrade to `/app/...` (the Pusher endpoint's, its
//! 101 later sent in one write with the first Pusher frame), a Socket.IO websocket upgrade
//! (`…?EIO=4&transport=websocket` on any other path, with its query and the headers Socket.IO
//! needs; whether the path is an app's is the endpoint's to decide), or anything else, for hyper,
//! with the bytes already read. Taking upgrades before hyper saves each one a second task, hyper's
//! connection state and buffers, and a write.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Poll};

use percent_encoding::percent_decode_str;
use tokio::io::ReadBuf;

use super::handshake;
use super::socket::Stream;

/// Longest request head looked at; a longer one is hyper's to refuse.
const MAX_HEAD: usize = 16 * 1024;
/// Headers looked at; a request with more goes to hyper.
const MAX_HEADERS: usize = 64;

/// What a new connection's first bytes are.
#[derive(Debug, PartialEq, Eq)]
pub enum First {
    /// A valid WebSocket upgrade under `/app/`.
    Upgrade(Upgrade),
    /// A valid WebSocket upgrade with an `EIO` query parameter, outside `/app/`.
    SocketIo(SocketIoUpgrade),
    /// Anything else: what was read, for hyper to parse again.
    Http(Vec<u8>),
}

/// A valid upgrade request.
#[derive(Debug, PartialEq, Eq)]
pub struct Upgrade {
    /// What the client asks for, or `None` for a path below the app (`/app/{key}/…`: 4005).
    pub request: Option<Request>,
    /// The 101 response to send.
    pub response: Vec<u8>,
    /// Bytes the client sent after its request (its first frames, if it did not wait).
    pub early: Vec<u8>,
}

/// A Socket.IO websocket upgrade, not answered yet (the 101 is sent only if the request holds up).
#[derive(Debug, PartialEq, Eq)]
pub struct SocketIoUpgrade {
    /// The path, percent-decoded.
    pub path: String,
    /// The raw query string.
    pub query: String,
    /// The request headers Socket.IO uses, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The 101 response to send.
    pub response: Vec<u8>,
    /// Bytes the client sent after its request.
    pub early: Vec<u8>,
}

/// Request headers a Socket.IO handler may read (the auth call forwards the cookie).
pub const SOCKETIO_HEADERS: [&str; 4] = ["cookie", "origin", "referer", "user-agent"];

/// What an upgrade to `/app/{key}` asks for; admission checks it after the upgrade.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub key: String,
    /// The `protocol` query parameter.
    pub protocol: Option<String>,
    pub origin: Option<String>,
}

/// Reads until the first request head is complete (or cannot be ours) and says what it is.
///
/// # Errors
/// The stream's read error.
pub async fn read_first<S: Stream>(stream: &mut S) -> io::Result<First> {
    let mut buf = Vec::new();
    loop {
        if poll_fn(|cx| read_some(stream, &mut buf, cx)).await? == 0 {
            return Ok(First::Http(buf));
        }
        if let Some(first) = classify(&buf) {
            return Ok(first);
        }
    }
}

/// One read through a stack buffer, which lives only while polled (kept off the task's state).
fn read_some<S: Stream>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    cx: &mut std::task::Context<'_>,
) -> Poll<io::Result<usize>> {
    let mut chunk = [0u8; 2048];
    let mut read = ReadBuf::new(&mut chunk);
    ready!(Pin::new(stream).poll_read(cx, &mut read))?;
    buf.extend_from_slice(read.filled());
    Poll::Ready(Ok(read.filled().len()))
}

/// What a connection's first bytes are (public for the fuzz target); `None` while the head is
/// incomplete.
#[must_use]
pub fn classify(buf: &[u8]) -> Option<First> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let len = match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => return None,
        _ => return Some(First::Http(buf.to_vec())),
    };
    if let Some(upgrade) = upgrade(&request, &buf[len..]) {
        return Some(First::Upgrade(upgrade));
    }
    Some(match socketio(&request, &buf[len..]) {
        Some(upgrade) => First::SocketIo(upgrade),
        None => First::Http(buf.to_vec()),
    })
}

fn upgrade(request: &httparse::Request<'_, '_>, early: &[u8]) -> Option<Upgrade> {
    if request.method != Some("GET") || request.version != Some(1) {
        return None;
    }
    let rest = request.path?.strip_prefix("/app/")?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (key, below) = match path.split_once('/') {
        Some((key, _)) => (key, true),
        None => (path, false),
    };
    if key.is_empty() {
        return None;
    }
    let pairs = request.headers.iter().map(|h| (h.name, h.value));
    let ws_key = handshake::check(pairs.clone()).ok()?;
    let origin = handshake::value(pairs, "origin")
        .and_then(|v| std::str::from_utf8(v).ok())
        .map(str::to_owned);
    let query = resso_protocol::http_sig::Query::parse(query);
    Some(Upgrade {
        request: (!below).then(|| Request {
            key: percent_decode_str(key).decode_utf8_lossy().into_owned(),
            protocol: query.get("protocol").map(str::to_owned),
            origin,
        }),
        response: handshake::switching_protocols(ws_key),
        early: early.to_vec(),
    })
}

fn socketio(request: &httparse::Request<'_, '_>, early: &[u8]) -> Option<SocketIoUpgrade> {
    if request.method != Some("GET") || request.version != Some(1) {
        return None;
    }
    let (path, query) = request.path?.split_once('?')?;
    if path.starts_with("/app/")
        || resso_protocol::http_sig::Query::parse(query)
            .get("eio") // the query's keys are lower-cased
            .is_none()
    {
        return None;
    }
    let pairs = request.headers.iter().map(|h| (h.name, h.value));
    let ws_key = handshake::check(pairs.clone()).ok()?;
    let headers = SOCKETIO_HEADERS
        .iter()
        .filter_map(|name| {
            let value = handshake::value(pairs.clone(), name)?;
            Some((
                (*name).to_owned(),
                String::from_utf8_lossy(value).into_owned(),
            ))
        })
        .collect();
    Some(SocketIoUpgrade {
        path: percent_decode_str(path).decode_utf8_lossy().into_owned(),
        query: query.to_owned(),
        headers,
        response: handshake::switching_protocols(ws_key),
        early: early.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::{classify, First};

    const HEADERS: &str = "Host: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\
                           Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

    fn head(line: &str, extra: &str) -> Vec<u8> {
        format!("{line}\r\n{HEADERS}{extra}\r\n").into_bytes()
    }

    fn upgrade(bytes: &[u8]) -> super::Upgrade {
        match classify(bytes) {
            Some(First::Upgrade(u)) => u,
            other => panic!("expected an upgrade, got {other:?}"),
        }
    }

    #[test]
    fn a_pusher_js_upgrade_is_taken() {
        let mut bytes = head(
            "GET /app/my%20key?protocol=7&client=js HTTP/1.1",
            "Origin: https://example.com\r\n",
        );
        bytes.extend_from_slice(b"\x81\x80early");
        let u = upgrade(&bytes);
        let request = u.request.expect("a request for an app");
        assert_eq!(request.key, "my key");
        assert_eq!(request.protocol.as_deref(), Some("7"));
        assert_eq!(request.origin.as_deref(), Some("https://example.com"));
        assert_eq!(u.early, b"\x81\x80early");
        let response = String::from_utf8(u.response).unwrap();
        assert!(response.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
        assert!(response.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
        assert!(response.ends_with("\r\n\r\n"));
    }

    #[test]
    fn a_socketio_upgrade_is_taken_with_its_query_and_headers() {
        let bytes = head(
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1",
            "Cookie: a=b\r\n",
        );
        let Some(First::SocketIo(u)) = classify(&bytes) else {
            panic!("expected a Socket.IO upgrade");
        };
        assert_eq!(
            (u.path.as_str(), u.query.as_str()),
            ("/socket.io/", "EIO=4&transport=websocket")
        );
        assert_eq!(u.headers, [("cookie".to_owned(), "a=b".to_owned())]);
        let plain = head("GET /socket.io/?transport=websocket HTTP/1.1", "");
        assert_eq!(classify(&plain), Some(First::Http(plain.clone())));
    }

    #[test]
    fn a_path_below_the_app_is_an_upgrade_without_a_key() {
        assert_eq!(
            upgrade(&head("GET /app/key/extra HTTP/1.1", "")).request,
            None
        );
    }

    #[test]
    fn everything_else_goes_to_http_with_the_bytes_read() {
        for line in [
            "GET /apps/1/channels HTTP/1.1",
            "POST /app/key HTTP/1.1",
            "GET /app/ HTTP/1.1",
            "GET /app/key HTTP/1.0",
        ] {
            let bytes = head(line, "");
            assert_eq!(classify(&bytes), Some(First::Http(bytes.clone())), "{line}");
        }
        let plain = b"GET /app/key HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
        assert_eq!(classify(&plain), Some(First::Http(plain.clone())));
        let garbage = b"\x16\x03\x01 not http\r\n\r\n".to_vec();
        assert_eq!(classify(&garbage), Some(First::Http(garbage.clone())));
    }

    #[test]
    fn an_incomplete_head_waits_unless_it_is_too_long() {
        assert_eq!(classify(b"GET /app/key HTTP/1.1\r\nHost: x\r\n"), None);
        let long = format!("GET /app/key HTTP/1.1\r\nX: {}\r\n", "a".repeat(17 * 1024));
        assert!(matches!(classify(long.as_bytes()), Some(First::Http(_))));
    }
}
