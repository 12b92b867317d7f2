//! The server secret, under which secrets at rest (certificate key material) are sealed:
//! `TOLLGATE_SECRET` (the base64 of at least 32 random bytes, e.g. `openssl rand -base64 32`), or
//! else the file [`SECRET_FILE`] in the data directory, created on first start with 32 random
//! bytes in the same base64 form and mode 0600. The file's content is a valid `TOLLGATE_SECRET`,
//! so it can be handed to other nodes. An unreadable or malformed secret stops the server: it is
//! never replaced, since it may be the only key to what is sealed.

use std::io::Write;
use std::path::{Path, PathBuf};
use tollgate_auth::seal::ServerSecret;

/// The file name of the server secret in the data directory.
pub const SECRET_FILE: &str = "tollgate.secret";

/// Where the secret came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `TOLLGATE_SECRET`.
    Environment,
    /// The file, as it was.
    File(PathBuf),
    /// The file, created now.
    Created(PathBuf),
}

/// The secret from `env` (the value of `TOLLGATE_SECRET`; empty counts as unset) or from the
/// data directory's file, created when missing.
pub fn load(env: Option<String>, data_dir: &Path) -> Result<(ServerSecret, Source), String> {
    if let Some(text) = env.filter(|v| !v.trim().is_empty()) {
        let secret = ServerSecret::from_text(&text).map_err(|e| format!("TOLLGATE_SECRET {e}"))?;
        return Ok((secret, Source::Environment));
    }
    let path = data_dir.join(SECRET_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => read_existing(&path, &text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => create(data_dir, &path),
        Err(err) => Err(format!(
            "cannot read the server secret {}: {err}",
            path.display()
        )),
    }
}

fn read_existing(path: &Path, text: &str) -> Result<(ServerSecret, Source), String> {
    let secret = ServerSecret::from_text(text).map_err(|e| {
        format!(
            "the server secret {} {e}; restore it (it seals the stored certificates), or set TOLLGATE_SECRET",
            path.display()
        )
    })?;
    warn_if_readable_by_others(path);
    Ok((secret, Source::File(path.to_owned())))
}

fn create(data_dir: &Path, path: &Path) -> Result<(ServerSecret, Source), String> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let secret = ServerSecret::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = match options.open(path) {
        Ok(file) => file,
        // Another process created it meanwhile: use that one.
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the server secret {}: {e}", path.display()))?;
            return read_existing(path, &text);
        }
        Err(err) => {
            return Err(format!(
                "cannot create the server secret {}: {err}",
                path.display()
            ));
        }
    };
    writeln!(file, "{}", secret.to_text())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write the server secret {}: {e}", path.display()))?;
    Ok((secret, Source::Created(path.to_owned())))
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %path.display(),
            mode = format!("{:o}", meta.permissions().mode() & 0o777),
            "the server secret is readable by other users; chmod 600 it"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;
    use tollgate_auth::seal::Sealer;

    fn key_id(secret: &ServerSecret) -> String {
        Sealer::new(secret).key_id()
    }

    #[test]
    fn creates_the_file_once_and_reads_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (first, source) = load(None, &data).unwrap();
        let path = data.join(SECRET_FILE);
        assert_eq!(source, Source::Created(path.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(ServerSecret::from_text(&text).unwrap(), first);
        let (again, source) = load(Some(String::new()), &data).unwrap();
        assert_eq!(
            (key_id(&again), source),
            (key_id(&first), Source::File(path))
        );
        // The file's content works as TOLLGATE_SECRET.
        let (from_env, source) = load(Some(text), dir.path()).unwrap();
        assert_eq!(
            (key_id(&from_env), source),
            (key_id(&first), Source::Environment)
        );
    }

    #[test]
    fn refuses_bad_secrets_and_never_replaces_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = load(Some("short".into()), dir.path()).unwrap_err();
        assert!(err.starts_with("TOLLGATE_SECRET"), "{err}");
        let path = dir.path().join(SECRET_FILE);
        std::fs::write(&path, "garbage!\n").unwrap();
        let err = load(None, dir.path()).unwrap_err();
        assert!(err.contains(SECRET_FILE), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "garbage!\n");
    }
}
