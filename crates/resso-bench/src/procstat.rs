//! CPU time and memory of a process from `/proc`: the server's (by pid) and the harness's own.
//! CPU is utime+stime in clock ticks (USER_HZ, 100 on Linux), so short windows are ±10 ms.

use std::sync::OnceLock;
use std::time::Instant;

/// Processes whose CPU is added to the server's (see `--extra-pid`).
static EXTRA_PIDS: OnceLock<Vec<u32>> = OnceLock::new();

/// Counts the CPU of `pids` as the server's from now on (set once, at start).
pub fn count_also(pids: Vec<u32>) {
    let _ = EXTRA_PIDS.set(pids);
}

/// CPU time of the server `pid` plus the extra pids, in microseconds.
fn server_time(pid: u32) -> Option<CpuTime> {
    let extra = EXTRA_PIDS.get().map_or(&[][..], Vec::as_slice);
    extra.iter().try_fold(cpu_time(Some(pid))?, |sum, p| {
        let more = cpu_time(Some(*p))?;
        Some(CpuTime {
            user: sum.user + more.user,
            kernel: sum.kernel + more.kernel,
        })
    })
}

/// utime and stime of a process, in microseconds.
#[derive(Debug, Clone, Copy)]
pub struct CpuTime {
    pub user: u64,
    /// In the kernel: on loopback this includes delivering into the receivers' sockets.
    pub kernel: u64,
}

impl CpuTime {
    #[must_use]
    pub fn total(self) -> u64 {
        self.user + self.kernel
    }
}

/// Clock ticks per second of `/proc/*/stat` times (USER_HZ, fixed at 100 by the Linux ABI).
const TICKS_PER_SEC: u64 = 100;

/// utime+stime of `pid` (or of this process) in microseconds.
#[must_use]
pub fn cpu_micros(pid: Option<u32>) -> Option<u64> {
    cpu_time(pid).map(CpuTime::total)
}

/// utime and stime of `pid` (or of this process) in microseconds.
#[must_use]
pub fn cpu_time(pid: Option<u32>) -> Option<CpuTime> {
    let path = pid.map_or_else(|| "/proc/self/stat".into(), |p| format!("/proc/{p}/stat"));
    let text = std::fs::read_to_string(path).ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &text[text.rfind(')')? + 2..];
    let mut fields = rest.split(' ');
    // rest starts at field 3 (state); utime and stime are fields 14 and 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(CpuTime {
        user: utime * 1_000_000 / TICKS_PER_SEC,
        kernel: stime * 1_000_000 / TICKS_PER_SEC,
    })
}

/// Resident set size of `pid` in KiB (`VmRSS`).
#[must_use]
pub fn rss_kib(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Open file descriptors of `pid` (entries of `/proc/<pid>/fd`).
#[must_use]
pub fn open_fds(pid: u32) -> Option<u64> {
    let entries = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    Some(entries.count() as u64)
}

/// The soft limit on open files of this process.
#[must_use]
pub fn open_files_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// CPU readings at one instant, for measuring a window.
#[derive(Debug, Clone, Copy)]
pub struct CpuMark {
    at: Instant,
    server: Option<CpuTime>,
    harness: Option<u64>,
}

/// CPU used over a window.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuWindow {
    pub wall_secs: f64,
    /// Server CPU in microseconds, if its pid is known.
    pub server_micros: Option<u64>,
    /// The part of it spent in the kernel.
    pub server_kernel_micros: Option<u64>,
    pub harness_micros: u64,
}

impl CpuWindow {
    /// Server CPU as a share of one core.
    #[must_use]
    pub fn server_cores(&self) -> Option<f64> {
        self.server_micros.map(|us| cores(us, self.wall_secs))
    }

    /// Harness CPU as a share of one core.
    #[must_use]
    pub fn harness_cores(&self) -> f64 {
        cores(self.harness_micros, self.wall_secs)
    }
}

#[allow(clippy::cast_precision_loss)]
fn cores(micros: u64, wall_secs: f64) -> f64 {
    if wall_secs <= 0.0 {
        return 0.0;
    }
    micros as f64 / 1e6 / wall_secs
}

impl CpuMark {
    /// Reads the server's (if `pid` is known) and the harness's CPU now.
    #[must_use]
    pub fn now(pid: Option<u32>) -> Self {
        Self {
            at: Instant::now(),
            server: pid.and_then(server_time),
            harness: cpu_micros(None),
        }
    }

    /// The CPU used between `self` and `later`.
    #[must_use]
    pub fn until(&self, later: &Self) -> CpuWindow {
        CpuWindow {
            wall_secs: later.at.duration_since(self.at).as_secs_f64(),
            server_micros: match (self.server, later.server) {
                (Some(a), Some(b)) => Some(b.total().saturating_sub(a.total())),
                _ => None,
            },
            server_kernel_micros: match (self.server, later.server) {
                (Some(a), Some(b)) => Some(b.kernel.saturating_sub(a.kernel)),
                _ => None,
            },
            harness_micros: match (self.harness, later.harness) {
                (Some(a), Some(b)) => b.saturating_sub(a),
                _ => 0,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_process() {
        assert!(cpu_micros(None).is_some());
        assert!(rss_kib(std::process::id()).unwrap() > 0);
        assert!(open_files_limit().unwrap() > 0);
        assert!(open_fds(std::process::id()).unwrap() >= 3);
    }
}
