//! The reconnect storm: N Pusher clients, each on a public channel and every second one also on a
//! private or a presence channel (of [`ROOM_SIZE`] members) (signed here with the app secret, as an auth endpoint would),
//! arrive at the target (node B) together, as they do when another node closes them all. With
//! `--from-url` they first connect to that node (A), which then gets SIGTERM (`--from-pid`): each
//! client reconnects to B when A closes it, so A's drain window shapes the storm. The report gives
//! the storm's length (first close or start → last client subscribed again), B's CPU per
//! connect + subscribe, and each client's time from its close to being subscribed again.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures_util::SinkExt;
use serde_json::json;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;

use crate::procstat::CpuMark;
use crate::report::{Latency, Report};
use crate::scenarios::Run;
use crate::soak::churner::{await_subscribed, open, source_ip, subscribe};
use crate::subscriber::Ws;
use crate::target::App;

/// Handshakes in progress at once (as the pool allows).
const MAX_PENDING: usize = 1000;
/// Public channels the clients share.
const ROOMS: usize = 100;
/// Clients per presence channel (every fourth client joins one): a join costs the server one
/// `member_added` per member already there, so the room size sets the presence cost.
const ROOM_SIZE: usize = 10;
/// Longest a storm may take.
const STORM_LIMIT: Duration = Duration::from_secs(120);

/// Where client `i` connects and what it joins.
#[derive(Clone)]
struct Client {
    i: usize,
    url: Arc<str>,
    addr: std::net::SocketAddr,
    app: Arc<App>,
    source_ips: u8,
}

impl Client {
    /// Connects and subscribes to this client's channels.
    async fn join(&self) -> anyhow::Result<Ws> {
        let source = source_ip(self.i, self.source_ips);
        let (mut ws, socket_id) = open(&self.url, self.addr, source).await?;
        let i = self.i;
        let mut frames = vec![subscribe(&format!("storm-{}", i % ROOMS), None, None)];
        match i % 4 {
            1 => {
                let channel = format!("private-storm-{i}");
                let auth = sign(&self.app, &format!("{socket_id}:{channel}"));
                frames.push(subscribe(&channel, Some(auth), None));
            }
            3 => {
                let channel = format!("presence-storm-{}", i / (4 * ROOM_SIZE));
                let member = json!({"user_id": format!("u{i}"), "user_info": {}}).to_string();
                let auth = sign(&self.app, &format!("{socket_id}:{channel}:{member}"));
                frames.push(subscribe(&channel, Some(auth), Some(&member)));
            }
            _ => {}
        }
        let count = frames.len();
        for frame in frames {
            ws.send(Message::text(frame)).await?;
        }
        await_subscribed(&mut ws, count).await?;
        Ok(ws)
    }
}

fn sign(app: &App, signed: &str) -> String {
    let signature = resso_protocol::auth::sign_hex(&app.secret, signed.as_bytes());
    format!("{}:{signature}", app.key)
}

/// Runs the storm; see the module's documentation.
///
/// # Errors
/// `--from-url` without `--from-pid`, or no client subscribed on the target.
pub async fn storm(run: &Run<'_>) -> anyhow::Result<Report> {
    let args = run.args;
    let n = args.subs();
    crate::scenarios::check_fd_limit(n)?;
    let app = Arc::new(run.target.app.clone());
    let to = |i| Client {
        i,
        url: run.target.url_for(crate::cli::Protocol::Pusher).into(),
        addr: run.target.ws_addr,
        app: app.clone(),
        source_ips: args.source_ips,
    };
    let held = match &args.from_url {
        Some(url) => {
            let Some(pid) = args.from_pid else {
                bail!("--from-url needs --from-pid, the node to send SIGTERM to")
            };
            run.progress
                .set(format!("storm: {n} clients joining {url}"));
            let from = |i| Client {
                url: format!(
                    "{}/app/{}?protocol=7&client=js",
                    url.trim_end_matches('/'),
                    app.key
                )
                .into(),
                addr: crate::target::loopback_addr(url).unwrap_or(run.target.ws_addr),
                ..to(i)
            };
            Some((join_all((0..n).map(from).collect()).await?, pid))
        }
        None => None,
    };
    run.progress
        .set(format!("storm: {n} clients to {}", run.target.ws_url));
    let mark = CpuMark::now(run.target.pid);
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    let gate = Arc::new(Semaphore::new(MAX_PENDING));
    match held {
        Some((sockets, pid)) => {
            terminate(pid)?;
            for (i, ws) in sockets.into_iter().enumerate() {
                tasks.spawn(reconnect(Some(ws), to(i), gate.clone()));
            }
        }
        None => {
            for i in 0..n {
                tasks.spawn(reconnect(None, to(i), gate.clone()));
            }
        }
    }
    let outcome = tokio::time::timeout(STORM_LIMIT, collect(&mut tasks)).await;
    let (latency, sockets, errors) = outcome.context("the storm took longer than 120 s")?;
    let cpu = mark.until(&CpuMark::now(run.target.pid));
    let secs = start.elapsed().as_secs_f64();
    let ok = sockets.len() as u64;
    let report = Report {
        scenario: args.scenario.name(),
        server_url: run.target.ws_url.clone(),
        protocol: "pusher",
        subs_target: n as u64,
        subs: ok,
        connect_errors: errors.0,
        first_error: errors.1,
        connect_per_s: Some(ok as f64 / secs.max(1e-3)),
        connect_latency_us: Latency::of(&latency),
        duration_s: secs,
        server_cpu_us_per_connect: cpu.server_micros.map(|us| us as f64 / ok.max(1) as f64),
        ..Report::default()
    };
    if ok == 0 {
        bail!("no client subscribed on the target");
    }
    drop(sockets);
    Ok(report)
}

/// Connects every client (at most [`MAX_PENDING`] handshakes at once); fails if any fails.
async fn join_all(clients: Vec<Client>) -> anyhow::Result<Vec<Ws>> {
    let gate = Arc::new(Semaphore::new(MAX_PENDING));
    let mut tasks = JoinSet::new();
    for client in clients {
        let gate = gate.clone();
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await;
            (client.i, client.join().await)
        });
    }
    let mut sockets: Vec<Option<Ws>> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (i, ws) = joined?;
        let ws = ws.with_context(|| format!("client {i} could not join the first node"))?;
        if sockets.len() <= i {
            sockets.resize_with(i + 1, || None);
        }
        sockets[i] = Some(ws);
    }
    Ok(sockets.into_iter().flatten().collect())
}

/// SIGTERM to the first node.
fn terminate(pid: u32) -> anyhow::Result<()> {
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()?;
    if !status.success() {
        bail!("kill -TERM {pid} failed");
    }
    Ok(())
}

/// Waits for `held` (if any) to be closed, then joins the target; the time from the close (or the
/// start) to subscribed, in µs.
async fn reconnect(
    held: Option<Ws>,
    client: Client,
    gate: Arc<Semaphore>,
) -> anyhow::Result<(u64, Ws)> {
    if let Some(mut ws) = held {
        use futures_util::StreamExt;
        while ws.next().await.is_some_and(|m| m.is_ok()) {}
    }
    let closed = Instant::now();
    let _permit = gate.acquire_owned().await?;
    let ws = client.join().await?;
    Ok((
        u64::try_from(closed.elapsed().as_micros()).unwrap_or(u64::MAX),
        ws,
    ))
}

type Joined = anyhow::Result<(u64, Ws)>;

/// Every client's outcome: the latency histogram, the open sockets, and (errors, first error).
async fn collect(
    tasks: &mut JoinSet<Joined>,
) -> (hdrhistogram::Histogram<u64>, Vec<Ws>, (u64, Option<String>)) {
    let mut latency = hdrhistogram::Histogram::new(3).expect("a histogram");
    let mut sockets = Vec::new();
    let (mut errors, mut first) = (0, None);
    while let Some(joined) = tasks.join_next().await {
        match joined.map_err(anyhow::Error::from).and_then(|r| r) {
            Ok((us, ws)) => {
                let _ = latency.record(us);
                sockets.push(ws);
            }
            Err(e) => {
                errors += 1;
                first.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
    (latency, sockets, (errors, first))
}
