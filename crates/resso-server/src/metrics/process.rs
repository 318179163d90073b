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
    if let Some(bytes) = proc_bytes("/proc/self/status", "VmRSS:") {
        text.family(
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes",
        );
        text.sample("process_resident_memory_bytes", &[], bytes);
    }
    if let Some(bytes) = proc_bytes("/proc/self/status", "VmSize:") {
        text.family(
            "process_virtual_memory_bytes",
            "gauge",
            "Virtual memory size in bytes",
        );
        text.sample("process_virtual_memory_bytes", &[], bytes);
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

/// A `Name:   123 kB` line of a `/proc` file (`/proc/self/status`, `/proc/meminfo`), in bytes.
#[must_use]
pub fn proc_bytes(file: &str, name: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line[name.len()..].split_whitespace().next()?.parse().ok()?;
    Some(kib * 1024)
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
