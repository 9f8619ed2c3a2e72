//! The demo app: the views of the classic Django session tutorials (`../shared/seeds`),
//! served by axum through [`session_middleware::SessionLayer`] over any engine, and an index
//! page (`/`) that shows the session, with `POST /login` (stores `_auth_user_id`, cycles
//! the key) and `POST /logout` (flushes).

pub mod html;
pub mod metrics;
pub mod users;
pub mod views;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};
use session_core::SessionManager;
use session_middleware::SessionLayer;

/// The demo's routes over `sessions`; a configuration error if its settings are unusable.
/// The index page names the engine "custom"; see [`app_on`].
pub fn app(sessions: SessionManager) -> session_core::Result<Router> {
    app_on(sessions, "custom")
}

/// The demo's routes over `sessions`, whose engine the index page calls `engine`.
/// `/metrics` (Prometheus) and `/style.css` are outside the session layer.
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
        .layer(SessionLayer::new(sessions.clone())?)
        .with_state(Demo {
            sessions,
            engine: views::EngineName(engine.into()),
        });
    Ok(pages.merge(metrics::routes()).merge(html::routes()))
}

/// What the views extract as axum `State` (router state costs nothing per request, unlike
/// an `Extension` layer).
#[derive(Debug, Clone)]
struct Demo {
    sessions: SessionManager,
    engine: views::EngineName,
}

impl FromRef<Demo> for SessionManager {
    fn from_ref(demo: &Demo) -> Self {
        demo.sessions.clone()
    }
}

impl FromRef<Demo> for views::EngineName {
    fn from_ref(demo: &Demo) -> Self {
        demo.engine.clone()
    }
}
