//! "Log out my other devices": an opt-in index of each user's sessions.
//!
//! [`Session::login`] records who the session belongs to (Django's `_auth_user_id`, a
//! string) and cycles its key; [`SessionManager::user_sessions`] lists that user's live
//! sessions and [`SessionManager::end_user_sessions`] ends all of them, or all but the
//! current one. Engines keep the index through the optional [`UserIndex`] trait (db: a
//! table next to Django's; Redis: a set per user; the in-process store: a map); the others
//! answer these calls with a clear [`Error::Configuration`].
//!
//! The index holds stored keys: with hashed keys ([`HashedKeys`](crate::HashedKeys)),
//! hashes. An entry outlives its session at most until the user's next login or listing,
//! which drop the entries of sessions gone.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::key::SessionKey;
use crate::manager::SessionManager;
use crate::session::Session;
use crate::store::SessionStore;

/// Where the user id lives in the session data: Django's `SESSION_KEY` of `django.contrib.auth`.
pub const USER_ID_KEY: &str = "_auth_user_id";

/// Longest user id accepted (Django's username length).
pub const MAX_USER_ID_LENGTH: usize = 150;

/// Checks a user id: 1 to 150 characters of `[A-Za-z0-9_.@:+-]`, so it is safe in a cache
/// key, a file name or SQL. The id is not quoted back in the error.
pub fn check_user_id(user: &str) -> Result<()> {
    let ok = !user.is_empty()
        && user.len() <= MAX_USER_ID_LENGTH
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.@:+-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::config(format!(
            "a user id is 1 to {MAX_USER_ID_LENGTH} characters of [A-Za-z0-9_.@:+-]"
        )))
    }
}

/// The per-user index of an engine: which stored keys belong to a user. Reached through
/// [`SessionStore::user_index`]; engines implement the three primitives, and ending
/// sessions is written once, here, on top of them and the engine's own `delete`.
#[async_trait]
pub trait UserIndex: SessionStore {
    /// Records that the session stored under `key` belongs to `user` until `expires_at`.
    ///
    /// # Errors
    /// A backend failure.
    async fn index_add(
        &self,
        user: &str,
        key: &SessionKey,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;

    /// The stored keys recorded for `user` (sessions since ended may be among them).
    ///
    /// # Errors
    /// A backend failure.
    async fn index_keys(&self, user: &str) -> Result<Vec<SessionKey>>;

    /// Forgets that `key` belongs to `user`.
    ///
    /// # Errors
    /// A backend failure.
    async fn index_remove(&self, user: &str, key: &SessionKey) -> Result<()>;
}

/// One live session of a user.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UserSession {
    /// Its stored key (a hash, with hashed keys): for telling sessions apart, not a cookie.
    pub stored_key: SessionKey,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

fn index_of(store: &dyn SessionStore) -> Result<&dyn UserIndex> {
    store.user_index().ok_or_else(|| {
        Error::config(
            "this engine keeps no per-user index of sessions: use db, Redis or the in-process store",
        )
    })
}

impl Session {
    /// Logs `user` in on this session, as Django's `login()` does: records the user id
    /// under `_auth_user_id`, cycles the key (a session fixed by an attacker before login
    /// is worth nothing after it), saves, and records the session in the user's index.
    ///
    /// ```
    /// use session_conformance::ReferenceStore; // or db, Redis, the in-process store
    /// use session_core::{SessionManager, SessionSettings};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> session_core::Result<()> {
    /// let sessions = SessionManager::build(SessionSettings::new("secret")?, |ctx| {
    ///     Ok(ReferenceStore::open("login-doc", ctx))
    /// })?;
    /// let laptop = sessions.session(None);
    /// laptop.login("42").await?;
    /// let phone = sessions.session(None);
    /// phone.login("42").await?;
    /// assert_eq!(sessions.user_sessions("42").await?.len(), 2);
    /// // "Log out my other devices", from the laptop:
    /// assert_eq!(sessions.end_user_sessions("42", laptop.session_key().as_ref()).await?, 1);
    /// assert_eq!(sessions.user_sessions("42").await?.len(), 1);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Configuration`] for an invalid user id or an engine without a per-user index
    /// (nothing is changed then); what [`cycle_key`](Self::cycle_key) and
    /// [`save`](Self::save) return.
    pub async fn login(&self, user: &str) -> Result<()> {
        check_user_id(user)?;
        let backend = self.backend();
        let index = index_of(backend.store.as_ref())?;
        // The index forgets what ended here, not by an expiry of its own: a session's
        // expiry moves on with every save, so any date the index kept would go stale.
        live_sessions(index, user).await?;
        self.insert(USER_ID_KEY, user).await?;
        self.cycle_key().await?;
        self.save().await?;
        let key = self
            .session_key()
            .ok_or_else(|| Error::backend_msg("a saved session has no key"))?;
        let expires_at = self.get_expiry_date().await?;
        index
            .index_add(user, &backend.store.stored_key(&key), expires_at)
            .await
    }
}

impl SessionManager {
    /// The live sessions of `user`, dropping from the index those that ended (or now
    /// belong to someone else).
    ///
    /// # Errors
    /// [`Error::Configuration`] for an invalid user id or an engine without a per-user
    /// index; a backend failure.
    pub async fn user_sessions(&self, user: &str) -> Result<Vec<UserSession>> {
        check_user_id(user)?;
        live_sessions(index_of(self.store().as_ref())?, user).await
    }

    /// Ends every session of `user` but the one whose cookie is `keep` (none: all of them,
    /// `sessions logout-user`), and returns how many ended.
    ///
    /// # Errors
    /// [`Error::Configuration`] for an invalid user id or an engine without a per-user
    /// index; a backend failure (the sessions ended before it stay ended).
    pub async fn end_user_sessions(&self, user: &str, keep: Option<&SessionKey>) -> Result<u64> {
        check_user_id(user)?;
        let index = index_of(self.store().as_ref())?;
        let keep = keep.map(|key| self.store().stored_key(key));
        let mut ended = 0;
        // Only sessions that still belong to `user`: one whose user id changed since is
        // someone else's now.
        for session in live_sessions(index, user).await? {
            if Some(&session.stored_key) == keep.as_ref() {
                continue;
            }
            index.delete(&session.stored_key).await?;
            index.index_remove(user, &session.stored_key).await?;
            ended += 1;
        }
        Ok(ended)
    }
}

/// The indexed sessions of `user` that are live and still carry `user`'s id; the others
/// are dropped from the index.
async fn live_sessions(index: &dyn UserIndex, user: &str) -> Result<Vec<UserSession>> {
    let mut live = Vec::new();
    for key in index.index_keys(user).await? {
        match index.load(&key).await? {
            Some(record)
                if record.data().get(USER_ID_KEY).and_then(|v| v.as_str()) == Some(user) =>
            {
                live.push(UserSession {
                    stored_key: key,
                    expires_at: record.expires_at(),
                });
            }
            _ => index.index_remove(user, &key).await?,
        }
    }
    Ok(live)
}
