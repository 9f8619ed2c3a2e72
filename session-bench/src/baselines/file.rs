//! Raw files: `read`, and write-to-temporary-then-rename, on tokio's blocking pool as the file
//! engine does it, in the engine's directory.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use session_core::{Error, Result, async_trait};

use crate::baselines::{Raw, RawKeys};
use crate::target::{Payload, Target, wrong_answer};
use crate::workload::Op;

/// The raw file client for one directory.
#[derive(Debug, Clone)]
pub struct FileRaw {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    keys: RawKeys,
}

impl FileRaw {
    /// Files in `dir` (which must exist).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FileRaw {
            inner: Arc::new(Inner {
                dir: dir.into(),
                keys: RawKeys,
            }),
        }
    }
}

impl Raw for FileRaw {
    fn name(&self) -> &str {
        "file"
    }

    fn target(&self, payload: &Payload) -> Arc<dyn Target> {
        Arc::new(FileTarget {
            raw: self.clone(),
            content: payload.encoded.clone(),
        })
    }
}

struct FileTarget {
    raw: FileRaw,
    content: Arc<str>,
}

/// Writes `content` to `path` atomically: a temporary file beside it, then a rename.
fn write(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(content)?;
    temp.persist(path).map(drop).map_err(|e| e.error)
}

/// The file's content, `None` if it does not exist.
fn read(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(content) => Ok(Some(content)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

impl FileTarget {
    fn path(&self, key: &str) -> PathBuf {
        self.raw.inner.dir.join(format!("sessionid{key}"))
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
    ) -> Result<T> {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Error::backend("raw file", e))?
            .map_err(|e| Error::backend("raw file", e))
    }

    async fn read(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let path = self.path(key);
        self.blocking(move || read(&path)).await
    }

    async fn write(&self, key: &str) -> Result<()> {
        let path = self.path(key);
        let content = self.content.clone();
        self.blocking(move || write(&path, content.as_bytes()))
            .await
    }
}

#[async_trait]
impl Target for FileTarget {
    async fn seed(&self) -> Result<String> {
        let key = self.raw.inner.keys.next();
        self.write(&key).await?;
        Ok(key)
    }

    async fn run(&self, op: Op, key: &str, _n: u64) -> Result<()> {
        match op {
            Op::Create => self.seed().await.map(drop),
            Op::Load => match self.read(key).await? {
                Some(_) => Ok(()),
                None => Err(wrong_answer("a stored file was not found")),
            },
            Op::LoadMiss => match self.read(key).await? {
                None => Ok(()),
                Some(_) => Err(wrong_answer("a missing file was found")),
            },
            Op::Save => {
                if self.read(key).await?.is_none() {
                    return Err(wrong_answer("a stored file was not found"));
                }
                self.write(key).await
            }
            Op::Delete => {
                let path = self.path(key);
                self.blocking(move || match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != ErrorKind::NotFound => Err(e),
                    _ => Ok(()),
                })
                .await
            }
        }
    }
}
