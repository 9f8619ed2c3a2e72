//! The store trait every engine implements, and what engines are given to do it.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::SessionData;
use crate::clock::{SharedClock, SystemClock};
use crate::codec::SessionCodec;
use crate::error::{Error, Result};
use crate::expiry::StoredExpiry;
use crate::hashed_keys::KeyHasher;
use crate::inventory::SessionInventory;
use crate::key::{InvalidKey, SessionKey};
use crate::settings::SessionSettings;
use crate::users::UserIndex;

/// One stored session: its data, when it expires and, for conflict detection, the version
/// it was loaded at.
///
/// The struct is `#[non_exhaustive]` and built through [`SessionRecord::new`], so fields
/// can be added without breaking engines. Cloning is cheap: the data is shared.
/// Equality compares data and expiry, not the version.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SessionRecord {
    data: Arc<SessionData>,
    expires_at: DateTime<Utc>,
    version: Option<Arc<str>>,
}

impl PartialEq for SessionRecord {
    fn eq(&self, other: &Self) -> bool {
        self.data == other.data && self.expires_at == other.expires_at
    }
}

impl SessionRecord {
    /// A record of `data` expiring at `expires_at`.
    pub fn new(data: impl Into<Arc<SessionData>>, expires_at: DateTime<Utc>) -> Self {
        SessionRecord {
            data: data.into(),
            expires_at,
            version: None,
        }
    }

    /// The same record, remembering `version`: what identifies the stored session as it was
    /// loaded or saved (the encoded value for the engines of this project, memcached's CAS
    /// token after a load from memcached), so that
    /// [`SessionStore::save_if_unchanged`] can compare. See [`StoreContext::loaded`].
    pub fn with_version(mut self, version: impl Into<Arc<str>>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The version this record was loaded or saved at, if the store gave one.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The version, or the configuration error of a record loaded without one (by a store
    /// built without `SESSION_CONFLICTS=detect`): what an engine's
    /// [`save_if_unchanged`](SessionStore::save_if_unchanged) compares against.
    ///
    /// # Errors
    /// [`Error::Configuration`] when the record has no version.
    pub fn expect_version(&self) -> Result<&str> {
        self.version().ok_or_else(|| {
            Error::config(
                "a conflict-detecting save was given a session loaded without a version: \
                 build the store with the same settings (SESSION_CONFLICTS=detect) as the sessions",
            )
        })
    }

    /// The session's key/value data.
    pub fn data(&self) -> &SessionData {
        &self.data
    }

    /// Shared handle to the data.
    pub fn shared_data(&self) -> &Arc<SessionData> {
        &self.data
    }

    /// When the session stops being valid (`load` treats `expires_at <= now` as gone).
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// Takes the data out, cloning only if it is shared.
    pub fn into_data(self) -> SessionData {
        Arc::unwrap_or_clone(self.data)
    }

    /// Time left until expiry at `now`, `None` when already expired: the TTL to give a
    /// cache entry.
    pub fn ttl(&self, now: DateTime<Utc>) -> Option<std::time::Duration> {
        (self.expires_at - now)
            .to_std()
            .ok()
            .filter(|left| !left.is_zero())
    }

    /// True when the session is expired at `now`. Like Django's `expire_date > now`
    /// filter, a session expiring exactly now is already gone.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }
}

/// Django's session-backend primitives. An engine implements these six operations (and,
/// rarely, [`parse_key`](Self::parse_key)); everything else (lazy loading, flags, expiry
/// arithmetic, key rotation, retries on collision) lives once in [`Session`](crate::Session).
///
/// Keys reach the store already validated. Data reaches it as a [`SessionRecord`]; server-side
/// engines store [`StoreContext::encode`]'s output so Django can read it.
///
/// # Contract (checked by the `session-conformance` suite)
/// - `create` is an atomic insert-if-absent: an existing session under the key is never
///   touched and the call fails with [`Error::KeyCollision`](crate::Error::KeyCollision).
/// - `save` only updates: if the session is gone (deleted by a concurrent request, or
///   expired and cleared) it fails with [`Error::SessionDeleted`](crate::Error::SessionDeleted).
/// - `load` returns `None` for a missing, expired, undecodable or tampered session, logging
///   the undecodable ones with `tracing`; it never returns a stale value.
/// - `clear_expired` removes expired sessions and returns how many; engines whose backend
///   expires entries by itself may return 0.
/// - A backend failure is an `Err`, never a panic, and a failed write leaves the previous
///   copy intact.
///
/// A client-side engine (signed cookies) keeps no state: its key *is* the signed data, so
/// `create` and `save` return the new key, `exists` is false and `delete` does nothing.
///
/// Optional: [`save_if_unchanged`](Self::save_if_unchanged) and
/// [`supports_conflict_detection`](Self::supports_conflict_detection), the compare-and-swap
/// that `SESSION_CONFLICTS=detect` needs (conformance group `conflicts`). Their defaults
/// keep an engine without them compiling and working with the setting off.
#[async_trait]
pub trait SessionStore: Send + Sync + Debug {
    /// Validates a key that came from a client. The default accepts only what this project
    /// generates (8 to 40 of `[a-z0-9]`); override it only if keys are something else.
    fn parse_key(&self, raw: &str) -> Result<SessionKey, InvalidKey> {
        SessionKey::parse(raw)
    }

    /// True if a session is stored under `key` (expired but not yet cleared counts).
    async fn exists(&self, key: &SessionKey) -> Result<bool>;

    /// Stores a new session under `key` unless one exists. Returns the key the session is
    /// now reachable by: `key` itself for server-side engines.
    async fn create(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey>;

    /// Replaces the session stored under `key`. Returns the key the session is now reachable
    /// by: `key` itself for server-side engines.
    async fn save(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey>;

    /// Removes the session under `key`; a missing session is not an error.
    async fn delete(&self, key: &SessionKey) -> Result<()>;

    /// The unexpired session under `key`, if there is a readable one.
    async fn load(&self, key: &SessionKey) -> Result<Option<SessionRecord>>;

    /// Removes expired sessions and returns how many were removed.
    async fn clear_expired(&self) -> Result<u64>;

    /// True if this engine implements [`save_if_unchanged`](Self::save_if_unchanged), so
    /// that sessions can run with `SESSION_CONFLICTS=detect`.
    /// [`SessionManager`](crate::SessionManager) refuses that setting at start over a store
    /// that answers false (the default; signed cookies, which keep no server state, too).
    fn supports_conflict_detection(&self) -> bool {
        false
    }

    /// Compare-and-swap: replaces the session under `key` with `record` only if the store
    /// still holds what `loaded` was loaded (or last saved) at, atomically. Returns the
    /// record as now stored, carrying its new version for the next conditional save.
    ///
    /// With `SESSION_CONFLICTS=detect` in the context's settings, `load` attaches a version
    /// to what it returns ([`StoreContext::loaded`]); engines of this project use the
    /// encoded value they store, so Django's table needs no extra column.
    ///
    /// # Errors
    /// [`Error::Conflict`] if the stored session changed since `loaded`;
    /// [`Error::SessionDeleted`] if it is gone; the default implementation returns
    /// [`Error::Configuration`] (the engine cannot detect conflicts).
    async fn save_if_unchanged(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        loaded: &SessionRecord,
    ) -> Result<SessionRecord> {
        let _ = (key, record, loaded);
        Err(Error::config(
            "this session engine cannot detect conflicting saves; unset SESSION_CONFLICTS",
        ))
    }

    /// The store's listing and counting, if it has them (see [`SessionInventory`]).
    fn inventory(&self) -> Option<&dyn SessionInventory> {
        None
    }

    /// The store's per-user index, if it keeps one (see [`UserIndex`]).
    fn user_index(&self) -> Option<&dyn UserIndex> {
        None
    }

    /// The key the engine underneath keeps the session `key` under, as its
    /// [`inventory`](Self::inventory) and [`user_index`](Self::user_index) know it: `key`
    /// itself, or its hash behind [`HashedKeys`](crate::HashedKeys).
    fn stored_key(&self, key: &SessionKey) -> SessionKey {
        key.clone()
    }
}

/// What an engine needs from the application: the settings (cookie name and age, secrets),
/// the stored-session codec and the clock. Cheap to clone.
///
/// ```
/// use session_core::{SessionSettings, StoreContext};
/// let ctx = StoreContext::new(SessionSettings::new("secret")?);
/// let data = serde_json::Map::new();
/// let encoded = ctx.encode(&data)?;
/// assert_eq!(ctx.decode(&encoded), Some(data));
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct StoreContext {
    settings: Arc<SessionSettings>,
    codec: SessionCodec,
    clock: SharedClock,
    key_hasher: Option<Arc<KeyHasher>>,
}

impl StoreContext {
    /// A context on the system clock.
    pub fn new(settings: SessionSettings) -> Self {
        let codec = SessionCodec::new(settings.secrets());
        StoreContext {
            settings: Arc::new(settings),
            codec,
            clock: Arc::new(SystemClock),
            key_hasher: None,
        }
    }

    /// The same context with keys hashed at rest (`SESSION_HASH_KEYS`) or not: a
    /// [`SessionManager`](crate::SessionManager) built on it stores, under every engine, an
    /// HMAC of each session key instead of the key ([`HashedKeys`](crate::HashedKeys)).
    ///
    /// ```
    /// use session_core::{SessionSettings, StoreContext};
    /// let ctx = StoreContext::new(SessionSettings::new("secret")?).with_hashed_keys(true);
    /// assert!(ctx.hashes_keys());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn with_hashed_keys(mut self, on: bool) -> Self {
        self.key_hasher = on.then(|| Arc::new(KeyHasher::new(self.settings.secrets())));
        self
    }

    /// True when keys are hashed at rest.
    pub fn hashes_keys(&self) -> bool {
        self.key_hasher.is_some()
    }

    /// The key-mapping step: what a session key is stored under. The key itself, or with
    /// [`with_hashed_keys`](Self::with_hashed_keys) its HMAC under the current secret.
    pub fn stored_key(&self, key: &SessionKey) -> SessionKey {
        match &self.key_hasher {
            Some(hasher) => hasher.current(key),
            None => key.clone(),
        }
    }

    /// The hasher of hashed keys, if they are on.
    pub(crate) fn key_hasher(&self) -> Option<&Arc<KeyHasher>> {
        self.key_hasher.as_ref()
    }

    /// The same context on another clock (tests use a [`MockClock`](crate::MockClock)).
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The settings.
    pub fn settings(&self) -> &SessionSettings {
        &self.settings
    }

    /// The clock.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// The current time on the context's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The stored-session codec.
    pub fn codec(&self) -> &SessionCodec {
        &self.codec
    }

    /// True under `SESSION_CONFLICTS=detect`: `load` must then attach versions.
    pub fn detects_conflicts(&self) -> bool {
        self.settings.conflicts == crate::settings::Conflicts::Detect
    }

    /// What `load` returns for a `record` read from `stored` (the value as the backend holds
    /// it): the record with `stored` as its version under `SESSION_CONFLICTS=detect`, the
    /// record alone otherwise (no copy on that path).
    ///
    /// ```
    /// use session_core::{Conflicts, SessionRecord, SessionSettings, StoreContext};
    /// let mut settings = SessionSettings::new("secret")?;
    /// settings.conflicts = Conflicts::Detect;
    /// let ctx = StoreContext::new(settings);
    /// let stored = ctx.encode(&serde_json::Map::new())?;
    /// let record = ctx.loaded(ctx.decode_record(&stored).unwrap(), &stored);
    /// assert_eq!(record.version(), Some(stored.as_str()));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn loaded(&self, record: SessionRecord, stored: &str) -> SessionRecord {
        if self.detects_conflicts() {
            record.with_version(stored)
        } else {
            record
        }
    }

    /// Encodes data as Django's stored sessions, timestamped now.
    pub fn encode(&self, data: &SessionData) -> Result<String> {
        self.codec.encode(data, self.now())
    }

    /// Decodes stored data; `None` (and a log line) when it is tampered or corrupt.
    pub fn decode(&self, encoded: &str) -> Option<SessionData> {
        self.codec.decode(encoded)
    }

    /// Decodes a value written by [`encode`](Self::encode) into a record, taking the save
    /// time from the signature's timestamp: for engines that store only the encoded string
    /// (caches, files). `None` (and a log line) when tampered or corrupt.
    ///
    /// ```
    /// use session_core::{SessionSettings, StoreContext};
    /// let ctx = StoreContext::new(SessionSettings::new("secret")?);
    /// let record = ctx.decode_record(&ctx.encode(&serde_json::Map::new())?).unwrap();
    /// assert!(!record.is_expired(ctx.now()));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn decode_record(&self, encoded: &str) -> Option<SessionRecord> {
        let (data, signed_at) = self.codec.decode_timestamped(encoded)?;
        let expires_at = self.expiry_date(&data, signed_at);
        Some(SessionRecord::new(data, expires_at))
    }

    /// Encodes `record` so that [`decode_record`](Self::decode_record) reads back the same
    /// expiry (to the second): the value is signed as of the record's last modification
    /// (its expiry minus its lifetime), also when the record came from another store.
    ///
    /// ```
    /// use session_core::{SessionRecord, SessionSettings, StoreContext};
    /// let ctx = StoreContext::new(SessionSettings::new("secret")?);
    /// let expires = ctx.now() + chrono::TimeDelta::seconds(600);
    /// let record = SessionRecord::new(serde_json::Map::new(), expires);
    /// let back = ctx.decode_record(&ctx.encode_record(&record)?).unwrap();
    /// assert!((back.expires_at() - expires).num_seconds().abs() <= 1);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn encode_record(&self, record: &SessionRecord) -> Result<String> {
        self.codec.encode(record.data(), self.modified_at(record)?)
    }

    /// When `record` was last modified, as Django's expiry arithmetic sees it: its expiry
    /// minus its lifetime. Engines that keep only a modification time (files) write this,
    /// so a record copied from another store keeps its expiry.
    ///
    /// # Errors
    /// [`Error::InvalidExpiry`] when that time is not representable.
    pub fn modified_at(&self, record: &SessionRecord) -> Result<DateTime<Utc>> {
        let now = self.now();
        let lifetime = self.expiry_date(record.data(), now) - now;
        record
            .expires_at()
            .checked_sub_signed(lifetime)
            .ok_or_else(|| {
                Error::InvalidExpiry(format!(
                    "a record expiring at {} cannot have been saved {lifetime} earlier",
                    record.expires_at()
                ))
            })
    }

    /// Django's expiry date for `data` last modified at `modification`: the custom
    /// `_session_expiry` if set, else `modification + SESSION_COOKIE_AGE`.
    pub fn expiry_date(&self, data: &SessionData, modification: DateTime<Utc>) -> DateTime<Utc> {
        StoredExpiry::of(data).date(modification, self.settings.cookie_age)
    }
}

impl From<SessionSettings> for StoreContext {
    fn from(settings: SessionSettings) -> Self {
        StoreContext::new(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn encoding_a_record_at_the_end_of_time_is_an_error_not_a_panic() {
        let ctx = StoreContext::new(SessionSettings::new("secret").unwrap());
        let record = SessionRecord::new(SessionData::new(), DateTime::<Utc>::MIN_UTC);
        assert!(matches!(
            ctx.encode_record(&record),
            Err(Error::InvalidExpiry(_))
        ));
    }
}
