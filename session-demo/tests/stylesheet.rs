//! Pages link `/style.css` instead of carrying the stylesheet, and `/style.css` is served
//! outside the session layer: cacheable, and no session cookie.

use clap::Parser;
use session_config::{Config, engine};

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    config: Config,
}

#[tokio::test]
async fn pages_link_a_cacheable_stylesheet_that_sets_no_cookie() {
    let args = [
        "demo",
        "--secret-key",
        "stylesheet-test-secret",
        "--engine",
        "cache",
        "--cache-url",
        "memory",
    ];
    let sessions = engine::manager(&Args::try_parse_from(args).unwrap().config)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = session_demo::app(sessions).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = reqwest::Client::new();

    let page = client
        .get(format!("http://{addr}/visit"))
        .send()
        .await
        .unwrap();
    assert!(page.headers().contains_key("set-cookie"));
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"<link rel="stylesheet" href="/style.css">"#),
        "{html}"
    );
    assert!(!html.contains("<style>"), "{html}");

    // A cookie that is no session: inside the session layer, the answer would delete it
    // (a `Set-Cookie`) and say `Vary: Cookie`.
    let css = client
        .get(format!("http://{addr}/style.css"))
        .header("cookie", "sessionid=not-a-session-key")
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(css.headers()["cache-control"], "public, max-age=86400");
    assert!(!css.headers().contains_key("set-cookie"));
    assert!(!css.headers().contains_key("vary"));
    assert!(css.text().await.unwrap().contains("body{"));
}
