//! [`FileStore`]: the six primitives as file operations.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use session_core::{
    Cursor, Error, KeyBatch, Result, SessionInventory, SessionKey, SessionRecord, SessionStore,
    StoreContext, StoredExpiry, async_trait,
};

use crate::builder::FileStoreBuilder;
use crate::files::{self, Entry, MAX_FILE_SIZE, Mode, TEMP_INFIX, Written};
use crate::lock::DirLock;

/// Temporary files older than this are leftovers of a crash.
const STALE_TEMP_AGE: TimeDelta = TimeDelta::hours(1);

/// Sessions as files in a directory, Django's way.
#[derive(Debug, Clone)]
pub struct FileStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    ctx: StoreContext,
}

/// A backend error about `key`, with the key taken out of its text.
fn failed(key: &SessionKey, what: &'static str) -> impl FnOnce(io::Error) -> Error {
    move |e| Error::backend(what, e).redacted(key)
}

impl FileStore {
    /// A store in `dir` (Django's `SESSION_FILE_PATH`), which must exist and be private to
    /// this user; `None` is a private directory of this user's in the OS temporary
    /// directory, created if missing. See [`FileStore::builder`] for a shared directory.
    pub fn new(dir: Option<PathBuf>, ctx: StoreContext) -> Result<Self> {
        let builder = Self::builder(ctx);
        match dir {
            Some(dir) => builder.dir(dir),
            None => builder,
        }
        .build()
    }

    /// A store with options.
    ///
    /// ```no_run
    /// use session_core::{SessionSettings, StoreContext};
    /// use session_file::FileStore;
    ///
    /// let ctx = StoreContext::new(SessionSettings::new("secret")?);
    /// // A directory of group `www-data` (mode 0770), shared with a Django app of the same
    /// // user: session files themselves are 0600 on both sides, as Django's `mkstemp` makes.
    /// let store = FileStore::builder(ctx)
    ///     .dir("/var/lib/sessions")
    ///     .allow_shared_dir(true)
    ///     .build()?;
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn builder(ctx: StoreContext) -> FileStoreBuilder {
        FileStoreBuilder::new(ctx)
    }

    /// A store in `dir`, already checked.
    pub(crate) fn in_checked_dir(dir: PathBuf, ctx: StoreContext) -> Self {
        FileStore {
            inner: Arc::new(Inner { dir, ctx }),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Runs `work` on the blocking pool; what it logs goes to the caller's subscriber.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> io::Result<T> + Send + 'static,
    ) -> io::Result<T> {
        let inner = self.inner.clone();
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        tokio::task::spawn_blocking(move || {
            tracing::dispatcher::with_default(&dispatch, || work(&inner))
        })
        .await
        .map_err(io::Error::other)?
    }

    /// Writes `record` under `key` as `mode` says; returns the file's new content.
    async fn write(&self, key: &SessionKey, record: &SessionRecord, mode: Mode) -> Result<String> {
        let content = self.inner.ctx.encode(record.data())?;
        if content.len() > MAX_FILE_SIZE {
            return Err(Error::TooLarge {
                size: content.len(),
                limit: MAX_FILE_SIZE,
            });
        }
        // The record's own modification time (now, for a session being saved), so that a
        // record copied from another store keeps its expiry.
        let modified = self.inner.ctx.modified_at(record)?;
        let path = self.inner.path(key);
        let (written, content) = self
            .blocking(move |_| {
                files::write(&path, content.as_bytes(), modified, mode).map(|w| (w, content))
            })
            .await
            .map_err(failed(key, "writing a session file"))?;
        match written {
            Written::Done => Ok(content),
            Written::Exists => Err(Error::KeyCollision),
            Written::Missing => Err(Error::SessionDeleted),
            Written::Changed => Err(Error::Conflict),
        }
    }
}

impl Inner {
    fn prefix(&self) -> &str {
        &self.ctx.settings().cookie_name
    }

    fn path(&self, key: &SessionKey) -> PathBuf {
        self.dir.join(format!("{}{}", self.prefix(), key.as_str()))
    }

    /// Logs on `session_core::security`, rate-limited, naming the session by its log id.
    fn security_warning(&self, what: std::fmt::Arguments<'_>, key: &SessionKey) {
        let log = self.ctx.codec().security_log();
        log.warn(format_args!("{what} (session {})", key.log_id()));
    }

    /// The session in `path` and the file's modification time. `None` when there is no
    /// file, or one the engine does not read (logged); the record is `None` when the
    /// content is undecodable (logged).
    fn read(
        &self,
        path: &Path,
        key: &SessionKey,
    ) -> io::Result<Option<(Option<SessionRecord>, DateTime<Utc>)>> {
        let (content, modified) = match files::read(path)? {
            Entry::Missing => return Ok(None),
            Entry::Refused(why) => {
                self.security_warning(format_args!("Session file ignored: {why}"), key);
                return Ok(None);
            }
            Entry::File { content, modified } => (content, modified),
        };
        let Ok(text) = std::str::from_utf8(&content) else {
            self.security_warning(format_args!("Session data corrupted: not text"), key);
            return Ok(Some((None, modified)));
        };
        let record = self.ctx.decode(text).map(|data| {
            let expires_at = self.ctx.expiry_date(&data, modified);
            self.ctx.loaded(SessionRecord::new(data, expires_at), text)
        });
        Ok(Some((record, modified)))
    }

    /// Removes `path` if its session expired by `now` (undecodable files expire by their
    /// modification time); says whether it did. Decides under the directory's lock, so a
    /// session saved meanwhile is not removed.
    fn clear_if_expired(
        &self,
        path: &Path,
        key: &SessionKey,
        now: DateTime<Utc>,
    ) -> io::Result<bool> {
        let _lock = DirLock::take(&self.dir)?;
        let expires_at = match self.read(path, key)? {
            None => return Ok(false),
            Some((Some(record), _)) => record.expires_at(),
            Some((None, modified)) => {
                StoredExpiry::Default.date(modified, self.ctx.settings().cookie_age)
            }
        };
        if expires_at < now {
            files::remove(path)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// The keys of the session files in the directory, in key order.
    fn keys(&self) -> io::Result<Vec<(SessionKey, PathBuf)>> {
        let mut keys: Vec<_> = files::list(&self.dir, self.prefix())?
            .into_iter()
            .filter_map(|(name, path)| {
                let key = SessionKey::parse(&name[self.prefix().len()..]).ok()?;
                Some((key, path))
            })
            .collect();
        keys.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        Ok(keys)
    }

    /// How many files hold a session unexpired at `now` (each one is read, as
    /// `clear_expired` does).
    fn count(&self, now: DateTime<Utc>) -> io::Result<u64> {
        let mut live = 0;
        for (key, path) in self.keys()? {
            if let Some((Some(record), _)) = self.read(&path, &key)? {
                live += u64::from(!record.is_expired(now));
            }
        }
        Ok(live)
    }

    /// Removes the expired sessions and stale temporary files; an entry that cannot be
    /// read or removed is logged and skipped.
    fn clear_expired(&self, now: DateTime<Utc>) -> io::Result<u64> {
        let mut removed = 0;
        for (name, path) in files::list(&self.dir, self.prefix())? {
            let rest = &name[self.prefix().len()..];
            if let Ok(key) = SessionKey::parse(rest) {
                match self.clear_if_expired(&path, &key, now) {
                    Ok(cleared) => removed += u64::from(cleared),
                    Err(error) => {
                        tracing::warn!(target: "session_file", key = %key.log_id(), %error, "clear_expired skipped a session file");
                    }
                }
            } else if rest.contains(TEMP_INFIX)
                && files::modified(&path).is_ok_and(|m| m < now - STALE_TEMP_AGE)
            {
                if let Err(error) = files::remove(&path) {
                    tracing::warn!(target: "session_file", %error, "clear_expired could not remove a stale temporary file");
                }
            }
        }
        Ok(removed)
    }
}

#[async_trait]
impl SessionStore for FileStore {
    async fn exists(&self, key: &SessionKey) -> Result<bool> {
        let path = self.inner.path(key);
        self.blocking(move |_| path.try_exists())
            .await
            .map_err(failed(key, "checking a session file"))
    }

    async fn create(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        self.write(key, record, Mode::CreateNew).await?;
        Ok(key.clone())
    }

    async fn save(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        self.write(key, record, Mode::ReplaceExisting).await?;
        Ok(key.clone())
    }

    fn supports_conflict_detection(&self) -> bool {
        true
    }

    /// The replacement's usual lock, plus a comparison of the file with the value loaded.
    async fn save_if_unchanged(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        loaded: &SessionRecord,
    ) -> Result<SessionRecord> {
        let expected = Arc::from(loaded.expect_version()?.as_bytes());
        let content = self
            .write(key, record, Mode::ReplaceUnchanged(expected))
            .await?;
        Ok(record.clone().with_version(content))
    }

    async fn delete(&self, key: &SessionKey) -> Result<()> {
        let path = self.inner.path(key);
        self.blocking(move |inner| {
            let _lock = DirLock::take(&inner.dir)?;
            files::remove(&path)
        })
        .await
        .map_err(failed(key, "deleting a session file"))
    }

    async fn load(&self, key: &SessionKey) -> Result<Option<SessionRecord>> {
        let path = self.inner.path(key);
        let now = self.inner.ctx.now();
        let owned = key.clone();
        let read = self
            .blocking(move |inner| inner.read(&path, &owned))
            .await
            .map_err(failed(key, "reading a session file"))?;
        Ok(read
            .and_then(|(record, _)| record)
            .filter(|r| !r.is_expired(now)))
    }

    async fn clear_expired(&self) -> Result<u64> {
        let now = self.inner.ctx.now();
        self.blocking(move |inner| inner.clear_expired(now))
            .await
            .map_err(|e| Error::backend("clearing expired session files", e))
    }

    fn inventory(&self) -> Option<&dyn SessionInventory> {
        Some(self)
    }
}

/// Keys of the directory's session files in key order (the directory is read once per
/// batch); the cursor is the last key listed. `count` reads every file.
#[async_trait]
impl SessionInventory for FileStore {
    async fn list_keys(&self, from: Option<&Cursor>, limit: usize) -> Result<KeyBatch> {
        let after = from.map(|c| c.as_str().to_owned()).unwrap_or_default();
        let limit = limit.max(1);
        let keys: Vec<SessionKey> = self
            .blocking(move |inner| {
                Ok(inner
                    .keys()?
                    .into_iter()
                    .map(|(key, _)| key)
                    .filter(|key| key.as_str() > after.as_str())
                    .take(limit)
                    .collect())
            })
            .await
            .map_err(|e| Error::backend("listing session files", e))?;
        let next = (keys.len() == limit).then(|| Cursor::new(keys[limit - 1].as_str()));
        Ok(KeyBatch::new(keys, next))
    }

    async fn count(&self) -> Result<u64> {
        let now = self.inner.ctx.now();
        self.blocking(move |inner| inner.count(now))
            .await
            .map_err(|e| Error::backend("counting session files", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use session_core::{SameSite, SessionSettings};

    #[test]
    fn a_thousand_corrupt_files_make_a_handful_of_lines() {
        let store =
            FileStore::new(None, StoreContext::new(SessionSettings::new("s").unwrap())).unwrap();
        let key = SessionKey::generate();
        let path = store.dir().join(format!("sessionid{}", key.as_str()));
        std::fs::write(&path, b"\xff\xfe not text").unwrap();
        // The reading itself, on this thread (load runs it on a blocking thread).
        let ((), log) = session_conformance::capture_logs(|| {
            for _ in 0..1000 {
                assert!(matches!(store.inner.read(&path, &key), Ok(Some((None, _)))));
            }
        });
        std::fs::remove_file(&path).unwrap();
        let lines = log.matches("Session data corrupted: not text").count();
        assert!((1..=5).contains(&lines), "{log}");
    }

    #[test]
    fn refuses_settings_browsers_would_reject() {
        let mut settings = SessionSettings::new("secret").unwrap();
        settings.cookie_samesite = Some(SameSite::None);
        let err = FileStore::new(None, StoreContext::new(settings)).unwrap_err();
        assert!(matches!(err, Error::Configuration(_)), "{err:?}");
    }
}
