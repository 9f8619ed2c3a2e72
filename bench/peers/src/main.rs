//! `peer-server ENGINE`: session-demo's `/visit` (load the session, add one to "visit",
//! save) served by one of the Rust session peers, or with no session layer (`bare` on axum,
//! `actix-bare` on actix-web: each framework's own floor), for `scripts/peer-bench`.
//!
//! Settings come from the environment: `BIND` (default 127.0.0.1:8000), `REDIS_URL`,
//! `PG_URL`, `SQLITE_PATH`, and `PEER_NAMESPACE` (default `peer_bench`): the PostgreSQL
//! schema of tower-postgres and the Redis key prefix of actix-redis, so that the driver can
//! drop exactly what this server made. tower-redis keys are the bare session ids, which the
//! driver reads back from the cookies.

use std::env;
use std::error::Error;
use std::str::FromStr;

use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::{CookieSessionStore, RedisSessionStore, SessionStore as ActixStore};
use actix_session::{Session as ActixSession, SessionMiddleware};
use actix_web::cookie::Key;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tower_sessions::{Expiry, MemoryStore, Session, SessionManagerLayer, SessionStore};
use tower_sessions_moka_store::MokaStore;
use tower_sessions_redis_store::RedisStore;
use tower_sessions_redis_store::fred::prelude::{ClientLike, Config, Pool};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Django's SESSION_COOKIE_AGE, as session-demo uses it.
const TWO_WEEKS: time::Duration = time::Duration::weeks(2);

const ENGINES: &str = "bare, tower-memory, tower-moka, tower-redis, tower-postgres, \
                       tower-sqlite, actix-bare, actix-cookie, actix-redis";

/// session-demo's page, byte for byte (scripts/peer-bench refuses a run where they differ).
fn page(visit: i64) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>Visit</title><link rel=\"stylesheet\" href=\"/style.css\"></head>\
         <body><p>Visit count:{visit}</p><p><a href=\"/\">home</a></p></body></html>"
    )
}

fn var(name: &str) -> Result<String> {
    env::var(name).map_err(|_| format!("{name} is not set").into())
}

fn main() -> Result<()> {
    let engine = env::args()
        .nth(1)
        .ok_or(format!("usage: peer-server ENGINE ({ENGINES})"))?;
    let bind = env::var("BIND").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    let namespace = env::var("PEER_NAMESPACE").unwrap_or_else(|_| "peer_bench".to_owned());
    if let Some(store) = engine.strip_prefix("actix-") {
        return actix_web::rt::System::new().block_on(actix(store, &bind, &namespace));
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(axum_app(&engine, &bind, &namespace))
}

async fn axum_app(engine: &str, bind: &str, namespace: &str) -> Result<()> {
    let app = match engine {
        "bare" => Router::new().route("/visit", get(async || Html(page(1)))),
        "tower-memory" => tower(MemoryStore::default()),
        "tower-moka" => tower(MokaStore::new(None)),
        "tower-redis" => {
            // One multiplexed connection, as session-cache's and actix-session's redis-rs
            // ConnectionManager (the README's pool of 6 was slower and costlier here).
            let pool = Pool::new(Config::from_url(&var("REDIS_URL")?)?, None, None, None, 1)?;
            pool.init().await?;
            tower(RedisStore::new(pool))
        }
        "tower-postgres" => {
            let pool = PgPoolOptions::new().connect(&var("PG_URL")?).await?;
            let store = PostgresStore::new(pool).with_schema_name(namespace)?;
            store.migrate().await?;
            tower(store)
        }
        "tower-sqlite" => {
            // The journal settings session-db gives a SQLite file.
            let options = SqliteConnectOptions::from_str(&var("SQLITE_PATH")?)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal);
            let store = SqliteStore::new(SqlitePoolOptions::new().connect_with(options).await?);
            store.migrate().await?;
            tower(store)
        }
        other => return Err(format!("unknown engine {other:?}: use {ENGINES}").into()),
    };
    let app = app.route("/", get(async || "ok"));
    let listener = tokio::net::TcpListener::bind(bind).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

fn tower<S: SessionStore + Clone>(store: S) -> Router {
    Router::new().route("/visit", get(tower_visit)).layer(
        SessionManagerLayer::new(store)
            .with_secure(false)
            .with_expiry(Expiry::OnInactivity(TWO_WEEKS)),
    )
}

async fn tower_visit(session: Session) -> std::result::Result<Html<String>, StatusCode> {
    let failed = |_| StatusCode::INTERNAL_SERVER_ERROR;
    let visit = session
        .get::<i64>("visit")
        .await
        .map_err(failed)?
        .unwrap_or(0)
        + 1;
    session.insert("visit", visit).await.map_err(failed)?;
    Ok(Html(page(visit)))
}

async fn actix(store: &str, bind: &str, namespace: &str) -> Result<()> {
    match store {
        "bare" => actix_bare(bind).await,
        "cookie" => actix_serve(CookieSessionStore::default, bind).await,
        "redis" => {
            let prefix = format!("{namespace}:");
            let store = RedisSessionStore::builder(var("REDIS_URL")?)
                .cache_keygen(move |key| format!("{prefix}{key}"))
                .build()
                .await?;
            actix_serve(move || store.clone(), bind).await
        }
        other => Err(format!("unknown engine actix-{other}: use {ENGINES}").into()),
    }
}

async fn actix_serve<S, F>(store: F, bind: &str) -> Result<()>
where
    S: ActixStore + 'static,
    F: Fn() -> S + Send + Clone + 'static,
{
    use actix_web::{App, HttpServer, web};
    let key = Key::generate();
    HttpServer::new(move || {
        // Signed like session-demo's cookies, not encrypted (actix-session's default).
        let sessions = SessionMiddleware::builder(store(), key.clone())
            .cookie_secure(false)
            .cookie_content_security(CookieContentSecurity::Signed)
            .session_lifecycle(PersistentSession::default().session_ttl(TWO_WEEKS))
            .build();
        App::new()
            .wrap(sessions)
            .route("/visit", web::get().to(actix_visit))
            .route("/", web::get().to(async || "ok"))
    })
    .bind(bind)?
    .run()
    .await?;
    Ok(())
}

/// The same page with no session middleware: actix-web's own cost per request.
async fn actix_bare(bind: &str) -> Result<()> {
    use actix_web::{App, HttpServer, web};
    HttpServer::new(|| {
        App::new()
            .route(
                "/visit",
                web::get().to(async || {
                    actix_web::HttpResponse::Ok()
                        .content_type("text/html; charset=utf-8")
                        .body(page(1))
                }),
            )
            .route("/", web::get().to(async || "ok"))
    })
    .bind(bind)?
    .run()
    .await?;
    Ok(())
}

async fn actix_visit(session: ActixSession) -> actix_web::Result<actix_web::HttpResponse> {
    let visit = session.get::<i64>("visit")?.unwrap_or(0) + 1;
    session.insert("visit", visit)?;
    Ok(actix_web::HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page(visit)))
}
