//! Each example's app, driven as its header says (without binding a port).

#[path = "../counter.rs"]
mod counter;
#[path = "../from_env.rs"]
mod from_env;
#[path = "../login.rs"]
mod login;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// GETs `uri` with `cookie`; returns the body and the session cookie the response set.
async fn get(app: &Router, uri: &str, cookie: Option<&str>) -> (String, Option<String>) {
    let mut request = Request::get(uri);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, format!("sessionid={cookie}"));
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let set = response
        .headers()
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let cookie = set.map(|set| {
        let pair = set.split(';').next().unwrap();
        pair.trim_start_matches("sessionid=").to_owned()
    });
    (String::from_utf8(body.to_vec()).unwrap(), cookie)
}

#[tokio::test]
async fn counter_counts_per_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("sessions.sqlite3").display()
    );
    let app = counter::app(&url, "example-secret").await.unwrap();
    let (body, cookie) = get(&app, "/", None).await;
    assert_eq!(body, "Visits: 1\n");
    let cookie = cookie.expect("a session cookie");
    assert_eq!(get(&app, "/", Some(&cookie)).await.0, "Visits: 2\n");
    assert_eq!(get(&app, "/", Some(&cookie)).await.0, "Visits: 3\n");
    assert_eq!(
        get(&app, "/", None).await.0,
        "Visits: 1\n",
        "another browser"
    );
}

#[tokio::test]
async fn login_cycles_the_key_and_logout_flushes() {
    let app = login::app("example-secret").unwrap();
    let (_, first) = get(&app, "/login?user=ada", None).await;
    let first = first.expect("logging in sets a cookie");
    assert_eq!(get(&app, "/", Some(&first)).await.0, "Hello, ada\n");

    let (_, second) = get(&app, "/login?user=grace", Some(&first)).await;
    let second = second.expect("a new key on login");
    assert_ne!(first, second);
    assert_eq!(get(&app, "/", Some(&first)).await.0, "Not logged in\n");
    assert_eq!(get(&app, "/", Some(&second)).await.0, "Hello, grace\n");

    let (body, deleted) = get(&app, "/logout", Some(&second)).await;
    assert_eq!(body, "Logged out\n");
    assert_eq!(deleted.as_deref(), Some("\"\""), "the cookie is deleted");
    assert_eq!(get(&app, "/", Some(&second)).await.0, "Not logged in\n");
}

#[tokio::test]
async fn from_env_builds_the_engine_the_settings_name() {
    use clap::Parser;
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("s.sqlite3").display()
    );
    let cli = from_env::Cli::try_parse_from([
        "from-env",
        "--engine",
        "db",
        "--database-url",
        &url,
        "--secret-key",
        "example-secret",
    ])
    .unwrap();
    let app = from_env::app(&cli.config).await.unwrap();
    let (body, cookie) = get(&app, "/", None).await;
    assert_eq!(body, "Visits: 1\n");
    assert_eq!(get(&app, "/", cookie.as_deref()).await.0, "Visits: 2\n");
    assert!(
        dir.path().join("s.sqlite3").exists(),
        "the database the URL names"
    );
}
