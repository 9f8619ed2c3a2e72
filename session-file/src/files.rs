//! Blocking file operations, each one small and atomic where it must be.

use std::fs::{self, File};
use std::io::{self, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Utc};

/// Infix of temporary files: `sessionid<key>_out_<random>`, as Django names them.
pub const TEMP_INFIX: &str = "_out_";

/// What a write must do if the target exists or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Fail with `AlreadyExists` if the file exists.
    CreateNew,
    /// Fail with `NotFound` if the file does not exist; replace it otherwise.
    ReplaceExisting,
}

/// Writes `content` to `path` through a temporary file in the same directory, with
/// `modified` as its modification time.
pub fn write(path: &Path, content: &[u8], modified: DateTime<Utc>, mode: Mode) -> io::Result<()> {
    if mode == Mode::ReplaceExisting {
        fs::metadata(path)?;
    }
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
    match mode {
        Mode::CreateNew => temp.persist_noclobber(path).map(drop).map_err(|e| e.error),
        Mode::ReplaceExisting => temp.persist(path).map(drop).map_err(|e| e.error),
    }
}

/// The file's content and modification time; `None` if it does not exist.
pub fn read(path: &Path) -> io::Result<Option<(Vec<u8>, DateTime<Utc>)>> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let modified = file.metadata()?.modified()?;
    let mut content = Vec::new();
    io::Read::read_to_end(&mut file, &mut content)?;
    Ok(Some((content, DateTime::from(modified))))
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

/// The file's modification time.
pub fn modified(path: &Path) -> io::Result<DateTime<Utc>> {
    Ok(DateTime::from(fs::metadata(path)?.modified()?))
}
