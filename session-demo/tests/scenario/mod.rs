//! One end-to-end scenario over real HTTP, run against the demo on each engine.

use std::net::SocketAddr;

use reqwest::header::{LOCATION, SET_COOKIE, VARY};
use reqwest::{Client, StatusCode, redirect};
use session_core::SessionManager;

/// What the scenario may expect of the engine.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// Server-side engines can delete a session behind a request's back.
    pub server_side: bool,
}

/// Serves the demo over `sessions` on a free loopback port.
pub async fn serve(sessions: SessionManager) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, session_demo::app(sessions).unwrap())
            .await
            .unwrap();
    });
    addr
}

fn client(cookies: bool) -> Client {
    Client::builder()
        .cookie_store(cookies)
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

pub struct Page {
    pub status: StatusCode,
    pub body: String,
    pub set_cookie: Vec<String>,
    pub vary: Option<String>,
    pub location: Option<String>,
}

pub async fn get(client: &Client, addr: SocketAddr, path: &str) -> Page {
    let response = client
        .get(format!("http://{addr}{path}"))
        .send()
        .await
        .unwrap();
    let headers = response.headers().clone();
    let one = |name| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
    Page {
        status: response.status(),
        set_cookie: headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect(),
        vary: one(VARY),
        location: one(LOCATION),
        body: response.text().await.unwrap(),
    }
}

/// The whole scenario: counter, cookie attributes, Vary, create/access/delete, flush,
/// browser-close cookies, no save on 5xx, 400 on a concurrent logout, the test cookie.
pub async fn run(sessions: SessionManager, kind: Kind) {
    let settings = sessions.settings().clone();
    let addr = serve(sessions).await;
    let browser = client(true);

    // The counter, and the cookie exactly as configured.
    for n in 1..=3 {
        let page = get(&browser, addr, "/visit").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains(&format!("Visit count:{n}")),
            "{}",
            page.body
        );
        assert_eq!(page.vary.as_deref(), Some("Cookie"));
        let cookie = page.set_cookie.first().expect("the session cookie");
        assert!(
            cookie.starts_with(&format!("{}=", settings.cookie_name)),
            "{cookie}"
        );
        assert!(cookie.contains("; Path=/"), "{cookie}");
        assert_eq!(
            cookie.contains("; Secure"),
            settings.cookie_secure,
            "{cookie}"
        );
        assert!(cookie.contains("; HttpOnly"), "{cookie}");
        assert!(cookie.contains("; SameSite=Lax"), "{cookie}");
        if settings.expire_at_browser_close {
            assert!(
                !cookie.contains("Max-Age") && !cookie.contains("expires"),
                "{cookie}"
            );
        } else {
            assert!(
                cookie.contains(&format!("; Max-Age={}", settings.cookie_age)),
                "{cookie}"
            );
            assert!(cookie.contains("; expires="), "{cookie}");
        }
    }
    if settings.cookie_secure {
        // A cookie jar does not send Secure cookies over plain HTTP; the attributes are
        // what this configuration is about.
        return;
    }

    // A 5xx does not save what the handler changed.
    let page = get(&browser, addr, "/fail").await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(page.set_cookie.is_empty(), "{:?}", page.set_cookie);
    assert!(
        get(&browser, addr, "/visit")
            .await
            .body
            .contains("Visit count:4")
    );

    // Create, access, delete.
    assert_eq!(
        get(&browser, addr, "/access").await.location.as_deref(),
        Some("/create")
    );
    get(&browser, addr, "/create").await;
    let access = get(&browser, addr, "/access").await;
    assert!(access.body.contains("Emp_Name : Raghav"), "{}", access.body);
    assert!(access.body.contains("Emp_Email : Raghav27@TechVidvan.com"));
    get(&browser, addr, "/delete").await;
    assert_eq!(
        get(&browser, addr, "/access").await.location.as_deref(),
        Some("/create")
    );
    assert!(
        get(&browser, addr, "/visit")
            .await
            .body
            .contains("Visit count:5")
    );

    // Browser-close cookies, then a fixed age.
    let page = get(&browser, addr, "/expiry?seconds=0").await;
    assert!(
        page.body.contains("Expire at browser close:true"),
        "{}",
        page.body
    );
    let cookie = &page.set_cookie[0];
    assert!(
        !cookie.contains("Max-Age") && !cookie.contains("expires"),
        "{cookie}"
    );
    let page = get(&browser, addr, "/expiry?seconds=300").await;
    assert!(page.body.contains("Expiry age:300"), "{}", page.body);
    assert!(
        page.set_cookie[0].contains("; Max-Age=300"),
        "{:?}",
        page.set_cookie
    );

    // Flush logs out: the cookie is deleted and the counter restarts.
    let page = get(&browser, addr, "/flush").await;
    assert_eq!(page.set_cookie.len(), 1);
    assert!(
        page.set_cookie[0].contains("Max-Age=0"),
        "{:?}",
        page.set_cookie
    );
    assert!(
        get(&browser, addr, "/visit")
            .await
            .body
            .contains("Visit count:1")
    );

    // A logout in a concurrent request wins: 400, and the session is gone.
    if kind.server_side {
        let page = get(&browser, addr, "/interrupted").await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        assert!(
            get(&browser, addr, "/visit")
                .await
                .body
                .contains("Visit count:1")
        );
    }

    // The test-cookie check, with and without a cookie jar.
    get(&browser, addr, "/testcookie").await;
    let page = get(&browser, addr, "/deletecookie").await;
    assert!(
        page.body.contains("your browser accepts cookies"),
        "{}",
        page.body
    );
    let no_cookies = client(false);
    get(&no_cookies, addr, "/testcookie").await;
    let page = get(&no_cookies, addr, "/deletecookie").await;
    assert!(
        page.body.contains("does not accept cookies"),
        "{}",
        page.body
    );
}
