//! The command line: `tollgate token`, options, configuration files.

use crate::common::{Engine, KEY, SECONDARY_KEY, Server, V17, signature};
use std::process::Command;

fn tollgate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .env("TOLLGATE_PRIMARY_KEY", KEY)
        .env("TOLLGATE_SECONDARY_KEY", SECONDARY_KEY)
        .output()
        .unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .trim()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_prints_headers_that_the_server_accepts() {
    let s = Server::start(Engine::Sqlite).await;
    let db = s.database_url.clone();
    for key in ["primary", "secondary"] {
        let header = stdout(&tollgate(&[
            "token",
            "--database-url",
            &db,
            "--key",
            key,
            "--expires-in",
            "10m",
        ]));
        let r = s
            .send(
                "GET",
                &format!("/properties?{V17}"),
                None,
                &[("Authorization", &header)],
            )
            .await;
        assert_eq!(r.status, 200, "{key}: {header}");
    }
    let header = stdout(&tollgate(&[
        "token",
        "--database-url",
        &db,
        "--expiry",
        "2030-01-01T00:00:00Z",
    ]));
    let sn = signature("integration", "2030-01-01T00:00:00.0000000Z", KEY);
    assert_eq!(
        header,
        format!("SharedAccessSignature uid=integration&ex=2030-01-01T00:00:00.0000000Z&sn={sn}")
    );
}

#[test]
fn bad_options_are_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    for args in [
        vec!["serve", "--no-such-option"],
        vec![
            "serve",
            "--data-dir",
            data,
            "--management-listen",
            "not-an-address",
        ],
        vec!["token", "--data-dir", data, "--expires-in", "forever"],
        vec![
            "token",
            "--data-dir",
            data,
            "--expiry",
            "2001-01-01T00:00:00Z",
        ],
        vec!["serve", "--database-url", "mysql://nope"],
        vec!["frobnicate"],
    ] {
        let out = tollgate(&args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(!out.stderr.is_empty(), "{args:?} printed no message");
    }
}

#[test]
fn config_files_are_read_and_unknown_keys_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tollgate.toml");
    std::fs::write(
        &config,
        format!("data-dir = \"{}\"\n", dir.path().join("data").display()),
    )
    .unwrap();
    let out = tollgate(&["token", "--config", config.to_str().unwrap()]);
    assert!(stdout(&out).starts_with("SharedAccessSignature uid=integration&ex="));
    assert!(
        dir.path().join("data").join("tollgate.db").exists(),
        "the data dir comes from the file"
    );
    std::fs::write(&config, "datadir = \"/tmp/x\"\n").unwrap();
    let out = tollgate(&["token", "--config", config.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("datadir"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_server_per_sqlite_file() {
    let s = Server::start(Engine::Sqlite).await;
    let out = tollgate(&[
        "serve",
        "--database-url",
        &s.database_url,
        "--management-listen",
        "127.0.0.1:0",
    ]);
    assert!(
        !out.status.success(),
        "a second server on the same SQLite file must refuse to start"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("another `tollgate serve`"));
    // `tollgate token` still works beside the running server.
    assert!(
        stdout(&tollgate(&["token", "--database-url", &s.database_url]))
            .starts_with("SharedAccessSignature")
    );
}
