//! Fetching a description document that an import names by link. Only `http` and `https`,
//! at most 16 MiB, 10 seconds and 5 redirects; any failure is a 400 saying where it broke.
//! (Only authenticated management callers can make Tollgate fetch, as in Azure.)

use std::sync::OnceLock;
use std::time::Duration;
use tollgate_contract::ApiError;
use tollgate_contract::validate::is_http_url;

/// The largest document fetched.
pub const MAX_DOCUMENT: usize = 16 * 1024 * 1024;
/// How long a fetch may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

fn client() -> Result<&'static reqwest::Client, ApiError> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client);
    }
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .map_err(|err| {
            tracing::error!(%err, "cannot build the HTTP client");
            ApiError::internal()
        })?;
    Ok(CLIENT.get_or_init(|| client))
}

/// Fetches the document at `url`; errors name `target` (the field that carried the link).
pub async fn fetch_document(url: &str, target: &str) -> Result<String, ApiError> {
    let fail = |message: String| ApiError::invalid_field(target, "Unreachable", message);
    if !is_http_url(url) {
        return Err(ApiError::invalid_field(
            target,
            "Url",
            format!("the link must be an absolute http or https URL, got '{url}'"),
        ));
    }
    let mut response = client()?.get(url).send().await.map_err(|err| {
        let why = if err.is_timeout() {
            format!("no answer within {} s", TIMEOUT.as_secs())
        } else {
            err.to_string()
        };
        fail(format!("GET {url} failed: {why}"))
    })?;
    if !response.status().is_success() {
        return Err(fail(format!("GET {url} answered {}", response.status())));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|err| fail(format!("reading {url} failed: {err}")))?
    {
        if bytes.len() + chunk.len() > MAX_DOCUMENT {
            return Err(fail(format!(
                "the document at {url} is larger than {MAX_DOCUMENT} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| fail(format!("the document at {url} is not UTF-8 text")))
}
