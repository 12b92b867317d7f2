//! A small Redis client for shared rate limits: RESP2 over TCP, a few pooled connections, one
//! command per call with a timeout. Only what the limits need (`EVALSHA`/`EVAL`, `AUTH`,
//! `SELECT`); replies are parsed in full, so a connection is always left at a message boundary.

use std::sync::Mutex;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How long connecting or one command may take.
const TIMEOUT: Duration = Duration::from_millis(500);
/// Connections kept idle.
const IDLE: usize = 8;
/// The largest reply accepted (replies here are a few integers).
const MAX_REPLY: usize = 1 << 20;

/// A reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`.
    Simple(String),
    /// `:42`.
    Int(i64),
    /// `$…` (`None`: the null bulk string).
    Bulk(Option<Vec<u8>>),
    /// `*…` (`None`: the null array).
    Array(Option<Vec<Reply>>),
    /// `-ERR …`: an error the server answered (the connection stays usable).
    Error(String),
}

/// Why a command did not get a reply.
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    /// Connecting, writing or reading failed, or took too long.
    #[error("Redis is unreachable: {0}")]
    Unreachable(String),
    /// The server's answer is not RESP.
    #[error("Redis answered something that is not RESP: {0}")]
    Protocol(String),
}

/// Where Redis is and how to log in.
#[derive(Debug)]
pub struct Redis {
    address: String,
    password: Option<String>,
    database: Option<u32>,
    idle: Mutex<Vec<BufReader<TcpStream>>>,
}

impl Redis {
    /// From `redis://[:password@]host[:port][/db]`.
    pub fn from_url(url: &str) -> Result<Redis, String> {
        let rest = url
            .strip_prefix("redis://")
            .ok_or_else(|| format!("'{url}' is not a redis:// URL"))?;
        let (auth, rest) = match rest.rsplit_once('@') {
            Some((auth, rest)) => (Some(auth), rest),
            None => (None, rest),
        };
        let password = auth
            .map(|a| a.split_once(':').map_or(a, |(_, p)| p).to_owned())
            .filter(|p| !p.is_empty());
        let (host, database) = match rest.split_once('/') {
            Some((host, db)) if !db.is_empty() => {
                let db = db
                    .parse()
                    .map_err(|_| format!("'{db}' is not a Redis database number"))?;
                (host, Some(db))
            }
            Some((host, _)) => (host, None),
            None => (rest, None),
        };
        if host.is_empty() {
            return Err(format!("'{url}' names no host"));
        }
        let address = if host.contains(':') {
            host.to_owned()
        } else {
            format!("{host}:6379")
        };
        Ok(Redis {
            address,
            password,
            database,
            idle: Mutex::new(Vec::new()),
        })
    }

    async fn connect(&self) -> Result<BufReader<TcpStream>, RedisError> {
        let stream = tokio::time::timeout(TIMEOUT, TcpStream::connect(&self.address))
            .await
            .map_err(|_| {
                RedisError::Unreachable(format!("connecting to {} timed out", self.address))
            })?
            .map_err(|e| RedisError::Unreachable(format!("{}: {e}", self.address)))?;
        stream.set_nodelay(true).ok();
        let mut conn = BufReader::new(stream);
        if let Some(password) = &self.password {
            expect_ok(exchange(&mut conn, &[b"AUTH", password.as_bytes()]).await?)?;
        }
        if let Some(db) = self.database {
            expect_ok(exchange(&mut conn, &[b"SELECT", db.to_string().as_bytes()]).await?)?;
        }
        Ok(conn)
    }

    /// Runs one command on a pooled connection (a new one when none is idle).
    pub async fn command(&self, args: &[&[u8]]) -> Result<Reply, RedisError> {
        let pooled = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => self.connect().await?,
        };
        let reply = tokio::time::timeout(TIMEOUT, exchange(&mut conn, args))
            .await
            .map_err(|_| RedisError::Unreachable("the command timed out".to_owned()))??;
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < IDLE {
            idle.push(conn);
        }
        Ok(reply)
    }
}

fn expect_ok(reply: Reply) -> Result<(), RedisError> {
    match reply {
        Reply::Simple(_) => Ok(()),
        Reply::Error(e) => Err(RedisError::Unreachable(format!(
            "Redis refused the login: {e}"
        ))),
        other => Err(RedisError::Protocol(format!("{other:?}"))),
    }
}

/// Writes a command and reads its reply.
async fn exchange(conn: &mut BufReader<TcpStream>, args: &[&[u8]]) -> Result<Reply, RedisError> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    conn.get_mut()
        .write_all(&out)
        .await
        .map_err(|e| RedisError::Unreachable(e.to_string()))?;
    read_reply(conn, 0).await
}

async fn line(conn: &mut BufReader<TcpStream>) -> Result<String, RedisError> {
    let mut buf = Vec::new();
    let n = (&mut *conn)
        .take(MAX_REPLY as u64)
        .read_until(b'\n', &mut buf)
        .await
        .map_err(|e| RedisError::Unreachable(e.to_string()))?;
    if n == 0 {
        return Err(RedisError::Unreachable("the connection closed".to_owned()));
    }
    let text = String::from_utf8(buf).map_err(|e| RedisError::Protocol(e.to_string()))?;
    text.strip_suffix("\r\n")
        .map(str::to_owned)
        .ok_or_else(|| RedisError::Protocol("a line without CRLF".to_owned()))
}

fn length(text: &str) -> Result<i64, RedisError> {
    text.parse()
        .map_err(|_| RedisError::Protocol(format!("'{text}' is not a length")))
}

fn read_reply<'a>(
    conn: &'a mut BufReader<TcpStream>,
    depth: usize,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Reply, RedisError>> + Send + 'a>> {
    Box::pin(async move {
        if depth > 8 {
            return Err(RedisError::Protocol("replies nested too deeply".to_owned()));
        }
        let head = line(conn).await?;
        let (kind, rest) = head.split_at(head.len().min(1));
        Ok(match kind {
            "+" => Reply::Simple(rest.to_owned()),
            "-" => Reply::Error(rest.to_owned()),
            ":" => Reply::Int(length(rest)?),
            "$" => match length(rest)? {
                -1 => Reply::Bulk(None),
                n if n < 0 || n as usize > MAX_REPLY => {
                    return Err(RedisError::Protocol(format!("bulk length {n}")));
                }
                n => {
                    let mut data = vec![0; n as usize + 2];
                    conn.read_exact(&mut data)
                        .await
                        .map_err(|e| RedisError::Unreachable(e.to_string()))?;
                    data.truncate(n as usize);
                    Reply::Bulk(Some(data))
                }
            },
            "*" => match length(rest)? {
                -1 => Reply::Array(None),
                n if !(0..=1024).contains(&n) => {
                    return Err(RedisError::Protocol(format!("array length {n}")));
                }
                n => {
                    let mut items = Vec::with_capacity(n as usize);
                    for _ in 0..n {
                        items.push(read_reply(conn, depth + 1).await?);
                    }
                    Reply::Array(Some(items))
                }
            },
            _ => return Err(RedisError::Protocol(format!("unknown reply '{head}'"))),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_host_port_password_and_database() {
        let r = Redis::from_url("redis://:s3cret@cache.local:6380/2").unwrap();
        assert_eq!(
            (r.address.as_str(), r.password.as_deref(), r.database),
            ("cache.local:6380", Some("s3cret"), Some(2))
        );
        let r = Redis::from_url("redis://127.0.0.1").unwrap();
        assert_eq!(
            (r.address.as_str(), r.password, r.database),
            ("127.0.0.1:6379", None, None)
        );
        assert!(Redis::from_url("http://x").is_err());
        assert!(Redis::from_url("redis:///0").is_err());
    }
}
