//! When to reload the certificate: on SIGHUP, and when the certificate or key file changes. The
//! files' modification time, size and inode are polled every [`POLL`] (a `stat` each, simpler
//! and sturdier than inotify across renames, symlink swaps and bind mounts); a change is reloaded
//! once it has held still for one poll, so a certificate and key written one after the other are
//! read together. A failed reload is logged and the previous certificate keeps serving.

use std::os::unix::fs::MetadataExt;
use std::time::{Duration, SystemTime};

use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio_util::sync::CancellationToken;

use super::Tls;

/// How often the files are looked at.
pub const POLL: Duration = Duration::from_secs(2);

/// What identifies one version of a file: (modified, size, inode), `None` if it cannot be read.
type Stamp = Option<(Option<SystemTime>, u64, u64)>;

fn stamp(path: &str) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok(), meta.len(), meta.ino()))
}

fn stamps(tls: &Tls) -> [Stamp; 2] {
    [stamp(&tls.files.cert), stamp(&tls.files.key)]
}

/// Reloads `tls` on SIGHUP and on file changes until `shutdown`.
pub async fn watch(tls: Tls, shutdown: CancellationToken) {
    let mut hangup = signal(SignalKind::hangup())
        .inspect_err(|e| tracing::warn!("no TLS reload on SIGHUP: {e}"))
        .ok();
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut loaded = stamps(&tls);
    let mut seen = loaded;
    loop {
        let why = tokio::select! {
            () = shutdown.cancelled() => return,
            () = hangup_of(&mut hangup) => "SIGHUP",
            _ = tick.tick() => {
                let now = stamps(&tls);
                if now != seen {
                    seen = now; // changed: wait until it holds still
                    continue;
                }
                if now == loaded {
                    continue;
                }
                "the files changed"
            }
        };
        loaded = stamps(&tls);
        seen = loaded;
        match tls.reload() {
            Ok(()) => tracing::info!("TLS certificate reloaded from {} ({why})", tls.cert_path()),
            Err(e) => {
                tracing::warn!("TLS certificate not reloaded ({why}), the previous one stays: {e}")
            }
        }
    }
}

/// The next SIGHUP; never, without a handler.
async fn hangup_of(hangup: &mut Option<Signal>) {
    match hangup {
        Some(signal) => {
            if signal.recv().await.is_none() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}
