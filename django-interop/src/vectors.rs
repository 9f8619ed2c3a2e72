//! The values a real Django 5.2 produced, in `testdata/django/`: signed data, cookies, a
//! SQLite table and a session directory, with the secrets they were made with.

use std::path::PathBuf;

use serde_json::Value;

/// A file or directory of `testdata/django/`.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/django")
        .join(name)
}

/// `vectors.json`.
pub fn load() -> Value {
    let text = std::fs::read_to_string(path("vectors.json")).expect("testdata/django/vectors.json");
    serde_json::from_str(&text).expect("vectors.json is JSON")
}

/// The `SECRET_KEY` the vectors were made with.
pub fn secret_key(vectors: &Value) -> &str {
    vectors["secret_key"].as_str().expect("secret_key")
}

/// The `SECRET_KEY_FALLBACKS` the vectors were made with.
pub fn fallbacks(vectors: &Value) -> Vec<String> {
    vectors["secret_key_fallbacks"]
        .as_array()
        .expect("secret_key_fallbacks")
        .iter()
        .map(|f| f.as_str().expect("a fallback key").to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn vectors_name_their_secrets() {
        let v = super::load();
        assert!(!super::secret_key(&v).is_empty());
        assert_eq!(super::fallbacks(&v).len(), 1);
        assert!(super::path("django_sessions.sqlite3").is_file());
    }
}
