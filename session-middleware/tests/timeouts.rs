//! Idle and absolute timeouts (`django-session-timeout`'s behaviour and more), applied by the
//! layer, on a mock clock.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use chrono::TimeDelta;
use session_conformance::{Env, ReferenceStore};
use session_core::timeouts::{ABSOLUTE_KEY, IDLE_KEY, TimeoutSettings, timestamp};
use session_core::{Clock, SessionManager, SessionSettings};
use session_middleware::{Session, SessionLayer};
use tower::ServiceExt;

struct App {
    env: Env,
    sessions: SessionManager,
    router: Router,
}

fn app(case: &str, timeouts: TimeoutSettings) -> App {
    let env = Env::new(case).with_settings(|s: &mut SessionSettings| s.timeouts = timeouts);
    let sessions = SessionManager::build(env.context(), |ctx| {
        Ok(ReferenceStore::open(env.namespace(), ctx))
    })
    .unwrap();
    let router = Router::new()
        .route(
            "/visit",
            get(|s: Session| async move {
                let n = s.get::<i64>("visit").await.unwrap().unwrap_or(0) + 1;
                s.insert("visit", n).await.unwrap();
                format!("Visit count:{n}")
            }),
        )
        .route(
            "/login",
            get(|s: Session| async move {
                s.insert("user", 7).await.unwrap();
                s.cycle_key().await.unwrap();
                "in"
            }),
        )
        .route("/untouched", get(|| async { "ok" }))
        .layer(SessionLayer::new(sessions.clone()).unwrap());
    App {
        env,
        sessions,
        router,
    }
}

fn idle(seconds: u64) -> TimeoutSettings {
    let mut timeouts = TimeoutSettings::default();
    timeouts.expire_seconds = Some(seconds);
    timeouts
}

struct Reply {
    status: StatusCode,
    body: String,
    set_cookie: Option<String>,
    location: Option<String>,
}

impl App {
    fn wait(&self, seconds: f64) {
        self.env
            .clock()
            .advance(TimeDelta::microseconds((seconds * 1e6) as i64));
    }

    /// GET `path` with the session cookie `key`; the cookie the browser keeps afterwards.
    async fn get(&self, path: &str, key: &mut Option<String>) -> Reply {
        let mut request = Request::get(path);
        if let Some(key) = key.as_deref() {
            request = request.header(header::COOKIE, format!("sessionid={key}"));
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let text = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned())
        };
        let set_cookie = text(header::SET_COOKIE);
        let location = text(header::LOCATION);
        if let Some(cookie) = &set_cookie {
            let value = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
            *key = (value != "\"\"").then(|| value.to_owned());
        }
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        Reply {
            status,
            body: String::from_utf8(body.to_vec()).unwrap(),
            set_cookie,
            location,
        }
    }

    async fn stored(&self, key: &str) -> Option<session_core::SessionData> {
        let session = self.sessions.session(Some(key));
        let data = session.data().await.unwrap();
        (!data.is_empty()).then(|| (*data).clone())
    }
}

#[tokio::test]
async fn idle_timeout_keeps_an_active_session_and_ends_an_idle_one() {
    let app = app("idle_timeout", idle(2));
    let mut key = None;
    assert!(
        app.get("/visit", &mut key)
            .await
            .body
            .contains("Visit count:1")
    );
    let first = key.clone().unwrap();
    let stamped = app.stored(&first).await.unwrap()[IDLE_KEY]
        .as_f64()
        .unwrap();
    assert_eq!(stamped, timestamp(app.env.clock().now()));
    for n in 2..=6 {
        app.wait(1.0);
        let page = app.get("/visit", &mut key).await;
        assert!(
            page.body.contains(&format!("Visit count:{n}")),
            "{}",
            page.body
        );
    }
    app.wait(2.5);
    let page = app.get("/visit", &mut key).await;
    assert!(page.body.contains("Visit count:1"), "{}", page.body);
    assert!(
        app.stored(&first).await.is_none(),
        "the timed-out session is deleted"
    );
    assert_ne!(key.as_deref(), Some(first.as_str()));
}

#[tokio::test]
async fn without_activity_refresh_the_session_ends_after_its_start() {
    let mut timeouts = idle(2);
    timeouts.expire_after_last_activity = false;
    let app = app("fixed_timeout", timeouts);
    let mut key = None;
    app.get("/visit", &mut key).await;
    for n in 2..=3 {
        app.wait(0.9);
        let page = app.get("/visit", &mut key).await;
        assert!(
            page.body.contains(&format!("Visit count:{n}")),
            "{}",
            page.body
        );
    }
    app.wait(0.3);
    let page = app.get("/visit", &mut key).await;
    assert!(page.body.contains("Visit count:1"), "{}", page.body);
}

#[tokio::test]
async fn timed_out_request_redirects_and_deletes_the_cookie() {
    let mut timeouts = idle(2);
    timeouts.redirect = Some("/".into());
    let app = app("timeout_redirect", timeouts);
    let mut key = None;
    app.get("/visit", &mut key).await;
    let first = key.clone().unwrap();
    app.wait(2.5);
    let page = app.get("/visit", &mut key).await;
    assert_eq!(page.status, StatusCode::FOUND);
    assert_eq!(page.location.as_deref(), Some("/"));
    assert!(page.body.is_empty(), "the view did not run: {}", page.body);
    assert!(
        page.set_cookie
            .as_deref()
            .unwrap()
            .starts_with("sessionid=\"\";"),
        "{:?}",
        page.set_cookie
    );
    assert_eq!(key, None);
    assert!(app.stored(&first).await.is_none());
}

#[tokio::test]
async fn a_burst_within_the_grace_period_writes_nothing() {
    let app = app("grace_period", idle(60));
    let mut key = None;
    app.get("/visit", &mut key).await;
    for _ in 0..5 {
        app.wait(0.2);
        let page = app.get("/untouched", &mut key).await;
        assert_eq!(page.set_cookie, None, "no save within the grace period");
    }
    app.wait(0.5);
    let page = app.get("/untouched", &mut key).await;
    assert!(
        page.set_cookie.is_some(),
        "activity after the grace period is saved"
    );
    let stored = app.stored(key.as_deref().unwrap()).await.unwrap();
    assert_eq!(
        stored[IDLE_KEY].as_f64().unwrap(),
        timestamp(app.env.clock().now())
    );
}

#[tokio::test]
async fn absolute_timeout_ends_an_active_session() {
    let mut timeouts = idle(10);
    timeouts.absolute_timeout = Some(5);
    let app = app("absolute_timeout", timeouts);
    let mut key = None;
    app.get("/visit", &mut key).await;
    for n in 2..=6 {
        app.wait(1.0);
        let page = app.get("/visit", &mut key).await;
        assert!(
            page.body.contains(&format!("Visit count:{n}")),
            "{}",
            page.body
        );
    }
    app.wait(1.0);
    let page = app.get("/visit", &mut key).await;
    assert!(page.body.contains("Visit count:1"), "{}", page.body);
}

#[tokio::test]
async fn cycle_key_restarts_both_timeouts() {
    let mut timeouts = idle(3);
    timeouts.absolute_timeout = Some(5);
    timeouts.expire_after_last_activity = false;
    let app = app("cycle_restarts", timeouts);
    let mut key = None;
    app.get("/visit", &mut key).await;
    app.wait(2.5);
    app.get("/login", &mut key).await;
    let stored = app.stored(key.as_deref().unwrap()).await.unwrap();
    let now = timestamp(app.env.clock().now());
    assert_eq!(stored[IDLE_KEY].as_f64(), Some(now));
    assert_eq!(stored[ABSOLUTE_KEY].as_f64(), Some(now));
    app.wait(2.5); // 5 s after creation, 2.5 s after the login
    let page = app.get("/visit", &mut key).await;
    assert!(page.body.contains("Visit count:2"), "{}", page.body);
}

#[tokio::test]
async fn a_stale_cookie_does_not_become_a_session() {
    let app = app("stale_cookie", idle(2));
    let mut key = Some("abcdefgh12345678abcdefgh12345678".to_owned());
    let page = app.get("/untouched", &mut key).await;
    assert!(
        page.set_cookie
            .as_deref()
            .unwrap()
            .starts_with("sessionid=\"\";"),
        "{:?}",
        page.set_cookie
    );
    assert_eq!(key, None);
}

#[tokio::test]
async fn a_timestamp_written_by_django_is_honoured() {
    let app = app("django_timestamp", idle(20));
    let session = app.sessions.session(None);
    let now = timestamp(app.env.clock().now());
    session.insert("visit", 41).await.unwrap();
    // time.time() as the package stores it: a float with a fraction.
    session.insert(IDLE_KEY, now - 19.75).await.unwrap();
    session.save().await.unwrap();
    let mut key = Some(session.session_key().unwrap().as_str().to_owned());
    let page = app.get("/visit", &mut key).await;
    assert!(page.body.contains("Visit count:42"), "{}", page.body);
    assert_eq!(
        app.stored(key.as_deref().unwrap()).await.unwrap()[IDLE_KEY].as_f64(),
        Some(now)
    );
    app.wait(20.5);
    let page = app.get("/visit", &mut key).await;
    assert!(page.body.contains("Visit count:1"), "{}", page.body);
}

#[tokio::test]
async fn timeouts_off_write_nothing() {
    let app = app("timeouts_off", TimeoutSettings::default());
    let mut key = None;
    app.get("/visit", &mut key).await;
    let stored = app.stored(key.as_deref().unwrap()).await.unwrap();
    assert_eq!(stored.keys().collect::<Vec<_>>(), ["visit"]);
    app.wait(1e6);
    let page = app.get("/visit", &mut key).await;
    assert!(page.body.contains("Visit count:2"), "{}", page.body);
}
