//! The comparison: each hostile phase's bystander numbers beside the baseline phases on either
//! side of it and the median of all baselines (the ratio p99 hostile / p99 baseline median), and
//! whether the hostile load's bound was hit. Pure functions of the phase rows, so they are
//! unit-tested; printing and the JSON summary line sit on top.

use std::collections::BTreeMap;

use serde::Serialize;

use super::tally::Load;

/// One phase as measured: the bystanders' numbers and what the hostile load (if any) saw.
#[derive(Debug, Clone, Default)]
pub struct PhaseRow {
    pub load: Option<Load>,
    pub p50_us: Option<u64>,
    pub p99_us: Option<u64>,
    pub drops: u64,
    pub server_cpu_cores: Option<f64>,
    pub harness_cpu_cores: f64,
    pub outcomes: BTreeMap<String, u64>,
}

/// A hostile phase against the baselines.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Comparison {
    pub load: &'static str,
    pub p50_us: Option<u64>,
    pub p99_us: Option<u64>,
    pub drops: u64,
    pub server_cpu_cores: Option<f64>,
    pub harness_cpu_cores: f64,
    /// p99 of the baseline phases just before and just after.
    pub p99_before_us: Option<u64>,
    pub p99_after_us: Option<u64>,
    /// p99 over the median of every baseline's p99.
    pub p99_ratio: Option<f64>,
    pub bound_hit: bool,
    pub outcomes: BTreeMap<String, u64>,
}

/// Spread of the baseline phases' p99, µs.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Spread {
    pub min: u64,
    pub median: u64,
    pub max: u64,
    pub phases: usize,
}

/// The baselines' p99 spread, if any baseline measured one.
#[must_use]
pub fn baseline_spread(rows: &[PhaseRow]) -> Option<Spread> {
    let mut p99: Vec<u64> = rows
        .iter()
        .filter(|r| r.load.is_none())
        .filter_map(|r| r.p99_us)
        .collect();
    p99.sort_unstable();
    let (&min, &max) = (p99.first()?, p99.last()?);
    let mid = p99.len() / 2;
    let median = if p99.len().is_multiple_of(2) {
        u64::midpoint(p99[mid - 1], p99[mid])
    } else {
        p99[mid]
    };
    Some(Spread {
        min,
        median,
        max,
        phases: p99.len(),
    })
}

/// One comparison per hostile phase, in run order.
#[must_use]
pub fn compare(rows: &[PhaseRow]) -> Vec<Comparison> {
    let median = baseline_spread(rows).map(|s| s.median);
    let baseline_p99 = |i: Option<usize>| {
        i.and_then(|i| rows.get(i))
            .filter(|r| r.load.is_none())
            .and_then(|r| r.p99_us)
    };
    rows.iter()
        .enumerate()
        .filter_map(|(i, row)| {
            let load = row.load?;
            Some(Comparison {
                load: load.name(),
                p50_us: row.p50_us,
                p99_us: row.p99_us,
                drops: row.drops,
                server_cpu_cores: row.server_cpu_cores,
                harness_cpu_cores: row.harness_cpu_cores,
                p99_before_us: baseline_p99(i.checked_sub(1)),
                p99_after_us: baseline_p99(Some(i + 1)),
                p99_ratio: match (row.p99_us, median) {
                    #[allow(clippy::cast_precision_loss)]
                    (Some(p), Some(m)) if m > 0 => Some(p as f64 / m as f64),
                    _ => None,
                },
                bound_hit: load.bound_hit(&row.outcomes),
                outcomes: row.outcomes.clone(),
            })
        })
        .collect()
}

fn ms(us: Option<u64>) -> String {
    us.map_or_else(|| "-".into(), |us| format!("{:.2}", us as f64 / 1000.0))
}

fn pct(cores: Option<f64>) -> String {
    cores.map_or_else(|| "-".into(), |c| format!("{:.0}%", c * 100.0))
}

/// Prints every phase, then the comparison and the outcomes that show each bound was hit.
pub fn print(rows: &[PhaseRow]) {
    println!(
        "{:<14} {:>7} {:>7} {:>6} {:>6} {:>7}",
        "phase", "p50ms", "p99ms", "drops", "srvCPU", "harness"
    );
    for row in rows {
        let name = row.load.map_or("baseline", Load::name);
        println!(
            "{name:<14} {:>7} {:>7} {:>6} {:>6} {:>7}",
            ms(row.p50_us),
            ms(row.p99_us),
            row.drops,
            pct(row.server_cpu_cores),
            pct(Some(row.harness_cpu_cores)),
        );
    }
    if let Some(s) = baseline_spread(rows) {
        println!(
            "\nbaseline p99 over {} phases: min {} / median {} / max {} ms",
            s.phases,
            ms(Some(s.min)),
            ms(Some(s.median)),
            ms(Some(s.max))
        );
    }
    println!(
        "\n{:<14} {:>7} {:>7} {:>6} {:>6} {:>15} {:>6} {:>5}",
        "hostile", "p50ms", "p99ms", "drops", "srvCPU", "p99 before/after", "ratio", "bound"
    );
    for c in compare(rows) {
        println!(
            "{:<14} {:>7} {:>7} {:>6} {:>6} {:>15} {:>6} {:>5}",
            c.load,
            ms(c.p50_us),
            ms(c.p99_us),
            c.drops,
            pct(c.server_cpu_cores),
            format!("{}/{}", ms(c.p99_before_us), ms(c.p99_after_us)),
            c.p99_ratio
                .map_or_else(|| "-".into(), |r| format!("{r:.2}")),
            if c.bound_hit { "hit" } else { "MISSED" },
        );
    }
    println!();
    for c in compare(rows) {
        println!("  {}: {:?}", c.load, c.outcomes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(load: Option<Load>, p99: u64) -> PhaseRow {
        PhaseRow {
            load,
            p99_us: Some(p99),
            ..PhaseRow::default()
        }
    }

    #[test]
    fn compares_each_hostile_phase_with_its_neighbours_and_the_median() {
        let mut flood = row(Some(Load::ConnFlood), 3000);
        flood.outcomes.insert("refused 4100".into(), 7);
        let rows = [
            row(None, 1000),
            flood,
            row(None, 1400),
            row(Some(Load::PingFlood), 1200),
            row(None, 900),
        ];
        let spread = baseline_spread(&rows).unwrap();
        assert_eq!((spread.min, spread.median, spread.max), (900, 1000, 1400));
        let c = compare(&rows);
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].p99_before_us, c[0].p99_after_us),
            (Some(1000), Some(1400))
        );
        assert_eq!(c[0].p99_ratio, Some(3.0));
        assert!(c[0].bound_hit);
        assert_eq!(
            (c[1].p99_before_us, c[1].p99_after_us),
            (Some(1400), Some(900))
        );
        assert_eq!(c[1].p99_ratio, Some(1.2));
        assert!(!c[1].bound_hit, "no `dropped` outcome");
    }

    #[test]
    fn an_even_number_of_baselines_takes_the_middle_two() {
        let rows = [
            row(None, 1000),
            row(None, 2000),
            row(Some(Load::Frames), 1500),
        ];
        assert_eq!(baseline_spread(&rows).unwrap().median, 1500);
        assert_eq!(compare(&rows)[0].p99_ratio, Some(1.0));
        assert_eq!(compare(&rows)[0].p99_after_us, None, "the last phase");
    }
}
