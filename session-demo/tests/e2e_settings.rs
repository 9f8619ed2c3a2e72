//! The demo binary configured through the environment, as a user runs it: the session
//! timeouts (`SESSION_EXPIRE_SECONDS` and the rest, real time, short timeouts) and the
//! production preset (`SESSION_PRESET=production`).

use std::net::SocketAddr;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::{Client, StatusCode, redirect};

const STRONG_SECRET: &str = "x7#kP2!vQ9zL4mR8@tW1sY6^bN3cF5hJ0dG-aE_uI+oXqMrZlKjHg";

/// A running `session-demo`, killed when dropped.
struct Demo {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(env: &[(&str, &str)], dir: &tempfile::TempDir) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_session-demo"));
    command
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("SECRET_KEY", STRONG_SECRET)
        .env("SESSION_ENGINE", "cache")
        .env("CACHE_URL", "memory")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied());
    command
}

impl Demo {
    /// Starts the demo with these environment variables on a free port and waits for it.
    fn start(env: &[(&str, &str)]) -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let child = command(env, &dir)
            .env("BIND", addr.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the demo binary starts");
        let mut demo = Demo {
            child,
            addr,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(addr).is_err() {
            if let Some(status) = demo.child.try_wait().unwrap() {
                panic!("the demo exited with {status}");
            }
            assert!(
                Instant::now() < deadline,
                "the demo did not listen on {addr}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        demo
    }

    async fn get(
        &self,
        client: &Client,
        path: &str,
    ) -> (StatusCode, String, Vec<String>, Option<String>) {
        let response = client
            .get(format!("http://{}{path}", self.addr))
            .send()
            .await
            .unwrap();
        let cookies = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let location = response
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        (
            response.status(),
            response.text().await.unwrap(),
            cookies,
            location,
        )
    }

    /// The visit counter's page text.
    async fn visit(&self, client: &Client) -> String {
        self.get(client, "/visit").await.1
    }
}

/// Runs the demo to its exit (it must refuse to start); its status and output.
fn refused(env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut child = command(env, &dir)
        .env("BIND", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the demo started with {env:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

async fn sleep(seconds: f64) {
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
}

#[tokio::test]
async fn visited_every_second_lives_idle_for_2_5_s_starts_over() {
    let demo = Demo::start(&[("SESSION_EXPIRE_SECONDS", "2")]);
    let client = browser();
    for n in 1..=5 {
        let page = demo.visit(&client).await;
        assert!(page.contains(&format!("Visit count:{n}")), "{page}");
        sleep(1.0).await;
    }
    sleep(1.5).await; // 2.5 s since the last visit
    let page = demo.visit(&client).await;
    assert!(page.contains("Visit count:1"), "{page}");
}

#[tokio::test]
async fn without_activity_refresh_it_starts_over_2_s_after_creation() {
    let demo = Demo::start(&[
        ("SESSION_EXPIRE_SECONDS", "2"),
        ("SESSION_EXPIRE_AFTER_LAST_ACTIVITY", "false"),
    ]);
    let client = browser();
    let created = Instant::now();
    for n in 1..=3 {
        let page = demo.visit(&client).await;
        assert!(page.contains(&format!("Visit count:{n}")), "{page}");
        sleep(0.6).await;
    }
    let left = Duration::from_millis(2600).saturating_sub(created.elapsed());
    tokio::time::sleep(left).await;
    let page = demo.visit(&client).await;
    assert!(page.contains("Visit count:1"), "{page}");
}

#[tokio::test]
async fn timed_out_request_redirects_to_the_configured_url() {
    let demo = Demo::start(&[
        ("SESSION_EXPIRE_SECONDS", "2"),
        ("SESSION_TIMEOUT_REDIRECT", "/"),
    ]);
    let client = browser();
    demo.visit(&client).await;
    sleep(2.5).await;
    let (status, _, cookies, location) = demo.get(&client, "/visit").await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(location.as_deref(), Some("/"));
    assert!(cookies[0].starts_with("sessionid=\"\";"), "{cookies:?}");
    let page = demo.visit(&client).await;
    assert!(page.contains("Visit count:1"), "{page}");
}

#[tokio::test]
async fn absolute_timeout_ends_a_busy_session() {
    let demo = Demo::start(&[
        ("SESSION_EXPIRE_SECONDS", "60"),
        ("SESSION_ABSOLUTE_TIMEOUT", "2"),
    ]);
    let client = browser();
    let created = Instant::now();
    let mut n = 0;
    while created.elapsed() < Duration::from_millis(1400) {
        n += 1;
        let page = demo.visit(&client).await;
        assert!(page.contains(&format!("Visit count:{n}")), "{page}");
        sleep(0.3).await;
    }
    tokio::time::sleep(Duration::from_millis(2600).saturating_sub(created.elapsed())).await;
    let page = demo.visit(&client).await;
    assert!(page.contains("Visit count:1"), "{page}");
}

#[tokio::test]
async fn production_preset_cookie() {
    let demo = Demo::start(&[("SESSION_PRESET", "production")]);
    let (_, page, cookies, _) = demo.get(&browser(), "/visit").await;
    assert!(page.contains("Visit count:1"), "{page}");
    let cookie = &cookies[0];
    assert!(cookie.starts_with("__Host-sessionid="), "{cookie}");
    let attributes: Vec<&str> = cookie.split("; ").skip(1).collect();
    for wanted in ["Secure", "HttpOnly", "Path=/", "SameSite=Lax"] {
        assert!(attributes.contains(&wanted), "{wanted} missing: {cookie}");
    }
    assert!(
        !attributes.iter().any(|a| a.starts_with("Domain")),
        "{cookie}"
    );
}

#[tokio::test]
async fn production_preset_refuses_a_cookie_domain() {
    let output = refused(&[
        ("SESSION_PRESET", "production"),
        ("SESSION_COOKIE_DOMAIN", "example.com"),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("__Host-"), "{stderr}");
}

#[tokio::test]
async fn production_preset_refuses_a_weak_secret_key() {
    let output = refused(&[
        ("SESSION_PRESET", "production"),
        ("SECRET_KEY", "change-me"),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SECRET_KEY is too weak"), "{stderr}");
    assert!(
        !stderr.contains("change-me"),
        "the key is never printed: {stderr}"
    );
    // Without the preset the same key only warns, and the demo serves.
    let demo = Demo::start(&[("SECRET_KEY", "change-me")]);
    let page = demo.visit(&browser()).await;
    assert!(page.contains("Visit count:1"), "{page}");
}
