//! [`Harness`]: the engine under test, as a case sees it.

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use session_core::{
    KeyGenerator, MockClock, Session, SessionManager, SessionSettings, SessionStore,
};

use crate::env::Env;

/// An engine constructor: builds a store over the data named by the [`Env`].
pub type MakeStore =
    Arc<dyn Fn(Env) -> BoxFuture<'static, Result<Arc<dyn SessionStore>, String>> + Send + Sync>;

/// Wraps an async constructor closure as a [`MakeStore`].
pub fn make_store<F, Fut, E>(make: F) -> MakeStore
where
    F: Fn(Env) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Arc<dyn SessionStore>, E>> + Send + 'static,
    E: Display,
{
    Arc::new(move |env| {
        let fut = make(env);
        Box::pin(async move { fut.await.map_err(|e| e.to_string()) })
    })
}

/// One case's view of the engine under test.
#[derive(Clone)]
pub struct Harness {
    env: Env,
    make: MakeStore,
    sessions: SessionManager,
}

impl Harness {
    /// Builds the store for a case. Panics (failing the case) if the constructor fails.
    pub async fn start(case: &str, make: MakeStore) -> Harness {
        let env = Env::new(case);
        let sessions = Self::manager(&make, env.clone()).await;
        Harness {
            env,
            make,
            sessions,
        }
    }

    async fn manager(make: &MakeStore, env: Env) -> SessionManager {
        // The constructor builds the store from `env.context()`, the manager's context.
        SessionManager::connect(env.context(), async |_| {
            make(env).await.map_err(session_core::Error::config)
        })
        .await
        .unwrap_or_else(|e| panic!("the engine's constructor failed: {e}"))
    }

    /// The case's environment.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// The sessions over the engine under test.
    pub fn sessions(&self) -> &SessionManager {
        &self.sessions
    }

    /// The engine under test.
    pub fn store(&self) -> &Arc<dyn SessionStore> {
        self.sessions.store()
    }

    /// A handle as a request with `cookie` would get.
    pub fn session(&self, cookie: Option<&str>) -> Session {
        self.sessions.session(cookie)
    }

    /// A handle for a request without a cookie.
    pub fn new_session(&self) -> Session {
        self.sessions.session(None)
    }

    /// The case's clock.
    pub fn clock(&self) -> &MockClock {
        self.env.clock()
    }

    /// The settings the engine was built with.
    pub fn settings(&self) -> &SessionSettings {
        self.env.settings()
    }

    /// A second store over the same data, built with changed settings.
    pub async fn reopen(&self, change: impl FnOnce(&mut SessionSettings)) -> SessionManager {
        Self::manager(&self.make, self.env.with_settings(change)).await
    }

    /// The same sessions drawing new keys from `keys`.
    pub fn with_keys(&self, keys: Arc<dyn KeyGenerator>) -> SessionManager {
        self.sessions.clone().with_key_generator(keys)
    }
}
