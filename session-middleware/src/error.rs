//! [`SessionError`]: session errors as axum responses.

use axum::response::{IntoResponse, Response};
use http::StatusCode;

/// A [`session_core::Error`] that a handler can return: `?` converts into it.
/// A session deleted by a concurrent request is 400 (Django's `SessionInterrupted`), one
/// changed by a concurrent request under `SESSION_CONFLICTS=detect` 409, anything else 500;
/// the details go to the log, not to the client.
#[derive(Debug)]
pub struct SessionError(pub session_core::Error);

impl From<session_core::Error> for SessionError {
    fn from(error: session_core::Error) -> Self {
        SessionError(error)
    }
}

impl IntoResponse for SessionError {
    fn into_response(self) -> Response {
        match self.0 {
            session_core::Error::SessionDeleted => {
                tracing::warn!(target: "session_middleware", "{}", self.0);
                (StatusCode::BAD_REQUEST, "The session was interrupted.").into_response()
            }
            session_core::Error::Conflict => {
                tracing::info!(target: "session_middleware", "{}", self.0);
                (
                    StatusCode::CONFLICT,
                    "The session was changed by a concurrent request.",
                )
                    .into_response()
            }
            error => {
                tracing::error!(target: "session_middleware", %error, "session error in a handler");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}
