//! "Log out my other devices" through the demo: two browsers log in as the same user, one
//! ends the other's session; on the db (SQLite), Redis and in-process engines.

use clap::Parser;
use reqwest::{Client, StatusCode};
use session_config::{Config, engine};

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    config: Config,
}

async fn serve(flags: &[&str]) -> std::net::SocketAddr {
    let args = ["demo", "--secret-key", "users-test-secret"]
        .into_iter()
        .chain(flags.iter().copied());
    let sessions = engine::manager(&Args::try_parse_from(args).unwrap().config)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = session_demo::app(sessions).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn browser() -> Client {
    Client::builder().cookie_store(true).build().unwrap()
}

async fn get(client: &Client, addr: std::net::SocketAddr, path: &str) -> (StatusCode, String) {
    let response = client
        .get(format!("http://{addr}{path}"))
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The visit counter of `client`'s session after one more visit.
async fn visits(client: &Client, addr: std::net::SocketAddr) -> String {
    get(client, addr, "/visit").await.1
}

async fn other_devices_are_logged_out(flags: &[&str]) {
    let addr = serve(flags).await;
    let user = format!("u{}", session_core::SessionKey::generate().as_str());
    let (laptop, phone, stranger) = (browser(), browser(), browser());
    assert!(
        get(&laptop, addr, &format!("/login?user={user}"))
            .await
            .1
            .contains("Logged in")
    );
    assert!(
        get(&phone, addr, &format!("/login?user={user}"))
            .await
            .1
            .contains("Logged in")
    );
    get(&stranger, addr, "/login?user=someone-else").await;
    for client in [&laptop, &phone, &stranger] {
        assert!(visits(client, addr).await.contains("Visit count:1"));
    }

    let (status, body) = get(&laptop, addr, "/logout-others").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Logged out 1 other session"), "{body}");

    // The phone's cookie names no session any more: its counter starts again.
    assert!(visits(&phone, addr).await.contains("Visit count:1"));
    assert!(visits(&laptop, addr).await.contains("Visit count:2"));
    assert!(visits(&stranger, addr).await.contains("Visit count:2"));
}

#[tokio::test]
async fn on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("s.sqlite3").display()
    );
    other_devices_are_logged_out(&["--engine", "db", "--database-url", &url]).await;
}

#[tokio::test]
async fn in_process() {
    other_devices_are_logged_out(&["--engine", "cache", "--cache-url", "memory"]).await;
}

#[tokio::test]
async fn on_redis() {
    let Some(url) = session_test_support::services::configured("REDIS_URL") else {
        return;
    };
    let prefix = format!(
        "demo-users-{}:",
        session_core::SessionKey::generate().as_str()
    );
    other_devices_are_logged_out(&[
        "--engine",
        "cache",
        "--cache-url",
        &url,
        "--cache-key-prefix",
        &prefix,
    ])
    .await;
}

#[tokio::test]
async fn refusals() {
    let addr = serve(&["--engine", "signed-cookies"]).await;
    let client = browser();
    let (status, body) = get(&client, addr, "/login?user=42").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("per-user index"), "{body}");
    let (status, _) = get(&client, addr, "/login?user=not%20valid").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = get(&client, addr, "/logout-others").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// The page's own "Log in" form (`POST /login`) goes through the index too, so its
/// "Log out my other devices" button finds the other browser.
#[tokio::test]
async fn the_pages_login_form_is_indexed() {
    let addr = serve(&["--engine", "cache", "--cache-url", "memory"]).await;
    let user = format!("u{}", session_core::SessionKey::generate().as_str());
    let (laptop, phone) = (browser(), browser());
    for client in [&laptop, &phone] {
        let response = client
            .post(format!("http://{addr}/login"))
            .form(&[("user", user.as_str())])
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        assert!(visits(client, addr).await.contains("Visit count:1"));
    }
    let (status, body) = get(&laptop, addr, "/logout-others").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Logged out 1 other session"), "{body}");
    assert!(visits(&phone, addr).await.contains("Visit count:1"));
    assert!(visits(&laptop, addr).await.contains("Visit count:2"));
}
