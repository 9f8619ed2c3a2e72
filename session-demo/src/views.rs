//! The views of the classic Django session tutorials, one handler each.

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use session_core::{Error, expiry};
use session_middleware::{Session, SessionError};

type Page = Result<Html<String>, SessionError>;

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body>{body}<p><a href=\"/\">home</a></p></body></html>"
    ))
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#x27;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// `/`: links to every view.
pub async fn index() -> Html<String> {
    let links = [
        "visit",
        "create",
        "access",
        "delete",
        "flush",
        "testcookie",
        "deletecookie",
        "expiry?seconds=300",
    ]
    .map(|p| format!("<li><a href=\"/{p}\">/{p}</a></li>"))
    .concat();
    page(
        "Sessions demo",
        &format!("<h1>Sessions demo</h1><ul>{links}</ul>"),
    )
}

/// `/visit`: the visit counter. With `SESSION_CONFLICTS=detect`, concurrent visits of one
/// session never lose an increment: [`Session::modify`] retries on fresh data.
pub async fn visit(session: Session) -> Page {
    let visit = session
        .modify(|data| {
            let visit = data.get("visit").and_then(|v| v.as_i64()).unwrap_or(0) + 1;
            data.insert("visit".into(), visit.into());
            visit
        })
        .await?;
    Ok(page("Visit", &format!("<p>Visit count:{visit}</p>")))
}

/// `/create`: stores the employee's name and email.
pub async fn create(session: Session) -> Page {
    session.insert("Emp_name", "Raghav").await?;
    session
        .insert("Emp_Email", "Raghav27@TechVidvan.com")
        .await?;
    Ok(page(
        "Create",
        "<h1>welcome to TechVidvan Employee Portal<br> The Session is Set</h1>",
    ))
}

/// `/access`: shows them, or sends the visitor to `/create`.
pub async fn access(session: Session) -> Result<Response, SessionError> {
    let name: Option<String> = session.get("Emp_name").await?;
    let email: Option<String> = session.get("Emp_Email").await?;
    match (name, email) {
        (Some(name), Some(email)) => Ok(page(
            "Access",
            &format!(
                "<h1>Session Data</h1>Emp_Name : {} <br>Emp_Email : {} <br>",
                escape(&name),
                escape(&email)
            ),
        )
        .into_response()),
        _ => Ok(Redirect::to("/create").into_response()),
    }
}

/// `/delete`: removes them.
pub async fn delete(session: Session) -> Page {
    session.pop_value("Emp_name").await?;
    session.pop_value("Emp_Email").await?;
    Ok(page(
        "Delete",
        "<h1>TechVidvan<br>Session Data cleared</h1>",
    ))
}

/// `/flush`: logs out: deletes the session and its cookie.
pub async fn flush(session: Session) -> Page {
    session.flush().await?;
    Ok(page("Flush", "<h1>Session flushed</h1>"))
}

/// `/testcookie`: the first half of the cookie check.
pub async fn test_cookie(session: Session) -> Page {
    session.set_test_cookie().await?;
    Ok(page(
        "Test cookie",
        "<h1>TechVidvan</h1><p>Test cookie set.</p>",
    ))
}

/// `/deletecookie`: the second half: did the browser send the cookie back?
pub async fn delete_cookie(session: Session) -> Page {
    if session.test_cookie_worked().await? {
        session.delete_test_cookie().await?;
        Ok(page(
            "Cookie check",
            "<p>TechVidvan<br> This is your newly created cookie: your browser accepts cookies</p>",
        ))
    } else {
        Ok(page(
            "Cookie check",
            "<p>TechVidvan <br> Sorry!! your browser does not accept cookies</p>",
        ))
    }
}

/// Query of `/expiry`.
#[derive(Debug, Deserialize)]
pub struct ExpiryQuery {
    seconds: Option<i64>,
}

/// `/expiry?seconds=N`: `set_expiry(N)` (0: until the browser closes; absent: the default),
/// then shows the expiry age and date. An expiry past year 9999 is the client's mistake: 400.
pub async fn set_expiry(
    session: Session,
    Query(query): Query<ExpiryQuery>,
) -> Result<Response, SessionError> {
    match session.set_expiry(query.seconds).await {
        Err(Error::InvalidExpiry(reason)) => {
            let body = page("Expiry", &format!("<p>{}</p>", escape(&reason)));
            return Ok((StatusCode::BAD_REQUEST, body).into_response());
        }
        other => other?,
    }
    let age = session.get_expiry_age().await?;
    let date = expiry::rfc3339(session.get_expiry_date().await?);
    let browser_close = session.get_expire_at_browser_close().await?;
    Ok(page(
        "Expiry",
        &format!(
            "<p>Expiry age:{age}</p><p>Expiry date:{date}</p><p>Expire at browser close:{browser_close}</p>"
        ),
    )
    .into_response())
}

/// `/fail`: changes the session, then fails with 500: the change is not saved.
pub async fn fail(session: Session) -> Result<(StatusCode, Html<String>), SessionError> {
    session.insert("failed", true).await?;
    Ok((
        StatusCode::INTERNAL_SERVER_ERROR,
        page("Error", "<p>Something broke</p>"),
    ))
}

/// `/interrupted`: changes the session while a "concurrent request" logs it out: the
/// middleware answers 400, and the logout wins.
pub async fn interrupted(
    session: Session,
    axum::Extension(sessions): axum::Extension<session_core::SessionManager>,
) -> Page {
    session.insert("visit", -1).await?;
    if let Some(key) = session.session_key() {
        sessions.session(Some(key.as_str())).flush().await?;
    }
    Ok(page("Interrupted", "<p>You should not see this page</p>"))
}
