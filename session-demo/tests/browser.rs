//! A real browser: headless Chromium, driven through chromedriver's W3C WebDriver API:
//! the test cookie works, and the index page's log in / visit / log out show what they
//! should (its screenshot is the README's).

#[allow(dead_code)] // this test needs only `scenario::serve`
mod scenario;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use session_conformance::{Env, ReferenceStore};
use session_core::SessionManager;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    process: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Driver {
    async fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver {
            process,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        for _ in 0..100 {
            if let Ok(status) = driver.call(reqwest::Method::GET, "/status", None).await {
                if status["ready"] == true {
                    return driver;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not become ready");
    }

    /// A new headless browser session with a fresh profile in `profile`; its id.
    async fn browser(&self, profile: &std::path::Path) -> String {
        let session = self
            .call(
                reqwest::Method::POST,
                "/session",
                Some(json!({"capabilities": {"alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": CHROMIUM,
                        "args": [
                            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                            "--disable-quic", "--no-first-run", "--disable-background-networking",
                            "--disable-component-update", "--disable-sync", "--window-size=1000,1250",
                            "--hide-scrollbars",
                            format!("--user-data-dir={}", profile.display()),
                        ]
                    }
                }}})),
            )
            .await
            .unwrap();
        session["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {session}"))
            .to_owned()
    }

    async fn post(&self, id: &str, path: &str, body: Value) -> Value {
        self.call(
            reqwest::Method::POST,
            &format!("/session/{id}{path}"),
            Some(body),
        )
        .await
        .unwrap()
    }

    async fn get(&self, id: &str, path: &str) -> Value {
        self.call(reqwest::Method::GET, &format!("/session/{id}{path}"), None)
            .await
            .unwrap()
    }

    /// The element `css` selects on the current page (panics when there is none).
    async fn find(&self, id: &str, css: &str) -> String {
        let found = self
            .post(
                id,
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_owned()
    }

    async fn click(&self, id: &str, css: &str) {
        let element = self.find(id, css).await;
        self.post(id, &format!("/element/{element}/click"), json!({}))
            .await;
    }

    /// The visible text of `css`, once it contains `wanted` (the page may still be loading
    /// after a click); panics after 10 s with what it showed.
    async fn text_containing(&self, id: &str, css: &str, wanted: &str) -> String {
        let mut text = String::new();
        for _ in 0..100 {
            let found = self
                .post(
                    id,
                    "/elements",
                    json!({"using": "css selector", "value": css}),
                )
                .await;
            if let Some(element) = found[0][ELEMENT].as_str() {
                text = self
                    .get(id, &format!("/element/{element}/text"))
                    .await
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                if text.contains(wanted) {
                    return text;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let source = self.get(id, "/source").await;
        panic!("{css} never showed {wanted:?}; last: {text:?}; page: {source}");
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Result<Value> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply: Value = request.send().await?.json().await?;
        Ok(reply["value"].clone())
    }
}

/// False (after printing "skipped") when chromedriver is not installed, outside CI.
fn have_chromedriver() -> bool {
    if std::path::Path::new(CHROMEDRIVER).exists() {
        return true;
    }
    assert!(
        !session_test_support::services::required(),
        "{CHROMEDRIVER} is missing (Debian packages chromium and chromium-driver)"
    );
    eprintln!("skipped: {CHROMEDRIVER} not installed");
    false
}

#[tokio::test]
async fn chromium_accepts_the_test_cookie() {
    if !have_chromedriver() {
        return;
    }
    let env = Env::new("demo_browser");
    let sessions = SessionManager::build(env.context(), |ctx| {
        Ok(ReferenceStore::open(env.namespace(), ctx))
    })
    .unwrap();
    let addr = scenario::serve(sessions).await;

    let driver = Driver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let session = driver
        .call(
            reqwest::Method::POST,
            "/session",
            Some(json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": [
                        "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--disable-quic", "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        format!("--user-data-dir={}", profile.path().display()),
                    ]
                }
            }}})),
        )
        .await
        .unwrap();
    let id = session["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no WebDriver session: {session}"))
        .to_owned();
    for path in ["/testcookie", "/deletecookie"] {
        driver
            .call(
                reqwest::Method::POST,
                &format!("/session/{id}/url"),
                Some(json!({"url": format!("http://{addr}{path}")})),
            )
            .await
            .unwrap();
    }
    let source = driver
        .call(reqwest::Method::GET, &format!("/session/{id}/source"), None)
        .await
        .unwrap();
    let _ = driver
        .call(reqwest::Method::DELETE, &format!("/session/{id}"), None)
        .await;
    let source = source.as_str().unwrap_or_default();
    assert!(source.contains("your browser accepts cookies"), "{source}");
}

#[derive(clap::Parser)]
struct Args {
    #[command(flatten)]
    config: session_config::Config,
}

/// Log in, visit, look at `/`, log out, through the index page's own buttons; a hostile user
/// id is shown as text, never run. The screenshot taken on the way is the README's
/// `docs/demo-index.png` (copy it from `target/tmp/demo-index.png` after a change).
#[tokio::test]
async fn chromium_logs_in_visits_and_logs_out_from_the_index_page() {
    use base64::Engine as _;
    use clap::Parser as _;

    if !have_chromedriver() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("s.sqlite3").display()
    );
    let config = Args::try_parse_from([
        "session-demo",
        "--secret-key",
        "x7#kP2!vQ9zL4mR8@tW1sY6^bN3cF5hJ0dG-aE_uI+oXqMrZlKjHg",
        "--database-url",
        &url,
        "--expire-seconds",
        "1800",
        "--absolute-timeout",
        "86400",
    ])
    .unwrap()
    .config;
    let sessions = session_config::engine::manager(&config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = session_demo::app_on(sessions, config.engine.name()).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let driver = Driver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let id = driver.browser(profile.path()).await;
    let home = format!("http://{addr}/");
    driver.post(&id, "/url", json!({"url": home})).await;
    driver.text_containing(&id, "#key", "none yet").await;
    driver.text_containing(&id, "#user", "nobody").await;

    // Log in as ada: the page comes back with her id and a (masked) key.
    let input = driver.find(&id, "#login input[name=user]").await;
    driver
        .post(&id, &format!("/element/{input}/clear"), json!({}))
        .await;
    driver
        .post(
            &id,
            &format!("/element/{input}/value"),
            json!({"text": "ada"}),
        )
        .await;
    driver.click(&id, "#login button").await;
    driver.text_containing(&id, "#user", "ada").await;
    let key = driver.text_containing(&id, "#key", "...").await;
    assert_eq!(key.len(), 11, "4 characters, ..., 4 characters: {key:?}");

    // Visit, then back to the index: the counter is in the data.
    driver.click(&id, "#visit").await;
    driver.text_containing(&id, "body", "Visit count:1").await;
    driver.click(&id, "a[href='/']").await;
    driver.text_containing(&id, "#data", "\"visit\": 1").await;
    driver
        .text_containing(&id, "#data", "\"_auth_user_id\": \"ada\"")
        .await;
    driver
        .text_containing(&id, "#idle-timeout", "s left of 1800 s")
        .await;
    driver
        .text_containing(&id, "#absolute-timeout", "s left of 86400 s")
        .await;
    driver.text_containing(&id, "#engine", "db").await;
    driver.text_containing(&id, "#cookie", "HttpOnly").await;
    let png = driver.get(&id, "/screenshot").await;
    let png = base64::engine::general_purpose::STANDARD
        .decode(png.as_str().expect("a base64 screenshot"))
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    std::fs::write(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo-index.png"),
        &png,
    )
    .unwrap();

    // A user id made of markup is shown as text, never run.
    let hostile = "<script>document.title='pwned'</script>";
    let input = driver.find(&id, "#login input[name=user]").await;
    driver
        .post(&id, &format!("/element/{input}/clear"), json!({}))
        .await;
    driver
        .post(
            &id,
            &format!("/element/{input}/value"),
            json!({"text": hostile}),
        )
        .await;
    driver.click(&id, "#login button").await;
    driver.text_containing(&id, "#user", hostile).await;
    assert_eq!(driver.get(&id, "/title").await, json!("Sessions demo"));

    // Log out: no key, nobody, no data.
    driver.click(&id, "#logout button").await;
    driver.text_containing(&id, "#user", "nobody").await;
    driver.text_containing(&id, "#key", "none yet").await;
    driver.text_containing(&id, "#data", "{}").await;
    let _ = driver
        .call(reqwest::Method::DELETE, &format!("/session/{id}"), None)
        .await;
}
