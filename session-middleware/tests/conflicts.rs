//! `SESSION_CONFLICTS=detect` through the middleware: a save over a concurrent change is
//! answered 409 (or the status configured), and `Session::modify` does not conflict.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use session_conformance::{Env, ReferenceStore};
use session_core::{Conflicts, SessionManager};
use session_middleware::{Session, SessionLayer};
use tower::ServiceExt;

fn sessions(env: &Env) -> SessionManager {
    let env = env.with_settings(|s| s.conflicts = Conflicts::Detect);
    SessionManager::build(env.context(), |ctx| {
        Ok(ReferenceStore::open(env.namespace(), ctx))
    })
    .unwrap()
}

/// Routes whose handler loads the session, lets "another request" change it, then
/// changes it too: by a plain insert (`/insert`) or by `modify` (`/modify`).
fn app(sessions: &SessionManager, layer: SessionLayer) -> Router {
    let other = sessions.clone();
    let other2 = sessions.clone();
    Router::new()
        .route(
            "/start",
            get(|s: Session| async move {
                s.insert("n", 0).await.unwrap();
                "ok"
            }),
        )
        .route(
            "/insert",
            get(|s: Session| async move {
                let n: i64 = s.get("n").await.unwrap().unwrap();
                concurrent_increment(&other, &s).await;
                s.insert("n", n + 1).await.unwrap();
                "ok"
            }),
        )
        .route(
            "/modify",
            get(|s: Session| async move {
                s.get::<i64>("n").await.unwrap();
                concurrent_increment(&other2, &s).await;
                let n = s
                    .modify(|data| {
                        let n = data["n"].as_i64().unwrap() + 1;
                        data.insert("n".into(), n.into());
                        n
                    })
                    .await
                    .unwrap();
                format!("n={n}")
            }),
        )
        .layer(layer)
}

/// What a concurrent request of the same user does meanwhile.
async fn concurrent_increment(sessions: &SessionManager, this: &Session) {
    let key = this.session_key().unwrap();
    let other = sessions.session(Some(key.as_str()));
    let n: i64 = other.get("n").await.unwrap().unwrap();
    other.insert("n", n + 1).await.unwrap();
    other.save().await.unwrap();
}

async fn call(
    app: &Router,
    path: &str,
    cookie: Option<&str>,
) -> (StatusCode, Option<String>, String) {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, format!("sessionid={cookie}"));
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let set = response
        .headers()
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    (status, set, String::from_utf8(body.to_vec()).unwrap())
}

fn key_of(set_cookie: &str) -> String {
    set_cookie["sessionid=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

async fn stored_n(sessions: &SessionManager, key: &str) -> i64 {
    sessions.session(Some(key)).get("n").await.unwrap().unwrap()
}

#[tokio::test]
async fn a_save_over_a_concurrent_change_is_409_and_writes_nothing() {
    let env = Env::new("mw_conflict_409");
    let sessions = sessions(&env);
    let app = app(&sessions, SessionLayer::new(sessions.clone()).unwrap());
    let (_, set, _) = call(&app, "/start", None).await;
    let key = key_of(&set.unwrap());
    let (status, set, _) = call(&app, "/insert", Some(&key)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(set, None, "no cookie for a session that was not saved");
    assert_eq!(
        stored_n(&sessions, &key).await,
        1,
        "only the other request's change"
    );
}

#[tokio::test]
async fn the_conflict_status_is_configurable() {
    let env = Env::new("mw_conflict_503");
    let sessions = sessions(&env);
    let layer = SessionLayer::new(sessions.clone())
        .unwrap()
        .conflict_status(StatusCode::SERVICE_UNAVAILABLE);
    let app = app(&sessions, layer);
    let (_, set, _) = call(&app, "/start", None).await;
    let key = key_of(&set.unwrap());
    let (status, _, _) = call(&app, "/insert", Some(&key)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn modify_retries_on_fresh_data_and_the_middleware_does_not_save_again() {
    let env = Env::new("mw_conflict_modify");
    let sessions = sessions(&env);
    let app = app(&sessions, SessionLayer::new(sessions.clone()).unwrap());
    let (_, set, _) = call(&app, "/start", None).await;
    let key = key_of(&set.unwrap());
    let (status, set, body) = call(&app, "/modify", Some(&key)).await;
    assert_eq!(status, StatusCode::OK);
    // The other request made it 1; the retry, on fresh data, 2.
    assert_eq!(body, "n=2");
    assert_eq!(key_of(&set.expect("the cookie is refreshed")), key);
    assert_eq!(stored_n(&sessions, &key).await, 2);
}

/// Parallel requests of an idle session each refresh the idle timestamp; under detection
/// one of those writes lands and the others give way: no 409 for a timestamp alone. A
/// real change on top of a refreshed stamp still conflicts.
#[tokio::test]
async fn timeout_stamps_alone_never_conflict() {
    use session_core::Clock;
    let env = Env::new("mw_conflict_stamps").with_settings(|s| {
        s.conflicts = Conflicts::Detect;
        s.timeouts.expire_seconds = Some(600);
    });
    let sessions = SessionManager::build(env.context(), |ctx| {
        Ok(ReferenceStore::open(env.namespace(), ctx))
    })
    .unwrap();
    let timeouts = &sessions.settings().timeouts;
    let first = sessions.session(None);
    first.insert("user", 1).await.unwrap();
    timeouts.stamp_new(&first, env.clock().now()).await.unwrap();
    first.save().await.unwrap();
    let key = first.session_key().unwrap();

    env.clock().advance(chrono::TimeDelta::seconds(30));
    let (a, b) = (
        sessions.session(Some(key.as_str())),
        sessions.session(Some(key.as_str())),
    );
    let now = env.clock().now();
    assert_eq!(timeouts.enforce(&a, now).await.unwrap(), None);
    assert_eq!(timeouts.enforce(&b, now).await.unwrap(), None);
    assert!(
        a.is_modified() && b.is_modified(),
        "both refreshed the stamp"
    );
    a.save().await.unwrap();
    b.save().await.expect("a timestamp refresh gives way");

    env.clock().advance(chrono::TimeDelta::seconds(30));
    let (c, d) = (
        sessions.session(Some(key.as_str())),
        sessions.session(Some(key.as_str())),
    );
    let now = env.clock().now();
    timeouts.enforce(&c, now).await.unwrap();
    timeouts.enforce(&d, now).await.unwrap();
    d.insert("cart", 2).await.unwrap();
    c.save().await.unwrap();
    assert!(matches!(d.save().await, Err(session_core::Error::Conflict)));
}
