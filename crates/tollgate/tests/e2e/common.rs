//! The test server and client. SAS tokens are computed here from REFERENCE §2.2, independently
//! of Tollgate's own code.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Duration, Timelike, Utc};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

/// The primary key every test server is created with.
pub const KEY: &str = "e2e-primary-key-0123456789abcdef";
/// The secondary key.
pub const SECONDARY_KEY: &str = "e2e-secondary-key-fedcba9876543210";
/// The query of the newest api-version.
pub const V17: &str = "api-version=2017-03-01";

/// Which store a test server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Generates `mod name { sqlite, postgres }` tests that run `name(Engine)` on each engine.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { super::$name($crate::common::Engine::Sqlite).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() { super::$name($crate::common::Engine::Postgres).await }
        }
    )*};
}

/// A running `tollgate serve`.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`: the management API.
    pub base: String,
    /// `http://127.0.0.1:PORT`: the gateway.
    pub gateway: String,
    /// The data directory (kept for the server's lifetime).
    pub data: tempfile::TempDir,
    /// The database URL the server uses.
    pub database_url: String,
    client: reqwest::Client,
    /// Whether a new store gets the samples.
    samples: bool,
    /// More `serve` options.
    extra_args: Vec<String>,
    /// The log filter (`TOLLGATE_LOG`).
    log_filter: String,
}

/// A response, fully read.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    /// The body as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    /// The ETag header (panics when absent).
    pub fn etag(&self) -> String {
        self.header("etag")
            .unwrap_or_else(|| panic!("no ETag in {self:?}"))
    }

    /// The error code of a contract error body.
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {:?}", self.text))
            .to_owned()
    }

    /// The `target` of every error detail.
    pub fn error_targets(&self) -> Vec<String> {
        let body = self.json();
        body["error"]["details"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter_map(|x| x["target"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The expiry in round-trip form with seven fractional digits.
pub fn round_trip(expiry: DateTime<Utc>) -> String {
    format!(
        "{}.{:07}Z",
        expiry.format("%Y-%m-%dT%H:%M:%S"),
        expiry.nanosecond() / 100
    )
}

/// `SharedAccessSignature uid=…&ex=…&sn=…` per REFERENCE §2.2.
pub fn sas(uid: &str, key: &str, expiry: DateTime<Utc>) -> String {
    let ex = round_trip(expiry);
    format!(
        "SharedAccessSignature uid={uid}&ex={ex}&sn={}",
        signature(uid, &ex, key)
    )
}

/// base64(HMAC-SHA512(utf8(key), uid + "\n" + expiry)).
pub fn signature(uid: &str, expiry_text: &str, key: &str) -> String {
    let mut mac = Hmac::<sha2::Sha512>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(format!("{uid}\n{expiry_text}").as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

/// A valid token for the test key, for one hour.
pub fn token() -> String {
    sas("integration", KEY, Utc::now() + Duration::hours(1))
}

impl Server {
    /// Starts a server on a fresh store of the given engine, without the samples.
    pub async fn start(engine: Engine) -> Server {
        Server::start_new(engine, false).await
    }

    /// Starts a server on a fresh store of the given engine, with the samples a new instance gets.
    pub async fn start_with_samples(engine: Engine) -> Server {
        Server::start_new(engine, true).await
    }

    /// Starts a server on a fresh store of the given engine, logging with `filter`
    /// (`TOLLGATE_LOG`).
    pub async fn start_with_log(engine: Engine, filter: &str) -> Server {
        Server::start_new_logged(engine, false, filter).await
    }

    async fn start_new(engine: Engine, samples: bool) -> Server {
        Server::start_new_logged(engine, samples, "info").await
    }

    async fn start_new_logged(engine: Engine, samples: bool, log_filter: &str) -> Server {
        let data = tempfile::tempdir().unwrap();
        let database_url = match engine {
            Engine::Sqlite => format!("sqlite://{}/tollgate.db", data.path().display()),
            Engine::Postgres => tollgate_store::testing::fresh_postgres_database().await,
        };
        let mut server = Server {
            child: None,
            base: String::new(),
            gateway: String::new(),
            data,
            database_url,
            client: reqwest::Client::new(),
            samples,
            extra_args: Vec::new(),
            log_filter: log_filter.to_owned(),
        };
        server.spawn();
        server
    }

    /// Starts a server on a fresh SQLite store with more `serve` options.
    pub async fn start_with_options(options: &[&str]) -> Server {
        Server::start_on(Engine::Sqlite, options).await
    }

    /// Starts a server on a fresh store of the given engine with more `serve` options.
    pub async fn start_on(engine: Engine, options: &[&str]) -> Server {
        let data = tempfile::tempdir().unwrap();
        let database_url = match engine {
            Engine::Sqlite => format!("sqlite://{}/tollgate.db", data.path().display()),
            Engine::Postgres => tollgate_store::testing::fresh_postgres_database().await,
        };
        let mut server = Server {
            child: None,
            base: String::new(),
            gateway: String::new(),
            data,
            database_url,
            client: reqwest::Client::new(),
            samples: false,
            extra_args: options.iter().map(|o| (*o).to_owned()).collect(),
            log_filter: "info".to_owned(),
        };
        server.spawn();
        server
    }

    /// Starts a second node on this server's PostgreSQL database, with its own data directory.
    pub fn second_node(&self) -> Server {
        self.second_node_with(&[])
    }

    /// As [`Server::second_node`], with more `serve` options. A node with `--role gateway` has
    /// its operations endpoints at `base`.
    pub fn second_node_with(&self, options: &[&str]) -> Server {
        assert!(
            self.database_url.starts_with("postgres"),
            "one SQLite file has one node"
        );
        let mut node = Server {
            child: None,
            base: String::new(),
            gateway: String::new(),
            data: tempfile::tempdir().unwrap(),
            database_url: self.database_url.clone(),
            client: reqwest::Client::new(),
            samples: self.samples,
            extra_args: self.extra_args.clone(),
            log_filter: self.log_filter.clone(),
        };
        node.extra_args
            .extend(options.iter().map(|o| (*o).to_owned()));
        node.spawn();
        node
    }

    /// Starts (again) the process on this server's store.
    pub fn spawn(&mut self) {
        let stderr = std::fs::File::create(self.data.path().join("stderr.log")).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args([
                "serve",
                "--management-listen",
                "127.0.0.1:0",
                "--gateway-listen",
                "127.0.0.1:0",
                "--database-url",
                &self.database_url,
            ])
            .arg("--data-dir")
            .arg(self.data.path())
            .args((!self.samples).then_some("--no-samples"))
            .args(&self.extra_args)
            .env("TOLLGATE_PRIMARY_KEY", KEY)
            .env("TOLLGATE_SECONDARY_KEY", SECONDARY_KEY)
            .env("TOLLGATE_LOG", &self.log_filter)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start tollgate");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            // The banner: the management API's (or operations endpoints') URL, then the gateway's.
            let mut banner = String::new();
            for _ in 0..2 {
                let _ = reader.read_line(&mut banner);
            }
            let _ = tx.send(banner);
            // Keep draining, so that the server never writes to a closed pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let banner = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .unwrap_or_default();
        let url = |prefix: &str| {
            banner
                .lines()
                .find_map(|line| line.strip_prefix(prefix))
                .map(|u| u.trim().trim_end_matches('/').to_owned())
        };
        let management = url("Tollgate management API: ")
            .or_else(|| url("Tollgate operations (health, ready, metrics): "));
        match (management, url("Tollgate gateway: ")) {
            (Some(base), Some(gateway)) => {
                self.base = base;
                self.gateway = gateway;
            }
            _ => {
                let _ = child.kill();
                let log = std::fs::read_to_string(self.data.path().join("stderr.log"))
                    .unwrap_or_default();
                panic!("tollgate did not start; stdout {banner:?}; stderr:\n{log}");
            }
        }
        self.child = Some(child);
    }

    /// Kills the process with SIGKILL: no chance to clean up.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Sends SIGTERM and waits for the process to exit; returns whether it exited successfully.
    pub fn terminate(&mut self) -> bool {
        let mut child = self.child.take().expect("running");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        child.wait().unwrap().success()
    }

    /// The server process's peak resident memory (`VmHWM`), in MiB.
    pub fn peak_memory_mib(&self) -> u64 {
        let pid = self.child.as_ref().expect("running").id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        kib / 1024
    }

    /// The server's stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.path().join("stderr.log")).unwrap_or_default()
    }

    /// Sends a request with the given headers (an `Authorization` with a valid token is added
    /// unless one is given; pass `("Authorization", "")` to send none).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        {
            request = request.header("Authorization", token());
        }
        for (name, value) in headers {
            if !value.is_empty() {
                request = request.header(*name, *value);
            }
        }
        if let Some(body) = body {
            if !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                request = request.header("Content-Type", "application/json");
            }
            request = request.body(body.to_owned());
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        Reply {
            status,
            headers,
            text,
        }
    }

    /// `GET`.
    pub async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None, &[]).await
    }

    /// `PUT` of a JSON body.
    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send("PUT", path, Some(&body.to_string()), &[]).await
    }

    /// `PATCH` of a JSON body with `If-Match`.
    pub async fn patch(&self, path: &str, body: &Value, if_match: &str) -> Reply {
        self.send(
            "PATCH",
            path,
            Some(&body.to_string()),
            &[("If-Match", if_match)],
        )
        .await
    }

    /// `DELETE` with `If-Match`.
    pub async fn delete(&self, path: &str, if_match: &str) -> Reply {
        self.send("DELETE", path, None, &[("If-Match", if_match)])
            .await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters (for query values and paths).
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
