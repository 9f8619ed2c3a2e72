//! The views of the classic Django session tutorials, one handler each.

use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use session_core::{Error, SessionManager, expiry};
use session_middleware::{Session, SessionError, cookie};

use crate::html::{escape, page};

type Page = Result<Html<String>, SessionError>;

/// The name of the engine in use, for the index page (`SESSION_ENGINE`'s value).
#[derive(Debug, Clone)]
pub struct EngineName(pub std::sync::Arc<str>);

/// The session key with its middle hidden: enough to tell sessions apart on screen, not
/// enough to use.
pub fn mask(key: &str) -> String {
    match (
        key.get(..4),
        key.len().checked_sub(4).and_then(|end| key.get(end..)),
    ) {
        (Some(start), Some(end)) if key.len() > 12 => format!("{start}...{end}"),
        _ => "****".to_owned(),
    }
}

fn seconds_left(left: Option<f64>, limit: Option<u64>) -> String {
    match (left, limit) {
        (_, None) => "off".to_owned(),
        (None, Some(limit)) => format!("{limit} s, from the session's first save"),
        (Some(left), Some(limit)) => format!("{:.0} s left of {limit} s", left.max(0.0)),
    }
}

/// `/`: what the session holds and how it is kept, and a button for every action.
pub async fn index(
    session: Session,
    State(sessions): State<SessionManager>,
    State(EngineName(engine)): State<EngineName>,
) -> Page {
    let settings = sessions.settings();
    let data = session.data().await?;
    let key = session.session_key();
    let now = sessions.context().now();
    let age = session.get_expiry_age().await?;
    let date = expiry::rfc3339(session.get_expiry_date().await?);
    let browser_close = session.get_expire_at_browser_close().await?;
    let timeouts = &settings.timeouts;
    let left = timeouts.remaining(&data, now);
    let masked = key.as_ref().map(|k| mask(k.as_str()));
    let lifetime = (!browser_close).then(|| cookie::Lifetime::from_now(now, age));
    let sent = cookie::set(settings, masked.as_deref().unwrap_or("..."), lifetime);
    let user: Option<String> = data
        .get(USER_KEY)
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned));
    let json = serde_json::to_string_pretty(&*data).unwrap_or_default();
    let key_text = match &masked {
        Some(masked) => format!("<code>{}</code>", escape(masked)),
        None => "<span class=\"muted\">none yet: nothing saved</span>".to_owned(),
    };
    let user_text = match &user {
        Some(user) => format!("<strong>{}</strong>", escape(user)),
        None => "<span class=\"muted\">nobody</span>".to_owned(),
    };
    let body = format!(
        "<h1>Sessions demo</h1>\
         <section class=\"card\"><h2>This session</h2><dl>\
         <dt>Key</dt><dd id=\"key\">{key_text}</dd>\
         <dt>Logged in as</dt><dd id=\"user\">{user_text}</dd>\
         <dt>Expiry age</dt><dd id=\"expiry-age\">{age} s</dd>\
         <dt>Expiry date</dt><dd id=\"expiry-date\">{date}</dd>\
         <dt>Expires at browser close</dt><dd id=\"browser-close\">{browser_close}</dd>\
         <dt>Idle timeout</dt><dd id=\"idle-timeout\">{idle}</dd>\
         <dt>Absolute timeout</dt><dd id=\"absolute-timeout\">{absolute}</dd>\
         <dt>Engine</dt><dd id=\"engine\"><code>{engine}</code></dd>\
         <dt>Cookie sent</dt><dd id=\"cookie\"><code>{sent}</code></dd>\
         </dl><h2 style=\"margin-top:1rem\">Data</h2><pre id=\"data\">{json}</pre></section>\
         <section class=\"card\"><h2>Log in and out</h2><div class=\"actions\">\
         <form id=\"login\" method=\"post\" action=\"/login\">\
         <input name=\"user\" value=\"ada\" aria-label=\"user id\"><button>Log in</button></form>\
         <form id=\"logout\" method=\"post\" action=\"/logout\"><button class=\"quiet\">Log out</button></form>\
         <form id=\"logout-others\" method=\"get\" action=\"/logout-others\"><button class=\"quiet\">Log out my other devices</button></form>\
         </div></section>\
         <section class=\"card\"><h2>The tutorials' views</h2><div class=\"actions\">{actions}\
         <form id=\"expiry\" method=\"get\" action=\"/expiry\">\
         <input name=\"seconds\" type=\"number\" value=\"300\" aria-label=\"seconds\">\
         <button class=\"quiet\">Set expiry</button></form></div></section>",
        idle = seconds_left(left.idle, timeouts.expire_seconds),
        absolute = seconds_left(left.absolute, timeouts.absolute_timeout),
        engine = escape(&engine),
        sent = escape(sent.to_str().unwrap_or_default()),
        json = escape(&json),
        actions = ACTIONS
            .iter()
            .map(|(path, label)| format!(
                "<form method=\"get\" action=\"/{path}\"><button id=\"{path}\" class=\"quiet\">{label}</button></form>"
            ))
            .collect::<String>(),
    );
    Ok(page("Sessions demo", &body))
}

/// The tutorials' views the index has a button for: path and label.
const ACTIONS: [(&str, &str); 7] = [
    ("visit", "Visit"),
    ("create", "Create"),
    ("access", "Access"),
    ("delete", "Delete"),
    ("flush", "Flush"),
    ("testcookie", "Set test cookie"),
    ("deletecookie", "Check test cookie"),
];

/// Where `/login` keeps the user id (Django's `auth` key).
pub const USER_KEY: &str = "_auth_user_id";

/// The `/login` form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    user: String,
}

/// `POST /login`: stores the user id, then cycles the key (against session fixation; the
/// timeouts restart), and goes back to `/`.
pub async fn login(
    session: Session,
    Form(form): Form<LoginForm>,
) -> Result<Response, SessionError> {
    let user = form.user.trim();
    if user.is_empty() {
        let body = page("Log in", "<p>A user id is needed to log in.</p>");
        return Ok((StatusCode::BAD_REQUEST, body).into_response());
    }
    // Through the per-user index where the engine keeps one (so "log out my other
    // devices" finds this session); a plain login (Django's) where it does not, or where
    // the id is not one the index takes.
    match session.login(user).await {
        Ok(()) => {}
        Err(session_core::Error::Configuration(_)) => {
            session.insert(USER_KEY, user).await?;
            session.cycle_key().await?;
        }
        Err(error) => return Err(error.into()),
    }
    Ok(Redirect::to("/").into_response())
}

/// `POST /logout`: deletes the session and its cookie (Django's `logout` flushes), and goes
/// back to `/`.
pub async fn logout(session: Session) -> Result<Redirect, SessionError> {
    session.flush().await?;
    Ok(Redirect::to("/"))
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
pub async fn interrupted(session: Session, State(sessions): State<SessionManager>) -> Page {
    session.insert("visit", -1).await?;
    if let Some(key) = session.session_key() {
        sessions.session(Some(key.as_str())).flush().await?;
    }
    Ok(page("Interrupted", "<p>You should not see this page</p>"))
}
