//! `resso-bench`: a load generator for Pusher-protocol servers (Ressò, Sockudo, Soketi, …) and
//! for Echo's Socket.IO protocol (Ressò, laravel-echo-server).
//!
//! Map of the crate:
//! - [`cli`]: options, per-scenario defaults and caps.
//! - [`target`]: the server under test — URLs, credentials, starting/stopping it, loopback check.
//! - [`subscriber`]: one WebSocket client (Pusher, or Socket.IO through [`sio`]); [`pool`]: N of
//!   them, built at a rate.
//! - [`publisher`]: the open-loop HTTP publisher (Pusher's signed API or laravel-echo-server's).
//! - [`payload`]: publish bodies and the cheap scan of delivered frames; [`tracker`]: drops and
//!   duplicates per subscriber.
//! - [`phase`]: one measured publishing phase; [`scenarios`] and [`connections`]: the scenarios;
//!   [`soak`]: the leak check (churn, healthy subscribers, slow consumers, samples, verdict);
//!   [`hostile`]: bystanders' deliveries while hostile clients are bounded, phase by phase.
//! - [`stats`]: counters and histograms; [`procstat`]: CPU and RSS from `/proc`.
//! - [`report`]: the table and the JSON lines; [`progress`]: the line on stderr every second.
//!
//! `main` pins the harness to its core (threads it starts inherit that), builds the runtime,
//! starts or finds the server, runs the scenario and prints the results.

mod cli;
mod connections;
mod hostile;
mod payload;
mod phase;
mod pool;
mod procstat;
mod progress;
mod publisher;
mod report;
mod scenarios;
mod sio;
mod soak;
mod stats;
mod storm;
mod subscriber;
mod target;
mod tls;
mod tracker;

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use crate::cli::{Args, Scenario};
use crate::progress::Progress;
use crate::report::Report;
use crate::scenarios::Run;
use crate::target::Target;

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(reports) if args.scenario == Scenario::Smoke && !scenarios::smoke_passed(&reports) => {
            eprintln!("smoke FAILED: no deliveries, a drop, or a failed publish");
            ExitCode::FAILURE
        }
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("resso-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> anyhow::Result<Vec<Report>> {
    stats::epoch();
    if !args.no_pin {
        pin_harness(args.harness_core);
    }
    procstat::count_also(args.extra_pid.clone());
    let mut target = Target::resolve(args)?;
    eprintln!(
        "target {} (pid {})",
        target.ws_url,
        target.pid.map_or("unknown".into(), |p| p.to_string())
    );
    let runtime = build_runtime(args.threads)?;
    let reports = runtime.block_on(async {
        let progress = Progress::start(target.pid, args.quiet);
        let run = Run {
            args,
            target: &target,
            progress: &progress,
            protocol: args.protocol,
        };
        scenarios::run(&run).await
    });
    drop(runtime);
    target.stop();
    let reports = reports.map_err(|e| match target.log_path() {
        Some(log) => e.context(format!("server log: {}", log.display())),
        None => e,
    })?;
    report::print_table(&reports);
    if let Some(path) = &args.json {
        for r in &reports {
            r.append_json(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    Ok(reports)
}

/// Pins this thread — and so every thread started after it — to `core`.
fn pin_harness(core: usize) {
    let ids = core_affinity::get_core_ids().unwrap_or_default();
    match ids.into_iter().find(|c| c.id == core) {
        Some(id) if core_affinity::set_for_current(id) => {}
        _ => eprintln!("warning: cannot pin the harness to core {core}; running unpinned"),
    }
}

fn build_runtime(threads: usize) -> anyhow::Result<tokio::runtime::Runtime> {
    let mut builder = if threads == 0 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    };
    builder
        .enable_all()
        .build()
        .context("cannot start the runtime")
}
