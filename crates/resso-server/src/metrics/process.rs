//! The standard `process_*` metrics, read from `/proc/self` at scrape time (Linux; elsewhere the
//! families are left out).

use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use super::Text;

/// When this process started, as Unix seconds (taken on the first scrape's first use, which the
/// server makes at start-up).
static STARTED: LazyLock<f64> = LazyLock::new(|| {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
});

/// Fixes the start time; called once at start-up.
pub fn mark_start() {
    LazyLock::force(&STARTED);
}

/// The `process_*` families, named as every Prometheus client names them (no prefix).
pub fn render(text: &mut Text) {
    let prefix = std::mem::take(&mut text.prefix);
    families(text);
    text.prefix = prefix;
}

fn families(text: &mut Text) {
    text.family(
        "process_start_time_seconds",
        "gauge",
        "Start time of the process since the Unix epoch in seconds",
    );
    text.sample("process_start_time_seconds", &[], *STARTED);
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return;
    };
    if let Some(kib) = field_kib(&status, "VmRSS:") {
        text.family(
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes",
        );
        text.sample("process_resident_memory_bytes", &[], kib * 1024);
    }
    if let Some(kib) = field_kib(&status, "VmSize:") {
        text.family(
            "process_virtual_memory_bytes",
            "gauge",
            "Virtual memory size in bytes",
        );
        text.sample("process_virtual_memory_bytes", &[], kib * 1024);
    }
    if let Some(seconds) = cpu_seconds() {
        text.family(
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds",
        );
        text.sample("process_cpu_seconds_total", &[], seconds);
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        text.family(
            "process_open_fds",
            "gauge",
            "Number of open file descriptors",
        );
        text.sample("process_open_fds", &[], fds.count());
    }
}

/// A `Name:   123 kB` line of `/proc/self/status`, in KiB.
fn field_kib(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

/// User plus system time from `/proc/self/stat` (fields 14 and 15, in clock ticks of 1/100 s,
/// the value on every Linux this runs on).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some((user + system) / 100.0)
}
