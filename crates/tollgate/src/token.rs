//! `tollgate token`: print a SharedAccessSignature header value signed with a current key.

use crate::config::StoreArgs;
use crate::serve::{DEFAULT_INSTANCE, initial_keys, open_store};
use chrono::{DateTime, Duration, Utc};
use clap::{Args, ValueEnum};
use tollgate_mgmt::bootstrap_instance;

/// Options of `tollgate token`.
#[derive(Args, Debug)]
pub struct TokenArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Which key signs the token.
    #[arg(long, value_enum, default_value_t = KeyChoice::Primary)]
    key: KeyChoice,
    /// Lifetime, e.g. 30m, 1h, 7d [default: 1h]
    #[arg(long, value_parser = parse_lifetime, conflicts_with = "expiry", value_name = "DURATION")]
    expires_in: Option<Duration>,
    /// Exact expiry instant, e.g. 2030-01-01T00:00:00Z.
    #[arg(long, value_parser = parse_expiry, value_name = "INSTANT")]
    expiry: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum KeyChoice {
    Primary,
    Secondary,
}

/// Parses `<n><unit>` with unit s, m, h or d.
fn parse_lifetime(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: i64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a lifetime like 30m, 1h or 7d"))?;
    let duration = match unit {
        "s" => Duration::try_seconds(n),
        "m" => Duration::try_minutes(n),
        "h" => Duration::try_hours(n),
        "d" => Duration::try_days(n),
        _ => None,
    };
    duration
        .filter(|d| *d > Duration::zero())
        .ok_or_else(|| format!("'{text}' is not a positive lifetime like 30m, 1h or 7d"))
}

fn parse_expiry(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("'{text}' is not an instant like 2030-01-01T00:00:00Z"))
}

/// Prints the header value on stdout.
pub async fn run(args: TokenArgs) -> Result<(), String> {
    let expiry = match (args.expiry, args.expires_in) {
        (Some(at), _) => at,
        (None, lifetime) => Utc::now() + lifetime.unwrap_or_else(|| Duration::hours(1)),
    };
    if expiry <= Utc::now() {
        return Err(format!("the expiry {expiry} is in the past"));
    }
    let store: std::sync::Arc<dyn tollgate_store::Store> =
        open_store(&args.store.database_url()?).await?;
    let samples = !args.store.no_samples;
    let access = bootstrap_instance(&store, DEFAULT_INSTANCE, &initial_keys(), samples)
        .await
        .map_err(|e| format!("cannot read the access keys: {e}"))?;
    store.close().await;
    let key = match args.key {
        KeyChoice::Primary => &access.primary_key,
        KeyChoice::Secondary => &access.secondary_key,
    };
    println!("{}", tollgate_auth::sign(&access.id, key, expiry));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes() {
        assert_eq!(parse_lifetime("90s").unwrap(), Duration::seconds(90));
        assert_eq!(parse_lifetime("1h").unwrap(), Duration::hours(1));
        assert_eq!(parse_lifetime("7d").unwrap(), Duration::days(7));
        for bad in ["", "h", "1", "1y", "-1h", "0m", "1.5h"] {
            assert!(parse_lifetime(bad).is_err(), "{bad}");
        }
    }
}
