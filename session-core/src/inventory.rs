//! [`SessionInventory`]: the optional trait of stores that can list and count their
//! sessions, for operators (`sessions count`, `sessions list`, `sessions copy`).

use async_trait::async_trait;

use crate::error::Result;
use crate::key::SessionKey;

/// Where a listing goes on: an engine's own position (the last key of the batch, a Redis
/// `SCAN` cursor), opaque to callers, who only hand it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    /// A cursor holding an engine's position.
    pub fn new(position: impl Into<String>) -> Self {
        Cursor(position.into())
    }

    /// The engine's position.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One batch of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyBatch {
    /// The keys of this batch (possibly none, with more to come).
    pub keys: Vec<SessionKey>,
    /// Where the next batch starts; `None` at the end.
    pub next: Option<Cursor>,
}

impl KeyBatch {
    /// A batch of `keys`, continued at `next`.
    pub fn new(keys: Vec<SessionKey>, next: Option<Cursor>) -> Self {
        KeyBatch { keys, next }
    }
}

/// Listing and counting, for the engines that can do it without reading every session
/// into memory at once: db, file, Redis (not Cluster) and the in-process store. Reached
/// from any store through [`SessionStore::inventory`](crate::SessionStore::inventory),
/// `None` for engines that cannot (memcached, signed cookies).
///
/// # Contract (the `inventory` group of `session-conformance`)
/// - Listing from `None` until `next` is `None` returns every session stored during the
///   whole listing at least once. A key may come twice (Redis `SCAN` does that while its
///   table grows) and keys of expired sessions not yet cleared may appear: callers `load`
///   each key and dedupe when it matters.
/// - A batch holds at most `limit` keys (Redis treats it as a hint, and may return fewer,
///   or none, with more to come).
/// - `count` is the number of unexpired sessions.
/// - Keys are the stored ones: with hashed keys ([`HashedKeys`](crate::HashedKeys)), the
///   hashes, which no cookie carries.
#[async_trait]
pub trait SessionInventory: Send + Sync {
    /// Up to `limit` keys, starting at `from` (`None`: the beginning).
    ///
    /// # Errors
    /// A backend failure, or an [`Error::Configuration`](crate::Error::Configuration) from
    /// an engine that cannot list this backend (Redis Cluster).
    async fn list_keys(&self, from: Option<&Cursor>, limit: usize) -> Result<KeyBatch>;

    /// How many unexpired sessions are stored.
    ///
    /// # Errors
    /// As [`list_keys`](Self::list_keys).
    async fn count(&self) -> Result<u64>;
}

/// Every key of `inventory`, batch by batch, deduplicated: for tests and small stores.
///
/// ```
/// use session_conformance::ReferenceStore;
/// use session_core::{SessionManager, SessionSettings, SessionStore, inventory};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> session_core::Result<()> {
/// let sessions = SessionManager::build(SessionSettings::new("secret")?, |ctx| {
///     Ok(ReferenceStore::open("inventory-doc", ctx))
/// })?;
/// let session = sessions.session(None);
/// session.insert("a", 1).await?;
/// session.save().await?;
/// let listed = inventory::all_keys(sessions.store().inventory().unwrap(), 100).await?;
/// assert_eq!(listed, [session.session_key().unwrap().as_str()]);
/// # Ok(()) }
/// ```
///
/// # Errors
/// The first error of [`SessionInventory::list_keys`].
pub async fn all_keys(inventory: &dyn SessionInventory, batch: usize) -> Result<Vec<String>> {
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = None;
    loop {
        let page = inventory.list_keys(cursor.as_ref(), batch).await?;
        seen.extend(page.keys.iter().map(|k| k.as_str().to_owned()));
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(seen.into_iter().collect()),
        }
    }
}
