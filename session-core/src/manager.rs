//! [`SessionManager`]: one per application, makes a [`Session`] per request.

use std::sync::Arc;

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::hashed_keys::HashedKeys;
use crate::key::{KeyGenerator, RandomKeys};
use crate::session::Session;
use crate::settings::SessionSettings;
use crate::store::{SessionStore, StoreContext};

/// A store, the settings and clock it runs with, and the key generator: everything a
/// [`Session`] needs. Cheap to clone; share one across the application.
///
/// The store is built from the manager's own [`StoreContext`] (by [`build`](Self::build) or
/// [`connect`](Self::connect)), so the engine and the sessions always agree on settings,
/// secrets and clock. On a context [`with_hashed_keys`](StoreContext::with_hashed_keys),
/// the manager puts the store behind [`HashedKeys`]: every engine stores key hashes.
///
/// ```
/// use session_core::{SessionManager, SessionSettings};
/// use session_conformance::ReferenceStore; // an in-memory engine
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> session_core::Result<()> {
/// let sessions = SessionManager::build(SessionSettings::new("secret")?, |ctx| {
///     Ok(ReferenceStore::open("doc", ctx)) // any engine, built with the context it is given
/// })?;
/// let session = sessions.session(None); // no cookie yet
/// session.insert("visits", 1).await?;
/// session.save().await?;
/// let cookie_value = session.session_key().expect("saved sessions have a key");
/// # let _ = cookie_value;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SessionManager {
    inner: Arc<Backend>,
}

/// What [`SessionManager::build`] and [`SessionManager::connect`] accept as the store: any
/// engine, shared (`Arc<S>`) or not, or an `Arc<dyn SessionStore>` chosen at run time.
///
/// ```
/// use std::sync::Arc;
/// use session_conformance::ReferenceStore;
/// use session_core::{SessionManager, SessionSettings};
///
/// let settings = SessionSettings::new("secret")?;
/// let owned = SessionManager::build(settings.clone(), |ctx| Ok(ReferenceStore::open("a", ctx)))?;
/// let shared = SessionManager::build(settings, |ctx| Ok(Arc::new(ReferenceStore::open("b", ctx))))?;
/// # Ok::<(), session_core::Error>(())
/// ```
pub trait IntoSessionStore {
    /// The store, shared.
    fn into_session_store(self) -> Arc<dyn SessionStore>;
}

impl<S: SessionStore + 'static> IntoSessionStore for S {
    fn into_session_store(self) -> Arc<dyn SessionStore> {
        Arc::new(self)
    }
}

impl<S: SessionStore + 'static> IntoSessionStore for Arc<S> {
    fn into_session_store(self) -> Arc<dyn SessionStore> {
        self
    }
}

impl IntoSessionStore for Arc<dyn SessionStore> {
    fn into_session_store(self) -> Arc<dyn SessionStore> {
        self
    }
}

impl SessionManager {
    /// Sessions over the store `make_store` builds from the manager's context (`settings`
    /// on the system clock, or a [`StoreContext`] of your own, on a mock clock say).
    ///
    /// # Errors
    /// Whatever `make_store` returns; [`Error::Configuration`](crate::Error::Configuration)
    /// under `SESSION_CONFLICTS=detect` over a store that cannot detect conflicts.
    pub fn build<S: IntoSessionStore>(
        context: impl Into<StoreContext>,
        make_store: impl FnOnce(StoreContext) -> Result<S>,
    ) -> Result<Self> {
        let context = context.into();
        let store = make_store(context.clone())?.into_session_store();
        Self::assemble(store, context)
    }

    /// [`build`](Self::build) for engines that connect to a server.
    ///
    /// ```
    /// # async fn demo(url: &str) -> session_core::Result<()> {
    /// # use session_core::{SessionManager, SessionSettings, StoreContext, SessionStore};
    /// # async fn open(url: &str, ctx: StoreContext) -> session_core::Result<std::sync::Arc<dyn SessionStore>> { unimplemented!() }
    /// let sessions = SessionManager::connect(SessionSettings::new("secret")?, async |ctx| {
    ///     open(url, ctx).await // e.g. session_db::DbStore::open(config, ctx)
    /// })
    /// .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// Whatever `make_store` returns; [`Error::Configuration`](crate::Error::Configuration)
    /// under `SESSION_CONFLICTS=detect` over a store that cannot detect conflicts.
    pub async fn connect<S: IntoSessionStore>(
        context: impl Into<StoreContext>,
        make_store: impl AsyncFnOnce(StoreContext) -> Result<S>,
    ) -> Result<Self> {
        let context = context.into();
        let store = make_store(context.clone()).await?.into_session_store();
        Self::assemble(store, context)
    }

    fn assemble(store: Arc<dyn SessionStore>, context: StoreContext) -> Result<Self> {
        let store = if context.hashes_keys() {
            Arc::new(HashedKeys::new(store, &context))
        } else {
            store
        };
        let detect_conflicts = context.detects_conflicts();
        if detect_conflicts && !store.supports_conflict_detection() {
            return Err(Error::config(
                "SESSION_CONFLICTS=detect needs an engine that can compare and swap, and this one \
                 cannot (signed cookies keep no server state to compare with)",
            ));
        }
        Ok(SessionManager {
            inner: Arc::new(Backend {
                store,
                context,
                keys: Arc::new(RandomKeys),
                detect_conflicts,
            }),
        })
    }

    /// The same manager drawing new keys from `keys` (tests use this to force collisions).
    pub fn with_key_generator(self, keys: Arc<dyn KeyGenerator>) -> Self {
        SessionManager {
            inner: Arc::new(Backend {
                store: self.inner.store.clone(),
                context: self.inner.context.clone(),
                keys,
                detect_conflicts: self.inner.detect_conflicts,
            }),
        }
    }

    /// A handle for one request. `cookie_value` is the session cookie, if the request had
    /// one; an invalid value is treated as no cookie (and never reaches the store).
    pub fn session(&self, cookie_value: Option<&str>) -> Session {
        Session::new(self.inner.clone(), cookie_value)
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn SessionStore> {
        &self.inner.store
    }

    /// The context (settings, codec, clock) the store was built with.
    pub fn context(&self) -> &StoreContext {
        &self.inner.context
    }

    /// The settings.
    pub fn settings(&self) -> &SessionSettings {
        self.inner.context.settings()
    }
}
