//! Django's own signed cookies (`testdata/django/vectors.json`, written by Django 5.2):
//! read at their pinned time, reproduced byte for byte in the exact compression mode,
//! tampered ones refused; and the encrypted mode's refusals and rotation.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::{Value, json};
use session_cookie::{CookieMode, CookieStore, CookieStoreBuilder, ENCRYPTED_PREFIX};
use session_core::signing::Compression;
use session_core::{
    Error, MockClock, Secrets, SessionData, SessionKey, SessionRecord, SessionSettings,
    SessionStore, StoreContext,
};

use django_interop::vectors::{self, load as vectors};

fn secrets(v: &Value) -> Secrets {
    Secrets::new(vectors::secret_key(v))
        .unwrap()
        .with_fallbacks(vectors::fallbacks(v))
        .unwrap()
}

fn pinned(case: &Value) -> DateTime<Utc> {
    let t = case["time"].as_f64().unwrap();
    Utc.timestamp_opt(t.trunc() as i64, (t.fract() * 1e9) as u32)
        .unwrap()
}

fn cases<'a>(v: &'a Value, name: &str) -> &'a [Value] {
    let list = v[name].as_array().unwrap();
    assert!(!list.is_empty(), "{name} is empty");
    list
}

/// A store with these secrets on a clock stopped at `at`.
fn store_at(
    secrets: Secrets,
    mode: CookieMode,
    at: DateTime<Utc>,
) -> (CookieStore, Arc<MockClock>) {
    built_at(secrets, at, |builder| builder.mode(mode))
}

/// A store configured by `configure`, with these secrets, on a clock stopped at `at`.
fn built_at(
    secrets: Secrets,
    at: DateTime<Utc>,
    configure: impl FnOnce(CookieStoreBuilder) -> CookieStoreBuilder,
) -> (CookieStore, Arc<MockClock>) {
    let clock = Arc::new(MockClock::new(at));
    let ctx = StoreContext::new(SessionSettings::with_secrets(secrets)).with_clock(clock.clone());
    (configure(CookieStore::builder(ctx)).build().unwrap(), clock)
}

fn object(value: &Value) -> SessionData {
    value.as_object().expect("an object").clone()
}

fn record(data: SessionData) -> SessionRecord {
    SessionRecord::new(data, Utc::now())
}

async fn load(store: &CookieStore, value: &str) -> Option<SessionData> {
    let key = store.parse_key(value).ok()?;
    store
        .load(&key)
        .await
        .unwrap()
        .map(SessionRecord::into_data)
}

#[tokio::test]
async fn reads_every_cookie_django_signed() {
    let v = vectors();
    for list in ["signed_cookies", "fallback_signed"] {
        for case in cases(&v, list) {
            let (store, _) = store_at(secrets(&v), CookieMode::Signed, pinned(case));
            let cookie = case["cookie"].as_str().unwrap();
            assert_eq!(
                load(&store, cookie).await,
                Some(object(&case["obj"])),
                "{list}: {cookie}"
            );
        }
    }
}

#[tokio::test]
async fn writes_django_cookies_byte_for_byte() {
    let v = vectors();
    for case in cases(&v, "signed_cookies") {
        let (store, _) = built_at(secrets(&v), pinned(case), |builder| {
            builder.compression(Compression::DjangoExact)
        });
        let data = record(object(&case["obj"]));
        let created = store.create(&SessionKey::generate(), &data).await.unwrap();
        assert_eq!(created.as_str(), case["cookie"].as_str().unwrap());
        let saved = store.save(&created, &data).await.unwrap();
        assert_eq!(saved, created);
    }
}

#[tokio::test]
async fn fast_cookies_read_back_in_every_mode() {
    let v = vectors();
    for case in cases(&v, "signed_cookies") {
        let (fast, _) = store_at(secrets(&v), CookieMode::Signed, pinned(case));
        let (exact, _) = built_at(secrets(&v), pinned(case), |builder| {
            builder.compression(Compression::DjangoExact)
        });
        let data = object(&case["obj"]);
        let written = fast
            .create(&SessionKey::generate(), &record(data.clone()))
            .await
            .unwrap();
        assert_eq!(load(&exact, written.as_str()).await, Some(data.clone()));
        assert_eq!(load(&fast, written.as_str()).await, Some(data));
    }
}

/// Random hex: deflate at level 6 packs it into about half, the fast level barely at all.
fn hex_data(chars: usize) -> SessionData {
    let mut n: u64 = 0x2545_F491_4F6C_DD1D;
    let text: String = (0..chars)
        .map(|_| {
            n ^= n << 13;
            n ^= n >> 7;
            n ^= n << 17;
            char::from(b"0123456789abcdef"[(n % 16) as usize])
        })
        .collect();
    object(&json!({ "token": text }))
}

#[tokio::test]
async fn what_fits_with_djangos_compression_fits_in_fast_mode_too() {
    let at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
    let (fast, _) = store_at(Secrets::new("k").unwrap(), CookieMode::Signed, at);
    let (exact, _) = built_at(Secrets::new("k").unwrap(), at, |builder| {
        builder.compression(Compression::DjangoExact)
    });
    let (off, _) = built_at(Secrets::new("k").unwrap(), at, |builder| {
        builder.compression(Compression::Off)
    });
    let data = record(hex_data(5000));
    let djangos = exact.create(&SessionKey::generate(), &data).await.unwrap();
    assert!(djangos.as_str().starts_with('.'));
    let ours = fast.create(&SessionKey::generate(), &data).await.unwrap();
    assert_eq!(
        ours, djangos,
        "the fast value is too large: Django's is used"
    );
    assert!(matches!(
        off.create(&SessionKey::generate(), &data).await,
        Err(Error::TooLarge { .. })
    ));
    let small = record(hex_data(1000));
    let fast_small = fast.create(&SessionKey::generate(), &small).await.unwrap();
    let exact_small = exact.create(&SessionKey::generate(), &small).await.unwrap();
    assert_ne!(fast_small, exact_small, "the fast value fits: it is kept");
}

#[tokio::test]
async fn fallback_signed_cookies_are_resigned_with_the_current_key() {
    let v = vectors();
    for case in cases(&v, "fallback_signed") {
        let (store, _) = store_at(secrets(&v), CookieMode::Signed, pinned(case));
        let data = load(&store, case["cookie"].as_str().unwrap())
            .await
            .unwrap();
        let resigned = store
            .save(&SessionKey::generate(), &record(data))
            .await
            .unwrap();
        let current_only = Secrets::new(v["secret_key"].as_str().unwrap()).unwrap();
        let (strict, _) = store_at(current_only.clone(), CookieMode::Signed, pinned(case));
        assert_eq!(
            load(&strict, resigned.as_str()).await,
            Some(object(&case["obj"]))
        );
        assert_eq!(load(&strict, case["cookie"].as_str().unwrap()).await, None);
    }
}

#[tokio::test]
async fn tampered_cookies_are_no_session() {
    let v = vectors();
    let (store, _) = store_at(
        secrets(&v),
        CookieMode::Signed,
        Utc.timestamp_opt(1_700_000_010, 0).unwrap(),
    );
    for tampered in cases(&v, "tampered") {
        let tampered = tampered.as_str().unwrap();
        assert_eq!(load(&store, tampered).await, None, "{tampered:?} accepted");
    }
}

#[tokio::test]
async fn a_cookie_older_than_the_cookie_age_is_no_session() {
    let v = vectors();
    let case = &cases(&v, "signed_cookies")[1];
    let cookie = case["cookie"].as_str().unwrap();
    let (store, clock) = store_at(secrets(&v), CookieMode::Signed, pinned(case));
    let age = SessionSettings::new("x").unwrap().cookie_age;
    clock.advance(TimeDelta::seconds(age - 1));
    assert!(load(&store, cookie).await.is_some());
    clock.advance(TimeDelta::seconds(2));
    assert_eq!(load(&store, cookie).await, None);
}

#[tokio::test]
async fn custom_expiry_in_a_django_cookie_is_enforced() {
    let v = vectors();
    let case = cases(&v, "signed_cookies")
        .iter()
        .find(|c| c["obj"]["_session_expiry"] == json!(300))
        .expect("a vector with _session_expiry 300");
    let cookie = case["cookie"].as_str().unwrap();
    let (store, clock) = store_at(secrets(&v), CookieMode::Signed, pinned(case));
    clock.advance(TimeDelta::seconds(299));
    assert!(load(&store, cookie).await.is_some());
    clock.advance(TimeDelta::seconds(1));
    assert_eq!(
        load(&store, cookie).await,
        None,
        "Django would still accept it; we do not"
    );
}

#[tokio::test]
async fn oversized_cookie_is_a_typed_error_and_the_limit_counts_the_name() {
    let (store, _) = store_at(
        Secrets::new("k").unwrap(),
        CookieMode::Encrypted,
        Utc::now(),
    );
    let fits = |n: usize| record(object(&json!({"x": "a".repeat(n)})));
    // Encrypted size = prefix + base64(24 + 16 + 8 + json): find the largest that fits.
    let mut n = 2900;
    while store
        .create(&SessionKey::generate(), &fits(n + 1))
        .await
        .is_ok()
    {
        n += 1;
    }
    let value = store
        .create(&SessionKey::generate(), &fits(n))
        .await
        .unwrap();
    assert!("sessionid=".len() + value.as_str().len() <= 4093);
    match store.create(&SessionKey::generate(), &fits(n + 3)).await {
        Err(Error::TooLarge { size, limit: 4093 }) => assert!(size > 4093),
        other => panic!("{other:?}"),
    }
    let mut settings = SessionSettings::new("k").unwrap();
    settings.cookie_name = "a_much_longer_session_cookie_name".into();
    let long_name = CookieStore::builder(StoreContext::new(settings))
        .encrypted()
        .build()
        .unwrap();
    let err = long_name
        .create(&SessionKey::generate(), &fits(n))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
}

#[test]
fn tampering_is_logged_on_the_security_target() {
    let v = vectors();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let ((), logs) = session_conformance::capture_logs(|| {
        runtime.block_on(async {
            for mode in [CookieMode::Signed, CookieMode::Encrypted] {
                let (store, _) = store_at(secrets(&v), mode, Utc::now());
                let tampered = cases(&v, "tampered")[0].as_str().unwrap();
                assert_eq!(load(&store, tampered).await, None);
            }
        })
    });
    assert_eq!(logs.matches("Session data corrupted").count(), 2, "{logs}");
    assert!(
        logs.contains("WARN") && logs.contains("session_core::security"),
        "{logs}"
    );
}

#[test]
fn a_thousand_tampered_cookies_make_a_handful_of_lines() {
    let v = vectors();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (store, _) = store_at(secrets(&v), CookieMode::Signed, Utc::now());
    let tampered = cases(&v, "tampered")[0].as_str().unwrap();
    let ((), logs) = session_conformance::capture_logs(|| {
        runtime.block_on(async {
            for _ in 0..1000 {
                assert_eq!(load(&store, tampered).await, None);
            }
        })
    });
    let lines = logs.matches("Session data corrupted").count();
    assert!((1..=5).contains(&lines), "{lines} lines: {logs}");
}

#[tokio::test]
async fn encrypted_values_hide_the_data_and_refuse_tampering() {
    let (store, _) = store_at(
        Secrets::new("k").unwrap(),
        CookieMode::Encrypted,
        Utc::now(),
    );
    let data = object(&json!({"user": 42, "role": "admin"}));
    let value = store
        .create(&SessionKey::generate(), &record(data.clone()))
        .await
        .unwrap();
    let value = value.as_str();
    assert!(value.starts_with(ENCRYPTED_PREFIX));
    assert!(!value.contains("eyJ"), "looks like readable JSON: {value}");
    assert_eq!(load(&store, value).await, Some(data));
    // Flip one character at every position: none may load.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for i in ENCRYPTED_PREFIX.len()..value.len() {
        let mut bytes = value.as_bytes().to_vec();
        let at = alphabet.iter().position(|c| *c == bytes[i]).unwrap();
        bytes[i] = alphabet[(at + 1) % alphabet.len()];
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(
            load(&store, &tampered).await,
            None,
            "byte {i} changed and accepted"
        );
    }
    assert_eq!(load(&store, &value[..value.len() - 1]).await, None);
    assert_eq!(load(&store, &value.replacen("e1.", "e2.", 1)).await, None);
}

#[tokio::test]
async fn signed_and_encrypted_values_are_not_interchangeable() {
    let v = vectors();
    let case = &cases(&v, "signed_cookies")[1];
    let (encrypted, _) = store_at(secrets(&v), CookieMode::Encrypted, pinned(case));
    assert_eq!(
        load(&encrypted, case["cookie"].as_str().unwrap()).await,
        None
    );
    let (signed, _) = store_at(secrets(&v), CookieMode::Signed, pinned(case));
    let sealed = encrypted
        .create(&SessionKey::generate(), &record(object(&case["obj"])))
        .await
        .unwrap();
    assert_eq!(load(&signed, sealed.as_str()).await, None);
}

#[tokio::test]
async fn encrypted_rotation_through_fallbacks() {
    let at = Utc::now();
    let (old, _) = store_at(Secrets::new("old-key").unwrap(), CookieMode::Encrypted, at);
    let data = object(&json!({"cart": [1, 2, 3]}));
    let sealed = old
        .create(&SessionKey::generate(), &record(data.clone()))
        .await
        .unwrap();

    let rotated_secrets = Secrets::new("new-key")
        .unwrap()
        .with_fallbacks(["old-key"])
        .unwrap();
    let (rotated, _) = store_at(rotated_secrets, CookieMode::Encrypted, at);
    assert_eq!(load(&rotated, sealed.as_str()).await, Some(data.clone()));
    let resealed = rotated.save(&sealed, &record(data.clone())).await.unwrap();

    let (new_only, _) = store_at(Secrets::new("new-key").unwrap(), CookieMode::Encrypted, at);
    assert_eq!(load(&new_only, sealed.as_str()).await, None);
    assert_eq!(load(&new_only, resealed.as_str()).await, Some(data.clone()));
    assert_eq!(load(&old, resealed.as_str()).await, None);
}

#[tokio::test]
async fn encrypted_values_expire_with_the_cookie_age() {
    let start = Utc::now();
    let (store, clock) = store_at(Secrets::new("k").unwrap(), CookieMode::Encrypted, start);
    let sealed = store
        .create(&SessionKey::generate(), &record(object(&json!({"a": 1}))))
        .await
        .unwrap();
    clock.advance(TimeDelta::seconds(1_209_600 - 1));
    assert!(load(&store, sealed.as_str()).await.is_some());
    clock.advance(TimeDelta::seconds(2));
    assert_eq!(load(&store, sealed.as_str()).await, None);
}

#[test]
fn client_keys_follow_django_length_rule_and_signed_alphabet() {
    let (store, _) = store_at(Secrets::new("k").unwrap(), CookieMode::Signed, Utc::now());
    assert!(store.parse_key("1234567").is_err());
    assert!(store.parse_key("12345678").is_ok());
    assert!(store.parse_key(".eJy_-:1r31eq:AbC").is_ok());
    for bad in [
        "",
        "a b:c:d",
        "abc/defgh:1:2",
        "abcdefgh\0",
        &"a".repeat(8193),
    ] {
        assert!(store.parse_key(bad).is_err(), "{bad:?}");
    }
}
