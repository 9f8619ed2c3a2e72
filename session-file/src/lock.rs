//! [`DirLock`]: the lock that makes a save's check-and-rename and a delete exclusive.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

/// An exclusive `flock` on the session directory, released when dropped. Processes sharing
/// the directory exclude each other too (Django's own file backend takes no lock).
#[must_use = "the lock is released when dropped"]
#[derive(Debug)]
pub struct DirLock {
    _held: File,
}

impl DirLock {
    /// Waits for the lock on `dir`.
    pub fn take(dir: &Path) -> io::Result<Self> {
        // A descriptor of its own: flock locks belong to open file descriptions, so two
        // threads of one process exclude each other only through separate opens.
        let file = File::open(dir)?;
        loop {
            // SAFETY: the descriptor is open for the duration of the call.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(DirLock { _held: file });
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
}
