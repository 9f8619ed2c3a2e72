//! A real Django 5.2 and this engine share signed cookies, both ways, with key rotation.
//! Needs `DJANGO_PYTHON` (`eval "$(scripts/django-venv)"`); see `django-interop`.

use django_interop::{DjangoPeer, Engine, sized_data};
use serde_json::{Value, json};
use session_cookie::{CookieMode, CookieStore};
use session_core::{Secrets, SessionData, SessionManager, SessionSettings};

const SECRET: &str = "live-cookie-secret-key-0123456789";
const OLD_SECRET: &str = "live-cookie-old-secret-key-0123456789";

fn sessions(secrets: Secrets, mode: CookieMode) -> SessionManager {
    let settings = SessionSettings::with_secrets(secrets);
    SessionManager::build(settings, |ctx| CookieStore::builder(ctx).mode(mode).build()).unwrap()
}

fn data() -> SessionData {
    let value = json!({
        "cart": [1, 2, 3],
        "name": "zoë ☃ 😀 \"quoted\" \\ /",
        "nested": {"a": [1.5, null, true, false, {"b": {}}], "big": 12345678901234u64},
        "_session_expiry": 600,
        "testcookie": "worked",
    });
    value.as_object().unwrap().clone()
}

/// Rust saves a session; returns the cookie value.
async fn rust_writes(sessions: &SessionManager, data: &SessionData) -> String {
    let session = sessions.session(None);
    session.update(data.clone()).await.unwrap();
    session.save().await.unwrap();
    session.session_key().unwrap().as_str().to_owned()
}

async fn rust_reads(sessions: &SessionManager, cookie: &str) -> Option<SessionData> {
    let session = sessions.session(Some(cookie));
    let data = session.data().await.unwrap();
    session.session_key().map(|_| data.as_ref().clone())
}

#[tokio::test]
async fn django_reads_what_rust_signs() {
    let Some(django) = DjangoPeer::get() else {
        return;
    };
    let django = django.secret_key(SECRET);
    let rust = sessions(Secrets::new(SECRET).unwrap(), CookieMode::Signed);
    let cookie = rust_writes(&rust, &data()).await;
    assert_eq!(django.read(&Engine::SignedCookies, &cookie), Some(data()));

    let mut tampered = cookie.clone().into_bytes();
    tampered[3] ^= 1;
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(django.read(&Engine::SignedCookies, &tampered), None);
}

#[tokio::test]
async fn rust_reads_what_django_signs() {
    let Some(django) = DjangoPeer::get() else {
        return;
    };
    let django = django.secret_key(SECRET);
    let cookie = django.write(&Engine::SignedCookies, &data());
    let rust = sessions(Secrets::new(SECRET).unwrap(), CookieMode::Signed);
    assert_eq!(rust_reads(&rust, &cookie).await, Some(data()));
    let session = rust.session(Some(&cookie));
    assert_eq!(session.get_expiry_age().await.unwrap(), 600);

    let stranger = sessions(Secrets::new("another-secret").unwrap(), CookieMode::Signed);
    assert_eq!(rust_reads(&stranger, &cookie).await, None);
}

/// The default (fast) compression against Django, both ways: about 50 bytes of JSON is
/// left uncompressed, 2 KiB of text is deflated by zlib-rs, 2 KiB of random characters is
/// left plain (Django's level 6 still packs it). 16 KiB would not fit in a cookie.
#[tokio::test]
async fn sized_cookies_cross_both_ways() {
    let Some(django) = DjangoPeer::get() else {
        return;
    };
    let django = django.secret_key(SECRET);
    let rust = sessions(Secrets::new(SECRET).unwrap(), CookieMode::Signed);
    for (bytes, compressible, compressed) in
        [(50, true, false), (2048, true, true), (2048, false, false)]
    {
        let data = sized_data(bytes, compressible);
        let what = format!("{bytes} bytes, compressible: {compressible}");
        let cookie = rust_writes(&rust, &data).await;
        assert_eq!(cookie.starts_with('.'), compressed, "{what}: {cookie}");
        assert_eq!(
            django.read(&Engine::SignedCookies, &cookie),
            Some(data.clone()),
            "Django reads ours, {what}"
        );
        let from_django = django.write(&Engine::SignedCookies, &data);
        assert_eq!(
            rust_reads(&rust, &from_django).await,
            Some(data),
            "we read Django's, {what}"
        );
    }
}

#[tokio::test]
async fn rotation_works_across_the_two() {
    let Some(django) = DjangoPeer::get() else {
        return;
    };
    // Django still on the old key writes; Rust rotated (new key, old as fallback) reads,
    // re-signs with the new key, and a rotated Django reads that.
    let old_django = django.clone().secret_key(OLD_SECRET);
    let cookie = old_django.write(&Engine::SignedCookies, &data());
    let rotated = Secrets::new(SECRET)
        .unwrap()
        .with_fallbacks([OLD_SECRET])
        .unwrap();
    let rust = sessions(rotated, CookieMode::Signed);
    let session = rust.session(Some(&cookie));
    session.insert("seen", true).await.unwrap();
    session.save().await.unwrap();
    let resigned = session.session_key().unwrap();

    let mut expected = data();
    expected.insert("seen".into(), Value::Bool(true));
    let new_django = django.clone().secret_key(SECRET);
    assert_eq!(
        new_django.read(&Engine::SignedCookies, resigned.as_str()),
        Some(expected)
    );
    assert_eq!(new_django.read(&Engine::SignedCookies, &cookie), None);
    let rotated_django = new_django.fallbacks([OLD_SECRET]);
    assert_eq!(
        rotated_django.read(&Engine::SignedCookies, &cookie),
        Some(data())
    );
}

#[tokio::test]
async fn django_cannot_read_encrypted_cookies() {
    let Some(django) = DjangoPeer::get() else {
        return;
    };
    let django = django.secret_key(SECRET);
    let rust = sessions(Secrets::new(SECRET).unwrap(), CookieMode::Encrypted);
    let cookie = rust_writes(&rust, &data()).await;
    assert_eq!(rust_reads(&rust, &cookie).await, Some(data()));
    assert_eq!(django.read(&Engine::SignedCookies, &cookie), None);
}
