//! [`Session`]: the per-request handle with the whole of Django's `request.session` API.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::SessionData;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::expiry::{EXPIRY_KEY, Expiry, StoredExpiry};
use crate::key::SessionKey;
use crate::store::SessionRecord;

/// Key of the test cookie inside the session data.
pub const TEST_COOKIE_NAME: &str = "testcookie";
/// Value of the test cookie.
pub const TEST_COOKIE_VALUE: &str = "worked";
/// How many fresh keys `create` tries before giving up with [`Error::KeyCollision`].
pub const MAX_CREATE_ATTEMPTS: usize = 32;
/// How many times [`Session::modify`] applies its change and saves before returning
/// [`Error::Conflict`].
pub const MAX_MODIFY_ATTEMPTS: u32 = 10;

/// One request's session, as Django's `request.session`.
///
/// Data is loaded from the store lazily, on first access. Reading marks the session
/// *accessed*; writing marks it *modified* (only top-level writes: after changing a nested
/// value in place, call [`set_modified`](Self::set_modified)). Clones share state, so the
/// middleware and the handler see the same session.
///
/// ```
/// # async fn view(session: session_core::Session) -> session_core::Result<()> {
/// let visits: i64 = session.get("visits").await?.unwrap_or(0);
/// session.insert("visits", visits + 1).await?;
/// if session.test_cookie_worked().await? {
///     session.delete_test_cookie().await?;
/// }
/// session.set_expiry(3600).await?;
/// session.cycle_key().await?; // after login, against session fixation
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    backend: Arc<Backend>,
    state: Mutex<State>,
    load_gate: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct State {
    key: Option<SessionKey>,
    /// `None` until loaded: Django's absent `_session_cache`.
    data: Option<Arc<SessionData>>,
    accessed: bool,
    modified: bool,
    /// Under `SESSION_CONFLICTS=detect`: what the store holds as far as this handle knows.
    base: Base,
    /// Under `SESSION_CONFLICTS=detect`: nothing changed since this handle's last save.
    synced: bool,
    /// The only changes are timeout timestamps ([`Session::update_stamps`]): a concurrent
    /// save wins over them without a conflict, as over an unmodified session.
    stamps_only: bool,
}

/// What a conflict-detecting save compares with.
#[derive(Debug, Default, Clone)]
enum Base {
    /// Not loaded (or detection is off).
    #[default]
    Unknown,
    /// The record as loaded or last saved, with the store's version.
    Loaded(SessionRecord),
    /// Created by this handle: nobody else knows the key before the response.
    Fresh,
}

/// A random pause before retry `attempt` of [`Session::modify`]: up to 0.25 ms doubled per
/// attempt (at most 8 ms), so that racing requests spread out.
fn retry_pause(attempt: u32) -> std::time::Duration {
    let ceiling = 250u64 << attempt.min(5);
    std::time::Duration::from_micros(rand::random_range(0..=ceiling))
}

/// Django's optional `modification=` and `expiry=` arguments of `get_expiry_age` and
/// `get_expiry_date`. An `expiry` given here is used as is, without loading the session.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ExpiryArgs {
    /// The time expiry is counted from (default: now).
    pub modification: Option<DateTime<Utc>>,
    /// The stored expiry to use instead of the session's own.
    pub expiry: Option<StoredExpiry>,
}

impl Session {
    pub(crate) fn new(backend: Arc<Backend>, cookie_value: Option<&str>) -> Self {
        let key = cookie_value.and_then(|raw| match backend.store.parse_key(raw) {
            Ok(key) => Some(key),
            Err(reason) => {
                tracing::debug!(target: "session_core::security", %reason, "ignoring invalid session key");
                None
            }
        });
        Session {
            inner: Arc::new(Inner {
                backend,
                state: Mutex::new(State {
                    key,
                    ..State::default()
                }),
                load_gate: tokio::sync::Mutex::new(()),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn backend(&self) -> &Backend {
        &self.inner.backend
    }

    /// The key the client will get back in its cookie; `None` before the first save of a
    /// new session, after `flush`, or when the incoming key was invalid, unknown or expired.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// assert_eq!(session.session_key(), None); // a new session has no key yet
    /// session.insert("cart", [1, 2]).await?;
    /// session.save().await?;
    /// let key = session.session_key().expect("saved");
    /// assert_eq!(sessions.session(Some(key.as_str())).get::<Vec<u8>>("cart").await?, Some(vec![1, 2]));
    /// # Ok(()) }
    /// ```
    pub fn session_key(&self) -> Option<SessionKey> {
        self.state().key.clone()
    }

    /// True once the data was read or written during this request (the middleware then adds
    /// `Vary: Cookie`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// assert!(!session.is_accessed());
    /// session.get::<String>("anything").await?;
    /// assert!(session.is_accessed());
    /// # Ok(()) }
    /// ```
    pub fn is_accessed(&self) -> bool {
        self.state().accessed
    }

    /// True once the data was changed during this request (the middleware then saves it).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.get::<String>("user").await?;
    /// assert!(!session.is_modified()); // reading is not changing
    /// session.insert("user", "ada").await?;
    /// assert!(session.is_modified());
    /// # Ok(()) }
    /// ```
    pub fn is_modified(&self) -> bool {
        self.state().modified
    }

    /// Marks the session modified, after changing a nested value in place.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.set_modified();
    /// assert!(session.is_modified());
    /// # Ok(()) }
    /// ```
    pub fn set_modified(&self) {
        let mut state = self.state();
        state.modified = true;
        state.synced = false;
        state.stamps_only = false;
    }

    /// Django's `is_empty()`: true when there is no key and no loaded data. A session that
    /// has a key but was never loaded is *not* empty. Does not load or mark accessed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// assert!(session.is_empty());
    /// session.insert("n", 1).await?;
    /// assert!(!session.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn is_empty(&self) -> bool {
        let state = self.state();
        state.key.is_none() && state.data.as_ref().is_none_or(|d| d.is_empty())
    }

    /// Loads the data if not loaded yet, and marks the session accessed.
    async fn ensure_loaded(&self) -> Result<()> {
        {
            let mut state = self.state();
            state.accessed = true;
            if state.data.is_some() {
                return Ok(());
            }
            if state.key.is_none() {
                state.data = Some(Arc::default());
                return Ok(());
            }
        }
        let _gate = self.inner.load_gate.lock().await;
        let Some(key) = ({
            let state = self.state();
            if state.data.is_some() {
                return Ok(());
            }
            state.key.clone()
        }) else {
            self.state().data = Some(Arc::default());
            return Ok(());
        };
        let now = self.backend().context.now();
        let loaded = self
            .backend()
            .store
            .load(&key)
            .await?
            .filter(|record| !record.is_expired(now));
        let mut state = self.state();
        if state.data.is_none() {
            match loaded {
                Some(record) => {
                    state.data = Some(record.shared_data().clone());
                    if self.backend().detect_conflicts {
                        state.base = Base::Loaded(record);
                    }
                }
                None => {
                    // Unknown or expired keys are never adopted: the next save makes a new one.
                    if state.key.as_ref() == Some(&key) {
                        state.key = None;
                    }
                    state.data = Some(Arc::default());
                }
            }
        }
        Ok(())
    }

    /// Runs `read` on the loaded data.
    async fn read<R>(&self, read: impl FnOnce(&SessionData) -> R) -> Result<R> {
        self.ensure_loaded().await?;
        let state = self.state();
        Ok(read(state.data.as_deref().expect("loaded above")))
    }

    /// Runs `write` on the loaded data; `write` returns whether it changed anything.
    async fn write<R>(&self, write: impl FnOnce(&mut SessionData) -> (R, bool)) -> Result<R> {
        self.ensure_loaded().await?;
        let mut state = self.state();
        let data = Arc::make_mut(state.data.as_mut().expect("loaded above"));
        let (result, changed) = write(data);
        if changed {
            state.modified = true;
            state.synced = false;
            state.stamps_only = false;
        }
        Ok(result)
    }

    /// [`update`](Self::update) for the timeouts' own timestamps: if nothing else changes,
    /// a save that meets a concurrent change gives way (another request of the session
    /// refreshed them too) instead of failing with [`Error::Conflict`].
    pub(crate) async fn update_stamps<K, I>(&self, entries: I) -> Result<()>
    where
        K: Into<String>,
        I: IntoIterator<Item = (K, Value)>,
    {
        let was_modified = self.state().modified;
        self.update(entries).await?;
        if !was_modified {
            self.state().stamps_only = true;
        }
        Ok(())
    }

    /// The value under `key`, converted to `T`; `None` when absent. Django's `session.get(key)`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.insert("visits", 3).await?;
    /// assert_eq!(session.get::<u32>("visits").await?, Some(3));
    /// assert_eq!(session.get::<u32>("absent").await?, None);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    /// [`Error::Serialization`] if the stored value does not convert to `T`.
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.read(|data| data.get(key).map(T::deserialize).transpose())
            .await?
            .map_err(Error::from)
    }

    /// The raw JSON value under `key`; `None` when absent.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.insert("user", serde_json::json!({"id": 7})).await?;
    /// assert_eq!(session.get_value("user").await?, Some(serde_json::json!({"id": 7})));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    pub async fn get_value(&self, key: &str) -> Result<Option<Value>> {
        self.read(|data| data.get(key).cloned()).await
    }

    /// Stores `value` under `key` (Django's `session[key] = value`) and marks the session
    /// modified.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.insert("cart", vec!["apple", "pear"]).await?;
    /// assert_eq!(session.get::<Vec<String>>("cart").await?.unwrap().len(), 2);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    /// [`Error::Serialization`] if `value` has no JSON form (a map with non-string keys, say).
    pub async fn insert<T: Serialize>(&self, key: &str, value: T) -> Result<()> {
        let value = serde_json::to_value(value)?;
        self.insert_value(key, value).await
    }

    /// Stores a raw JSON value under `key` and marks the session modified.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.insert_value("theme", serde_json::json!("dark")).await?;
    /// assert_eq!(session.get::<String>("theme").await?.as_deref(), Some("dark"));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    pub async fn insert_value(&self, key: impl Into<String>, value: Value) -> Result<()> {
        let key = key.into();
        self.write(|data| {
            data.insert(key, value);
            ((), true)
        })
        .await
    }

    /// Removes `key` and returns its raw JSON value (Django's `del session[key]` /
    /// `pop(key)`); the session is modified only if the key was there.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.insert("flash", "saved").await?;
    /// assert_eq!(session.pop_value("flash").await?, Some(serde_json::json!("saved")));
    /// assert_eq!(session.pop_value("flash").await?, None);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    pub async fn pop_value(&self, key: &str) -> Result<Option<Value>> {
        self.write(|data| {
            let removed = data.shift_remove(key);
            let changed = removed.is_some();
            (removed, changed)
        })
        .await
    }

    /// Removes `key` and returns its value converted to `T`; `None` when absent.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.insert("next", "/cart").await?;
    /// assert_eq!(session.pop::<String>("next").await?.as_deref(), Some("/cart"));
    /// assert!(!session.contains("next").await?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    /// [`Error::Serialization`] if the removed value does not convert to `T` (it is removed
    /// all the same).
    pub async fn pop<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.pop_value(key)
            .await?
            .map(serde_json::from_value)
            .transpose()
            .map_err(Error::from)
    }

    /// Django's `pop(key, default)`: the value, or `default` when absent (then the session is
    /// not modified).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// assert_eq!(session.pop_or("page", 1).await?, 1);
    /// assert!(!session.is_modified());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    /// [`Error::Serialization`] if the removed value does not convert to `T`.
    pub async fn pop_or<T: DeserializeOwned>(&self, key: &str, default: T) -> Result<T> {
        Ok(self.pop(key).await?.unwrap_or(default))
    }

    /// Django's `setdefault`: the existing value, or stores and returns `default`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// assert_eq!(session.setdefault("lang", "en".to_owned()).await?, "en");
    /// assert_eq!(session.setdefault("lang", "fr".to_owned()).await?, "en");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    /// [`Error::Serialization`] if the stored value does not convert to `T`, or `default` has no
    /// JSON form.
    pub async fn setdefault<T: Serialize + DeserializeOwned>(
        &self,
        key: &str,
        default: T,
    ) -> Result<T> {
        if let Some(existing) = self.get(key).await? {
            return Ok(existing);
        }
        self.insert(key, &default).await?;
        Ok(default)
    }

    /// Django's `update`: inserts every pair; always marks the session modified.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// use serde_json::json;
    /// session.update([("a", json!(1)), ("b", json!(2))]).await?;
    /// assert_eq!(session.keys().await?, ["a", "b"]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    pub async fn update<K, I>(&self, entries: I) -> Result<()>
    where
        K: Into<String>,
        I: IntoIterator<Item = (K, Value)>,
    {
        self.write(|data| {
            data.extend(entries.into_iter().map(|(k, v)| (k.into(), v)));
            ((), true)
        })
        .await
    }

    /// Django's `key in session` / `has_key`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.insert("user", 1).await?;
    /// assert!(session.contains("user").await?);
    /// assert!(!session.contains("admin").await?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    pub async fn contains(&self, key: &str) -> Result<bool> {
        self.read(|data| data.contains_key(key)).await
    }

    /// The keys, in insertion order (as a Python dict keeps them).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.insert("b", 1).await?;
    /// session.insert("a", 2).await?;
    /// assert_eq!(session.keys().await?, ["b", "a"]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    pub async fn keys(&self) -> Result<Vec<String>> {
        self.read(|data| data.keys().cloned().collect()).await
    }

    /// The values, in insertion order.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.insert("b", 1).await?;
    /// session.insert("a", 2).await?;
    /// assert_eq!(session.values().await?, [serde_json::json!(1), serde_json::json!(2)]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    pub async fn values(&self) -> Result<Vec<Value>> {
        self.read(|data| data.values().cloned().collect()).await
    }

    /// The key/value pairs, in insertion order.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.insert("a", true).await?;
    /// assert_eq!(session.items().await?, [("a".to_owned(), serde_json::json!(true))]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    pub async fn items(&self) -> Result<Vec<(String, Value)>> {
        self.read(|data| data.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .await
    }

    /// How many keys the data holds.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// assert_eq!(session.len().await?, 0);
    /// session.insert("a", 1).await?;
    /// assert_eq!(session.len().await?, 1);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    pub async fn len(&self) -> Result<usize> {
        self.read(SessionData::len).await
    }

    /// A snapshot of the whole data, without copying it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.insert("a", 1).await?;
    /// let data = session.data().await?;
    /// assert_eq!(data["a"], 1);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    pub async fn data(&self) -> Result<Arc<SessionData>> {
        self.ensure_loaded().await?;
        Ok(self.state().data.clone().expect("loaded above"))
    }

    /// Django's `clear()`: empties the data without loading it; the key is kept.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.insert("a", 1).await?;
    /// session.clear();
    /// assert_eq!(session.len().await?, 0);
    /// assert!(session.is_modified());
    /// # Ok(()) }
    /// ```
    pub fn clear(&self) {
        let mut state = self.state();
        state.data = Some(Arc::default());
        state.accessed = true;
        state.modified = true;
        state.synced = false;
        state.stamps_only = false;
    }

    /// Django's `flush()`: empties the data, deletes the stored session and drops the key
    /// (logout). The middleware then deletes the cookie.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.insert("user", 7).await?;
    /// session.save().await?;
    /// let key = session.session_key().unwrap();
    /// session.flush().await?;
    /// assert_eq!(session.session_key(), None);
    /// assert!(!sessions.store().exists(&key).await?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the store could not delete the session. The data in this handle is
    /// already empty; the stored session may remain.
    pub async fn flush(&self) -> Result<()> {
        self.clear();
        let key = self.session_key();
        if let Some(key) = &key {
            self.backend().store.delete(key).await?;
        }
        let mut state = self.state();
        if state.key == key {
            state.key = None;
            state.base = Base::Unknown;
        }
        Ok(())
    }

    /// Django's `cycle_key()`: the same data under a new key (call it on login, against
    /// session fixation). The new session is created before the old one is deleted, so if
    /// creating fails nothing is lost and the old key still works. Configured
    /// [timeouts](crate::timeouts) restart: a login starts both the idle and the absolute one.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.insert("cart", [1]).await?;
    /// session.save().await?;
    /// let before = session.session_key().unwrap();
    /// session.insert("user", 7).await?; // logging in
    /// session.cycle_key().await?;
    /// assert_ne!(session.session_key().unwrap(), before);
    /// assert!(!sessions.store().exists(&before).await?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    /// [`Error::KeyCollision`] if every fresh key tried was taken; [`Error::TooLarge`] if the
    /// engine cannot keep the data (a cookie over the browser's limit); [`Error::Backend`] if the
    /// old session could not be deleted (the new one exists by then).
    pub async fn cycle_key(&self) -> Result<()> {
        self.ensure_loaded().await?;
        let context = &self.backend().context;
        let restart = context.settings().timeouts.restart(context.now());
        if !restart.is_empty() {
            self.update(restart).await?;
        }
        let old = self.session_key();
        self.create().await?;
        if let Some(old) = old {
            self.backend().store.delete(&old).await?;
        }
        Ok(())
    }

    /// Persists the session: creates it under a fresh key if it has none, else updates it. The
    /// middleware calls this after the handler; call it yourself outside the middleware.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.insert("visits", 1).await?;
    /// session.save().await?;
    /// assert!(session.session_key().is_some());
    /// # Ok(()) }
    /// ```
    ///
    /// Under `SESSION_CONFLICTS=detect` the save succeeds only if the stored session is
    /// still the one this handle loaded (or last saved); a save with nothing changed since
    /// this handle's last save writes nothing, and one of a session this handle never
    /// changed (a `SESSION_SAVE_EVERY_REQUEST` refresh) gives way to a concurrent change
    /// without an error.
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    /// [`Error::SessionDeleted`] if another request deleted the session meanwhile (a logout);
    /// [`Error::Conflict`] (only under `SESSION_CONFLICTS=detect`) if another request changed
    /// it meanwhile; [`Error::KeyCollision`] if every fresh key tried for a new session was
    /// taken; [`Error::TooLarge`] if the engine cannot keep the data. The stored copy is
    /// unchanged.
    pub async fn save(&self) -> Result<()> {
        if self.session_key().is_none() {
            return self.create().await;
        }
        let detect = self.backend().detect_conflicts;
        if detect && self.state().synced {
            return Ok(());
        }
        self.ensure_loaded().await?;
        let (key, data) = {
            let state = self.state();
            (state.key.clone(), state.data.clone().expect("loaded above"))
        };
        // Loading may have discarded an unknown or expired key.
        let Some(key) = key else {
            return self.create().await;
        };
        let record = self.record_of(data);
        if detect {
            return self.save_detecting(key, record).await;
        }
        let new_key = self.backend().store.save(&key, &record).await?;
        let mut state = self.state();
        if state.key.as_ref() == Some(&key) {
            state.key = Some(new_key);
        }
        Ok(())
    }

    /// `save` under `SESSION_CONFLICTS=detect`: compare-and-swap against what was loaded.
    async fn save_detecting(&self, key: SessionKey, record: SessionRecord) -> Result<()> {
        let store = &self.backend().store;
        let base = self.state().base.clone();
        let saved = match base {
            Base::Loaded(loaded) => store.save_if_unchanged(&key, &record, &loaded).await,
            Base::Fresh => store.save(&key, &record).await.map(|_| record),
            // The data was replaced (`clear`) without being loaded: nothing read to protect.
            Base::Unknown => match store.load(&key).await {
                Ok(Some(current)) => store.save_if_unchanged(&key, &record, &current).await,
                Ok(None) => Err(Error::SessionDeleted),
                Err(error) => Err(error),
            },
        };
        let mut state = self.state();
        if state.key.as_ref() != Some(&key) {
            return saved.map(drop);
        }
        match saved {
            Ok(stored) => {
                if !matches!(state.base, Base::Fresh) {
                    state.base = Base::Loaded(stored);
                }
                state.synced = true;
                Ok(())
            }
            // Nothing was changed here (a `SESSION_SAVE_EVERY_REQUEST` refresh), or only the
            // timeouts' timestamps: the other request's save already wrote the data and
            // renewed the expiry.
            Err(Error::Conflict) if !state.modified || state.stamps_only => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Django's read-modify-write, safe against concurrent requests: applies `change` to the
    /// data and, under `SESSION_CONFLICTS=detect`, saves at once; when another request
    /// changed the session meanwhile ([`Error::Conflict`]), reloads it and applies `change`
    /// again, up to [`MAX_MODIFY_ATTEMPTS`] times with a short random pause between tries.
    /// A counter incremented this way never loses an increment. Without detection it is a
    /// plain change, saved by the middleware (or your `save`) as any other.
    ///
    /// Make every change of the request inside `change`: on a retry, changes made before
    /// `modify` are dropped with the stale data.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let mut settings = session_core::SessionSettings::new("secret")?;
    /// # settings.conflicts = session_core::Conflicts::Detect;
    /// # let sessions = session_core::SessionManager::build(settings, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc-modify", ctx))
    /// # })?;
    /// # let first = sessions.session(None);
    /// # first.save().await?;
    /// # let key = first.session_key().unwrap();
    /// let visits = sessions.session(Some(key.as_str())).modify(|data| {
    ///     let visits = data.get("visits").and_then(|v| v.as_i64()).unwrap_or(0) + 1;
    ///     data.insert("visits".into(), visits.into());
    ///     visits
    /// }).await?;
    /// assert_eq!(visits, 1);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Conflict`] after [`MAX_MODIFY_ATTEMPTS`] conflicting saves; otherwise as
    /// [`save`](Self::save) (nothing is saved without detection, so only load errors).
    pub async fn modify<R>(&self, mut change: impl FnMut(&mut SessionData) -> R) -> Result<R> {
        if !self.backend().detect_conflicts {
            return self.write(|data| (change(data), true)).await;
        }
        let mut attempt = 1;
        loop {
            let result = self.write(|data| (change(data), true)).await?;
            match self.save().await {
                Ok(()) => return Ok(result),
                Err(Error::Conflict) if attempt < MAX_MODIFY_ATTEMPTS => {
                    self.forget_data();
                    tokio::time::sleep(retry_pause(attempt)).await;
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Drops the loaded data (and what it was loaded at), so the next access reloads.
    fn forget_data(&self) {
        let mut state = self.state();
        state.data = None;
        state.base = Base::Unknown;
        state.synced = false;
    }

    /// Stores the current data (unloaded means empty) under a new key, retrying on key
    /// collisions with fresh keys.
    async fn create(&self) -> Result<()> {
        let data = self.state().data.get_or_insert_with(Arc::default).clone();
        let record = self.record_of(data);
        let store = &self.backend().store;
        for _ in 0..MAX_CREATE_ATTEMPTS {
            let candidate = self.backend().keys.generate();
            match store.create(&candidate, &record).await {
                Ok(key) => {
                    let detect = self.backend().detect_conflicts;
                    let mut state = self.state();
                    state.key = Some(key);
                    state.modified = true;
                    if detect {
                        state.base = Base::Fresh;
                        state.synced = true;
                    }
                    return Ok(());
                }
                Err(Error::KeyCollision) => {
                    tracing::debug!(target: "session_core", "session key collision, trying another key");
                }
                Err(other) => return Err(other),
            }
        }
        Err(Error::KeyCollision)
    }

    fn record_of(&self, data: Arc<SessionData>) -> SessionRecord {
        let context = &self.backend().context;
        let expires_at = context.expiry_date(&data, context.now());
        SessionRecord::new(data, expires_at)
    }

    /// Django's `set_expiry`: seconds, a datetime, a duration, `0` / [`Expiry::BrowserClose`]
    /// for a browser-length cookie, or [`Expiry::Default`] to return to the settings.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.set_expiry(3600).await?;
    /// assert_eq!(session.get_expiry_age().await?, 3600);
    /// session.set_expiry(0).await?;
    /// assert!(session.get_expire_at_browser_close().await?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidExpiry`] for a date outside years 1 to 9999 (Django would raise
    /// `OverflowError`); nothing changes. [`Error::Backend`] if the data had to be loaded
    /// and the store failed.
    pub async fn set_expiry(&self, expiry: impl Into<Expiry>) -> Result<()> {
        match expiry.into().to_stored(self.backend().context.now())? {
            Some(value) => self.insert_value(EXPIRY_KEY, value).await,
            None => self.pop_value(EXPIRY_KEY).await.map(drop),
        }
    }

    /// Seconds until the session expires, counted from now (Django's `get_expiry_age()`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// assert_eq!(session.get_expiry_age().await?, sessions.settings().cookie_age);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    pub async fn get_expiry_age(&self) -> Result<i64> {
        self.get_expiry_age_with(ExpiryArgs::default()).await
    }

    /// `get_expiry_age` with Django's `modification=` / `expiry=` overrides.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// use session_core::{ExpiryArgs, StoredExpiry};
    /// let args = ExpiryArgs { expiry: Some(StoredExpiry::Seconds(60.0)), ..Default::default() };
    /// assert_eq!(session.get_expiry_age_with(args).await?, 60);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed. (never when `args.expiry` is given).
    pub async fn get_expiry_age_with(&self, args: ExpiryArgs) -> Result<i64> {
        let (expiry, modification) = self.resolve_expiry(args).await?;
        Ok(expiry.age(modification, self.backend().context.settings().cookie_age))
    }

    /// When the session expires (Django's `get_expiry_date()`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.set_expiry(60).await?;
    /// let left = session.get_expiry_date().await? - chrono::Utc::now();
    /// assert!(left.num_seconds() <= 60);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    pub async fn get_expiry_date(&self) -> Result<DateTime<Utc>> {
        self.get_expiry_date_with(ExpiryArgs::default()).await
    }

    /// `get_expiry_date` with Django's `modification=` / `expiry=` overrides.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// use session_core::ExpiryArgs;
    /// let modification = chrono::DateTime::UNIX_EPOCH;
    /// let args = ExpiryArgs { modification: Some(modification), ..Default::default() };
    /// let age = sessions.settings().cookie_age;
    /// assert_eq!(session.get_expiry_date_with(args).await?, modification + chrono::TimeDelta::seconds(age));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    pub async fn get_expiry_date_with(&self, args: ExpiryArgs) -> Result<DateTime<Utc>> {
        let (expiry, modification) = self.resolve_expiry(args).await?;
        Ok(expiry.date(modification, self.backend().context.settings().cookie_age))
    }

    async fn resolve_expiry(&self, args: ExpiryArgs) -> Result<(StoredExpiry, DateTime<Utc>)> {
        let modification = args
            .modification
            .unwrap_or_else(|| self.backend().context.now());
        let expiry = match args.expiry {
            Some(expiry) => expiry,
            None => self.read(StoredExpiry::of).await?,
        };
        Ok((expiry, modification))
    }

    /// Whether the cookie should last only until the browser closes: the setting, unless a
    /// custom expiry says otherwise (`0` means yes, anything else no).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// assert!(!session.get_expire_at_browser_close().await?); // SESSION_EXPIRE_AT_BROWSER_CLOSE
    /// session.set_expiry(0).await?;
    /// assert!(session.get_expire_at_browser_close().await?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    pub async fn get_expire_at_browser_close(&self) -> Result<bool> {
        let setting = self.backend().context.settings().expire_at_browser_close;
        self.read(|data| match data.get(EXPIRY_KEY) {
            None | Some(Value::Null) => setting,
            Some(Value::Number(n)) => n.as_f64() == Some(0.0),
            Some(Value::Bool(b)) => !b,
            Some(_) => false,
        })
        .await
    }

    /// Django's `set_test_cookie()`: checks on the next request that the browser keeps cookies.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.set_test_cookie().await?;
    /// assert!(session.test_cookie_worked().await?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    pub async fn set_test_cookie(&self) -> Result<()> {
        self.insert_value(TEST_COOKIE_NAME, Value::from(TEST_COOKIE_VALUE))
            .await
    }

    /// Django's `test_cookie_worked()`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// assert!(!session.test_cookie_worked().await?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    pub async fn test_cookie_worked(&self) -> Result<bool> {
        self.read(|data| data.get(TEST_COOKIE_NAME) == Some(&Value::from(TEST_COOKIE_VALUE)))
            .await
    }

    /// Django's `delete_test_cookie()`; returns whether it was there.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// # let sessions = session_core::SessionManager::build(session_core::SessionSettings::new("secret")?, |ctx| {
    /// #     Ok(session_conformance::ReferenceStore::open("doc", ctx))
    /// # })?;
    /// # let session = sessions.session(None);
    /// session.set_test_cookie().await?;
    /// assert!(session.delete_test_cookie().await?);
    /// assert!(!session.delete_test_cookie().await?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    pub async fn delete_test_cookie(&self) -> Result<bool> {
        Ok(self.pop_value(TEST_COOKIE_NAME).await?.is_some())
    }
}
