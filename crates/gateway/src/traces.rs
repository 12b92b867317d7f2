//! Traces of calls made with `Ocp-Apim-Trace: true`: kept in memory for 15 minutes (at most
//! 1,000), each under an unguessable id, and served at `/tollgate-trace/{id}` on the gateway's
//! listener — the `Ocp-Apim-Trace-Location` a traced call answers with.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The path prefix traces are served under.
pub const PATH: &str = "/tollgate-trace/";
/// How long a trace is kept.
pub const KEPT_FOR: Duration = Duration::from_secs(15 * 60);
/// The most traces kept.
pub const MAX_TRACES: usize = 1000;

/// The traces, oldest first.
#[derive(Debug, Default)]
pub struct Traces {
    kept: Mutex<VecDeque<(Instant, String, String)>>,
}

impl Traces {
    /// Keeps a trace (JSON text); returns its id.
    pub fn keep(&self, json: String) -> String {
        let id = crate::records::request_id().replace('-', "")
            + &crate::records::request_id().replace('-', "");
        let now = Instant::now();
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        while kept
            .front()
            .is_some_and(|(at, _, _)| now.duration_since(*at) > KEPT_FOR)
            || kept.len() >= MAX_TRACES
        {
            kept.pop_front();
        }
        kept.push_back((now, id.clone(), json));
        id
    }

    /// A kept trace by id.
    pub fn get(&self, id: &str) -> Option<String> {
        let now = Instant::now();
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.iter()
            .find(|(at, kept_id, _)| kept_id == id && now.duration_since(*at) <= KEPT_FOR)
            .map(|(_, _, json)| json.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_are_kept_under_unguessable_ids() {
        let traces = Traces::default();
        let a = traces.keep("{\"a\":1}".into());
        let b = traces.keep("{\"b\":2}".into());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(traces.get(&a).as_deref(), Some("{\"a\":1}"));
        assert!(traces.get("nope").is_none());
        for n in 0..MAX_TRACES {
            traces.keep(format!("{n}"));
        }
        assert!(traces.get(&a).is_none(), "the oldest went");
    }
}
