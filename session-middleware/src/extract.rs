//! The axum extractor.

use axum::extract::FromRequestParts;
use http::StatusCode;
use http::request::Parts;

/// The request's session, as an axum extractor. Dereferences to
/// [`session_core::Session`], so handlers use the whole `request.session` API on it.
///
/// ```
/// use session_middleware::{Session, SessionError};
///
/// async fn visit(session: Session) -> Result<String, SessionError> {
///     let count: u64 = session.get("visits").await?.unwrap_or(0) + 1;
///     session.insert("visits", count).await?;
///     Ok(format!("Visit count:{count}"))
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Session(pub session_core::Session);

impl std::ops::Deref for Session {
    type Target = session_core::Session;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<session_core::Session>()
            .cloned()
            .map(Session)
            .ok_or((
                StatusCode::INTERNAL_SERVER_ERROR,
                "SessionLayer is not installed on this route",
            ))
    }
}
