//! What a run measured, as one flat record: printed as a table row on stdout and appended as one
//! JSON object per line to `--json FILE`. Fields that do not apply to a scenario are `null`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use hdrhistogram::Histogram;
use serde::Serialize;

/// A run is flagged when the harness used at least this share of a core.
pub const HARNESS_BOUND: f64 = 0.9;

/// Percentiles of a histogram of microseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Latency {
    pub count: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
    pub mean: f64,
}

impl Latency {
    /// Percentiles of `h`, or `None` if it is empty.
    #[must_use]
    pub fn of(h: &Histogram<u64>) -> Option<Self> {
        (!h.is_empty()).then(|| Self {
            count: h.len(),
            p50: h.value_at_quantile(0.5),
            p90: h.value_at_quantile(0.9),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
            mean: h.mean(),
        })
    }
}

/// One run (or one knee step).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub scenario: &'static str,
    /// What the subscribers spoke: `pusher`, `sio3` or `sio4`.
    pub protocol: &'static str,
    pub step: Option<usize>,
    pub server_url: String,
    pub server_pid: Option<u32>,
    /// Subscribers asked for and subscribed.
    pub subs_target: u64,
    pub subs: u64,
    /// Subscribers that stopped reading (slow scenario).
    pub subs_stalled: u64,
    pub connect_errors: u64,
    pub connect_per_s: Option<f64>,
    pub connect_latency_us: Option<Latency>,
    /// Offered publish rate and the publishing phase's length.
    pub rate: Option<f64>,
    pub duration_s: f64,
    pub published: u64,
    pub publish_ok: u64,
    pub publish_errors: BTreeMap<String, u64>,
    pub publish_lag_us: Option<Latency>,
    /// HTTP API response time of the publishes.
    pub publish_response_us: Option<Latency>,
    pub deliveries: u64,
    pub expected_deliveries: u64,
    pub deliveries_per_s: f64,
    pub drops: u64,
    pub subs_with_drops: u64,
    pub duplicates: u64,
    pub late: u64,
    pub latency_us: Option<Latency>,
    /// Connect/subscribe/disconnect cycles (churn).
    pub cycles: Option<u64>,
    pub cycles_per_s: Option<f64>,
    /// Close codes the server sent (1006: lost without one).
    pub close_codes: BTreeMap<String, u64>,
    /// Heartbeats the harness sent: pongs to the server's pings (Pusher, EIO 4), pings (EIO 3).
    pub pongs_sent: u64,
    /// `pusher:error` frames; for Socket.IO, connect errors, closes and `subscription_error`s.
    pub pusher_errors: u64,
    pub wall_s: f64,
    pub server_cpu_s: Option<f64>,
    pub server_cpu_cores: Option<f64>,
    pub server_cpu_us_per_delivery: Option<f64>,
    /// The kernel's part of it (stime): sending, and on loopback the receivers' side too.
    pub server_kernel_us_per_delivery: Option<f64>,
    /// Server CPU per connect+subscribe (idle: during the connect phase; churn: per cycle).
    pub server_cpu_us_per_connect: Option<f64>,
    pub server_rss_kib_before: Option<u64>,
    pub server_rss_kib_peak: Option<u64>,
    pub server_rss_kib_after: Option<u64>,
    pub rss_kib_per_conn: Option<f64>,
    pub harness_cpu_cores: f64,
    pub harness_bound: bool,
    pub first_error: Option<String>,
}

impl Report {
    /// Appends this report as one JSON line to `path`.
    ///
    /// # Errors
    /// If the file cannot be opened or written.
    pub fn append_json(&self, path: &Path) -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let line = serde_json::to_string(self).map_err(std::io::Error::other)?;
        writeln!(file, "{line}")
    }

    /// Whether the run moved any publishes (as opposed to only connections).
    fn publishes(&self) -> bool {
        self.rate.is_some()
    }
}

/// Columns of the publishing table: header and width.
const PUBLISH_COLUMNS: &[(&str, usize)] = &[
    ("scenario", 8),
    ("proto", 6),
    ("step", 4),
    ("subs", 6),
    ("pub/s", 7),
    ("deliv/s", 9),
    ("p50ms", 7),
    ("p90ms", 7),
    ("p99ms", 7),
    ("p999ms", 7),
    ("maxms", 7),
    ("drops", 6),
    ("dups", 5),
    ("srvCPU", 6),
    ("us/deliv", 8),
    ("rssMiB", 7),
    ("harness", 7),
];

/// Columns of the connection table: header and width.
const CONNECTION_COLUMNS: &[(&str, usize)] = &[
    ("scenario", 8),
    ("proto", 6),
    ("conns", 6),
    ("errors", 6),
    ("conn/s", 8),
    ("p50ms", 7),
    ("p99ms", 7),
    ("cycles/s", 8),
    ("KiB/conn", 8),
    ("rssMiB", 7),
    ("srvCPU", 6),
    ("us/conn", 7),
    ("harness", 7),
];

/// Prints `reports` as a table with the columns that fit their scenario, then per-run notes.
pub fn print_table(reports: &[Report]) {
    let Some(first) = reports.first() else {
        return;
    };
    let (columns, row): (_, fn(&Report) -> Vec<String>) = if first.publishes() {
        (PUBLISH_COLUMNS, publish_row)
    } else {
        (CONNECTION_COLUMNS, connection_row)
    };
    print_row(columns, columns.iter().map(|(h, _)| (*h).to_owned()));
    for r in reports {
        print_row(columns, row(r).into_iter());
    }
    for r in reports {
        print_notes(r);
    }
}

fn print_row(columns: &[(&str, usize)], cells: impl Iterator<Item = String>) {
    let line: Vec<String> = columns
        .iter()
        .zip(cells)
        .enumerate()
        .map(|(i, ((_, w), cell))| match i {
            0 => format!("{cell:<w$}"),
            _ => format!("{cell:>w$}"),
        })
        .collect();
    println!("{}", line.join(" "));
}

fn ms(micros: u64) -> String {
    format!("{:.2}", micros as f64 / 1000.0)
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.decimals$}"))
}

fn pct(cores: f64) -> String {
    format!("{:.0}%", cores * 100.0)
}

fn latency(l: Option<&Latency>, f: fn(&Latency) -> u64) -> String {
    l.map_or("-".into(), |l| ms(f(l)))
}

fn publish_row(r: &Report) -> Vec<String> {
    let lat = r.latency_us.as_ref();
    vec![
        r.scenario.to_owned(),
        r.protocol.to_owned(),
        r.step.map_or("-".into(), |s| s.to_string()),
        r.subs.to_string(),
        opt(r.rate, 0),
        format!("{:.0}", r.deliveries_per_s),
        latency(lat, |l| l.p50),
        latency(lat, |l| l.p90),
        latency(lat, |l| l.p99),
        latency(lat, |l| l.p999),
        latency(lat, |l| l.max),
        r.drops.to_string(),
        r.duplicates.to_string(),
        opt(r.server_cpu_cores.map(|c| c * 100.0), 0),
        opt(r.server_cpu_us_per_delivery, 2),
        opt(r.server_rss_kib_after.map(|k| k as f64 / 1024.0), 1),
        pct(r.harness_cpu_cores),
    ]
}

fn connection_row(r: &Report) -> Vec<String> {
    let lat = r.connect_latency_us.as_ref();
    vec![
        r.scenario.to_owned(),
        r.protocol.to_owned(),
        r.subs.to_string(),
        r.connect_errors.to_string(),
        opt(r.connect_per_s, 0),
        latency(lat, |l| l.p50),
        latency(lat, |l| l.p99),
        opt(r.cycles_per_s, 0),
        opt(r.rss_kib_per_conn, 2),
        opt(r.server_rss_kib_after.map(|k| k as f64 / 1024.0), 1),
        opt(r.server_cpu_cores.map(|c| c * 100.0), 0),
        opt(r.server_cpu_us_per_connect, 1),
        pct(r.harness_cpu_cores),
    ]
}

fn print_notes(r: &Report) {
    let step = r.step.map_or(String::new(), |s| format!(" step {s}"));
    let mut notes = Vec::new();
    if r.harness_bound {
        notes.push(format!(
            "HARNESS-BOUND (harness used {} of a core): not the server's limit",
            pct(r.harness_cpu_cores)
        ));
    }
    if !r.close_codes.is_empty() {
        notes.push(format!("close codes {:?}", r.close_codes));
    }
    if !r.publish_errors.is_empty() {
        notes.push(format!("publish errors {:?}", r.publish_errors));
    }
    if let (Some(b), Some(p), Some(a)) = (
        r.server_rss_kib_before,
        r.server_rss_kib_peak,
        r.server_rss_kib_after,
    ) {
        notes.push(format!("server RSS before/peak/after {b}/{p}/{a} KiB"));
    }
    if r.subs_stalled > 0 {
        notes.push(format!("{} stalled subscribers", r.subs_stalled));
    }
    if let Some(lag) = &r.publish_lag_us {
        if lag.p99 > 1000 {
            notes.push(format!("publisher lag p99 {} ms", ms(lag.p99)));
        }
    }
    if let Some(e) = &r.first_error {
        notes.push(format!("first error: {e}"));
    }
    for note in notes {
        println!("  {}{step}: {note}", r.scenario);
    }
}
