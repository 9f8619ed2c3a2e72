//! [`SessionManager`]: one per application, makes a [`Session`] per request.

use std::sync::Arc;

use crate::key::{KeyGenerator, RandomKeys};
use crate::session::Session;
use crate::settings::SessionSettings;
use crate::store::{SessionStore, StoreContext};

/// A store, the settings and clock it runs with, and the key generator: everything a
/// [`Session`] needs. Cheap to clone; share one across the application.
///
/// ```
/// # async fn demo(store: std::sync::Arc<dyn session_core::SessionStore>) -> session_core::Result<()> {
/// use session_core::{SessionManager, SessionSettings, StoreContext};
/// let ctx = StoreContext::new(SessionSettings::new("secret")?);
/// let sessions = SessionManager::new(store, ctx);
/// let session = sessions.session(None); // no cookie yet
/// session.insert("visits", 1).await?;
/// session.save().await?;
/// let cookie_value = session.session_key().expect("saved sessions have a key");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SessionManager {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn SessionStore>,
    context: StoreContext,
    keys: Arc<dyn KeyGenerator>,
}

impl SessionManager {
    /// Sessions over `store`, with `context`'s settings and clock, and random keys.
    pub fn new(store: Arc<dyn SessionStore>, context: StoreContext) -> Self {
        SessionManager {
            inner: Arc::new(Inner {
                store,
                context,
                keys: Arc::new(RandomKeys),
            }),
        }
    }

    /// The same manager drawing new keys from `keys` (tests use this to force collisions).
    pub fn with_key_generator(self, keys: Arc<dyn KeyGenerator>) -> Self {
        SessionManager {
            inner: Arc::new(Inner {
                store: self.inner.store.clone(),
                context: self.inner.context.clone(),
                keys,
            }),
        }
    }

    /// A handle for one request. `cookie_value` is the session cookie, if the request had
    /// one; an invalid value is treated as no cookie (and never reaches the store).
    pub fn session(&self, cookie_value: Option<&str>) -> Session {
        Session::new(self.clone(), cookie_value)
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn SessionStore> {
        &self.inner.store
    }

    /// The context (settings, codec, clock).
    pub fn context(&self) -> &StoreContext {
        &self.inner.context
    }

    /// The settings.
    pub fn settings(&self) -> &SessionSettings {
        self.inner.context.settings()
    }

    pub(crate) fn keys(&self) -> &dyn KeyGenerator {
        &*self.inner.keys
    }
}
