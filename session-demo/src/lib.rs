//! The demo app: the views of the classic Django session tutorials (`../shared/seeds`),
//! served by axum through [`session_middleware::SessionLayer`] over any engine, and an index
//! page (`/`) that shows the session, with `POST /login` (stores `_auth_user_id`, cycles
//! the key) and `POST /logout` (flushes).

pub mod html;
pub mod metrics;
pub mod users;
pub mod views;

use axum::routing::{get, post};
use axum::{Extension, Router};
use session_core::SessionManager;
use session_middleware::SessionLayer;

/// The demo's routes over `sessions`; a configuration error if its settings are unusable.
/// The index page names the engine "custom"; see [`app_on`].
pub fn app(sessions: SessionManager) -> session_core::Result<Router> {
    app_on(sessions, "custom")
}

/// The demo's routes over `sessions`, whose engine the index page calls `engine`.
/// `/metrics` (Prometheus) is outside the session layer.
pub fn app_on(sessions: SessionManager, engine: &str) -> session_core::Result<Router> {
    let pages = Router::new()
        .route("/", get(views::index))
        .route("/login", post(views::login).get(users::login))
        .route("/logout-others", get(users::logout_others))
        .route("/logout", post(views::logout))
        .route("/visit", get(views::visit))
        .route("/create", get(views::create))
        .route("/access", get(views::access))
        .route("/delete", get(views::delete))
        .route("/flush", get(views::flush))
        .route("/testcookie", get(views::test_cookie))
        .route("/deletecookie", get(views::delete_cookie))
        .route("/expiry", get(views::set_expiry))
        .route("/fail", get(views::fail))
        .route("/interrupted", get(views::interrupted))
        .layer(Extension(sessions.clone()))
        .layer(Extension(views::EngineName(engine.to_owned())))
        .layer(SessionLayer::new(sessions)?);
    Ok(pages.merge(metrics::routes()))
}
