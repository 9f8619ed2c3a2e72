//! "Log out my other devices": `GET /login?user=ID` (logs in through the per-user index)
//! and `GET /logout-others`.

use axum::extract::Query;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use session_core::users::{USER_ID_KEY, check_user_id};
use session_core::{Error, SessionManager};
use session_middleware::{Session, SessionError};

fn page(body: String) -> Html<String> {
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sessions demo</title></head>\
         <body>{body}<p><a href=\"/\">home</a></p></body></html>"
    ))
}

/// An engine without a per-user index says so (501), a bad user id is the client's (400).
fn refused(error: Error) -> Response {
    match error {
        Error::Configuration(message) => (StatusCode::BAD_REQUEST, message).into_response(),
        other => SessionError(other).into_response(),
    }
}

/// `?user=ID`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    user: String,
}

/// `GET /login?user=ID`: logs this browser in as `ID` (a demo: no password).
pub async fn login(session: Session, Query(query): Query<LoginQuery>) -> Response {
    if let Err(error) = check_user_id(&query.user) {
        return refused(error);
    }
    match session.login(&query.user).await {
        // The id passed the check: only [A-Za-z0-9_.@:+-], nothing to escape.
        Ok(()) => page(format!("<p>Logged in as {}.</p>", query.user)).into_response(),
        Err(error) => refused(error),
    }
}

/// `GET /logout-others`: ends every other session of the user logged in here.
pub async fn logout_others(session: Session, State(sessions): State<SessionManager>) -> Response {
    let user = match session.get::<String>(USER_ID_KEY).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            return (
                StatusCode::FORBIDDEN,
                "Not logged in: /login?user=ID first.",
            )
                .into_response();
        }
        Err(error) => return SessionError(error).into_response(),
    };
    match sessions
        .end_user_sessions(&user, session.session_key().as_ref())
        .await
    {
        Ok(ended) => page(format!("<p>Logged out {ended} other session(s).</p>")).into_response(),
        Err(error) => refused(error),
    }
}
