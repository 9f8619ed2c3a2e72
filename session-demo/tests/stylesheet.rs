//! Pages link `/style.css` instead of carrying the stylesheet, and `/style.css` is served
//! outside the session layer: cacheable, and no session cookie.

#[allow(dead_code)] // this test needs only `scenario::serve`
mod scenario;

use session_conformance::{Env, ReferenceStore};
use session_core::SessionManager;

#[tokio::test]
async fn pages_link_a_cacheable_stylesheet_that_sets_no_cookie() {
    let env = Env::new("demo_stylesheet");
    let sessions = SessionManager::build(env.context(), |ctx| {
        Ok(ReferenceStore::open(env.namespace(), ctx))
    })
    .unwrap();
    let addr = scenario::serve(sessions).await;
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
