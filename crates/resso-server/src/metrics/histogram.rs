//! A Prometheus histogram of durations with fixed buckets. An observation is three relaxed atomic
//! adds (its bucket, the sum, the count); it is made once per event measured — a broadcast's
//! fan-out, a webhook request — never once per delivery. Buckets count apart and are summed into
//! Prometheus' cumulative `le` series at scrape time.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use super::Text;

/// The buckets' upper bounds, in microseconds: 50 µs to 10 s.
const BOUNDS_US: [u64; 16] = [
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 2_500_000, 10_000_000,
];

#[derive(Debug, Default)]
pub struct Histogram {
    /// Observations per bucket (not cumulative); the last one is past every bound.
    buckets: [AtomicU64; BOUNDS_US.len() + 1],
    sum_us: AtomicU64,
}

impl Histogram {
    /// Counts one duration.
    pub fn observe(&self, took: Duration) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let bucket = BOUNDS_US.partition_point(|&bound| bound < us);
        self.buckets[bucket].fetch_add(1, Relaxed);
        self.sum_us.fetch_add(us, Relaxed);
    }

    /// Writes the `_bucket`, `_sum` and `_count` series of `name` with `labels` (the family was
    /// begun with type `histogram`).
    pub fn render(&self, text: &mut Text, name: &str, labels: &[(&str, &str)]) {
        let bucket = format!("{name}_bucket");
        let mut below = 0;
        for (i, count) in self.buckets.iter().enumerate() {
            below += count.load(Relaxed);
            let le = BOUNDS_US
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), |&us| seconds(us));
            let mut with_le = labels.to_vec();
            with_le.push(("le", &le));
            text.sample(&bucket, &with_le, below);
        }
        let sum = seconds(self.sum_us.load(Relaxed));
        text.sample(&format!("{name}_sum"), labels, sum);
        text.sample(&format!("{name}_count"), labels, below);
    }
}

/// Microseconds as decimal seconds, exactly (`2500` → `0.0025`).
fn seconds(us: u64) -> String {
    let fraction = format!("{:06}", us % 1_000_000);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        return (us / 1_000_000).to_string();
    }
    format!("{}.{fraction}", us / 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_cumulative_buckets_sum_and_count() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(40));
        h.observe(Duration::from_micros(100));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(60));
        let mut text = Text::new("r_");
        text.family("f_seconds", "histogram", "help");
        h.render(&mut text, "f_seconds", &[("port", "1")]);
        let page = text.finish();
        for line in [
            r#"r_f_seconds_bucket{port="1",le="0.00005"} 1"#,
            r#"r_f_seconds_bucket{port="1",le="0.0001"} 2"#,
            r#"r_f_seconds_bucket{port="1",le="0.0025"} 2"#,
            r#"r_f_seconds_bucket{port="1",le="0.005"} 3"#,
            r#"r_f_seconds_bucket{port="1",le="10"} 3"#,
            r#"r_f_seconds_bucket{port="1",le="+Inf"} 4"#,
            r#"r_f_seconds_sum{port="1"} 60.00314"#,
            r#"r_f_seconds_count{port="1"} 4"#,
        ] {
            assert!(page.contains(&format!("{line}\n")), "{line} in\n{page}");
        }
    }

    #[test]
    fn seconds_are_exact_decimals() {
        assert_eq!(seconds(50), "0.00005");
        assert_eq!(seconds(1_000_000), "1");
        assert_eq!(seconds(2_500_000), "2.5");
        assert_eq!(seconds(0), "0");
    }
}
