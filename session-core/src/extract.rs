//! The axum extractor (feature `axum`): handlers take the request's [`Session`] directly.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;

use crate::session::Session;

/// The session the session middleware put in the request's extensions.
///
/// ```
/// async fn visit(session: session_core::Session) -> Result<String, session_core::Error> {
///     let count: u64 = session.get("visits").await?.unwrap_or(0) + 1;
///     session.insert("visits", count).await?;
///     Ok(format!("Visit count:{count}"))
/// }
/// ```
impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Session>().cloned().ok_or((
            StatusCode::INTERNAL_SERVER_ERROR,
            "SessionLayer is not installed on this route",
        ))
    }
}
