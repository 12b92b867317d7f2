//! Configuration, in layers: defaults < TOML file (`--config`) < `TOLLGATE_*` environment
//! variables < command-line options.

use clap::Args;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the store is and where to listen: shared by `serve` and `token`.
#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// A TOML file with any of: data-dir, database-url, management-listen, gateway-listen, role,
    /// records-retention, audit-retention, production, oauth-redirects.
    #[arg(long, env = "TOLLGATE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory for Tollgate's data (the SQLite file by default) [default: ./tollgate-data]
    #[arg(long, env = "TOLLGATE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB [default: a SQLite file in the data dir]
    #[arg(long, env = "TOLLGATE_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Create a new store without the samples (the Echo API and the products Starter and Unlimited)
    #[arg(long, env = "TOLLGATE_NO_SAMPLES")]
    pub no_samples: bool,
}

/// Options of `tollgate serve`.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address of the management API [default: 127.0.0.1:8281]
    #[arg(long, env = "TOLLGATE_MANAGEMENT_LISTEN", value_name = "ADDR")]
    pub management_listen: Option<SocketAddr>,
    /// Address of the gateway [default: 127.0.0.1:8280]
    #[arg(long, env = "TOLLGATE_GATEWAY_LISTEN", value_name = "ADDR")]
    pub gateway_listen: Option<SocketAddr>,
    /// PEM certificate chain: the gateway then speaks HTTPS (with --gateway-tls-key)
    #[arg(long, env = "TOLLGATE_GATEWAY_TLS_CERT", value_name = "FILE")]
    pub gateway_tls_cert: Option<PathBuf>,
    /// PEM private key of --gateway-tls-cert
    #[arg(long, env = "TOLLGATE_GATEWAY_TLS_KEY", value_name = "FILE")]
    pub gateway_tls_key: Option<PathBuf>,
    /// Which planes this node runs [default: all]
    #[arg(long, env = "TOLLGATE_ROLE", value_enum)]
    pub role: Option<Role>,
    /// How long request records are kept, e.g. 30d, 12h, 90m [default: 30d]
    #[arg(long, env = "TOLLGATE_RECORDS_RETENTION", value_name = "DURATION")]
    pub records_retention: Option<String>,
    /// How long audit log entries are kept, e.g. 365d [default: 90d]
    #[arg(long, env = "TOLLGATE_AUDIT_RETENTION", value_name = "DURATION")]
    pub audit_retention: Option<String>,
    /// Production mode (also `TOLLGATE_ENV=production`): only the back office's OAuth2 client is
    /// registered (not Swagger UI's nor Postman's)
    #[arg(long)]
    pub production: bool,
    /// A redirect URI for an OAuth2 client, as CLIENT=URI (repeatable; the environment variable
    /// takes a comma-separated list), e.g. tollgate-backoffice=https://office.example/callback
    #[arg(
        long = "oauth-redirect",
        env = "TOLLGATE_OAUTH_REDIRECTS",
        value_name = "CLIENT=URI",
        value_delimiter = ','
    )]
    pub oauth_redirects: Vec<tollgate_mgmt::Redirect>,
    /// Let calls with any subscription's key ask for a policy trace (`Ocp-Apim-Trace: true`);
    /// without it, only the administrator's subscriptions may
    #[arg(long, env = "TOLLGATE_TRACE_ANY_SUBSCRIPTION")]
    pub trace_any_subscription: bool,
    /// Keep rate-limit counters in Redis, shared by every node (`redis://[:password@]host[:port][/db]`)
    #[arg(long, env = "TOLLGATE_REDIS_URL", value_name = "URL")]
    pub redis_url: Option<String>,
    /// When Redis cannot be reached: let calls through (open) or fail them (closed) [default: open]
    #[arg(long, env = "TOLLGATE_REDIS_UNAVAILABLE", value_enum)]
    pub redis_unavailable: Option<Unavailable>,
}

/// What rate limits do when Redis cannot be reached.
#[derive(clap::ValueEnum, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Unavailable {
    /// Calls go through, unlimited, and a warning is logged.
    Open,
    /// Calls fail (500, or the policy's on-error).
    Closed,
}

/// The planes a node runs.
#[derive(clap::ValueEnum, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The management API and the gateway.
    All,
    /// The management API only.
    Management,
    /// The gateway only.
    Gateway,
}

impl Role {
    /// Whether the management API runs.
    pub fn management(self) -> bool {
        self != Role::Gateway
    }

    /// Whether the gateway runs.
    pub fn gateway(self) -> bool {
        self != Role::Management
    }
}

/// The optional TOML file; unknown keys are refused.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileConfig {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    management_listen: Option<String>,
    gateway_listen: Option<String>,
    gateway_tls_cert: Option<PathBuf>,
    gateway_tls_key: Option<PathBuf>,
    role: Option<Role>,
    records_retention: Option<String>,
    audit_retention: Option<String>,
    production: Option<bool>,
    oauth_redirects: Option<Vec<String>>,
    trace_any_subscription: Option<bool>,
    redis_url: Option<String>,
    redis_unavailable: Option<Unavailable>,
}

/// The resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The database URL.
    pub database_url: String,
    /// The data directory (the server secret's file is there, and the SQLite file by default).
    pub data_dir: PathBuf,
    /// The management listener address.
    pub management_listen: SocketAddr,
    /// The gateway listener address.
    pub gateway_listen: SocketAddr,
    /// The planes this node runs.
    pub role: Role,
    /// The gateway's TLS certificate chain and key (PEM files), when it speaks HTTPS.
    pub gateway_tls: Option<(PathBuf, PathBuf)>,
    /// How long request records are kept.
    pub records_retention: std::time::Duration,
    /// How long audit log entries are kept.
    pub audit_retention: std::time::Duration,
    /// The OAuth2 authorization server's mode and registered redirect URIs.
    pub oauth: tollgate_mgmt::OAuthSettings,
    /// Whether every subscription may trace its calls.
    pub trace_any_subscription: bool,
    /// Redis for shared rate-limit counters.
    pub redis_url: Option<String>,
    /// Whether calls go through when Redis cannot be reached.
    pub redis_fail_open: bool,
}

/// Environment variables Tollgate reads; any other `TOLLGATE_*` draws a warning.
const KNOWN_ENV: &[&str] = &[
    "TOLLGATE_CONFIG",
    "TOLLGATE_DATA_DIR",
    "TOLLGATE_DATABASE_URL",
    "TOLLGATE_MANAGEMENT_LISTEN",
    "TOLLGATE_GATEWAY_LISTEN",
    "TOLLGATE_GATEWAY_TLS_CERT",
    "TOLLGATE_GATEWAY_TLS_KEY",
    "TOLLGATE_ROLE",
    "TOLLGATE_RECORDS_RETENTION",
    "TOLLGATE_AUDIT_RETENTION",
    "TOLLGATE_ENV",
    "TOLLGATE_OAUTH_REDIRECTS",
    "TOLLGATE_TRACE_ANY_SUBSCRIPTION",
    "TOLLGATE_REDIS_URL",
    "TOLLGATE_REDIS_UNAVAILABLE",
    "TOLLGATE_PRIMARY_KEY",
    "TOLLGATE_SECONDARY_KEY",
    "TOLLGATE_SECRET",
    "TOLLGATE_NO_SAMPLES",
    "TOLLGATE_LOG",
    "TOLLGATE_TEST_POSTGRES_URL",
];

const DEFAULT_DATA_DIR: &str = "./tollgate-data";
const DEFAULT_MANAGEMENT_LISTEN: &str = "127.0.0.1:8281";
const DEFAULT_GATEWAY_LISTEN: &str = "127.0.0.1:8280";
const DEFAULT_RECORDS_RETENTION: &str = "30d";
const DEFAULT_AUDIT_RETENTION: &str = "90d";

/// A retention period: a whole number followed by `d`, `h`, `m` or `s` (`30d`, `12h`).
pub fn retention(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let bad = || format!("the retention '{text}' is not a duration like 30d, 12h, 90m or 45s");
    let split = text.len().checked_sub(1).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return Err(bad()),
    };
    if n == 0 {
        return Err(bad());
    }
    Ok(std::time::Duration::from_secs(
        n.checked_mul(seconds).ok_or_else(bad)?,
    ))
}

/// An address from the command line, else the file, else the default.
fn address(
    given: Option<SocketAddr>,
    file: &Option<String>,
    key: &str,
    default: &str,
) -> Result<SocketAddr, String> {
    match (given, file) {
        (Some(addr), _) => Ok(addr),
        (None, Some(text)) => text
            .parse()
            .map_err(|_| format!("config file: {key} '{text}' is not an address like {default}")),
        (None, None) => default
            .parse()
            .map_err(|_| "bad default address".to_owned()),
    }
}

/// Starts logging to stderr; `TOLLGATE_LOG` sets the filter (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TOLLGATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for a terminal: log files and collectors get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}

fn warn_unknown_env() {
    for (name, _) in std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v))) {
        if name.starts_with("TOLLGATE_") && !KNOWN_ENV.contains(&name.as_str()) {
            tracing::warn!(variable = %name, "unknown TOLLGATE_ environment variable (ignored); known: {}", KNOWN_ENV.join(", "));
        }
    }
}

fn read_file(path: &Option<PathBuf>) -> Result<FileConfig, String> {
    let Some(path) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("config file {}: {e}", path.display()))
}

impl StoreArgs {
    /// The data directory after layering.
    fn data_dir(&self, file: &FileConfig) -> PathBuf {
        self.data_dir
            .clone()
            .or_else(|| file.data_dir.clone())
            .unwrap_or_else(|| DEFAULT_DATA_DIR.into())
    }

    /// The database URL after layering; reads the config file.
    fn resolve(&self, file: &FileConfig) -> String {
        if let Some(url) = self
            .database_url
            .clone()
            .or_else(|| file.database_url.clone())
        {
            return url;
        }
        let dir = self.data_dir(file);
        format!("sqlite://{}", dir.join("tollgate.db").display())
    }

    /// The database URL for commands that need only the store.
    pub fn database_url(&self) -> Result<String, String> {
        warn_unknown_env();
        Ok(self.resolve(&read_file(&self.config)?))
    }
}

impl ServeArgs {
    /// The settings after layering.
    pub fn settings(&self) -> Result<Settings, String> {
        warn_unknown_env();
        let file = read_file(&self.store.config)?;
        let management_listen = address(
            self.management_listen,
            &file.management_listen,
            "management-listen",
            DEFAULT_MANAGEMENT_LISTEN,
        )?;
        let gateway_listen = address(
            self.gateway_listen,
            &file.gateway_listen,
            "gateway-listen",
            DEFAULT_GATEWAY_LISTEN,
        )?;
        Ok(Settings {
            database_url: self.store.resolve(&file),
            data_dir: self.store.data_dir(&file),
            management_listen,
            gateway_listen,
            role: self.role.or(file.role).unwrap_or(Role::All),
            gateway_tls: match (
                self.gateway_tls_cert.clone().or(file.gateway_tls_cert),
                self.gateway_tls_key.clone().or(file.gateway_tls_key),
            ) {
                (Some(cert), Some(key)) => Some((cert, key)),
                (None, None) => None,
                _ => {
                    return Err(
                        "give both --gateway-tls-cert and --gateway-tls-key, or neither".to_owned(),
                    );
                }
            },
            records_retention: retention(
                self.records_retention
                    .as_deref()
                    .or(file.records_retention.as_deref())
                    .unwrap_or(DEFAULT_RECORDS_RETENTION),
            )?,
            audit_retention: retention(
                self.audit_retention
                    .as_deref()
                    .or(file.audit_retention.as_deref())
                    .unwrap_or(DEFAULT_AUDIT_RETENTION),
            )?,
            oauth: tollgate_mgmt::OAuthSettings {
                production: self.production
                    || file.production.unwrap_or(false)
                    || std::env::var("TOLLGATE_ENV").is_ok_and(|env| env == "production"),
                redirects: if self.oauth_redirects.is_empty() {
                    file.oauth_redirects
                        .unwrap_or_default()
                        .iter()
                        .map(|r| r.parse())
                        .collect::<Result<_, _>>()?
                } else {
                    self.oauth_redirects.clone()
                },
            },
            trace_any_subscription: self.trace_any_subscription
                || file.trace_any_subscription.unwrap_or(false),
            redis_url: self.redis_url.clone().or(file.redis_url),
            redis_fail_open: self
                .redis_unavailable
                .or(file.redis_unavailable)
                .unwrap_or(Unavailable::Open)
                == Unavailable::Open,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(data_dir: Option<&str>, url: Option<&str>) -> StoreArgs {
        StoreArgs {
            config: None,
            data_dir: data_dir.map(PathBuf::from),
            database_url: url.map(str::to_owned),
            no_samples: false,
        }
    }

    #[test]
    fn layering_prefers_options_over_file_over_defaults() {
        let empty = FileConfig::default();
        assert_eq!(
            args(None, None).resolve(&empty),
            "sqlite://./tollgate-data/tollgate.db"
        );
        let file = FileConfig {
            data_dir: Some("/srv/t".into()),
            ..FileConfig::default()
        };
        assert_eq!(
            args(None, None).resolve(&file),
            "sqlite:///srv/t/tollgate.db"
        );
        assert_eq!(
            args(Some("/x"), None).resolve(&file),
            "sqlite:///x/tollgate.db"
        );
        assert_eq!(
            args(Some("/x"), Some("postgres://h/db")).resolve(&file),
            "postgres://h/db"
        );
    }

    #[test]
    fn retention_takes_a_number_and_a_unit() {
        assert_eq!(retention("30d").unwrap().as_secs(), 30 * 86_400);
        assert_eq!(retention("12h").unwrap().as_secs(), 12 * 3_600);
        assert_eq!(retention("90m").unwrap().as_secs(), 90 * 60);
        for bad in ["", "d", "30", "0d", "1w", "-1d", "x1h"] {
            assert!(retention(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn file_refuses_unknown_keys() {
        assert!(toml::from_str::<FileConfig>("data-dir = \"/x\"").is_ok());
        let err = toml::from_str::<FileConfig>("datadir = \"/x\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("datadir"), "{err}");
    }
}
