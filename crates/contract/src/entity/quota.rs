//! Quota counters as the contract shows them (REFERENCE §16.6), from 2016-07-07: 2017-03-01
//! nests the values under a capital `Value`, earlier versions put them beside the keys.

use crate::body::decode;
use crate::validate::Validator;
use crate::{ApiError, ApiVersion};
use serde::Deserialize;
use serde_json::{Value, json};

/// The first version with quota counters.
pub const SINCE: ApiVersion = ApiVersion::V2016_07_07;

/// One counter, for rendering.
pub struct CounterView<'a> {
    /// The evaluated counter key.
    pub counter_key: &'a str,
    /// The period key.
    pub period_key: &'a str,
    /// Period start (RFC 3339).
    pub period_start: &'a str,
    /// Period end (RFC 3339).
    pub period_end: &'a str,
    /// Calls counted.
    pub calls_count: i64,
    /// Kilobytes transferred.
    pub kb_transferred: f64,
}

impl CounterView<'_> {
    /// The wire representation in `version`.
    pub fn render(&self, version: ApiVersion) -> Value {
        let mut out = json!({
            "counterKey": self.counter_key,
            "periodKey": self.period_key,
            "periodStartTime": self.period_start,
            "periodEndTime": self.period_end,
        });
        let values = json!({"callsCount": self.calls_count, "kbTransferred": self.kb_transferred});
        if version >= ApiVersion::V2017_03_01 {
            out["Value"] = values;
        } else if let (Value::Object(out), Value::Object(values)) = (&mut out, values) {
            out.extend(values);
        }
        out
    }
}

/// The new values a `PATCH` sets; at least one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CounterValues {
    /// New call count.
    pub calls_count: Option<i64>,
    /// New kilobytes transferred.
    pub kb_transferred: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ValuesInput {
    calls_count: Option<i64>,
    kb_transferred: Option<f64>,
    /// The swagger's nested form (`{"value": {…}}`), which its client libraries flatten.
    value: Option<NestedValues>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NestedValues {
    calls_count: Option<i64>,
    kb_transferred: Option<f64>,
}

impl CounterValues {
    /// Decodes a `PATCH` body: `{callsCount, kbTransferred}`, or the same under `value`.
    pub fn from_patch(body: &[u8]) -> Result<CounterValues, ApiError> {
        let input: ValuesInput = decode(body)?;
        let (calls_count, kb_transferred, prefix) = match input.value {
            Some(nested) if input.calls_count.is_none() && input.kb_transferred.is_none() => {
                (nested.calls_count, nested.kb_transferred, "value.")
            }
            Some(_) => {
                let message = "give the values either at the top level or under value, not both";
                return Err(ApiError::invalid_field("value", "Conflict", message));
            }
            None => (input.calls_count, input.kb_transferred, ""),
        };
        let mut v = Validator::new();
        if calls_count.is_none() && kb_transferred.is_none() {
            v.fail(
                &format!("{prefix}callsCount"),
                "Required",
                "give callsCount, kbTransferred or both",
            );
        }
        if calls_count.is_some_and(|c| !(0..=i64::from(i32::MAX)).contains(&c)) {
            v.fail(
                &format!("{prefix}callsCount"),
                "Range",
                "callsCount must be between 0 and 2147483647",
            );
        }
        if kb_transferred.is_some_and(|kb| !kb.is_finite() || kb < 0.0) {
            v.fail(
                &format!("{prefix}kbTransferred"),
                "Range",
                "kbTransferred must be a number, 0 or more",
            );
        }
        v.finish()?;
        Ok(CounterValues {
            calls_count,
            kb_transferred,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_follow_the_version() {
        let view = CounterView {
            counter_key: "ba",
            period_key: "0_P3Y6M4DT12H30M5S",
            period_start: "2014-08-04T04:24:35Z",
            period_end: "2018-02-08T16:54:40Z",
            calls_count: 5,
            kb_transferred: 2.5,
        };
        assert_eq!(
            view.render(ApiVersion::V2017_03_01)["Value"],
            json!({"callsCount": 5, "kbTransferred": 2.5})
        );
        let legacy = view.render(ApiVersion::V2016_10_10);
        assert_eq!(
            (&legacy["callsCount"], legacy.get("Value")),
            (&json!(5), None)
        );
    }

    #[test]
    fn patches_are_checked() {
        let flat =
            CounterValues::from_patch(br#"{"callsCount": 0, "kbTransferred": 2.56}"#).unwrap();
        assert_eq!(
            flat,
            CounterValues {
                calls_count: Some(0),
                kb_transferred: Some(2.56)
            }
        );
        let nested = CounterValues::from_patch(br#"{"value": {"callsCount": 3}}"#).unwrap();
        assert_eq!(
            nested,
            CounterValues {
                calls_count: Some(3),
                kb_transferred: None
            }
        );
        let target = |body: &[u8]| {
            CounterValues::from_patch(body)
                .unwrap_err()
                .target()
                .map(str::to_owned)
        };
        assert_eq!(target(b"{}").as_deref(), Some("callsCount"));
        assert_eq!(
            target(br#"{"callsCount": -1}"#).as_deref(),
            Some("callsCount")
        );
        assert_eq!(
            target(br#"{"callsCount": 1, "value": {"callsCount": 2}}"#).as_deref(),
            Some("value")
        );
        assert_eq!(
            target(br#"{"kbTransferred": -0.5}"#).as_deref(),
            Some("kbTransferred")
        );
        assert_eq!(target(br#"{"calls": 1}"#).as_deref(), Some("calls"));
    }
}
