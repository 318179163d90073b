//! Hostile HTTP API clients, each from its own address so the per-address limits stay out of the
//! way: slowloris bodies (head sent, body stalled), bodies and heads past the limits, and a flood
//! of signed requests past the hostile app's `api_requests_per_second`.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{timeout, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::tally::Tally;
use super::ws::Dialer;
use super::HOSTILE_APP;

/// A Pusher API path; the body is refused before the signature is checked.
const EVENTS: &str =
    "/apps/app-id/events?auth_key=app-key&auth_timestamp=1&auth_version=1.0&auth_signature=0";
/// Slowloris connections opened per second (under `connects_per_ip_per_second` = 32).
const SLOWLORIS_EVERY: Duration = Duration::from_millis(50);
/// One oversized request every this often, cycling through the three kinds.
const OVERSIZED_EVERY: Duration = Duration::from_millis(125);
/// Past the largest valid body of the default limits (648 640 bytes).
const CHUNK: usize = 700_000;
/// API flood: requests per second (10× the hostile app's 50), at most in flight, per phase.
const API_RATE: f64 = 500.0;
const API_IN_FLIGHT: usize = 16;
const MAX_API: usize = 10_000;
/// Longest wait for an answer.
const ANSWER_WAIT: Duration = Duration::from_secs(5);

/// Runs the three from their own addresses (`slowloris`, `oversized`, `flood`) until `stop`.
pub async fn http_api(
    base: Dialer,
    sources: [Ipv4Addr; 3],
    http_base: String,
    tally: Tally,
    stop: CancellationToken,
) {
    let [slow, big, flood] = sources.map(|s| base.at(s));
    let mut tasks = JoinSet::new();
    tasks.spawn(slowloris(slow, tally.clone(), stop.clone()));
    tasks.spawn(oversized(big, tally.clone(), stop.clone()));
    tasks.spawn(api_flood(flood.source, http_base, tally, stop));
    while tasks.join_next().await.is_some() {}
}

/// Opens [`SLOWLORIS_EVERY`] a request whose body stops after 8 of 100 bytes; counts the answers.
async fn slowloris(dialer: Dialer, tally: Tally, stop: CancellationToken) {
    let head =
        format!("POST {EVENTS} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{\"name\":");
    let mut tasks = JoinSet::new();
    let mut every = tokio::time::interval(SLOWLORIS_EVERY);
    every.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = every.tick() => {}
        }
        let (dialer, tally, head) = (dialer.clone(), tally.clone(), head.clone());
        tasks.spawn(async move {
            let status = exchange(&dialer, head.as_bytes()).await;
            tally.add(&format!("slowloris {status}"));
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

/// Cycles through a body declared too large, a chunked body past the limit, and a 100 KiB head.
async fn oversized(dialer: Dialer, tally: Tally, stop: CancellationToken) {
    let declared = format!("POST {EVENTS} HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n");
    let mut chunked = format!(
        "POST {EVENTS} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{CHUNK:x}\r\n"
    )
    .into_bytes();
    chunked.extend(std::iter::repeat_n(b'x', CHUNK));
    chunked.extend_from_slice(b"\r\n");
    let head = format!(
        "GET /up HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(100 * 1024)
    );
    let kinds: [(&str, Arc<[u8]>); 3] = [
        ("declared", declared.into_bytes().into()),
        ("chunked", chunked.into()),
        ("head", head.into_bytes().into()),
    ];
    let mut every = tokio::time::interval(OVERSIZED_EVERY);
    every.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut tasks = JoinSet::new();
    for (name, request) in kinds.iter().cycle() {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = every.tick() => {}
        }
        let (dialer, tally, request, name) =
            (dialer.clone(), tally.clone(), request.clone(), *name);
        tasks.spawn(async move {
            let status = exchange(&dialer, &request).await;
            tally.add(&format!("{name} {status}"));
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

/// Sends `request` on a new connection and reads to the server's close; the answer's status
/// (`lost` if the connection broke before one, `no answer` if none came in time).
async fn exchange(dialer: &Dialer, request: &[u8]) -> String {
    let Ok(mut stream) = dialer.tcp(None).await else {
        return "dial failed".into();
    };
    // The server may answer (and close) before it has read everything: a failed write is fine.
    let _ = stream.write_all(request).await;
    let mut bytes = Vec::new();
    match timeout(ANSWER_WAIT, stream.read_to_end(&mut bytes)).await {
        Err(_) => "no answer".into(),
        Ok(_) => status_of(&bytes).map_or_else(|| "lost".into(), |s| s.to_string()),
    }
}

/// The status code of an HTTP/1.1 answer.
fn status_of(bytes: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(bytes.get(..12)?).ok()?;
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// Signed publishes to the hostile app at [`API_RATE`] over keep-alive connections from `source`.
async fn api_flood(source: Ipv4Addr, http_base: String, tally: Tally, stop: CancellationToken) {
    let Ok(client) = reqwest::Client::builder()
        .no_proxy()
        .local_address(IpAddr::V4(source))
        .timeout(ANSWER_WAIT)
        .build()
    else {
        tally.add("client failed");
        return;
    };
    let in_flight = Arc::new(Semaphore::new(API_IN_FLIGHT));
    let mut every = tokio::time::interval(Duration::from_secs_f64(1.0 / API_RATE));
    every.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut tasks = JoinSet::new();
    for _ in 0..MAX_API {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = every.tick() => {}
        }
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            break;
        };
        let request = signed(&client, &http_base);
        let tally = tally.clone();
        tasks.spawn(async move {
            match request.send().await {
                Ok(r) => tally.add(&format!("api {}", r.status().as_u16())),
                Err(_) => tally.add("api failed"),
            }
            drop(permit);
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

/// A signed publish of a small event to the hostile app.
fn signed(client: &reqwest::Client, http_base: &str) -> reqwest::RequestBuilder {
    let (id, key, secret) = HOSTILE_APP;
    let path = format!("/apps/{id}/events");
    let body = r#"{"name":"flood","channels":["hostile-flood"],"data":"x"}"#;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let query = resso_protocol::http_sig::signed_query(
        key,
        secret,
        "POST",
        &path,
        &[],
        body.as_bytes(),
        now,
    );
    client
        .post(format!("{http_base}{path}?{query}"))
        .header("content-type", "application/json")
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_status_line() {
        assert_eq!(status_of(b"HTTP/1.1 408 Request Timeout\r\n"), Some(408));
        assert_eq!(status_of(b"HTTP/1.1 4"), None);
        assert_eq!(status_of(b""), None);
    }
}
