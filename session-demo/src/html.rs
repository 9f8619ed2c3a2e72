//! The pages' HTML: the frame, its stylesheet (served once at `/style.css`, which browsers
//! cache, so a page carries only its own content), and escaping for everything that comes
//! from a user or a session.

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{Html, IntoResponse};
use axum::routing::get;

/// The stylesheet of every page: small, no build step.
const STYLE: &str = "\
body{font:16px/1.5 system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#1d2330;background:#f6f7fb}\
h1{font-size:1.6rem;margin:.2rem 0 1rem}h2{font-size:1.15rem;margin:0 0 .6rem}\
.card{background:#fff;border:1px solid #dde1ea;border-radius:10px;padding:1rem 1.2rem;margin:0 0 1rem}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}dt{color:#5b6475}dd{margin:0}\
code,pre{font:14px/1.4 ui-monospace,monospace;background:#f0f2f7;border-radius:6px}code{padding:.1rem .3rem}\
pre{padding:.7rem;overflow:auto;margin:.3rem 0 0}\
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}form{display:inline-flex;gap:.3rem;margin:0}\
button{font:inherit;padding:.35rem .8rem;border-radius:6px;border:1px solid #3056d3;background:#3056d3;color:#fff;cursor:pointer}\
button.quiet{background:#fff;color:#3056d3}input{font:inherit;padding:.3rem .4rem;border:1px solid #c5cad6;border-radius:6px;width:9rem}\
.muted{color:#5b6475}";

/// A whole page: `title` (escaped) and `body` (HTML, already escaped where it must be).
pub fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/style.css\"></head>\
         <body>{body}<p><a href=\"/\">home</a></p></body></html>",
        escape(title)
    ))
}

/// `GET /style.css`, cached by browsers for a day; outside the session layer.
pub fn routes() -> Router {
    Router::new().route("/style.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        STYLE,
    )
}

/// Escapes text for an HTML element or a quoted attribute value: `&`, `<`, `>`, `"`, `'`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert('x')</script>"),
            "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
        );
        assert_eq!(escape("\" onload=\"x"), "&quot; onload=&quot;x");
        assert_eq!(escape("a & b &amp;"), "a &amp; b &amp;amp;");
        assert_eq!(escape("café ✓"), "café ✓");
    }

    #[test]
    fn the_title_is_escaped() {
        let Html(html) = page("</title><script>x()</script>", "<p>ok</p>");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("<p>ok</p>"));
    }
}
