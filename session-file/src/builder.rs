//! [`FileStoreBuilder`]: a [`FileStore`] with options.

use std::path::PathBuf;

use session_core::{Result, StoreContext};

use crate::directory;
use crate::store::FileStore;

/// Options of a [`FileStore`], from [`FileStore::builder`].
#[derive(Debug)]
pub struct FileStoreBuilder {
    ctx: StoreContext,
    dir: Option<PathBuf>,
    allow_shared_dir: bool,
}

impl FileStoreBuilder {
    pub(crate) fn new(ctx: StoreContext) -> Self {
        FileStoreBuilder {
            ctx,
            dir: None,
            allow_shared_dir: false,
        }
    }

    /// The directory (Django's `SESSION_FILE_PATH`); it must exist. Without one, the store
    /// uses `django-sessions-<uid>` in the OS temporary directory, created with mode 0700.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Accepts a directory that another user owns or that other users may enter, list or
    /// write (group or other permission bits). Off by default: the file names are the
    /// session keys, so whoever can list the directory can take over every session, and
    /// whoever can write it can plant sessions. Turn it on for a directory shared on
    /// purpose (a group directory, say). Session files stay 0600, as Django's are: a Django
    /// app sharing them must run as the same user.
    pub fn allow_shared_dir(mut self, allow: bool) -> Self {
        self.allow_shared_dir = allow;
        self
    }

    /// The store. A missing directory, one the process cannot write, or a shared one not
    /// allowed is [`Error::Configuration`](session_core::Error::Configuration).
    pub fn build(self) -> Result<FileStore> {
        self.ctx.settings().validate()?;
        let dir = match self.dir {
            Some(dir) => {
                directory::check(&dir, self.allow_shared_dir)?;
                dir
            }
            None => {
                let dir = directory::default_dir()?;
                directory::check(&dir, false)?;
                dir
            }
        };
        Ok(FileStore::in_checked_dir(dir, self.ctx))
    }
}
