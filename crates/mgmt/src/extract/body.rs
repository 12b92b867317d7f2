//! Request bodies: read with a size limit (413), typed by `Content-Type` (415).

use crate::error::Failure;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use tollgate_contract::{ApiError, ErrorCode};

/// A body of any media type, with its `Content-Type` essence (lowercase, no parameters).
pub struct Body {
    /// The media type, e.g. `application/json`; `None` when the header is absent.
    pub media_type: Option<String>,
    /// The bytes.
    pub bytes: Bytes,
}

/// A JSON body: `application/json` (or `+json`), or no `Content-Type` at all.
pub struct JsonBody(pub Bytes);

impl FromRequest<AppState> for Body {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let media_type = req.headers().get(CONTENT_TYPE).map(|v| {
            v.to_str()
                .unwrap_or("")
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
        let bytes = read_limited(req.into_body(), state.body_limit()).await?;
        Ok(Body { media_type, bytes })
    }
}

/// Bodies up to this many times the limit are read to the end before the 413, so that the
/// client finishes sending and reads the answer; beyond it the connection is simply closed.
const DRAIN_FACTOR: usize = 4;

/// Reads a body of at most `limit` bytes: 413 beyond it.
async fn read_limited(mut body: axum::body::Body, limit: usize) -> Result<Bytes, Failure> {
    use http_body_util::BodyExt;
    let mut bytes = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| {
            Failure(ApiError::invalid_field(
                "body",
                "Unreadable",
                "the request body could not be read",
            ))
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen <= limit {
            bytes.extend_from_slice(&data);
        } else if seen > limit.saturating_mul(DRAIN_FACTOR) {
            break;
        }
    }
    if seen > limit {
        return Err(Failure(ApiError::new(
            ErrorCode::RequestTooLarge,
            format!("The request body is larger than the limit of {limit} bytes."),
        )));
    }
    Ok(Bytes::from(bytes))
}

impl Body {
    /// The body as JSON: `application/json` (or `+json`), or no `Content-Type`; else 415.
    pub fn into_json(self) -> Result<JsonBody, Failure> {
        match self.media_type.as_deref() {
            None => Ok(JsonBody(self.bytes)),
            Some(t) if is_json(t) => Ok(JsonBody(self.bytes)),
            Some(other) => Err(Failure(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                format!("Content-Type '{other}' is not supported here; send application/json."),
            ))),
        }
    }
}

/// Whether a media type is JSON.
pub fn is_json(media_type: &str) -> bool {
    media_type == "application/json" || media_type == "text/json" || media_type.ends_with("+json")
}

impl FromRequest<AppState> for JsonBody {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        Body::from_request(req, state).await?.into_json()
    }
}
