//! [`SessionLayer`] and [`SessionService`]: Django's `SessionMiddleware` as tower middleware.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::header::{HeaderValue, LOCATION, SET_COOKIE};
use http::{Request, Response, StatusCode};
use session_core::{Error, ExpiryArgs, Session, SessionManager};
use tower::{Layer, Service};

use crate::{cookie, vary};

/// Puts a [`Session`] in every request's extensions and, after the handler, saves it and
/// sets or deletes the cookie exactly as Django's `SessionMiddleware` does.
///
/// ```
/// use session_core::{SessionManager, SessionSettings};
/// use session_middleware::SessionLayer;
///
/// # fn demo() -> session_core::Result<()> {
/// let sessions = SessionManager::build(SessionSettings::new("secret")?, |ctx| {
///     Ok(session_conformance::ReferenceStore::open("app", ctx)) // any engine
/// })?;
/// let app = axum::Router::<()>::new().layer(SessionLayer::new(sessions)?);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SessionLayer {
    sessions: SessionManager,
    conflict_status: StatusCode,
}

impl SessionLayer {
    /// Sessions from `sessions`' store, with its settings, checked once here
    /// ([`SessionSettings::startup_check`](session_core::SessionSettings::startup_check)):
    /// a configuration error if the settings would make a cookie browsers refuse or mangle,
    /// or if they require a strong `SECRET_KEY` (the production preset) and it is weak; a
    /// weak key is otherwise logged as a warning.
    ///
    /// # Errors
    /// [`Error::Configuration`] as above.
    pub fn new(sessions: SessionManager) -> Result<Self, Error> {
        sessions.settings().startup_check()?;
        Ok(SessionLayer {
            sessions,
            conflict_status: StatusCode::CONFLICT,
        })
    }

    /// The status of a response whose session could not be saved because another request
    /// changed it meanwhile (`SESSION_CONFLICTS=detect`): 409 Conflict unless set here
    /// (503 with a `Retry-After` of your own, say).
    ///
    /// ```
    /// # fn demo(sessions: session_core::SessionManager) -> session_core::Result<()> {
    /// let layer = session_middleware::SessionLayer::new(sessions)?
    ///     .conflict_status(http::StatusCode::SERVICE_UNAVAILABLE);
    /// # Ok(()) }
    /// ```
    pub fn conflict_status(mut self, status: StatusCode) -> Self {
        self.conflict_status = status;
        self
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            sessions: self.sessions.clone(),
            conflict_status: self.conflict_status,
        }
    }
}

/// The service [`SessionLayer`] wraps around an inner service.
#[derive(Debug, Clone)]
pub struct SessionService<S> {
    inner: S,
    sessions: SessionManager,
    conflict_status: StatusCode,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let settings = self.sessions.settings();
        let incoming = cookie::read(request.headers(), &settings.cookie_name);
        let session = self.sessions.session(incoming.as_deref());
        request.extensions_mut().insert(session.clone());
        // The clone that was polled ready is the one that must be called.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let sessions = self.sessions.clone();
        let conflict_status = self.conflict_status;
        Box::pin(async move {
            let timeouts = &sessions.settings().timeouts;
            let timed_out = if incoming.is_some() && timeouts.is_enabled() {
                match timeouts.enforce(&session, sessions.context().now()).await {
                    Ok(timed_out) => timed_out,
                    Err(error) => {
                        tracing::error!(target: "session_middleware", %error, "could not check the session's timeouts");
                        return Ok(replacement(StatusCode::INTERNAL_SERVER_ERROR));
                    }
                }
            } else {
                None
            };
            if let Some(which) = timed_out {
                tracing::debug!(target: "session_middleware", ?which, "session timed out: flushed");
            }
            let mut response = match (timed_out, &timeouts.redirect) {
                (Some(_), Some(location)) => redirect(location),
                _ => inner.call(request).await?,
            };
            match finish(&sessions, &session, incoming.is_some(), &mut response).await {
                Ok(()) => Ok(response),
                Err(Error::SessionDeleted) => {
                    tracing::warn!(target: "session_middleware", "{}", Error::SessionDeleted);
                    Ok(replacement(StatusCode::BAD_REQUEST))
                }
                Err(Error::Conflict) => {
                    tracing::info!(target: "session_middleware", "{}", Error::Conflict);
                    Ok(replacement(conflict_status))
                }
                Err(error) => {
                    tracing::error!(target: "session_middleware", %error, "could not save the session");
                    Ok(replacement(StatusCode::INTERNAL_SERVER_ERROR))
                }
            }
        })
    }
}

/// `SESSION_TIMEOUT_REDIRECT`'s 302 (the setting was validated as a header value).
fn redirect<B: Default>(location: &str) -> Response<B> {
    let mut response = replacement(StatusCode::FOUND);
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

fn replacement<B: Default>(status: StatusCode) -> Response<B> {
    let mut response = Response::new(B::default());
    *response.status_mut() = status;
    response
}

/// Django's `process_response`.
async fn finish<B>(
    sessions: &SessionManager,
    session: &Session,
    had_cookie: bool,
    response: &mut Response<B>,
) -> Result<(), Error> {
    let settings = sessions.settings();
    let accessed = session.is_accessed();
    let wants_save = session.is_modified() || settings.save_every_request;
    let mut empty = session.is_empty();
    let mut cookie = None;
    if !empty && wants_save {
        let now = sessions.context().now();
        if settings.timeouts.is_enabled() {
            settings.timeouts.stamp_new(session, now).await?;
        }
        // Loads the session; a stale key turns out empty here and is not saved.
        let lifetime = if session.get_expire_at_browser_close().await? {
            None
        } else {
            let from_now = ExpiryArgs {
                modification: Some(now),
                ..ExpiryArgs::default()
            };
            let max_age = session.get_expiry_age_with(from_now).await?;
            Some(cookie::Lifetime::from_now(now, max_age))
        };
        empty = session.is_empty();
        if !empty && !response.status().is_server_error() {
            session.save().await?;
            let key = session.session_key().expect("a saved session has a key");
            cookie = Some(cookie::set(settings, key.as_str(), lifetime));
        }
    }
    let deleted = had_cookie && empty;
    if deleted {
        cookie = Some(cookie::delete(settings));
    }
    let need_vary = accessed || cookie.is_some();
    let headers = response.headers_mut();
    if let Some(cookie) = cookie {
        headers.append(SET_COOKIE, cookie);
    }
    if need_vary {
        vary::add_cookie(headers);
    }
    Ok(())
}
