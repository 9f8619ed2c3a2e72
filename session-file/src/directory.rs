//! The session directory: the private default, and the check that a directory is private.

use std::fs::{self, DirBuilder, Metadata};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use session_core::{Error, Result};

use crate::lock::DirLock;

/// The default directory, `django-sessions-<uid>` in the OS temporary directory, created
/// with mode 0700 if missing.
pub fn default_dir() -> Result<PathBuf> {
    default_in(&std::env::temp_dir())
}

fn default_in(base: &Path) -> Result<PathBuf> {
    let dir = base.join(format!("django-sessions-{}", effective_uid()));
    match DirBuilder::new().mode(0o700).create(&dir) {
        Err(e) if e.kind() != ErrorKind::AlreadyExists => {
            return Err(Error::config(format!(
                "cannot create the session directory {}: {e}",
                dir.display()
            )));
        }
        _ => {}
    }
    // Another user may have put a link or a directory of their own under this name first.
    let meta =
        fs::symlink_metadata(&dir).map_err(|e| Error::config(format!("{}: {e}", dir.display())))?;
    check_private(&dir, &meta)?;
    Ok(dir)
}

/// Checks that `dir` can hold the sessions: an existing directory the process can write and
/// lock, private unless `allow_shared`.
pub fn check(dir: &Path, allow_shared: bool) -> Result<()> {
    let meta = fs::metadata(dir).map_err(|e| {
        Error::config(format!(
            "the session storage path {} doesn't exist or can't be read ({e}); set SESSION_FILE_PATH to an existing directory",
            dir.display()
        ))
    })?;
    if !meta.is_dir() {
        return Err(Error::config(format!(
            "the session storage path {} is not a directory",
            dir.display()
        )));
    }
    if !allow_shared {
        check_private(dir, &meta)?;
    }
    let cannot = |e: std::io::Error| {
        Error::config(format!(
            "cannot write session files in {}: {e}",
            dir.display()
        ))
    };
    tempfile::tempfile_in(dir).map_err(cannot)?;
    drop(DirLock::take(dir).map_err(cannot)?);
    Ok(())
}

/// Refuses a directory another user owns or may enter, list or write: the file names are
/// the session keys.
fn check_private(dir: &Path, meta: &Metadata) -> Result<()> {
    if !meta.is_dir() {
        return Err(Error::config(format!(
            "the session directory {} is not a directory (a link?)",
            dir.display()
        )));
    }
    let uid = effective_uid();
    if meta.uid() != uid {
        return Err(Error::config(format!(
            "the session directory {} belongs to uid {}, not to this process's uid {uid}; \
             use a directory of this user's, or allow a shared directory explicitly",
            dir.display(),
            meta.uid()
        )));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::config(format!(
            "the session directory {} has mode {mode:o}: other users can list the session keys or write sessions; \
             chmod 700 it, or allow a shared directory explicitly",
            dir.display()
        )));
    }
    Ok(())
}

fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn chmod(path: &Path, mode: u32) {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn the_default_is_created_private() {
        let base = tempfile::tempdir().unwrap();
        chmod(base.path(), 0o1777);
        let dir = default_in(base.path()).unwrap();
        assert_eq!(dir.parent(), Some(base.path()));
        let meta = fs::symlink_metadata(&dir).unwrap();
        assert!(meta.is_dir());
        assert_eq!(meta.mode() & 0o777, 0o700);
        assert_eq!(
            default_in(base.path()).unwrap(),
            dir,
            "a second store reuses it"
        );
    }

    #[test]
    fn a_default_that_is_a_link_or_open_is_refused() {
        let base = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let name = base
            .path()
            .join(format!("django-sessions-{}", effective_uid()));
        std::os::unix::fs::symlink(elsewhere.path(), &name).unwrap();
        let err = default_in(base.path()).unwrap_err();
        assert!(matches!(err, Error::Configuration(_)), "{err}");
        fs::remove_file(&name).unwrap();
        fs::create_dir(&name).unwrap();
        chmod(&name, 0o777);
        let err = default_in(base.path()).unwrap_err();
        assert!(err.to_string().contains("mode 777"), "{err}");
    }

    #[test]
    fn open_directories_are_refused_unless_allowed() {
        for mode in [0o750, 0o705, 0o710, 0o720, 0o701, 0o1777] {
            let dir = tempfile::tempdir().unwrap();
            chmod(dir.path(), mode);
            let err = check(dir.path(), false).unwrap_err();
            assert!(matches!(err, Error::Configuration(_)), "{mode:o}: {err}");
            check(dir.path(), true).unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        chmod(dir.path(), 0o700);
        check(dir.path(), false).unwrap();
    }

    #[test]
    fn a_directory_of_another_user_is_refused() {
        // `/` belongs to root; when the tests run as root, nothing else is sure to exist.
        if effective_uid() == 0 {
            let dir = tempfile::tempdir().unwrap();
            std::os::unix::fs::chown(dir.path(), Some(65534), None).unwrap();
            let err = check(dir.path(), false).unwrap_err();
            assert!(err.to_string().contains("belongs to uid 65534"), "{err}");
        } else {
            let err = check(Path::new("/"), false).unwrap_err();
            assert!(err.to_string().contains("belongs to uid 0"), "{err}");
        }
    }

    #[test]
    fn a_missing_directory_or_a_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check(&dir.path().join("missing"), false).is_err());
        let file = dir.path().join("file");
        fs::write(&file, "").unwrap();
        assert!(check(&file, true).is_err());
    }
}
