//! What a traced call records (`Ocp-Apim-Trace: true`): each statement as it ran — section,
//! scope, element and line, time taken, outcome —, the `trace` statements' messages, errors, and
//! at the end the variables and the response status. Secrets are left out: the subscription key
//! header and `Authorization` are shown as `***`.

use std::time::Instant;

use serde_json::{Value, json};
use tollgate_policy::SectionKind;
use tollgate_policy::pipeline::Step;

use super::flow::Flow;

/// Headers whose values a trace never shows.
const HIDDEN: &[&str] = &[
    "authorization",
    "ocp-apim-subscription-key",
    "proxy-authorization",
];

/// A call's trace being written.
pub(super) struct Trace {
    started: Instant,
    request: Value,
    entries: Vec<Value>,
}

impl Trace {
    /// Starts a trace with the request as it arrived (`key_header` hidden).
    pub(super) fn start(flow: &Flow, key_header: &str) -> Trace {
        let request = &flow.ctx.request;
        let headers: serde_json::Map<String, Value> = request
            .headers
            .iter()
            .map(|(name, values)| {
                let hidden = HIDDEN.contains(&name.to_ascii_lowercase().as_str())
                    || name.eq_ignore_ascii_case(key_header);
                let shown = if hidden { json!("***") } else { json!(values) };
                (name.to_owned(), shown)
            })
            .collect();
        let url = &request.original_url;
        Trace {
            started: Instant::now(),
            request: json!({
                "method": request.method,
                "url": format!("{}://{}:{}{}", url.scheme, url.host, url.port, url.path),
                "headers": headers,
            }),
            entries: Vec::new(),
        }
    }

    fn elapsed_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }

    /// A statement ran.
    pub(super) fn step(&mut self, section: SectionKind, step: &Step, took: f64, outcome: &str) {
        let at = self.elapsed_ms();
        self.entries.push(json!({
            "section": section.name(),
            "scope": format!("{:?}", step.scope).to_lowercase(),
            "source": step.name,
            "line": step.line,
            "elapsedMs": at,
            "durationMs": took,
            "outcome": outcome,
        }));
    }

    /// A `trace` statement's message.
    pub(super) fn message(&mut self, source: &str, message: &str) {
        let at = self.elapsed_ms();
        self.entries
            .push(json!({"source": source, "elapsedMs": at, "message": message}));
    }

    /// The trace as JSON, with the call's final state.
    pub(super) fn finish(self, flow: &Flow, request_id: &str) -> String {
        let variables: serde_json::Map<String, Value> = flow
            .ctx
            .variables
            .iter()
            .map(|(k, v)| (k.clone(), json!(v.to_policy_string())))
            .collect();
        let response = flow
            .ctx
            .response
            .as_ref()
            .map(|r| json!({"statusCode": r.status_code, "statusReason": r.status_reason}));
        let error = flow.ctx.last_error.as_ref().map(|e| {
            json!({"source": e.source, "reason": e.reason, "message": e.message, "section": e.section})
        });
        json!({
            "requestId": request_id,
            "request": self.request,
            "backendUrl": flow.target(),
            "steps": self.entries,
            "variables": variables,
            "lastError": error,
            "response": response,
            "totalMs": self.elapsed_ms(),
        })
        .to_string()
    }
}
