//! `sessions decode` on Django's vectors, through the real binary.

use std::process::Command;

use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/django/vectors.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn sessions(args: &[&str], secret: &str, fallbacks: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sessions"))
        .args(args)
        .env("SECRET_KEY", secret)
        .env("SECRET_KEY_FALLBACKS", fallbacks)
        .env_remove("SESSION_ENGINE")
        .output()
        .unwrap()
}

#[test]
fn decodes_django_signed_cookies_with_fallbacks() {
    let v = vectors();
    let secret = v["secret_key"].as_str().unwrap();
    let fallback = v["secret_key_fallbacks"][0].as_str().unwrap();
    let age = "100000000000"; // the vectors were signed in 2023
    for group in ["signed_cookies", "fallback_signed"] {
        for case in v[group].as_array().unwrap() {
            let out = sessions(
                &["decode", case["cookie"].as_str().unwrap(), "--max-age", age],
                secret,
                fallback,
            );
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let decoded: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(decoded, case["obj"]);
        }
    }
}

#[test]
fn decodes_stored_session_data_with_its_salt() {
    let v = vectors();
    let case = &v["session_data"][1];
    let out = sessions(
        &[
            "decode",
            case["encoded"].as_str().unwrap(),
            "--salt",
            "django.contrib.sessions.SessionStore",
            "--max-age",
            "100000000000",
        ],
        v["secret_key"].as_str().unwrap(),
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        case["obj"]
    );
}

#[test]
fn rejects_tampered_and_expired_values_with_exit_1() {
    let v = vectors();
    let secret = v["secret_key"].as_str().unwrap();
    for tampered in v["tampered"].as_array().unwrap() {
        let value = tampered.as_str().unwrap();
        if value.is_empty() {
            continue; // clap wants a value; an empty one is covered by the library tests
        }
        let out = sessions(&["decode", value, "--max-age", "100000000000"], secret, "");
        assert_eq!(out.status.code(), Some(1), "{value}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("bad signed value"));
    }
    // The default max age is the cookie age: a 2023 cookie is long expired.
    let cookie = v["signed_cookies"][1]["cookie"].as_str().unwrap();
    let out = sessions(&["decode", cookie], secret, "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Signature age"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Without the fallback key, a fallback-signed value is refused.
    let old = v["fallback_signed"][1]["cookie"].as_str().unwrap();
    let out = sessions(&["decode", old, "--max-age", "100000000000"], secret, "");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn production_preset_still_reads_with_a_weak_key() {
    // Django's vectors were signed with a short key, as older sites have: the production
    // preset refuses such a key for serving, never for reading.
    let v = vectors();
    let secret = v["secret_key"].as_str().unwrap();
    assert!(
        session_core::SecretKey::new(secret)
            .unwrap()
            .weakness()
            .is_some()
    );
    let case = &v["signed_cookies"][0];
    let out = Command::new(env!("CARGO_BIN_EXE_sessions"))
        .args(["decode", case["cookie"].as_str().unwrap()])
        .args(["--max-age", "100000000000"])
        .env("SECRET_KEY", secret)
        .env("SESSION_PRESET", "production")
        .env_remove("SESSION_ENGINE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decoded: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(decoded, case["obj"]);
}
