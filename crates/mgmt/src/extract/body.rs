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
        let limit = state.body_limit();
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|err| {
                if err.into_inner().is::<http_body_util::LengthLimitError>() {
                    Failure(ApiError::new(
                        ErrorCode::RequestTooLarge,
                        format!("The request body is larger than the limit of {limit} bytes."),
                    ))
                } else {
                    Failure(ApiError::invalid_field(
                        "body",
                        "Unreadable",
                        "the request body could not be read",
                    ))
                }
            })?;
        Ok(Body { media_type, bytes })
    }
}

/// Whether a media type is JSON.
pub fn is_json(media_type: &str) -> bool {
    media_type == "application/json" || media_type == "text/json" || media_type.ends_with("+json")
}

impl FromRequest<AppState> for JsonBody {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let body = Body::from_request(req, state).await?;
        match body.media_type.as_deref() {
            None => Ok(JsonBody(body.bytes)),
            Some(t) if is_json(t) => Ok(JsonBody(body.bytes)),
            Some(other) => Err(Failure(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                format!("Content-Type '{other}' is not supported here; send application/json."),
            ))),
        }
    }
}
