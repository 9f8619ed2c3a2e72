//! Every value in `testdata/django/vectors.json` (written by a real Django 5.2) reproduced
//! byte for byte at its pinned time in the exact mode (`Compression::DjangoExact`), read
//! back after a round trip through the default fast mode, and every tampered value rejected.
//! Floats are checked against CPython's `json.dumps` (`testdata/python/float_repr.json`).

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use session_core::signing::{self, Compression, TimestampSigner, pyjson};
use session_core::{Secrets, SessionCodec};

const COOKIE_SALT: &str = "django.contrib.sessions.backends.signed_cookies";

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

fn cases<'a>(v: &'a Value, name: &str) -> &'a Vec<Value> {
    let list = v[name].as_array().unwrap();
    assert!(!list.is_empty(), "{name} is empty");
    list
}

#[test]
fn generic_signing_vectors() {
    let v = vectors();
    let secrets = secrets(&v);
    for case in cases(&v, "signing") {
        let signer = TimestampSigner::new(case["salt"].as_str().unwrap(), &secrets);
        let compression = if case["compress"].as_bool().unwrap() {
            Compression::DjangoExact
        } else {
            Compression::Off
        };
        let signed = signing::dumps(&case["obj"], &signer, compression, pinned(case)).unwrap();
        assert_eq!(signed, case["signed"].as_str().unwrap(), "{compression:?}");
        let back = signing::loads(&signed, &signer, None, pinned(case)).unwrap();
        assert_eq!(back, case["obj"]);
        let fast = signing::dumps(&case["obj"], &signer, Compression::Fast, pinned(case)).unwrap();
        assert_eq!(
            signing::loads(&fast, &signer, None, pinned(case)).unwrap(),
            case["obj"]
        );
    }
}

#[test]
fn stored_session_vectors() {
    let v = vectors();
    let fast = SessionCodec::new(&secrets(&v));
    let exact = fast.clone().byte_exact();
    for case in cases(&v, "session_data") {
        assert_eq!(case["salt"], "django.contrib.sessions.SessionStore");
        let data = case["obj"].as_object().unwrap();
        let encoded = exact.encode(data, pinned(case)).unwrap();
        assert_eq!(encoded, case["encoded"].as_str().unwrap());
        assert_eq!(fast.decode(&encoded).as_ref(), Some(data));
        let encoded = fast.encode(data, pinned(case)).unwrap();
        assert_eq!(exact.decode(&encoded).as_ref(), Some(data));
    }
}

#[test]
fn signed_cookie_vectors() {
    let v = vectors();
    let signer = TimestampSigner::new(COOKIE_SALT, &secrets(&v));
    for case in cases(&v, "signed_cookies") {
        let cookie = signing::dumps(
            &case["obj"],
            &signer,
            Compression::DjangoExact,
            pinned(case),
        )
        .unwrap();
        assert_eq!(cookie, case["cookie"].as_str().unwrap());
        assert_eq!(
            signing::loads(&cookie, &signer, None, pinned(case)).unwrap(),
            case["obj"]
        );
    }
}

#[test]
fn fallback_signed_vectors_verify_and_reproduce() {
    let v = vectors();
    let current = TimestampSigner::new(COOKIE_SALT, &secrets(&v));
    for case in cases(&v, "fallback_signed") {
        let old = case["signed_with"].as_str().unwrap();
        let cookie = case["cookie"].as_str().unwrap();
        // Verified through the fallback key...
        assert_eq!(
            signing::loads(cookie, &current, None, pinned(case)).unwrap(),
            case["obj"]
        );
        // ...and reproduced exactly by signing with that old key.
        let old_signer = TimestampSigner::new(COOKIE_SALT, &Secrets::new(old).unwrap());
        assert_eq!(
            signing::dumps(
                &case["obj"],
                &old_signer,
                Compression::DjangoExact,
                pinned(case)
            )
            .unwrap(),
            cookie
        );
        // Without the fallback it is refused.
        let no_fallback = TimestampSigner::new(
            COOKIE_SALT,
            &Secrets::new(v["secret_key"].as_str().unwrap()).unwrap(),
        );
        assert!(signing::loads(cookie, &no_fallback, None, pinned(case)).is_err());
    }
}

#[test]
fn tampered_values_are_rejected_under_every_salt() {
    let v = vectors();
    let secrets = secrets(&v);
    let now = Utc.timestamp_opt(1_700_000_010, 0).unwrap();
    for salt in [
        COOKIE_SALT,
        "django.contrib.sessions.SessionStore",
        "vectors.salt",
    ] {
        let signer = TimestampSigner::new(salt, &secrets);
        for tampered in cases(&v, "tampered") {
            let tampered = tampered.as_str().unwrap();
            assert!(
                signing::loads(tampered, &signer, None, now).is_err(),
                "{salt}: accepted {tampered:?}"
            );
        }
    }
    let codec = SessionCodec::new(&secrets);
    for tampered in cases(&v, "tampered") {
        assert_eq!(codec.decode(tampered.as_str().unwrap()), None);
    }
}

#[test]
fn cookies_older_than_max_age_are_rejected() {
    let v = vectors();
    let signer = TimestampSigner::new(COOKIE_SALT, &secrets(&v));
    for case in cases(&v, "signed_cookies") {
        let cookie = case["cookie"].as_str().unwrap();
        let issued = pinned(case);
        let age = 1_209_600.0;
        assert!(
            signing::loads(
                cookie,
                &signer,
                Some(age),
                issued + chrono::TimeDelta::seconds(1_209_600)
            )
            .is_ok()
        );
        let err = signing::loads(
            cookie,
            &signer,
            Some(age),
            issued + chrono::TimeDelta::seconds(1_209_601),
        )
        .unwrap_err();
        assert!(
            matches!(err, signing::SigningError::Expired { .. }),
            "{err}"
        );
    }
}

#[test]
fn django_db_rows_and_files_decode() {
    let v = vectors();
    let codec = SessionCodec::new(&secrets(&v));
    for row in cases(&v, "db_rows") {
        let mut data = codec
            .decode(row["session_data"].as_str().unwrap())
            .expect("row decodes");
        // Django stores the custom expiry in the data; the vector's obj omits it.
        data.shift_remove("_session_expiry");
        assert_eq!(Value::Object(data), row["obj"]);
    }
    let dir = vectors::path("file_sessions");
    for file in cases(&v, "file_sessions") {
        let content =
            std::fs::read_to_string(dir.join(file["file_name"].as_str().unwrap())).unwrap();
        let mut data = codec.decode(&content).expect("file decodes");
        data.shift_remove("_session_expiry");
        assert_eq!(Value::Object(data), file["obj"]);
    }
}

#[test]
fn reference_section_vectors() {
    // reference/django-sessions.md section 4.6, with its own secret.
    let secrets = Secrets::new("django-insecure-spec-test-key-0123456789")
        .unwrap()
        .with_fallbacks(["old-secret-key-abcdef"])
        .unwrap();
    let codec = SessionCodec::new(&secrets).byte_exact();
    let at = Utc.timestamp_opt(1_700_000_000, 250_000_000).unwrap();
    let obj = |j: Value| j.as_object().unwrap().clone();
    let expect = [
        (
            serde_json::json!({"foo": "bar"}),
            "eyJmb28iOiJiYXIifQ:1r31eq:HE_UDqwsTqoXjthcui40m1z9wJd7QS-olm2MNqNZ3po",
        ),
        (
            serde_json::json!({"data": "a".repeat(100)}),
            ".eJyrVkpJLElUslJKpANQqgUA6jEpOQ:1r31eq:8a9EY2JAtsb5xcTYt_XxLP_as3wSwE42Dgi5pBvMPzU",
        ),
        (
            serde_json::json!({}),
            "e30:1r31eq:Th9t8098Vv3IMKcPtuHrigJSOMVWhjkeXdFwroyVsAM",
        ),
        (
            serde_json::json!({"name": "café ☕ 😀", "n": 1.5, "t": true, "z": null, "l": [1, "x"]}),
            "eyJuYW1lIjoiY2FmXHUwMGU5IFx1MjYxNSBcdWQ4M2RcdWRlMDAiLCJuIjoxLjUsInQiOnRydWUsInoiOm51bGwsImwiOlsxLCJ4Il19:1r31eq:PRw3u6L9G6bhQNsj4CFhU7NHczCVAfXJh7VemfmzlU0",
        ),
        (
            serde_json::json!({"_session_expiry": "2030-01-02T03:04:05.678901+00:00", "k": 1}),
            "eyJfc2Vzc2lvbl9leHBpcnkiOiIyMDMwLTAxLTAyVDAzOjA0OjA1LjY3ODkwMSswMDowMCIsImsiOjF9:1r31eq:1la3rKRaAcKKxt_nO_V690GVhPcfjkhzz3AqxXIrgsc",
        ),
    ];
    for (data, encoded) in expect {
        assert_eq!(codec.encode(&obj(data.clone()), at).unwrap(), encoded);
    }
    let fallback = "eyJmb28iOiJiYXIifQ:1r31eq:x5pYvxV_bnTqFFd2iYU8rAI57mq1F2IO7Um0MYhItTs";
    assert_eq!(
        codec.decode(fallback),
        Some(obj(serde_json::json!({"foo": "bar"})))
    );
    for rejected in [
        "eyJmb28iOiJiYXIifR:1r31eq:HE_UDqwsTqoXjthcui40m1z9wJd7QS-olm2MNqNZ3po",
        "eyJmb28iOiJiYXIifQ:1r31eq:HE_UDqwsTqoXjthcui40m1z9wJd7QS-olm2MNqNZ3pp",
        "eyJmb28iOiJiYXIifQ:1r31eq:HE_UDqwsTqoXjthcui40m1z9wJd7QS-olm2MNqNZ3pq",
        "eyJmb28iOiJiYXIifQ:1r31eq",
    ] {
        assert_eq!(codec.decode(rejected), None, "{rejected}");
    }
    let cookie = TimestampSigner::new(COOKIE_SALT, &secrets);
    assert_eq!(
        signing::dumps(
            &serde_json::json!({"cart": [1, 2, 3]}),
            &cookie,
            Compression::DjangoExact,
            at
        )
        .unwrap(),
        "eyJjYXJ0IjpbMSwyLDNdfQ:1r31eq:4Gl2ej4qsH9q-Yb8es6culFv_td4Xo9SOdvFtO0Guys"
    );
}

#[test]
fn garbage_never_panics() {
    let codec = SessionCodec::new(&Secrets::new("s").unwrap());
    let megabyte: String = (0..1_048_576u32)
        .map(|i| char::from(b'!' + (i % 90) as u8))
        .collect();
    let inputs = [
        String::new(),
        "e30".into(),
        "e30:".into(),
        "e30:1r31eq".into(),
        "e30:1r31eq:".into(),
        ":e30:1r31eq:sig".into(),
        ".:.:.".into(),
        megabyte,
        "\u{0}".repeat(1000),
        "😀:😀:😀".into(),
    ];
    for input in &inputs {
        assert_eq!(codec.decode(input), None);
    }
}

#[test]
fn django_files_decode_to_records_with_their_expiry() {
    let v = vectors();
    let mut settings = session_core::SessionSettings::with_secrets(secrets(&v));
    settings.cookie_age = 1_209_600;
    let ctx = session_core::StoreContext::new(settings);
    let dir = vectors::path("file_sessions");
    let now = Utc::now();
    for file in cases(&v, "file_sessions") {
        let content =
            std::fs::read_to_string(dir.join(file["file_name"].as_str().unwrap())).unwrap();
        let record = ctx.decode_record(&content).expect("Django's file decodes");
        if file["expired"] == true {
            assert!(record.is_expired(now), "{}", file["file_name"]);
            assert_eq!(record.ttl(now), None);
        } else if record.data().contains_key("_session_expiry") {
            assert!(!record.is_expired(now), "{}", file["file_name"]);
        }
    }
}

/// Floats as Python's `json.dumps` writes them (`testdata/python/float_repr.json`, made by
/// CPython with `float_repr.py`): random doubles, and 500 values exactly halfway between two
/// shortest digit strings, where Python rounds to the even one and rounding up would not.
#[test]
fn floats_are_written_as_python_writes_them() {
    let file: Value = serde_json::from_str(include_str!("../../testdata/python/float_repr.json"))
        .expect("the float file is JSON");
    let cases = file["cases"].as_array().unwrap();
    assert!(cases.len() > 2000);
    for case in cases {
        let value = f64::from_bits(case[0].as_u64().unwrap());
        let python = case[1].as_str().unwrap();
        let number = Value::from(value);
        let serde = String::from_utf8(pyjson::to_vec(&number).unwrap()).unwrap();
        assert_eq!(serde, python, "bits {}", case[0]);
        let mut direct = Vec::new();
        pyjson::write_value(&mut direct, &number);
        assert_eq!(
            String::from_utf8(direct).unwrap(),
            python,
            "bits {}",
            case[0]
        );
    }
}
