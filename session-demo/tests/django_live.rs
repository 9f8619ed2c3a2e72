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

/// GET `/visit` on the demo with the session cookie `key`; the page and the key the browser
/// keeps (`None` once the cookie is deleted).
async fn visit_keeping(addr: SocketAddr, key: &mut Option<String>) -> String {
    let mut request = reqwest::Client::new().get(format!("http://{addr}/visit"));
    if let Some(key) = key.as_deref() {
        request = request.header(COOKIE, format!("sessionid={key}"));
    }
    let response = request.send().await.unwrap();
    if let Some(cookie) = response.headers().get(SET_COOKIE) {
        let value = cookie.to_str().unwrap()["sessionid=".len()..]
            .split(';')
            .next()
            .unwrap();
        *key = (value != "\"\"").then(|| value.to_owned());
    }
    response.text().await.unwrap()
}

/// Django running django-session-timeout and the demo, on one SQLite table with the same
/// 8 s idle timeout: each side keeps alive what the other touched, and each ends what the
/// other left idle (the timestamp is the package's float under its key). Python's start-up
/// (seconds on a busy machine) comes before Django reads the clock, so the margins are wide.
#[tokio::test]
async fn django_session_timeout_and_the_demo_agree_on_a_shared_sqlite_session() {
    use django_interop::PeerTimeouts;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    let Some(django) = DjangoPeer::get() else {
        return;
    };
    let django = django.secret_key(SECRET).timeouts(&PeerTimeouts {
        expire_seconds: Some(8.0),
        expire_after_last_activity: Some(true),
        ..PeerTimeouts::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.sqlite3");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let addr = serve(&[
        "--engine",
        "db",
        "--database-url",
        &url,
        "--expire-seconds",
        "8",
    ])
    .await;
    let engine = Engine::db(format!("sqlite://{}", path.display()));
    // The package's key, spelled out: a renamed constant must fail here.
    let stamp = |key: &str| {
        django.read(&engine, key).unwrap()["_session_init_timestamp_"]
            .as_f64()
            .expect("the package's float")
    };
    let now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    };

    // One session the demo makes and then leaves alone.
    let mut left_idle = None;
    assert!(
        visit_keeping(addr, &mut left_idle)
            .await
            .contains("Visit count:1")
    );
    let left_idle = left_idle.unwrap();

    // Django keeps alive a session the demo made.
    let mut by_demo = None;
    assert!(
        visit_keeping(addr, &mut by_demo)
            .await
            .contains("Visit count:1")
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let reply = django.request(&engine, by_demo.as_deref());
    assert_eq!((reply.status, reply.body.as_str()), (200, "Visit count:2"));

    // The demo keeps alive a session Django made (stamped on its second request, as the
    // package does), and refreshes Django's stamp.
    let by_django = django.request(&engine, None).cookie.unwrap();
    assert_eq!(
        django.request(&engine, Some(&by_django)).body,
        "Visit count:2"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let before_refresh = now();
    let mut key = Some(by_django.clone());
    let page = visit_keeping(addr, &mut key).await;
    assert!(page.contains("Visit count:3"), "{page}");
    assert!(stamp(&by_django) >= before_refresh, "the demo refreshed it");
    assert!(stamp(&left_idle) < before_refresh);

    // Left idle past the timeout, each side ends the other's session: Django's answer is a
    // redirect to its login page and the row is deleted; the demo starts over.
    tokio::time::sleep(Duration::from_secs(9)).await;
    let reply = django.request(&engine, Some(&left_idle));
    assert_eq!(reply.status, 302, "{reply:?}");
    assert_eq!(reply.cookie.as_deref(), Some(""));
    assert_eq!(django.read(&engine, &left_idle), None);
    let page = visit_keeping(addr, &mut key).await;
    assert!(page.contains("Visit count:1"), "{page}");
    assert_eq!(django.read(&engine, &by_django), None);
    assert_ne!(key, Some(by_django));
}
