//! Prometheus metrics of the gateway, in the text exposition format: calls by API and status,
//! the latency histogram, the snapshot's revision and last rebuild time, dropped records, and the
//! custom metrics of `emit-metric` statements.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The gateway's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Calls by API id and status; `-` for calls no API took.
    calls: Mutex<BTreeMap<String, BTreeMap<u16, u64>>>,
    /// Calls at or under each bucket's bound (not cumulative; summed when rendered).
    buckets: [AtomicU64; BUCKETS.len()],
    /// Calls over the last bound.
    over: AtomicU64,
    /// Sum of latencies, in microseconds.
    sum_micros: AtomicU64,
    /// Duration of the last snapshot rebuild, in microseconds.
    pub(crate) last_rebuild_micros: AtomicU64,
    /// `emit-metric` series: sum and count of the values.
    custom: Mutex<BTreeMap<Series, (f64, u64)>>,
    /// `emit-metric` values dropped because there were [`MAX_SERIES`] series already.
    custom_dropped: AtomicU64,
}

/// A custom metric's series: namespace, name, and dimensions (name, value) in their order.
type Series = (String, String, Vec<(String, String)>);

/// The most custom series kept (their dimensions' values come from calls).
const MAX_SERIES: usize = 10_000;

/// A dimension's name as a Prometheus label: lower case, `_` for anything but letters and digits
/// (`API ID` → `api_id`).
fn label(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// A label value, escaped for the text exposition.
fn escaped(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// Counts a finished call.
    pub fn observe(&self, api: &str, status: u16, seconds: f64) {
        let api = if api.is_empty() { "-" } else { api };
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        // Look up before inserting: the API's id is copied only for its first call.
        let by_status = match calls.get_mut(api) {
            Some(by_status) => by_status,
            None => calls.entry(api.to_owned()).or_default(),
        };
        *by_status.entry(status).or_default() += 1;
        match BUCKETS.iter().position(|bound| seconds <= *bound) {
            Some(i) => self.buckets[i].fetch_add(1, Ordering::Relaxed),
            None => self.over.fetch_add(1, Ordering::Relaxed),
        };
        self.sum_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    /// Adds `value` to a custom metric (`emit-metric`).
    pub fn emit(&self, namespace: &str, name: &str, dimensions: Vec<(String, String)>, value: f64) {
        let series = (namespace.to_owned(), name.to_owned(), dimensions);
        let mut custom = self.custom.lock().unwrap_or_else(|e| e.into_inner());
        if custom.len() >= MAX_SERIES && !custom.contains_key(&series) {
            self.custom_dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let (sum, count) = custom.entry(series).or_default();
        *sum += value;
        *count += 1;
    }

    /// The text exposition, with the gauges the gateway passes.
    pub fn render(&self, revision: u64, dropped_records: u64) -> String {
        let mut out = String::new();
        out.push_str("# HELP tollgate_gateway_requests_total Calls the gateway answered, by API and status.\n");
        out.push_str("# TYPE tollgate_gateway_requests_total counter\n");
        for (api, by_status) in self.calls.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let api = api.replace('\\', "\\\\").replace('"', "\\\"");
            for (status, count) in by_status {
                let _ = writeln!(
                    out,
                    "tollgate_gateway_requests_total{{api=\"{api}\",status=\"{status}\"}} {count}"
                );
            }
        }
        out.push_str("# HELP tollgate_gateway_request_duration_seconds Time from a call's arrival to the end of its response.\n");
        out.push_str("# TYPE tollgate_gateway_request_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "tollgate_gateway_request_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += self.over.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "tollgate_gateway_request_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}"
        );
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "tollgate_gateway_request_duration_seconds_sum {sum}");
        let _ = writeln!(
            out,
            "tollgate_gateway_request_duration_seconds_count {cumulative}"
        );
        out.push_str("# HELP tollgate_gateway_snapshot_revision The configuration revision the gateway serves.\n");
        out.push_str("# TYPE tollgate_gateway_snapshot_revision gauge\n");
        let _ = writeln!(out, "tollgate_gateway_snapshot_revision {revision}");
        out.push_str("# HELP tollgate_gateway_snapshot_rebuild_seconds How long the last snapshot rebuild took.\n");
        out.push_str("# TYPE tollgate_gateway_snapshot_rebuild_seconds gauge\n");
        let rebuild = self.last_rebuild_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "tollgate_gateway_snapshot_rebuild_seconds {rebuild}");
        out.push_str("# HELP tollgate_gateway_records_dropped_total Request records dropped (buffer full or store refused).\n");
        out.push_str("# TYPE tollgate_gateway_records_dropped_total counter\n");
        let _ = writeln!(
            out,
            "tollgate_gateway_records_dropped_total {dropped_records}"
        );
        self.render_custom(&mut out);
        out
    }

    fn render_custom(&self, out: &mut String) {
        out.push_str("# HELP tollgate_custom_metric_sum Sum of the values emit-metric statements emitted, by namespace, name and dimensions.\n");
        out.push_str("# TYPE tollgate_custom_metric_sum counter\n");
        out.push_str("# HELP tollgate_custom_metric_count Values emit-metric statements emitted, by namespace, name and dimensions.\n");
        out.push_str("# TYPE tollgate_custom_metric_count counter\n");
        for ((namespace, name, dimensions), (sum, count)) in
            self.custom.lock().unwrap_or_else(|e| e.into_inner()).iter()
        {
            let mut labels = format!(
                "namespace=\"{}\",name=\"{}\"",
                escaped(namespace),
                escaped(name)
            );
            for (dimension, value) in dimensions {
                let _ = write!(labels, ",{}=\"{}\"", label(dimension), escaped(value));
            }
            let _ = writeln!(out, "tollgate_custom_metric_sum{{{labels}}} {sum}");
            let _ = writeln!(out, "tollgate_custom_metric_count{{{labels}}} {count}");
        }
        out.push_str("# HELP tollgate_custom_metric_dropped_total emit-metric values dropped: too many series.\n");
        out.push_str("# TYPE tollgate_custom_metric_dropped_total counter\n");
        let dropped = self.custom_dropped.load(Ordering::Relaxed);
        let _ = writeln!(out, "tollgate_custom_metric_dropped_total {dropped}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_a_cumulative_histogram() {
        let metrics = Metrics::default();
        metrics.observe("echo", 200, 0.002);
        metrics.observe("echo", 200, 0.02);
        metrics.observe("", 404, 20.0);
        let text = metrics.render(7, 1);
        assert!(
            text.contains("tollgate_gateway_requests_total{api=\"echo\",status=\"200\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("tollgate_gateway_requests_total{api=\"-\",status=\"404\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("tollgate_gateway_request_duration_seconds_bucket{le=\"0.0025\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("tollgate_gateway_request_duration_seconds_bucket{le=\"0.025\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("tollgate_gateway_request_duration_seconds_bucket{le=\"+Inf\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("tollgate_gateway_snapshot_revision 7"),
            "{text}"
        );
        assert!(
            text.contains("tollgate_gateway_records_dropped_total 1"),
            "{text}"
        );
    }

    #[test]
    fn custom_metrics_sum_and_count_by_dimensions() {
        let metrics = Metrics::default();
        let dims = |api: &str| {
            vec![
                ("API ID".to_owned(), api.to_owned()),
                ("9 \"x\"".to_owned(), "a\"b".to_owned()),
            ]
        };
        metrics.emit("ns", "orders", dims("shop"), 2.5);
        metrics.emit("ns", "orders", dims("shop"), 1.0);
        metrics.emit("ns", "orders", dims("other"), 1.0);
        let text = metrics.render(0, 0);
        let shop = "namespace=\"ns\",name=\"orders\",api_id=\"shop\",_9__x_=\"a\\\"b\"";
        assert!(
            text.contains(&format!("tollgate_custom_metric_sum{{{shop}}} 3.5")),
            "{text}"
        );
        assert!(
            text.contains(&format!("tollgate_custom_metric_count{{{shop}}} 2")),
            "{text}"
        );
        assert!(text.contains("api_id=\"other\""), "{text}");
    }
}
