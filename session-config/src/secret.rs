//! `SECRET_KEY`, or a development key kept in a file so restarts keep sessions valid.

use std::io::Write;
use std::path::Path;

use rand::Rng;
use session_core::{Error, Result, Secrets};

/// Where the development key is kept, in the working directory.
pub const DEV_KEY_FILE: &str = ".session-secret-key";

/// The configured secrets; without `SECRET_KEY`, the development key from
/// [`DEV_KEY_FILE`] (made on first use, with a loud warning). Fallbacks are trimmed (a
/// comma-separated list is often written `old1, old2`) and empty ones dropped.
pub fn resolve(secret_key: Option<&str>, fallbacks: &[String]) -> Result<Secrets> {
    let fallbacks = fallbacks.iter().map(|f| f.trim()).filter(|f| !f.is_empty());
    match secret_key {
        Some(key) => Secrets::new(key)?.with_fallbacks(fallbacks),
        None => Secrets::new(development_key(Path::new(DEV_KEY_FILE))?)?.with_fallbacks(fallbacks),
    }
}

fn development_key(path: &Path) -> Result<String> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim().to_owned();
        if !existing.is_empty() {
            tracing::warn!(
                "SECRET_KEY is not set: using the development key in {} (never do this in production)",
                path.display()
            );
            return Ok(existing);
        }
    }
    let key: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(50)
        .map(char::from)
        .collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| Error::config(format!("cannot create {}: {e}", path.display())))?;
    file.write_all(key.as_bytes())
        .map_err(|e| Error::config(format!("cannot write {}: {e}", path.display())))?;
    tracing::warn!(
        "SECRET_KEY is not set: made a development key and kept it in {} (never do this in production)",
        path.display()
    );
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use session_core::SecretKey;

    #[test]
    fn development_key_is_kept_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        let first = development_key(&path).unwrap();
        assert_eq!(first.len(), 50);
        assert_eq!(development_key(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn explicit_key_and_fallbacks() {
        let secrets = resolve(Some("k"), &["old".into(), String::new()]).unwrap();
        assert_eq!(secrets.fallbacks().len(), 1);
        assert!(resolve(Some(""), &[]).is_err());
    }

    #[test]
    fn fallbacks_are_trimmed_and_blank_ones_dropped() {
        let fallbacks = [" old1", "old2 ", "  ", "\told3\n"].map(String::from);
        let secrets = resolve(Some("k"), &fallbacks).unwrap();
        let expected = ["old1", "old2", "old3"].map(|k| SecretKey::new(k).unwrap());
        assert_eq!(secrets.fallbacks(), expected);
    }
}
