//! Command-line options: one scenario name plus flat options, most of them defaulted per scenario
//! (see [`Args::subs`] and friends) and capped so that every run stays bounded.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// Most subscriber connections a run may open.
pub const MAX_SUBS: usize = 100_000;
/// Most publishes per second.
pub const MAX_RATE: f64 = 50_000.0;
/// Longest publishing phase (or idle hold), in seconds.
pub const MAX_SECS: f64 = 300.0;
/// Longest soak, in seconds.
pub const MAX_SOAK_SECS: f64 = 4.0 * 3600.0;

/// Load generator for Pusher-protocol (v7) servers, loopback only.
///
/// Without --ws-url/--port/--server-cmd it starts the `resso` binary found next to its own
/// executable on a free port. The payload's timestamps count from the harness's start; latency is
/// measured from each publish's *scheduled* send time.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// What to run.
    #[arg(value_enum)]
    pub scenario: Scenario,

    /// WebSocket base URL of the server, e.g. ws://127.0.0.1:6001.
    #[arg(long)]
    pub ws_url: Option<String>,
    /// HTTP API base URL [default: same host and port as the WebSocket].
    #[arg(long)]
    pub http_url: Option<String>,
    /// Speak TLS: `wss://` for the subscribers, `https://` for the publisher. A harness-started
    /// Ressò then gets a certificate made for the run; another server needs --tls-ca or
    /// --tls-insecure.
    #[arg(long)]
    pub tls: bool,
    /// With --tls: trust the CA certificate(s) in this PEM file.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub tls_ca: Option<PathBuf>,
    /// With --tls: accept any server certificate (benchmarks only).
    #[arg(long, requires = "tls", conflicts_with = "tls_ca")]
    pub tls_insecure: bool,
    /// Server host, used with --port.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Server port (with --server-cmd: don't read it from the server's stdout).
    #[arg(long)]
    pub port: Option<u16>,
    #[arg(long, default_value = "app-id")]
    pub app_id: String,
    #[arg(long, default_value = "app-key")]
    pub app_key: String,
    #[arg(long, default_value = "app-secret")]
    pub app_secret: String,

    /// Start the server with `sh -c "exec CMD"` and stop it with SIGTERM at the end (set
    /// variables with `env VAR=… cmd`, which keeps the pid).
    #[arg(long)]
    pub server_cmd: Option<String>,
    /// Pid of an already running server, to read its CPU and RSS.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// More processes whose CPU counts as the server's (the other nodes and the broker of a
    /// cluster); repeatable. RSS stays the main pid's.
    #[arg(long)]
    pub extra_pid: Vec<u32>,
    /// Core the started server is pinned to (taskset).
    #[arg(long, default_value_t = 0)]
    pub server_core: usize,
    /// Core the harness pins itself to.
    #[arg(long, default_value_t = 1)]
    pub harness_core: usize,
    /// Pin neither the server nor the harness.
    #[arg(long)]
    pub no_pin: bool,

    /// What the subscribers speak: Pusher v7, or Echo's Socket.IO connector over the websocket
    /// transport (`sio3`: Engine.IO 3 / Socket.IO 4, as socket.io-client 2.x; `sio4`: Engine.IO 4
    /// / Socket.IO 5, as socket.io-client 3.x/4.x).
    #[arg(long, value_enum, default_value_t = Protocol::Pusher)]
    pub protocol: Protocol,
    /// How publishes reach the server: Pusher's signed HTTP API, or laravel-echo-server's
    /// (`POST /apps/{id}/events?auth_key={key}`).
    #[arg(long, value_enum, default_value_t = PublishApi::Pusher)]
    pub publish_api: PublishApi,
    /// Engine.IO endpoint path of the Socket.IO protocols.
    #[arg(long, default_value = "/socket.io")]
    pub sio_path: String,

    /// Subscriber connections [default per scenario: smoke 100, idle 10000, soak 100 (healthy
    /// ones), hostile 200, others 1000].
    #[arg(long, short = 'n')]
    pub subs: Option<usize>,
    /// Publishes per second [default: smoke 50, latency 10, soak 20 (sent one after another),
    /// hostile 50, others 100].
    #[arg(long, short = 'r')]
    pub rate: Option<f64>,
    /// Knee: publish rates to step through [default: 100,200,400,…].
    #[arg(long, value_delimiter = ',')]
    pub rates: Vec<f64>,
    /// Seconds of publishing (per knee step), of idle hold, or of churn [default: smoke 3, soak 60,
    /// others 10; knee 5 per step].
    #[arg(long, short = 'd')]
    pub duration: Option<f64>,
    /// New connections per second while building the pool (and the churn cap).
    #[arg(long, default_value_t = 5000.0)]
    pub connect_rate: f64,
    /// Channels the idle scenario spreads subscribers over.
    #[arg(long, default_value_t = 1)]
    pub channels: usize,
    /// Storm: the node the clients join first, e.g. ws://127.0.0.1:6211 (same app credentials).
    #[arg(long, requires = "from_pid")]
    pub from_url: Option<String>,
    /// Storm: that node's pid, sent SIGTERM once every client has joined it.
    #[arg(long)]
    pub from_pid: Option<u32>,
    /// Churn: concurrent connect/subscribe/disconnect loops.
    #[arg(long, default_value_t = 50)]
    pub concurrency: usize,
    /// Slow: percent of subscribers that stop reading.
    #[arg(long, default_value_t = 1.0)]
    pub slow_percent: f64,
    /// Size of each publish's `data` in bytes [default: slow 2000, soak 1000, others 100].
    #[arg(long)]
    pub payload_bytes: Option<usize>,
    /// WebSocket read buffer per client, bytes.
    #[arg(long, default_value_t = 4096)]
    pub read_buffer: usize,
    /// Source addresses 127.0.0.1..=127.0.0.N the clients bind to (~28k ports each).
    #[arg(long, default_value_t = 8)]
    pub source_ips: u8,
    /// Harness runtime worker threads (0: a current-thread runtime).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Soak: connections that churn (connect, subscribe public + private + presence, leave and
    /// rejoin the presence channel, disconnect, again); every 10th speaks Socket.IO (EIO 4).
    #[arg(long, default_value_t = 200)]
    pub churners: usize,
    /// Soak: seconds between two slow consumers (each stops reading until the server closes it).
    #[arg(long, default_value_t = 10.0)]
    pub slow_every: f64,
    /// Soak: seconds between two samples.
    #[arg(long, default_value_t = 5.0)]
    pub sample_every: f64,
    /// Soak: the warm-up mark, seconds from the start of churn, whose RSS the end is compared
    /// with [default: a sixth of --duration, e.g. 5 minutes of 30].
    #[arg(long)]
    pub warmup: Option<f64>,
    /// Append one JSON object per run (JSON Lines) to this file (soak: one per sample, then the
    /// summary).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// No progress line on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The benchmark scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// ~5 s check for CI: 100 subs, 50 pub/s, 3 s; fails on no deliveries or any drop.
    Smoke,
    /// N connections subscribed, then RSS per connection and connect rate.
    Idle,
    /// N subscribers on one channel, publish rate R for D seconds.
    Fanout,
    /// Light load (1000 subs, 10 pub/s).
    Latency,
    /// Fan-out with stepped publish rates until p99 > 50 ms or drops appear.
    Knee,
    /// Connect, subscribe, disconnect in a loop.
    Churn,
    /// 1% of subscribers stop reading; server memory and the others' deliveries.
    Slow,
    /// Leak check: churners, healthy subscribers and slow consumers for --duration (default 60 s),
    /// sampling server RSS, fds and tasks; fails unless they come back and no delivery is lost.
    Soak,
    /// Bystanders (200 subs, 50 pub/s) through equal phases, baseline and hostile interleaved
    /// (connection flood, channel cap, client events, frames, ping flood, HTTP API, presence
    /// storm, slow readers); their p50/p99/drops per phase and the bounds hit. Own Ressò: with
    /// bench/hostile.toml.
    Hostile,
    /// Reconnect storm: N clients (public, private and presence channels) arrive at the target at
    /// once, or (with --from-url/--from-pid) when that other node is sent SIGTERM and closes them;
    /// the storm's length and the target's CPU per connect + subscribe.
    Storm,
}

/// The subscribers' protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Protocol {
    Pusher,
    Sio3,
    Sio4,
}

impl Protocol {
    /// The protocol's name as typed.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Pusher => "pusher",
            Self::Sio3 => "sio3",
            Self::Sio4 => "sio4",
        }
    }
}

/// The publisher's HTTP API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PublishApi {
    Pusher,
    Echo,
}

impl Scenario {
    /// The scenario's name as typed.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Smoke => "smoke",
            Self::Idle => "idle",
            Self::Fanout => "fanout",
            Self::Latency => "latency",
            Self::Knee => "knee",
            Self::Churn => "churn",
            Self::Slow => "slow",
            Self::Soak => "soak",
            Self::Hostile => "hostile",
            Self::Storm => "storm",
        }
    }
}

impl Args {
    /// Subscriber count, defaulted and capped.
    #[must_use]
    pub fn subs(&self) -> usize {
        let default = match self.scenario {
            Scenario::Smoke => 100,
            Scenario::Soak => 100,
            Scenario::Hostile => 200,
            Scenario::Idle | Scenario::Storm => 10_000,
            _ => 1000,
        };
        self.subs.unwrap_or(default).min(MAX_SUBS)
    }

    /// Publish rate, defaulted and capped.
    #[must_use]
    pub fn rate(&self) -> f64 {
        let default = match self.scenario {
            Scenario::Smoke => 50.0,
            Scenario::Latency => 10.0,
            Scenario::Slow => 100.0,
            Scenario::Soak => 20.0,
            Scenario::Hostile => 50.0,
            _ => 100.0,
        };
        self.rate.unwrap_or(default).clamp(0.1, MAX_RATE)
    }

    /// Publish payload size, defaulted and capped at 10 KiB (Pusher's event limit).
    #[must_use]
    pub fn payload_bytes(&self) -> usize {
        let default = match self.scenario {
            Scenario::Slow => 2000,
            Scenario::Soak => 1000,
            _ => 100,
        };
        self.payload_bytes.unwrap_or(default).min(10_000)
    }

    /// Knee steps, capped.
    #[must_use]
    pub fn knee_rates(&self) -> Vec<f64> {
        let mut rates = self.rates.clone();
        if rates.is_empty() {
            rates = (0..10).map(|i| 100.0 * f64::from(1 << i)).collect();
        }
        rates.into_iter().map(|r| r.clamp(0.1, MAX_RATE)).collect()
    }

    /// Phase length, defaulted and capped.
    #[must_use]
    pub fn duration(&self) -> Duration {
        let default = match self.scenario {
            Scenario::Smoke => 3.0,
            Scenario::Knee => 5.0,
            Scenario::Soak => 60.0,
            _ => 10.0,
        };
        let max = if self.scenario == Scenario::Soak {
            MAX_SOAK_SECS
        } else {
            MAX_SECS
        };
        Duration::from_secs_f64(self.duration.unwrap_or(default).clamp(0.1, max))
    }
}
