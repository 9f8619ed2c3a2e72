//! The scenario against the demo over the conformance reference store.

mod scenario;

use session_conformance::{Env, ReferenceStore};
use session_core::SessionManager;

fn reference_sessions(env: &Env) -> SessionManager {
    SessionManager::build(env.context(), |ctx| {
        Ok(ReferenceStore::open(env.namespace(), ctx))
    })
    .unwrap()
}

#[tokio::test]
async fn demo_on_reference_store() {
    let sessions = reference_sessions(&Env::new("demo_reference"));
    scenario::run(sessions, scenario::Kind { server_side: true }).await;
}

#[tokio::test]
async fn demo_with_secure_browser_close_settings() {
    let env = Env::new("demo_reference_secure").with_settings(|s| {
        s.cookie_secure = true;
        s.expire_at_browser_close = true;
    });
    scenario::run(
        reference_sessions(&env),
        scenario::Kind { server_side: true },
    )
    .await;
}

#[tokio::test]
async fn expiry_past_year_9999_is_a_client_error_and_the_server_keeps_serving() {
    let addr = scenario::serve(reference_sessions(&Env::new("demo_bad_expiry"))).await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let page = scenario::get(&browser, addr, "/expiry?seconds=9000000000000").await;
    assert_eq!(
        page.status,
        reqwest::StatusCode::BAD_REQUEST,
        "{}",
        page.body
    );
    assert!(page.body.contains("9999"), "{}", page.body);

    let page = scenario::get(&browser, addr, "/visit").await;
    assert!(page.body.contains("Visit count:1"), "{}", page.body);
    let page = scenario::get(&browser, addr, "/expiry?seconds=300").await;
    assert_eq!(page.status, reqwest::StatusCode::OK);
    assert!(page.body.contains("Expiry age:300"), "{}", page.body);
}

/// `/` shows the session (key masked, data escaped, expiry, timeouts, engine, cookie), and
/// log in / log out work from its forms.
#[tokio::test]
async fn index_shows_the_session_and_escapes_user_data() {
    let env = Env::new("demo_index").with_settings(|s| {
        s.timeouts.expire_seconds = Some(600);
        s.timeouts.absolute_timeout = Some(3600);
    });
    let addr = scenario::serve(reference_sessions(&env)).await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let page = scenario::get(&browser, addr, "/").await;
    assert!(
        page.body.contains("none yet: nothing saved"),
        "{}",
        page.body
    );
    assert!(page.set_cookie.is_empty(), "viewing saves nothing");
    for text in [
        "Expiry age</dt><dd id=\"expiry-age\">1209600 s",
        "id=\"idle-timeout\">600 s, from the session's first save",
        "id=\"engine\"><code>custom</code>",
        "HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax",
        "action=\"/login\"",
        "action=\"/logout\"",
        "action=\"/visit\"",
        "action=\"/expiry\"",
    ] {
        assert!(page.body.contains(text), "{text} missing: {}", page.body);
    }

    let visited = scenario::get(&browser, addr, "/visit").await;
    let before = visited.set_cookie[0].clone();
    let hostile = "<script>alert('x')</script>";
    let login = browser
        .post(format!("http://{addr}/login"))
        .form(&[("user", hostile)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), reqwest::StatusCode::SEE_OTHER);
    let after = login.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    let key = |cookie: &str| {
        cookie["sessionid=".len()..]
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_ne!(key(&before), key(&after), "logging in cycles the key");

    let page = scenario::get(&browser, addr, "/").await;
    let key = key(&after);
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(
        page.body
            .contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(&key), "the whole key is never shown");
    let masked = format!("{}...{}", &key[..4], &key[key.len() - 4..]);
    assert!(page.body.contains(&masked), "{masked}: {}", page.body);
    assert!(page.body.contains("&quot;visit&quot;: 1"), "{}", page.body);
    assert!(page.body.contains("s left of 600 s"), "{}", page.body);
    assert!(page.body.contains("s left of 3600 s"), "{}", page.body);

    let logout = browser
        .post(format!("http://{addr}/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), reqwest::StatusCode::SEE_OTHER);
    let page = scenario::get(&browser, addr, "/").await;
    assert!(page.body.contains("nobody"), "{}", page.body);
    assert!(
        page.body.contains("<pre id=\"data\">{}</pre>"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn login_without_a_user_id_is_refused() {
    let addr = scenario::serve(reference_sessions(&Env::new("demo_login_empty"))).await;
    let reply = reqwest::Client::new()
        .post(format!("http://{addr}/login"))
        .form(&[("user", "  ")])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), reqwest::StatusCode::BAD_REQUEST);
    assert!(reply.headers().get(reqwest::header::SET_COOKIE).is_none());
}
