//! A real browser: headless Chromium, driven through chromedriver's W3C WebDriver API,
//! visits `/testcookie` then `/deletecookie`, and the page says cookies work.

#[allow(dead_code)] // this test needs only `scenario::serve`
mod scenario;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use session_conformance::{Env, ReferenceStore};
use session_core::SessionManager;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

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

#[tokio::test]
async fn chromium_accepts_the_test_cookie() {
    if !std::path::Path::new(CHROMEDRIVER).exists() {
        assert!(
            !session_test_support::services::required(),
            "{CHROMEDRIVER} is missing (Debian packages chromium and chromium-driver)"
        );
        eprintln!("skipped: {CHROMEDRIVER} not installed");
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
