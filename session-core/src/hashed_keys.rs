//! Keys hashed at rest (`SESSION_HASH_KEYS`): [`HashedKeys`] stores every session under
//! an HMAC of its key, so a leaked table, directory listing or cache dump holds no cookie.
//!
//! The HMAC key is derived from the secret (SHA-256 of a fixed salt and `SECRET_KEY`, as
//! Django's `salted_hmac` derives its keys); a stored key is the first 40 hex digits (160
//! bits) of HMAC-SHA256 of the session key: a valid key for every engine (Django's
//! `varchar(40)` column, a file name, a cache key), and not one that reaches a session
//! when sent as a cookie, since a cookie's key is hashed before any lookup.
//!
//! Secret rotation keeps sessions: a key is looked up under the current secret's hash, then
//! under each fallback's; a session found under a fallback's hash moves to the current
//! one at its next save, and `delete` removes every hash.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::inventory::SessionInventory;
use crate::key::{InvalidKey, SessionKey};
use crate::settings::Secrets;
use crate::store::{SessionRecord, SessionStore, StoreContext};

/// Salt of the derived HMAC key: a different key from every signing use of the secret.
const SALT: &str = "django_sessions_rs.hashed_session_keys";
/// Hex digits of a stored key.
const STORED_KEY_LENGTH: usize = 40;

/// HMACs of session keys under the current secret and the fallbacks. `Debug` shows no key.
#[derive(Clone)]
pub struct KeyHasher {
    /// The current secret's MAC first, then the fallbacks'.
    macs: Vec<Hmac<Sha256>>,
}

impl fmt::Debug for KeyHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyHasher")
            .field("secrets", &self.macs.len())
            .finish_non_exhaustive()
    }
}

impl KeyHasher {
    /// A hasher for `secrets`.
    pub fn new(secrets: &Secrets) -> Self {
        let macs = secrets
            .all()
            .map(|secret| {
                let derived = Sha256::new()
                    .chain_update(SALT)
                    .chain_update(secret.expose())
                    .finalize();
                Hmac::<Sha256>::new_from_slice(&derived).expect("HMAC takes keys of any length")
            })
            .collect();
        KeyHasher { macs }
    }

    fn hash(mac: &Hmac<Sha256>, key: &SessionKey) -> SessionKey {
        let digest = mac
            .clone()
            .chain_update(key.as_str())
            .finalize()
            .into_bytes();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        SessionKey::parse(&hex[..STORED_KEY_LENGTH]).expect("40 hex digits are a valid key")
    }

    /// What `key` is stored under now.
    pub fn current(&self, key: &SessionKey) -> SessionKey {
        Self::hash(&self.macs[0], key)
    }

    /// What `key` may have been stored under with a fallback secret, newest first.
    pub fn fallbacks<'a>(&'a self, key: &'a SessionKey) -> impl Iterator<Item = SessionKey> + 'a {
        self.macs[1..].iter().map(move |mac| Self::hash(mac, key))
    }
}

/// Any server-side store with keys hashed at rest. A [`SessionManager`](crate::SessionManager)
/// built on a context [`with_hashed_keys`](StoreContext::with_hashed_keys) wraps its store
/// in this by itself; wrap a store by hand only to run it without a manager.
///
/// Off by default: Django (and any other reader of the store) cannot find a session by its
/// cookie in a hashed store, and a client-side engine (signed cookies) has nothing to hash.
///
/// ```
/// use session_conformance::ReferenceStore;
/// use session_core::{SessionManager, SessionSettings, StoreContext};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> session_core::Result<()> {
/// let ctx = StoreContext::new(SessionSettings::new("secret")?).with_hashed_keys(true);
/// let raw = ReferenceStore::open("hashed-doc", ctx.clone());
/// let sessions = SessionManager::build(ctx.clone(), |_| Ok(raw.clone()))?;
/// let session = sessions.session(None);
/// session.insert("user", 7).await?;
/// session.save().await?;
/// let key = session.session_key().unwrap();
/// use session_core::SessionStore;
/// assert!(!raw.exists(&key).await?); // the raw store never saw the key...
/// assert!(raw.exists(&ctx.stored_key(&key)).await?); // ...only its hash
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct HashedKeys {
    inner: Arc<dyn SessionStore>,
    hasher: Arc<KeyHasher>,
}

impl HashedKeys {
    /// `inner` with keys hashed under `ctx`'s secrets.
    pub fn new(inner: Arc<dyn SessionStore>, ctx: &StoreContext) -> Self {
        let hasher = ctx
            .key_hasher()
            .cloned()
            .unwrap_or_else(|| Arc::new(KeyHasher::new(ctx.settings().secrets())));
        HashedKeys { inner, hasher }
    }

    /// The store underneath, holding the hashes.
    pub fn inner(&self) -> &Arc<dyn SessionStore> {
        &self.inner
    }

    /// The current hash, then the fallbacks'.
    fn every_hash<'a>(&'a self, key: &'a SessionKey) -> impl Iterator<Item = SessionKey> + 'a {
        std::iter::once(self.hasher.current(key)).chain(self.hasher.fallbacks(key))
    }

    /// After `save` under the current hash found nothing: moves a session stored under a
    /// fallback's hash to the current one. `SessionDeleted` when there is none.
    ///
    /// Two requests of one session may do this at once after a rotation: the one that
    /// finds the current hash already made (`KeyCollision`), or the fallback already gone,
    /// saves under the current hash instead.
    async fn rehash(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        let current = self.hasher.current(key);
        for old in self.hasher.fallbacks(key) {
            if self.inner.exists(&old).await? {
                match self.inner.create(&current, record).await {
                    Ok(_) => {}
                    Err(Error::KeyCollision) => {
                        self.inner.save(&current, record).await?;
                    }
                    Err(error) => return Err(error),
                }
                self.inner.delete(&old).await?;
                return Ok(key.clone());
            }
        }
        // Moved meanwhile by a concurrent request of the same session.
        self.inner.save(&current, record).await?;
        Ok(key.clone())
    }
}

#[async_trait]
impl SessionStore for HashedKeys {
    fn parse_key(&self, raw: &str) -> Result<SessionKey, InvalidKey> {
        self.inner.parse_key(raw)
    }

    async fn exists(&self, key: &SessionKey) -> Result<bool> {
        for stored in self.every_hash(key) {
            if self.inner.exists(&stored).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn create(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        self.inner.create(&self.hasher.current(key), record).await?;
        Ok(key.clone())
    }

    async fn save(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        match self.inner.save(&self.hasher.current(key), record).await {
            Ok(_) => Ok(key.clone()),
            Err(Error::SessionDeleted) => self.rehash(key, record).await,
            Err(error) => Err(error),
        }
    }

    async fn delete(&self, key: &SessionKey) -> Result<()> {
        for stored in self.every_hash(key) {
            self.inner.delete(&stored).await?;
        }
        Ok(())
    }

    async fn load(&self, key: &SessionKey) -> Result<Option<SessionRecord>> {
        for stored in self.every_hash(key) {
            if let Some(record) = self.inner.load(&stored).await? {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    async fn clear_expired(&self) -> Result<u64> {
        self.inner.clear_expired().await
    }

    fn supports_conflict_detection(&self) -> bool {
        self.inner.supports_conflict_detection()
    }

    /// A session still under a fallback secret's hash is moved as [`save`](Self::save)
    /// moves it, without the comparison (once per session and rotation).
    async fn save_if_unchanged(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        loaded: &SessionRecord,
    ) -> Result<SessionRecord> {
        match self
            .inner
            .save_if_unchanged(&self.hasher.current(key), record, loaded)
            .await
        {
            Err(Error::SessionDeleted) => self.rehash(key, record).await.map(|_| record.clone()),
            outcome => outcome,
        }
    }

    fn inventory(&self) -> Option<&dyn SessionInventory> {
        self.inner.inventory()
    }

    /// The engine's own index, over stored keys.
    fn user_index(&self) -> Option<&dyn crate::users::UserIndex> {
        self.inner.user_index()
    }

    fn stored_key(&self, key: &SessionKey) -> SessionKey {
        self.inner.stored_key(&self.hasher.current(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_keys_are_valid_distinct_and_secret_bound() {
        let a = KeyHasher::new(&Secrets::new("one").unwrap());
        let b = KeyHasher::new(&Secrets::new("two").unwrap());
        let key = SessionKey::generate();
        let stored = a.current(&key);
        assert_eq!(stored.as_str().len(), 40);
        assert_ne!(stored, key);
        assert_eq!(a.current(&key), stored, "stable");
        assert_ne!(b.current(&key), stored, "another secret, another hash");
        assert_ne!(a.current(&SessionKey::generate()), stored);
        assert!(!format!("{a:?}").contains("one"));
    }

    #[test]
    fn fallbacks_hash_under_the_old_secrets() {
        let old = KeyHasher::new(&Secrets::new("old").unwrap());
        let rotated = KeyHasher::new(
            &Secrets::new("new")
                .unwrap()
                .with_fallbacks(["old"])
                .unwrap(),
        );
        let key = SessionKey::generate();
        assert_eq!(
            rotated.fallbacks(&key).collect::<Vec<_>>(),
            [old.current(&key)]
        );
    }
}
