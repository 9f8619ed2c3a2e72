//! [`FileStore`]: the six primitives as file operations.

use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use session_core::{
    Error, Result, SessionKey, SessionRecord, SessionStore, StoreContext, StoredExpiry, async_trait,
};

use crate::files::{self, Mode, TEMP_INFIX};

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

impl FileStore {
    /// A store in `dir` (Django's `SESSION_FILE_PATH`; `None` is the OS temporary
    /// directory, as in Django). A missing or unwritable directory is a configuration
    /// error, and so are settings [`validate`](session_core::SessionSettings::validate)
    /// refuses.
    pub fn new(dir: Option<PathBuf>, ctx: StoreContext) -> Result<Self> {
        ctx.settings().validate()?;
        let dir = dir.unwrap_or_else(std::env::temp_dir);
        if !dir.is_dir() {
            return Err(Error::config(format!(
                "the session storage path {} doesn't exist; set SESSION_FILE_PATH to an existing directory",
                dir.display()
            )));
        }
        tempfile::tempfile_in(&dir).map_err(|e| {
            Error::config(format!(
                "cannot write session files in {}: {e}",
                dir.display()
            ))
        })?;
        Ok(FileStore {
            inner: Arc::new(Inner { dir, ctx }),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Runs `work` on the blocking pool.
    async fn blocking<T: Send + 'static>(
        &self,
        what: &'static str,
        work: impl FnOnce(&Inner) -> io::Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(|e| Error::backend(what, e))?
            .map_err(|e| Error::backend(what, e))
    }

    async fn write(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        mode: Mode,
    ) -> Result<SessionKey> {
        let content = self.inner.ctx.encode(record.data())?;
        let modified = self.inner.ctx.now();
        let path = self.inner.path(key);
        let written = self
            .blocking("writing a session file", move |_| {
                Ok(files::write(&path, content.as_bytes(), modified, mode))
            })
            .await?;
        match written {
            Ok(()) => Ok(key.clone()),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(Error::KeyCollision),
            Err(e) if e.kind() == ErrorKind::NotFound => Err(Error::SessionDeleted),
            Err(e) => Err(Error::backend("writing a session file", e)),
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

    /// The record in `path`; `None` when missing or undecodable (logged).
    fn read(&self, path: &Path) -> io::Result<Option<SessionRecord>> {
        let Some((content, modified)) = files::read(path)? else {
            return Ok(None);
        };
        let Ok(text) = std::str::from_utf8(&content) else {
            let log = self.ctx.codec().security_log();
            log.warn(format_args!(
                "Session data corrupted: not text: {}",
                path.display()
            ));
            return Ok(None);
        };
        Ok(self.ctx.decode(text).map(|data| {
            let expires_at = self.ctx.expiry_date(&data, modified);
            SessionRecord::new(data, expires_at)
        }))
    }

    /// Removes `path` if its session expired by `now` (undecodable files expire by their
    /// modification time); says whether it did.
    fn clear_if_expired(&self, path: &Path, now: DateTime<Utc>) -> io::Result<bool> {
        let expires_at = match self.read(path)? {
            Some(record) => record.expires_at(),
            None => match files::modified(path) {
                Ok(modified) => {
                    StoredExpiry::Default.date(modified, self.ctx.settings().cookie_age)
                }
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
                Err(e) => return Err(e),
            },
        };
        if expires_at < now {
            files::remove(path)?;
            return Ok(true);
        }
        Ok(false)
    }
}

#[async_trait]
impl SessionStore for FileStore {
    async fn exists(&self, key: &SessionKey) -> Result<bool> {
        let path = self.inner.path(key);
        self.blocking("checking a session file", move |_| path.try_exists())
            .await
    }

    async fn create(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        self.write(key, record, Mode::CreateNew).await
    }

    async fn save(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        self.write(key, record, Mode::ReplaceExisting).await
    }

    async fn delete(&self, key: &SessionKey) -> Result<()> {
        let path = self.inner.path(key);
        self.blocking("deleting a session file", move |_| files::remove(&path))
            .await
    }

    async fn load(&self, key: &SessionKey) -> Result<Option<SessionRecord>> {
        let path = self.inner.path(key);
        let now = self.inner.ctx.now();
        let record = self
            .blocking("reading a session file", move |inner| inner.read(&path))
            .await?;
        Ok(record.filter(|r| !r.is_expired(now)))
    }

    async fn clear_expired(&self) -> Result<u64> {
        let now = self.inner.ctx.now();
        self.blocking("clearing expired session files", move |inner| {
            let mut removed = 0;
            for (name, path) in files::list(&inner.dir, inner.prefix())? {
                let rest = &name[inner.prefix().len()..];
                if SessionKey::parse(rest).is_ok() {
                    removed += u64::from(inner.clear_if_expired(&path, now)?);
                } else if rest.contains(TEMP_INFIX)
                    && files::modified(&path).is_ok_and(|m| m < now - STALE_TEMP_AGE)
                {
                    files::remove(&path)?;
                }
            }
            Ok(removed)
        })
        .await
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
        let path = std::env::temp_dir().join(format!("sessionid{}", key.as_str()));
        std::fs::write(&path, b"\xff\xfe not text").unwrap();
        // The reading itself, on this thread (load runs it on a blocking thread).
        let ((), log) = conformance::capture_logs(|| {
            for _ in 0..1000 {
                assert_eq!(store.inner.read(&path).unwrap(), None);
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
