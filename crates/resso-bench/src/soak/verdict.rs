//! The soak's pass/fail rules as pure functions of its figures, so they are unit-tested apart
//! from any run: memory flat after warm-up, fds and tasks back to baseline, every healthy
//! delivery exactly once and in order, and the run having done what it claims (publishes
//! accepted, churn without errors, slow consumers closed with 4100).

use serde::Serialize;

/// Largest RSS growth from the warm-up mark to the end, percent.
pub const RSS_GROWTH_MAX_PCT: f64 = 5.0;
/// Open fds allowed above or below the baseline at the end.
pub const FD_SLACK: u64 = 4;
/// Live tasks allowed above or below the baseline at the end.
pub const TASK_SLACK: u64 = 4;

/// The figures a soak is judged on; also its JSON summary line.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Figures {
    pub kind: &'static str,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub churners: usize,
    pub healthy: u64,
    pub rate: f64,
    pub payload_bytes: usize,
    pub rss_kib_baseline: Option<u64>,
    pub rss_kib_warmup: Option<u64>,
    pub rss_kib_end: Option<u64>,
    pub rss_growth_pct: Option<f64>,
    pub rss_kib_peak: Option<u64>,
    pub fds_baseline: Option<u64>,
    pub fds_peak: Option<u64>,
    pub fds_end: Option<u64>,
    pub tasks_baseline: Option<u64>,
    pub tasks_peak: Option<u64>,
    pub tasks_end: Option<u64>,
    pub connections_baseline: Option<u64>,
    pub connections_end: Option<u64>,
    pub published: u64,
    pub publish_errors: u64,
    pub healthy_expected: u64,
    pub healthy_received: u64,
    pub healthy_lost: u64,
    pub healthy_repeats: u64,
    pub healthy_not_exact: u64,
    pub healthy_closed_early: u64,
    pub churn_cycles: u64,
    pub presence_rejoins: u64,
    pub churn_errors: u64,
    pub slow_started: u64,
    pub slow_closed_4100: u64,
    pub slow_other: u64,
    pub first_error: Option<String>,
    pub failures: Vec<String>,
    pub passed: bool,
}

/// Every rule `f` breaks, each as a sentence with its numbers.
#[must_use]
pub fn failures(f: &Figures) -> Vec<String> {
    let mut out = Vec::new();
    rss(f, &mut out);
    back_to("open fds", f.fds_baseline, f.fds_end, FD_SLACK, &mut out);
    back_to(
        "live tasks",
        f.tasks_baseline,
        f.tasks_end,
        TASK_SLACK,
        &mut out,
    );
    deliveries(f, &mut out);
    activity(f, &mut out);
    out
}

/// RSS growth from the warm-up mark to the end, percent.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn growth_pct(warmup: u64, end: u64) -> f64 {
    (end as f64 - warmup as f64) * 100.0 / (warmup.max(1) as f64)
}

fn rss(f: &Figures, out: &mut Vec<String>) {
    let (Some(warm), Some(end)) = (f.rss_kib_warmup, f.rss_kib_end) else {
        out.push(
            "server RSS not measured (unknown pid, or the run ended before the warm-up mark)"
                .into(),
        );
        return;
    };
    let pct = growth_pct(warm, end);
    if pct > RSS_GROWTH_MAX_PCT {
        out.push(format!(
            "RSS grew {pct:.1} % after warm-up ({warm} KiB at {:.0} s, {end} KiB at the end; limit {RSS_GROWTH_MAX_PCT} %)",
            f.warmup_s
        ));
    }
}

fn back_to(what: &str, base: Option<u64>, end: Option<u64>, slack: u64, out: &mut Vec<String>) {
    let (Some(base), Some(end)) = (base, end) else {
        out.push(format!("{what} not measured (no pid, or no /debug/stats)"));
        return;
    };
    if end.abs_diff(base) > slack {
        out.push(format!(
            "{what} not back to baseline: {base} before churn, {end} after (slack {slack})"
        ));
    }
}

fn deliveries(f: &Figures, out: &mut Vec<String>) {
    if f.healthy_lost > 0 || f.healthy_repeats > 0 || f.healthy_not_exact > 0 {
        out.push(format!(
            "healthy subscribers: {} lost, {} duplicated or out of order, {} of {} not exactly once in order",
            f.healthy_lost, f.healthy_repeats, f.healthy_not_exact, f.healthy
        ));
    }
    if f.healthy_received != f.healthy_expected {
        out.push(format!(
            "healthy deliveries: {} received, {} expected",
            f.healthy_received, f.healthy_expected
        ));
    }
    if f.healthy_closed_early > 0 {
        out.push(format!(
            "{} healthy subscribers were closed during the run",
            f.healthy_closed_early
        ));
    }
}

fn activity(f: &Figures, out: &mut Vec<String>) {
    if f.published == 0 || f.publish_errors > 0 {
        out.push(format!(
            "publishes: {} sent, {} failed",
            f.published, f.publish_errors
        ));
    }
    if f.churn_cycles == 0 || f.churn_errors > 0 {
        out.push(format!(
            "churn: {} cycles, {} errors",
            f.churn_cycles, f.churn_errors
        ));
    }
    if f.slow_started == 0 || f.slow_closed_4100 != f.slow_started {
        out.push(format!(
            "slow consumers: {} started, {} closed with 4100, {} not",
            f.slow_started, f.slow_closed_4100, f.slow_other
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Figures {
        Figures {
            rss_kib_warmup: Some(20_000),
            rss_kib_end: Some(20_900),
            fds_baseline: Some(120),
            fds_end: Some(121),
            tasks_baseline: Some(110),
            tasks_end: Some(110),
            healthy: 10,
            published: 100,
            healthy_expected: 1000,
            healthy_received: 1000,
            churn_cycles: 50,
            slow_started: 3,
            slow_closed_4100: 3,
            ..Figures::default()
        }
    }

    #[test]
    fn a_flat_run_passes() {
        assert_eq!(failures(&good()), Vec::<String>::new());
    }

    #[test]
    fn growth_past_five_percent_fails() {
        let f = Figures {
            rss_kib_end: Some(21_100),
            ..good()
        };
        let out = failures(&f);
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].starts_with("RSS grew 5.5 %"), "{out:?}");
    }

    #[test]
    fn leaked_fds_and_tasks_fail() {
        let f = Figures {
            fds_end: Some(130),
            tasks_end: Some(90),
            ..good()
        };
        assert_eq!(failures(&f).len(), 2);
    }

    #[test]
    fn one_lost_delivery_fails() {
        let f = Figures {
            healthy_lost: 1,
            healthy_not_exact: 1,
            healthy_received: 999,
            ..good()
        };
        assert_eq!(failures(&f).len(), 2);
    }

    #[test]
    fn unmeasured_figures_fail() {
        let f = Figures {
            tasks_baseline: None,
            rss_kib_warmup: None,
            ..good()
        };
        assert_eq!(failures(&f).len(), 2);
    }

    #[test]
    fn slow_consumer_left_open_fails() {
        let f = Figures {
            slow_closed_4100: 2,
            slow_other: 1,
            ..good()
        };
        assert_eq!(failures(&f).len(), 1);
    }
}
