//! Per-address connection limits (`[server.limits]`): the one owner of how many connections each
//! address has open and has opened in the current second. The accept loop asks [`PerIp::admit`]
//! before it spawns a connection; the [`IpGuard`] it gets back lives in the connection's task and
//! gives the place back when the task ends, however it ends. IPv6 addresses count per /64 (one
//! host's usual allocation), IPv4-mapped ones as IPv4.

mod memory;

pub use memory::{machine_bytes, resident_bytes, MemoryCeiling};

use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::time::Instant;
use tokio_util::task::TaskTracker;

use crate::config::ServerLimits;
use crate::rate::RateWindow;

/// Below this many tracked addresses the table is never swept.
const SWEEP_FLOOR: usize = 1024;

/// The per-address counters; shared by the accept loop and every guard. A std mutex: it is held
/// for a map lookup, never across an `.await`.
pub struct PerIp {
    open_max: Option<u32>,
    per_second: Option<u32>,
    table: Mutex<Table>,
}

struct Table {
    by_ip: HashMap<IpAddr, Entry>,
    /// Sweep finished entries once the table grows past this.
    sweep_at: usize,
}

struct Entry {
    open: u32,
    window: Option<RateWindow>,
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OverLimit {
    #[error("too many open connections from this address")]
    Open,
    #[error("too many new connections from this address in the last second")]
    Rate,
    #[error("the server is above its memory ceiling")]
    Memory,
}

/// One admitted connection's place; dropping it frees the place.
pub struct IpGuard {
    owner: Arc<PerIp>,
    ip: IpAddr,
}

impl PerIp {
    /// The counters for `limits`, or `None` when no per-address limit is on (nothing is counted).
    #[must_use]
    pub fn new(limits: &ServerLimits) -> Option<Arc<Self>> {
        limits.per_ip().then(|| {
            Arc::new(Self {
                open_max: limits.connections_per_ip,
                per_second: limits.connects_per_ip_per_second,
                table: Mutex::new(Table {
                    by_ip: HashMap::new(),
                    sweep_at: SWEEP_FLOOR,
                }),
            })
        })
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a new connection from `ip` unless that would pass a limit.
    ///
    /// # Errors
    /// [`OverLimit`] naming the limit; a refused connection is counted against the rate (a
    /// flood keeps its window full) but not as open.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<IpGuard, OverLimit> {
        let ip = key(ip);
        let now = Instant::now();
        let mut table = self.lock();
        table.sweep(now);
        let entry = table.by_ip.entry(ip).or_insert_with(|| Entry {
            open: 0,
            window: self.per_second.map(RateWindow::new),
        });
        if entry.window.as_mut().is_some_and(|w| !w.allow(now)) {
            return Err(OverLimit::Rate);
        }
        if self.open_max.is_some_and(|max| entry.open >= max) {
            return Err(OverLimit::Open);
        }
        entry.open += 1;
        drop(table);
        Ok(IpGuard {
            owner: self.clone(),
            ip,
        })
    }

    /// Connections open from `ip`.
    #[cfg(test)]
    pub fn open(&self, ip: IpAddr) -> u32 {
        self.lock().by_ip.get(&key(ip)).map_or(0, |e| e.open)
    }
}

impl Table {
    /// Drops entries with nothing open and no live window, once the table has doubled since the
    /// last sweep: amortized O(1) per connection, and a one-off flood of addresses is forgotten.
    fn sweep(&mut self, now: Instant) {
        if self.by_ip.len() < self.sweep_at {
            return;
        }
        self.by_ip
            .retain(|_, e| e.open > 0 || e.window.as_ref().is_some_and(|w| w.live(now)));
        self.sweep_at = (self.by_ip.len() * 2).max(SWEEP_FLOOR);
    }
}

impl Drop for IpGuard {
    fn drop(&mut self) {
        let mut table = self.owner.lock();
        let Some(entry) = table.by_ip.get_mut(&self.ip) else {
            return;
        };
        entry.open = entry.open.saturating_sub(1);
        if entry.open == 0 && entry.window.is_none() {
            table.by_ip.remove(&self.ip);
        }
    }
}

tokio::task_local! {
    /// The place of the connection a task serves, for a socket that moves to a task of its own.
    static PLACE: Cell<Option<IpGuard>>;
}

/// Serves `connection` holding `place`: freed when it ends, unless [`take_place`] moved it on.
pub fn holding<F: Future>(place: IpGuard, connection: F) -> impl Future<Output = F::Output> {
    PLACE.scope(Cell::new(Some(place)), connection)
}

/// Spawns `task` on `tracker`, holding `place` (when a per-address limit is on) until it ends.
pub fn spawn_holding<F>(tracker: &TaskTracker, place: Option<IpGuard>, task: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    match place {
        None => drop(tracker.spawn(task)),
        Some(place) => drop(tracker.spawn(holding(place, task))),
    }
}

/// Takes the place of the connection being served, for a task that outlives it (a Socket.IO
/// websocket runs apart from the connection that carried its upgrade); `None` when no per-address
/// limit is on.
pub fn take_place() -> Option<IpGuard> {
    PLACE.try_with(Cell::take).ok().flatten()
}

/// Another place for the address of the connection being served, admitted like a new connection:
/// for a Socket.IO polling session, which outlives the requests that poll it. `Ok(None)` when no
/// per-address limit is on.
///
/// # Errors
/// [`OverLimit`] when the address has no place left.
pub fn another_place() -> Result<Option<IpGuard>, OverLimit> {
    PLACE
        .try_with(|cell| {
            let held = cell.take();
            let more = held.as_ref().map(|g| g.owner.admit(g.ip));
            cell.set(held);
            more.transpose()
        })
        .unwrap_or(Ok(None))
}

/// The address a connection is counted under.
fn key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(open: Option<u32>, rate: Option<u32>) -> ServerLimits {
        ServerLimits {
            connections_per_ip: open,
            connects_per_ip_per_second: rate,
            ..ServerLimits::default()
        }
    }

    #[test]
    fn off_counts_nothing() {
        assert!(PerIp::new(&ServerLimits::default()).is_none());
    }

    #[test]
    fn a_dropped_guard_frees_its_place() {
        let per_ip = PerIp::new(&limits(Some(2), None)).unwrap();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let a = per_ip.admit(ip).unwrap();
        let _b = per_ip.admit(ip).unwrap();
        assert_eq!(per_ip.admit(ip).err(), Some(OverLimit::Open));
        assert!(per_ip.admit("10.0.0.2".parse().unwrap()).is_ok());
        drop(a);
        assert_eq!(per_ip.open(ip), 1);
        assert!(per_ip.admit(ip).is_ok());
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_v4_as_v4() {
        let per_ip = PerIp::new(&limits(Some(1), None)).unwrap();
        let _a = per_ip.admit("2001:db8::1".parse().unwrap()).unwrap();
        let other_host_same_64 = "2001:db8::ffff:1".parse().unwrap();
        assert_eq!(
            per_ip.admit(other_host_same_64).err(),
            Some(OverLimit::Open)
        );
        let _v4 = per_ip.admit("192.0.2.1".parse().unwrap()).unwrap();
        let mapped = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(per_ip.admit(mapped).err(), Some(OverLimit::Open));
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_window_counts_refusals_and_reopens_after_a_second() {
        let per_ip = PerIp::new(&limits(None, Some(2))).unwrap();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let _a = per_ip.admit(ip).unwrap();
        let _b = per_ip.admit(ip).unwrap();
        assert_eq!(per_ip.admit(ip).err(), Some(OverLimit::Rate));
        tokio::time::advance(std::time::Duration::from_secs(1)).await;
        assert!(per_ip.admit(ip).is_ok());
    }
}
