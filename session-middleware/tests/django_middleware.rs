//! Django's `SessionMiddlewareTests` and the observed cases of its `process_response`,
//! over a real axum router.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use session_conformance::{Env, ReferenceStore};
use session_core::{SameSite, SessionManager, SessionSettings};
use session_middleware::{Session, SessionLayer};
use tower::ServiceExt;

fn sessions(env: &Env, change: impl FnOnce(&mut SessionSettings)) -> SessionManager {
    let env = env.with_settings(change);
    SessionManager::build(env.context(), |ctx| {
        Ok(ReferenceStore::open(env.namespace(), ctx))
    })
    .unwrap()
}

fn app(sessions: &SessionManager) -> Router {
    Router::new()
        .route(
            "/touch",
            get(|s: Session| async move {
                s.insert("hello", "world").await.unwrap();
                "ok"
            }),
        )
        .route(
            "/read",
            get(|s: Session| async move { format!("{:?}", s.get_value("hello").await.unwrap()) }),
        )
        .route("/untouched", get(|| async { "ok" }))
        .route(
            "/flush",
            get(|s: Session| async move {
                s.flush().await.unwrap();
                "ok"
            }),
        )
        .route(
            "/remove",
            get(|s: Session| async move {
                s.pop_value("hello").await.unwrap();
                "ok"
            }),
        )
        .route(
            "/browser-close",
            get(|s: Session| async move {
                s.set_expiry(0).await.unwrap();
                "ok"
            }),
        )
        .route(
            "/fail500",
            get(|s: Session| async move {
                s.insert("hello", "world").await.unwrap();
                (StatusCode::INTERNAL_SERVER_ERROR, "boom")
            }),
        )
        .route(
            "/fail503",
            get(|s: Session| async move {
                s.insert("hello", "world").await.unwrap();
                (StatusCode::SERVICE_UNAVAILABLE, "busy")
            }),
        )
        .route(
            "/not-found",
            get(|s: Session| async move {
                s.insert("hello", "world").await.unwrap();
                (StatusCode::NOT_FOUND, "nope")
            }),
        )
        .layer(SessionLayer::new(sessions.clone()).unwrap())
}

struct Reply {
    status: StatusCode,
    set_cookie: Vec<String>,
    vary: Option<String>,
}

impl Reply {
    fn cookie_value(&self) -> String {
        let first = self.set_cookie.first().expect("a Set-Cookie header");
        first
            .split(';')
            .next()
            .unwrap()
            .split_once('=')
            .unwrap()
            .1
            .to_owned()
    }
}

async fn get_with(app: &Router, path: &str, cookie: Option<&str>) -> Reply {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    Reply {
        status: response.status(),
        set_cookie: response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect(),
        vary: response
            .headers()
            .get(header::VARY)
            .map(|v| v.to_str().unwrap().to_owned()),
    }
}

const DELETE: &str =
    "sessionid=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax";

#[tokio::test]
async fn secure_session_cookie() {
    let env = Env::new("secure");
    let app = app(&sessions(&env, |s| s.cookie_secure = true));
    let reply = get_with(&app, "/touch", None).await;
    assert!(
        reply.set_cookie[0].ends_with("; Secure"),
        "{:?}",
        reply.set_cookie
    );
    assert_eq!(reply.vary.as_deref(), Some("Cookie"));
}

#[tokio::test]
async fn httponly_session_cookie() {
    let env = Env::new("httponly");
    let app = app(&sessions(&env, |_| {}));
    let reply = get_with(&app, "/touch", None).await;
    assert!(
        reply.set_cookie[0].contains("; HttpOnly;"),
        "{:?}",
        reply.set_cookie
    );
}

#[tokio::test]
async fn no_httponly_session_cookie() {
    let env = Env::new("no_httponly");
    let app = app(&sessions(&env, |s| s.cookie_httponly = false));
    let reply = get_with(&app, "/touch", None).await;
    assert!(
        !reply.set_cookie[0].contains("HttpOnly"),
        "{:?}",
        reply.set_cookie
    );
}

#[tokio::test]
async fn samesite_session_cookie() {
    let env = Env::new("samesite");
    let app = app(&sessions(&env, |s| {
        s.cookie_samesite = Some(SameSite::Strict)
    }));
    let reply = get_with(&app, "/touch", None).await;
    assert!(
        reply.set_cookie[0].contains("; SameSite=Strict"),
        "{:?}",
        reply.set_cookie
    );
}

#[tokio::test]
async fn cookie_has_max_age_expires_and_path() {
    let env = Env::new("attributes");
    let sessions = sessions(&env, |_| {});
    let app = app(&sessions);
    let reply = get_with(&app, "/touch", None).await;
    let key = reply.cookie_value();
    let expires = session_middleware::cookie::http_date(
        session_core::Clock::now(&**env.clock()) + chrono::TimeDelta::seconds(1_209_600),
    );
    assert_eq!(
        reply.set_cookie,
        [format!(
            "sessionid={key}; expires={expires}; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax"
        )]
    );
}

#[tokio::test]
async fn browser_close_cookie_has_no_lifetime() {
    let env = Env::new("browser_close");
    let app = app(&sessions(&env, |_| {}));
    let reply = get_with(&app, "/browser-close", None).await;
    let key = reply.cookie_value();
    assert_eq!(
        reply.set_cookie,
        [format!("sessionid={key}; HttpOnly; Path=/; SameSite=Lax")]
    );
}

#[tokio::test]
async fn session_saved_and_read_back() {
    let env = Env::new("round_trip");
    let app = app(&sessions(&env, |_| {}));
    let key = get_with(&app, "/touch", None).await.cookie_value();
    let reply = get_with(&app, "/read", Some(&format!("sessionid={key}"))).await;
    assert!(reply.set_cookie.is_empty(), "reading does not save");
    assert_eq!(reply.vary.as_deref(), Some("Cookie"));
}

#[tokio::test]
async fn layer_refuses_settings_browsers_would_reject() {
    let env = Env::new("layer_refuses");
    let refused: [fn(&mut SessionSettings); 4] = [
        |s| s.cookie_samesite = Some(SameSite::None),
        |s| s.cookie_name = "__Host-sessionid".into(),
        |s| s.cookie_domain = Some("example.com; HttpOnly".into()),
        |s| s.cookie_name = "session/id".into(),
    ];
    for change in refused {
        match SessionLayer::new(sessions(&env, change)) {
            Err(session_core::Error::Configuration(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    SessionLayer::new(sessions(&env, |s| {
        s.cookie_name = "__Host-sessionid".into();
        s.cookie_secure = true;
        s.cookie_samesite = Some(SameSite::None);
    }))
    .unwrap();
}

#[tokio::test]
async fn layer_warns_once_about_a_weak_secret_key() {
    let env = Env::new("weak_secret");
    let weak = sessions(&env, |s| {
        s.set_secrets(
            session_core::Secrets::new("django-insecure-short")
                .unwrap()
                .with_fallbacks(["x".repeat(60), "old".to_owned()])
                .unwrap(),
        )
    });
    let (layer, log) = session_conformance::capture_logs(|| SessionLayer::new(weak));
    layer.expect("a weak key is still accepted");
    let warnings: Vec<_> = log.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 3, "{log}");
    assert!(warnings[0].contains("SECRET_KEY is weak"), "{log}");
    assert!(warnings[0].contains("django-insecure"), "{log}");
    assert!(warnings[1].contains("SECRET_KEY_FALLBACKS[0]"), "{log}");
    assert!(warnings[2].contains("SECRET_KEY_FALLBACKS[1]"), "{log}");
    assert!(
        !log.contains("short"),
        "the key itself is never logged: {log}"
    );

    let strong = sessions(&env, |s| {
        s.set_secrets(
            session_core::Secrets::new("x7#kP2!vQ9zL4mR8@tW1sY6^bN3cF5hJ0dG-aE_uI+oXqMrZlKjHg")
                .unwrap(),
        )
    });
    let (_, log) = session_conformance::capture_logs(|| SessionLayer::new(strong).unwrap());
    assert!(!log.contains("WARN"), "{log}");
}

#[tokio::test]
async fn non_ascii_in_another_cookie_keeps_the_session() {
    let env = Env::new("non_ascii_cookie");
    let app = app(&sessions(&env, |_| {}));
    let key = get_with(&app, "/touch", None).await.cookie_value();
    for cookie in [
        format!("sessionid={key}; pref=café"),
        format!("pref=café; sessionid={key}"),
    ] {
        let reply = get_with(&app, "/touch", Some(&cookie)).await;
        assert_eq!(reply.cookie_value(), key, "{cookie}: the same session");
    }
}

async fn assert_not_saved_on(path: &str, status: StatusCode) {
    let env = Env::new("no_save_on_5xx");
    let sessions = sessions(&env, |_| {});
    let app = app(&sessions);
    let reply = get_with(&app, path, None).await;
    assert_eq!(reply.status, status);
    assert!(reply.set_cookie.is_empty(), "{:?}", reply.set_cookie);
    assert_eq!(reply.vary.as_deref(), Some("Cookie"));
}

#[tokio::test]
async fn session_not_saved_on_500() {
    assert_not_saved_on("/fail500", StatusCode::INTERNAL_SERVER_ERROR).await;
}

#[tokio::test]
async fn session_not_saved_on_503() {
    assert_not_saved_on("/fail503", StatusCode::SERVICE_UNAVAILABLE).await;
}

#[tokio::test]
async fn session_saved_on_4xx() {
    let env = Env::new("save_on_4xx");
    let app = app(&sessions(&env, |_| {}));
    let reply = get_with(&app, "/not-found", None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.set_cookie.len(), 1);
}

#[tokio::test]
async fn session_deleted_mid_request_is_400() {
    let env = Env::new("update_error");
    let sessions = sessions(&env, |_| {});
    let key = get_with(&app(&sessions), "/touch", None)
        .await
        .cookie_value();
    let other = sessions.clone();
    let racing = Router::new()
        .route(
            "/logout-elsewhere",
            get(move |s: Session| {
                let other = other.clone();
                async move {
                    s.insert("hello", "again").await.unwrap();
                    let concurrent = other.session(s.session_key().as_ref().map(|k| k.as_str()));
                    concurrent.flush().await.unwrap();
                    "ok"
                }
            }),
        )
        .layer(SessionLayer::new(sessions.clone()).unwrap());
    let reply = get_with(
        &racing,
        "/logout-elsewhere",
        Some(&format!("sessionid={key}")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.set_cookie.is_empty());
    let check = sessions.session(Some(&key));
    assert!(
        check.data().await.unwrap().is_empty(),
        "the logged-out session came back"
    );
}

#[tokio::test]
async fn session_delete_on_end() {
    let env = Env::new("delete_on_end");
    let app = app(&sessions(&env, |_| {}));
    let reply = get_with(&app, "/flush", Some("sessionid=abc")).await;
    assert_eq!(reply.set_cookie, [DELETE]);
    assert_eq!(reply.vary.as_deref(), Some("Cookie"));
}

#[tokio::test]
async fn session_delete_on_end_with_custom_domain_and_path() {
    let env = Env::new("delete_custom");
    let app = app(&sessions(&env, |s| {
        s.cookie_domain = Some(".example.local".into());
        s.cookie_path = "/example/".into();
    }));
    let reply = get_with(&app, "/flush", Some("sessionid=abc")).await;
    assert_eq!(
        reply.set_cookie,
        [
            "sessionid=\"\"; Domain=.example.local; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/example/; SameSite=Lax"
        ]
    );
}

#[tokio::test]
async fn flush_empty_without_session_cookie_doesnt_set_cookie() {
    let env = Env::new("flush_no_cookie");
    let app = app(&sessions(&env, |_| {}));
    let reply = get_with(&app, "/flush", None).await;
    assert!(reply.set_cookie.is_empty());
    assert_eq!(reply.vary.as_deref(), Some("Cookie"));
}

#[tokio::test]
async fn save_every_request_renews_cookie() {
    let env = Env::new("save_every_request");
    let app = app(&sessions(&env, |s| s.save_every_request = true));
    let key = get_with(&app, "/touch", None).await.cookie_value();
    let reply = get_with(&app, "/untouched", Some(&format!("sessionid={key}"))).await;
    assert_eq!(reply.set_cookie.len(), 1);
    assert_eq!(reply.cookie_value(), key);
    assert_eq!(reply.vary.as_deref(), Some("Cookie"));
}

#[tokio::test]
async fn save_every_request_without_session_does_nothing() {
    let env = Env::new("save_every_none");
    let app = app(&sessions(&env, |s| s.save_every_request = true));
    let reply = get_with(&app, "/untouched", None).await;
    assert!(reply.set_cookie.is_empty());
    assert_eq!(reply.vary, None);
}

#[tokio::test]
async fn save_every_request_with_unknown_key_deletes_cookie() {
    let env = Env::new("save_every_unknown");
    let app = app(&sessions(&env, |s| s.save_every_request = true));
    let reply = get_with(&app, "/untouched", Some("sessionid=abcdefgh12345678")).await;
    assert_eq!(
        reply.set_cookie,
        [DELETE],
        "an unknown key must not create a session"
    );
    assert_eq!(reply.vary.as_deref(), Some("Cookie"));
}

#[tokio::test]
async fn empty_session_saved() {
    let env = Env::new("empty_saved");
    let sessions = sessions(&env, |_| {});
    let app = app(&sessions);
    let key = get_with(&app, "/touch", None).await.cookie_value();
    let reply = get_with(&app, "/remove", Some(&format!("sessionid={key}"))).await;
    assert_eq!(
        reply.cookie_value(),
        key,
        "the key is kept and the cookie sent again"
    );
    assert_eq!(reply.vary.as_deref(), Some("Cookie"));
    let stored = sessions
        .store()
        .load(&session_core::SessionKey::parse(&key).unwrap())
        .await
        .unwrap();
    assert!(stored.expect("row kept").data().is_empty());
}

#[tokio::test]
async fn untouched_request_without_cookie_has_no_headers() {
    let env = Env::new("untouched");
    let app = app(&sessions(&env, |_| {}));
    let reply = get_with(&app, "/untouched", None).await;
    assert!(reply.set_cookie.is_empty());
    assert_eq!(reply.vary, None);
}

#[tokio::test]
async fn read_only_without_cookie_varies_only() {
    let env = Env::new("read_only");
    let app = app(&sessions(&env, |_| {}));
    let reply = get_with(&app, "/read", None).await;
    assert!(reply.set_cookie.is_empty());
    assert_eq!(reply.vary.as_deref(), Some("Cookie"));
}

#[tokio::test]
async fn unknown_key_untouched_is_left_alone() {
    let env = Env::new("unknown_untouched");
    let app = app(&sessions(&env, |_| {}));
    let reply = get_with(
        &app,
        "/untouched",
        Some("sessionid=abcdefgh12345678abcdefgh12345678"),
    )
    .await;
    assert!(reply.set_cookie.is_empty());
    assert_eq!(reply.vary, None);
}

#[tokio::test]
async fn unknown_key_read_is_deleted() {
    let env = Env::new("unknown_read");
    let app = app(&sessions(&env, |_| {}));
    let reply = get_with(
        &app,
        "/read",
        Some("sessionid=abcdefgh12345678abcdefgh12345678"),
    )
    .await;
    assert_eq!(reply.set_cookie, [DELETE]);
    assert_eq!(reply.vary.as_deref(), Some("Cookie"));
}

#[tokio::test]
async fn invalid_cookie_is_deleted_even_untouched() {
    let env = Env::new("invalid_cookie");
    let app = app(&sessions(&env, |_| {}));
    for bad in [
        "sessionid=short",
        "sessionid=../../etc/passwd",
        "sessionid=UPPERCASEKEY12345",
    ] {
        let reply = get_with(&app, "/untouched", Some(bad)).await;
        assert_eq!(reply.set_cookie, [DELETE], "{bad}");
        assert_eq!(reply.vary.as_deref(), Some("Cookie"));
    }
}

#[tokio::test]
async fn existing_vary_is_extended() {
    let env = Env::new("vary_extended");
    let sessions = sessions(&env, |_| {});
    let app = Router::new()
        .route(
            "/",
            get(|s: Session| async move {
                s.get_value("x").await.unwrap();
                ([(header::VARY, "Accept-Encoding")], "ok")
            }),
        )
        .layer(SessionLayer::new(sessions).unwrap());
    let reply = get_with(&app, "/", None).await;
    assert_eq!(reply.vary.as_deref(), Some("Accept-Encoding, Cookie"));
}

#[tokio::test]
async fn missing_layer_is_a_clear_500() {
    let app: Router = Router::new().route("/", get(|_s: Session| async { "unreachable" }));
    let reply = get_with(&app, "/", None).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
}
