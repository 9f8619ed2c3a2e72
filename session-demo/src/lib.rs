//! The demo app: the views of the classic Django session tutorials (`../shared/seeds`),
//! served by axum through [`session_middleware::SessionLayer`] over any engine.

pub mod metrics;
pub mod users;
pub mod views;

use axum::routing::get;
use axum::{Extension, Router};
use session_core::SessionManager;
use session_middleware::SessionLayer;

/// The demo's routes over `sessions`; a configuration error if its settings are unusable.
/// `/metrics` (Prometheus) is outside the session layer.
pub fn app(sessions: SessionManager) -> session_core::Result<Router> {
    let pages = Router::new()
        .route("/", get(views::index))
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
        .merge(users::routes())
        .layer(Extension(sessions.clone()))
        .layer(SessionLayer::new(sessions)?);
    Ok(pages.merge(metrics::routes()))
}
