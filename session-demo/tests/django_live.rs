//! Django interop through the demo: Django reads the counter the demo stored, and a session
//! Django created keeps counting in the demo (SQLite table and session files).

#[allow(dead_code)] // this test needs only `scenario::serve`
mod scenario;

use std::net::SocketAddr;

use clap::Parser;
use django_interop::{DjangoPeer, Engine};
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{Map, json};
use session_config::{Config, engine};

const SECRET: &str = "demo-django-live-secret";

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    config: Config,
}

async fn serve(flags: &[&str]) -> SocketAddr {
    let args = ["session-demo", "--secret-key", SECRET]
        .into_iter()
        .chain(flags.iter().copied());
    let config = Args::try_parse_from(args).expect("valid flags").config;
    scenario::serve(engine::manager(&config).await.expect("the engine starts")).await
}

/// GET `/visit` with `key` as the session cookie; the page and the cookie it sets.
async fn visit(addr: SocketAddr, key: Option<&str>) -> (String, String) {
    let mut request = reqwest::Client::new().get(format!("http://{addr}/visit"));
    if let Some(key) = key {
        request = request.header(COOKIE, format!("sessionid={key}"));
    }
    let response = request.send().await.unwrap();
    let cookie = response
        .headers()
        .get(SET_COOKIE)
        .expect("the demo sets the session cookie")
        .to_str()
        .unwrap()
        .to_owned();
    let value = cookie["sessionid=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    (response.text().await.unwrap(), value)
}

/// The demo counts to 3, Django reads 3; Django writes 41, the demo counts 42.
async fn counter_both_ways(addr: SocketAddr, engine: Engine) {
    let Some(django) = DjangoPeer::get() else {
        return;
    };
    let django = django.secret_key(SECRET);
    let mut key = None;
    for n in 1..=3 {
        let (page, cookie) = visit(addr, key.as_deref()).await;
        assert!(page.contains(&format!("Visit count:{n}")), "{page}");
        key = Some(cookie);
    }
    let seen = django
        .read(&engine, key.as_deref().unwrap())
        .expect("Django sees the demo's session");
    assert_eq!(seen.get("visit"), Some(&json!(3)));

    let mut data = Map::new();
    data.insert("visit".into(), json!(41));
    let key = django.write(&engine, &data);
    let (page, _) = visit(addr, Some(&key)).await;
    assert!(page.contains("Visit count:42"), "{page}");
    assert_eq!(
        django.read(&engine, &key).unwrap().get("visit"),
        Some(&json!(42))
    );
}

#[tokio::test]
async fn django_shares_the_demo_sqlite_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.sqlite3");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let addr = serve(&["--engine", "db", "--database-url", &url]).await;
    counter_both_ways(addr, Engine::db(format!("sqlite://{}", path.display()))).await;
}

#[tokio::test]
async fn django_shares_the_demo_session_files() {
    let dir = tempfile::Builder::new()
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .tempdir()
        .unwrap();
    let addr = serve(&[
        "--engine",
        "file",
        "--file-path",
        dir.path().to_str().unwrap(),
    ])
    .await;
    counter_both_ways(addr, Engine::File(dir.path().to_path_buf())).await;
}
