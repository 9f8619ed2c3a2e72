//! Blocking file operations, each one small and atomic where it must be.

use std::fs::{self, OpenOptions};
use std::io::{self, ErrorKind, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use chrono::{DateTime, Utc};

use crate::lock::DirLock;

/// Infix of temporary files: `sessionid<key>_out_<random>`, as Django names them.
pub const TEMP_INFIX: &str = "_out_";

/// The largest session file read or written.
pub const MAX_FILE_SIZE: usize = 1 << 20;

/// What a write must do if the target exists or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Fail with `AlreadyExists` if the file exists.
    CreateNew,
    /// Fail with `NotFound` if the file does not exist; replace it otherwise.
    ReplaceExisting,
    /// Replace the file only if its content is still these bytes (compare-and-swap).
    ReplaceUnchanged(Arc<[u8]>),
}

/// How a write ended, when the file system did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The file has the new content.
    Done,
    /// [`Mode::CreateNew`]: the name was taken; nothing was written.
    Exists,
    /// [`Mode::ReplaceExisting`]: there was no file to replace; nothing was written.
    Missing,
    /// [`Mode::ReplaceUnchanged`]: the file holds something else; nothing was written.
    Changed,
}

/// What is under a session file's name.
#[derive(Debug)]
pub enum Entry {
    /// Nothing.
    Missing,
    /// Something the engine does not read, and why: a link, a FIFO, a directory, a file
    /// over [`MAX_FILE_SIZE`].
    Refused(&'static str),
    /// A regular file.
    File {
        /// Its content.
        content: Vec<u8>,
        /// Its modification time.
        modified: DateTime<Utc>,
    },
}

/// Writes `content` to `path` through a temporary file in the same directory, with
/// `modified` as its modification time. A replacement checks that the file still exists
/// and renames under the directory's [`DirLock`], so a delete is never undone.
pub fn write(
    path: &Path,
    content: &[u8],
    modified: DateTime<Utc>,
    mode: Mode,
) -> io::Result<Written> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("session");
    let mut temp = tempfile::Builder::new()
        .prefix(&format!("{name}{TEMP_INFIX}"))
        .tempfile_in(dir)?;
    temp.write_all(content)?;
    temp.as_file().set_modified(SystemTime::from(modified))?;
    // On disk before it has the name: a crash never leaves an empty session file.
    temp.as_file().sync_all()?;
    match mode {
        Mode::CreateNew => match temp.persist_noclobber(path) {
            Ok(_) => Ok(Written::Done),
            Err(e) if e.error.kind() == ErrorKind::AlreadyExists => Ok(Written::Exists),
            Err(e) => Err(e.error),
        },
        Mode::ReplaceExisting => {
            let _lock = DirLock::take(dir)?;
            match fs::symlink_metadata(path) {
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Written::Missing),
                Err(e) => return Err(e),
                Ok(_) => {}
            }
            temp.persist(path).map_err(|e| e.error)?;
            Ok(Written::Done)
        }
        Mode::ReplaceUnchanged(expected) => {
            let _lock = DirLock::take(dir)?;
            match read(path)? {
                Entry::Missing | Entry::Refused(_) => return Ok(Written::Missing),
                Entry::File { content, .. } if *content != *expected => {
                    return Ok(Written::Changed);
                }
                Entry::File { .. } => {}
            }
            temp.persist(path).map_err(|e| e.error)?;
            Ok(Written::Done)
        }
    }
}

/// What is under `path`, read without following a link, without waiting on a FIFO and
/// without reading more than [`MAX_FILE_SIZE`] (plus one byte, to tell it was more).
pub fn read(path: &Path) -> io::Result<Entry> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let file = match file {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Entry::Missing),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Ok(Entry::Refused("a symbolic link"));
        }
        Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
            return Ok(Entry::Refused("not a regular file"));
        }
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(Entry::Refused("not a regular file"));
    }
    if meta.len() > MAX_FILE_SIZE as u64 {
        return Ok(Entry::Refused("larger than 1 MiB"));
    }
    let mut content = Vec::new();
    file.take(MAX_FILE_SIZE as u64 + 1)
        .read_to_end(&mut content)?;
    if content.len() > MAX_FILE_SIZE {
        return Ok(Entry::Refused("larger than 1 MiB"));
    }
    Ok(Entry::File {
        content,
        modified: DateTime::from(meta.modified()?),
    })
}

/// Removes a file; a missing one is fine.
pub fn remove(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// The names in `dir` starting with `prefix`, with their full paths.
pub fn list(dir: &Path, prefix: &str) -> io::Result<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(name) = entry.file_name().to_str() {
            if name.starts_with(prefix) {
                found.push((name.to_owned(), entry.path()));
            }
        }
    }
    Ok(found)
}

/// The modification time of the entry itself (a link's own, not its target's).
pub fn modified(path: &Path) -> io::Result<DateTime<Utc>> {
    Ok(DateTime::from(fs::symlink_metadata(path)?.modified()?))
}
