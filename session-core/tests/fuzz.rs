//! Property-based fuzzing of the decoders: `signing::loads` (and the signer under it),
//! the payload decoder, base62 timestamps, the stored-session codec, `decode_record` and key
//! parsing. Seeds come from Django's own values (`testdata/django/vectors.json`), mutated.
//!
//! Every property runs `PROPTEST_CASES` cases (256 unless set); `scripts/test` runs this
//! file again in release mode with a large count.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Map, Value};
use session_core::signing::{self, Compression, TimestampSigner, base62, pyjson};
use session_core::{
    InvalidKey, MockClock, Secrets, SessionCodec, SessionKey, SessionSettings, StoreContext,
};

use django_interop::vectors;

const COOKIE_SALT: &str = "django.contrib.sessions.backends.signed_cookies";

/// Far more than any single decode takes, even in a debug build on a busy machine; far less
/// than a hang.
const BOUND: Duration = Duration::from_secs(2);

/// Runs `f`, failing the case if it took longer than [`BOUND`].
fn bounded<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < BOUND, "{what} took {took:?}");
    out
}

static VECTORS: LazyLock<Value> = LazyLock::new(vectors::load);

static SECRETS: LazyLock<Secrets> = LazyLock::new(|| {
    Secrets::new(vectors::secret_key(&VECTORS))
        .unwrap()
        .with_fallbacks(vectors::fallbacks(&VECTORS))
        .unwrap()
});

fn list(name: &str) -> &'static [Value] {
    VECTORS[name].as_array().unwrap()
}

/// A valid signed value Django wrote, with what verifies it and what it holds.
#[derive(Debug, Clone)]
struct Seed {
    signed: String,
    salt: String,
    obj: Value,
}

/// Every authentic value in the vectors.
static SEEDS: LazyLock<Vec<Seed>> = LazyLock::new(|| {
    let mut seeds = Vec::new();
    for case in list("signing") {
        seeds.push(Seed {
            signed: case["signed"].as_str().unwrap().to_owned(),
            salt: case["salt"].as_str().unwrap().to_owned(),
            obj: case["obj"].clone(),
        });
    }
    for case in list("session_data") {
        seeds.push(Seed {
            signed: case["encoded"].as_str().unwrap().to_owned(),
            salt: case["salt"].as_str().unwrap().to_owned(),
            obj: case["obj"].clone(),
        });
    }
    for name in ["signed_cookies", "fallback_signed"] {
        for case in list(name) {
            seeds.push(Seed {
                signed: case["cookie"].as_str().unwrap().to_owned(),
                salt: COOKIE_SALT.to_owned(),
                obj: case["obj"].clone(),
            });
        }
    }
    assert!(seeds.len() >= 30, "the vectors lost their seeds");
    seeds
});

/// Every string in the vectors: the authentic values, the tampered ones, the stored rows.
static CORPUS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut corpus: Vec<String> = SEEDS.iter().map(|s| s.signed.clone()).collect();
    corpus.extend(
        list("tampered")
            .iter()
            .map(|t| t.as_str().unwrap().to_owned()),
    );
    corpus.extend(
        list("db_rows")
            .iter()
            .map(|r| r["session_data"].as_str().unwrap().to_owned()),
    );
    corpus
});

fn signer(salt: &str) -> TimestampSigner {
    TimestampSigner::new(salt, &SECRETS)
}

fn codec() -> SessionCodec {
    SessionCodec::new(&SECRETS)
}

/// Late enough for every vector; `loads` here never checks an age anyway.
fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_100, 0).unwrap()
}

// ---- strategies ----

/// Any text: every Unicode scalar value, control characters included.
fn any_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..max).prop_map(String::from_iter)
}

/// Text over the alphabet of signed values, where parsing is most interesting.
fn signed_alphabet_text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_:.=-]{0,120}"
}

/// Strings for JSON: any characters, and long repetitive ones (compressible, past
/// `FAST_MIN_LEN`).
fn json_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any_text(12),
        1 => ("[a-zA-Z é☕😀\"\\\\]{1,4}", 0..200usize).prop_map(|(s, n)| s.repeat(n)),
    ]
}

fn json_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("JSON has no NaN or infinity", |f| {
            serde_json::Number::from_f64(f).map(Value::Number)
        }),
    ]
}

/// Arbitrary nested JSON.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        json_number(),
        json_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((json_string(), inner), 0..8)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// Arbitrary session data: a JSON object with string keys.
fn json_object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((json_string(), json_value()), 0..8)
        .prop_map(|entries| entries.into_iter().collect())
}

fn compression() -> impl Strategy<Value = Compression> {
    prop_oneof![
        Just(Compression::Off),
        Just(Compression::Fast),
        Just(Compression::DjangoExact),
    ]
}

/// One edit of a string.
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, char),
    Insert(usize, char),
    Delete(usize),
    Truncate(usize),
    SwapWithNext(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    // Mostly characters of the signed alphabet (the mutations that could go unnoticed),
    // sometimes anything.
    let ch = prop_oneof![
        4 => prop::sample::select(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:=+/ "
                .iter()
                .map(|b| char::from(*b))
                .collect::<Vec<_>>()
        ),
        1 => any::<char>(),
    ];
    prop_oneof![
        4 => (any::<usize>(), ch.clone()).prop_map(|(i, c)| Edit::Replace(i, c)),
        2 => (any::<usize>(), ch).prop_map(|(i, c)| Edit::Insert(i, c)),
        2 => any::<usize>().prop_map(Edit::Delete),
        1 => any::<usize>().prop_map(Edit::Truncate),
        1 => any::<usize>().prop_map(Edit::SwapWithNext),
    ]
}

/// `text` with `edit` applied (positions taken modulo the length, in characters).
fn apply(text: &str, edit: &Edit) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    match *edit {
        Edit::Replace(i, c) if n > 0 => chars[i % n] = c,
        Edit::Insert(i, c) => chars.insert(i % (n + 1), c),
        Edit::Delete(i) if n > 0 => {
            chars.remove(i % n);
        }
        Edit::Truncate(i) => chars.truncate(i % (n + 1)),
        Edit::SwapWithNext(i) if n > 1 => chars.swap(i % (n - 1), i % (n - 1) + 1),
        _ => {}
    }
    chars.into_iter().collect()
}

fn mutated(text: &str, edits: &[Edit]) -> String {
    edits.iter().fold(text.to_owned(), |t, e| apply(&t, e))
}

/// A value for `_session_expiry`: what Django writes, and what it never would.
fn expiry_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        json_number(),
        any::<i32>().prop_map(Value::from),
        (-300_000i32..300_000, 1u32..13, 1u32..29, 0u32..24).prop_map(|(y, m, d, h)| {
            Value::String(format!("{y:04}-{m:02}-{d:02}T{h:02}:00:00+00:00"))
        }),
        "[0-9:T .+Z-]{0,32}".prop_map(Value::String),
        json_value(),
    ]
}

/// Any time chrono can hold.
fn any_time() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        (0i64..4_102_444_800).prop_map(|s| Utc.timestamp_opt(s, 0).unwrap()),
        (DateTime::<Utc>::MIN_UTC.timestamp()..=DateTime::<Utc>::MAX_UTC.timestamp())
            .prop_map(|s| Utc.timestamp_opt(s, 0).unwrap()),
    ]
}

// ---- properties ----

proptest! {
    /// Nothing unsigned is ever accepted, whatever the bytes, and nothing panics.
    #[test]
    fn loads_refuses_arbitrary_text(
        text in prop_oneof![any_text(200), signed_alphabet_text()],
        salt in prop::sample::select(vec![COOKIE_SALT, "django.contrib.sessions.SessionStore", "vectors.salt"]),
    ) {
        let result = bounded("loads", || signing::loads(&text, &signer(salt), None, now()));
        prop_assert!(result.is_err(), "forged: {text:?} -> {result:?}");
        prop_assert!(codec().decode(&text).is_none());
    }

    /// Django's values with one to four edits: never panics, and never decodes to other
    /// data than the original's (an edit can only go unnoticed if it changes nothing).
    #[test]
    fn mutated_django_values_never_decode_to_other_data(
        seed in prop::sample::select(SEEDS.clone()),
        edits in prop::collection::vec(edit(), 1..5),
    ) {
        let text = mutated(&seed.signed, &edits);
        let result = bounded("loads", || signing::loads(&text, &signer(&seed.salt), None, now()));
        match result {
            Ok(obj) => prop_assert_eq!(&obj, &seed.obj, "{:?} became {:?}", seed.signed, text),
            Err(error) => prop_assert!(text != seed.signed, "{error}"),
        }
    }

    /// The whole corpus (authentic, tampered, stored rows), mutated, through the stored
    /// session codec and `decode_record`: never a panic, never data that was not signed.
    #[test]
    fn mutated_corpus_through_the_codec(
        seed in prop::sample::select(CORPUS.clone()),
        edits in prop::collection::vec(edit(), 0..5),
    ) {
        let text = mutated(&seed, &edits);
        let codec = codec();
        let decoded = bounded("decode", || codec.decode(&text));
        let timestamped = bounded("decode_timestamped", || codec.decode_timestamped(&text));
        prop_assert_eq!(decoded.as_ref(), timestamped.as_ref().map(|(d, _)| d));
        let ctx = StoreContext::new(SessionSettings::with_secrets(SECRETS.clone()));
        let record = bounded("decode_record", || ctx.decode_record(&text));
        prop_assert_eq!(decoded.as_ref(), record.as_ref().map(|r| r.data()));
        if decoded.is_some() {
            // Only an authentic stored session decodes.
            let original = list("session_data")
                .iter()
                .map(|c| c["encoded"].as_str().unwrap())
                .chain(list("db_rows").iter().map(|r| r["session_data"].as_str().unwrap()))
                .find(|s| *s == seed);
            prop_assert!(original.is_some(), "{seed:?} -> {text:?} decoded");
        }
    }

    /// Fresh values of arbitrary data, mutated: `None` or the same data, never other data.
    #[test]
    fn mutated_fresh_values_never_decode_to_other_data(
        data in json_object(),
        compression in compression(),
        edits in prop::collection::vec(edit(), 1..4),
    ) {
        let codec = codec().with_compression(compression);
        let encoded = codec.encode(&data, now()).unwrap();
        let text = mutated(&encoded, &edits);
        match bounded("decode", || codec.decode(&text)) {
            Some(back) => prop_assert_eq!(back, data),
            None => prop_assert_ne!(text, encoded),
        }
    }

    /// Arbitrary JSON objects survive encode -> decode in every compression mode, and any
    /// codec reads what any other wrote.
    #[test]
    fn objects_round_trip_in_every_mode(
        data in json_object(),
        write in compression(),
        at in any_time(),
    ) {
        let writer = codec().with_compression(write);
        let encoded = writer.encode(&data, at).unwrap();
        prop_assert!(SessionKey::parse_signed_value(&encoded).is_ok() || encoded.len() > 8192);
        for read in [Compression::Off, Compression::Fast, Compression::DjangoExact] {
            let reader = codec().with_compression(read);
            let (back, signed_at) = bounded("decode", || reader.decode_timestamped(&encoded))
                .unwrap_or_else(|| panic!("{write:?} -> {read:?}: {encoded}"));
            prop_assert_eq!(&back, &data);
            prop_assert_eq!(signed_at.timestamp(), at.timestamp());
        }
    }

    /// Any JSON value (not only objects) survives `dumps` -> `loads`.
    #[test]
    fn values_round_trip_through_dumps_and_loads(
        value in json_value(),
        compression in compression(),
    ) {
        let signer = signer("fuzz.salt");
        let signed = signing::dumps(&value, &signer, compression, now()).unwrap();
        let back = bounded("loads", || signing::loads(&signed, &signer, Some(0.0), now()));
        prop_assert_eq!(back, Ok(value));
    }

    /// Authentic payloads of arbitrary bytes (plain, base64 of anything, zlib streams of
    /// anything, corrupted zlib streams): refused as content, never as a forgery, never a
    /// panic; JSON bytes decode to their value.
    #[test]
    fn authentic_arbitrary_payloads(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..3),
        kind in 0..4u8,
    ) {
        let payload = match kind {
            0 => String::from_utf8_lossy(&bytes).into_owned(),
            1 => URL_SAFE_NO_PAD.encode(&bytes),
            2 => format!(".{}", URL_SAFE_NO_PAD.encode(&bytes)),
            _ => {
                // A real zlib stream of the bytes, then corrupted.
                let mut z = URL_SAFE_NO_PAD
                    .decode(signing::encode_payload(&bytes.repeat(4), Compression::DjangoExact).trim_start_matches('.'))
                    .unwrap();
                for (i, b) in &edits {
                    if !z.is_empty() {
                        let n = z.len();
                        z[i % n] = *b;
                    }
                }
                format!(".{}", URL_SAFE_NO_PAD.encode(&z))
            }
        };
        let signer = signer("fuzz.salt");
        let signed = signer.sign(&payload, now());
        match bounded("loads", || signing::loads(&signed, &signer, None, now())) {
            Ok(value) => prop_assert_eq!(Ok(value), signing::decode_payload(&payload)),
            Err(error) => prop_assert!(!error.is_bad_signature(), "{error}"),
        }
        prop_assert_eq!(signer.unsign(&signed, None, now()).map(|(v, _)| v), Ok(payload.as_str()));
        let _ = bounded("decode_payload", || signing::decode_payload(&String::from_utf8_lossy(&bytes)));
    }

    /// Django's JSON, read back: every value `pyjson` writes parses to itself.
    #[test]
    fn pyjson_reads_what_it_writes(value in json_value()) {
        let bytes = pyjson::to_vec(&value).unwrap();
        prop_assert!(bytes.is_ascii());
        prop_assert_eq!(pyjson::from_slice(&bytes).unwrap(), value);
    }

    /// The writer without serde writes the serde writer's bytes, for any value and any
    /// session data.
    #[test]
    fn pyjson_direct_writer_is_the_serde_writer(value in json_value(), object in json_object()) {
        let mut direct = Vec::new();
        pyjson::write_value(&mut direct, &value);
        prop_assert_eq!(String::from_utf8(direct), String::from_utf8(pyjson::to_vec(&value).unwrap()));
        let mut direct = Vec::new();
        pyjson::write_object(&mut direct, &object);
        prop_assert_eq!(String::from_utf8(direct), String::from_utf8(pyjson::to_vec(&object).unwrap()));
    }

    /// Base62 timestamps: every i64 round-trips, arbitrary text never panics.
    #[test]
    fn base62_round_trips_and_never_panics(
        n in prop_oneof![any::<i64>(), Just(i64::MIN), Just(i64::MAX), Just(0)],
        text in prop_oneof![any_text(20), "-?[0-9A-Za-z]{0,14}"],
    ) {
        prop_assert_eq!(base62::decode(&base62::encode(n)), Some(n));
        if let Some(m) = base62::decode(&text) {
            // What decodes is base62 (perhaps with leading zeros).
            let canonical = base62::encode(m);
            let digits = text.trim_start_matches('-').trim_start_matches('0');
            prop_assert!(canonical.trim_start_matches('-') == digits || (m == 0 && digits.is_empty()), "{text} -> {m}");
        }
    }

    /// Authentic data with any `_session_expiry`, signed at any time chrono can hold:
    /// `decode_record` never panics.
    #[test]
    fn decode_record_of_authentic_data_with_any_expiry(
        mut data in json_object(),
        expiry in expiry_value(),
        at in any_time(),
        cookie_age in prop_oneof![Just(1_209_600i64), 0i64..=i64::MAX / 1000],
    ) {
        data.insert("_session_expiry".to_owned(), expiry);
        let mut settings = SessionSettings::with_secrets(SECRETS.clone());
        settings.cookie_age = cookie_age;
        let ctx = StoreContext::new(settings).with_clock(std::sync::Arc::new(MockClock::new(at)));
        let encoded = ctx.encode(&data).unwrap();
        let record = bounded("decode_record", || ctx.decode_record(&encoded));
        let record = record.expect("authentic data decodes");
        prop_assert_eq!(record.data(), &data);
        let _ = record.is_expired(ctx.now());
    }

    /// `SessionKey::parse` accepts exactly 8 to 40 characters of `[a-z0-9]`, and
    /// `parse_signed_value` exactly 1 to 8192 of `[A-Za-z0-9_.:-]`.
    #[test]
    fn key_parsing_accepts_exactly_its_alphabet(
        raw in prop_oneof![
            any_text(60),
            "[a-z0-9]{0,48}",
            "[A-Za-z0-9_.:-]{0,48}",
            ("[a-z0-9]{6,42}", any::<usize>(), any::<char>()).prop_map(|(s, i, c)| {
                let mut v: Vec<char> = s.chars().collect();
                let n = v.len();
                v[i % n] = c;
                v.into_iter().collect()
            }),
            ("[A-Za-z0-9_.:-]{1,4}", 2040..2060usize).prop_map(|(s, n)| s.repeat(n)),
        ],
    ) {
        let server = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let signed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':');
        let expect_server = (8..=40).contains(&raw.len()) && raw.bytes().all(server);
        let expect_signed = (1..=8192).contains(&raw.len()) && raw.bytes().all(signed);
        match bounded("parse", || SessionKey::parse(&raw)) {
            Ok(key) => {
                prop_assert!(expect_server, "accepted {raw:?}");
                prop_assert_eq!(key.as_str(), raw.as_str());
            }
            Err(error) => {
                prop_assert!(!expect_server, "refused {raw:?}: {error}");
                prop_assert!(!error.to_string().contains(raw.as_str()) || raw.len() < 3);
            }
        }
        match bounded("parse_signed_value", || SessionKey::parse_signed_value(&raw)) {
            Ok(key) => {
                prop_assert!(expect_signed, "accepted {raw:?}");
                prop_assert_eq!(key.as_str(), raw.as_str());
            }
            Err(InvalidKey::BadCharacter { position }) => {
                prop_assert!(!expect_signed);
                prop_assert!(!signed(raw.as_bytes()[position]));
                prop_assert!(raw.as_bytes()[..position].iter().all(|&b| signed(b)), "not the first bad byte");
            }
            Err(_) => prop_assert!(!expect_signed, "refused {raw:?}"),
        }
    }
}

/// The properties can fail: an edit that changes the data is caught by the mutation
/// property's check, and a forged value by `loads_refuses_arbitrary_text`'s.
#[test]
fn the_oracles_have_teeth() {
    let seed = SEEDS
        .iter()
        .find(|s| s.obj != serde_json::json!({}))
        .unwrap();
    let signer = signer(&seed.salt);
    // A re-signed value with other data decodes to other data: exactly what the mutation
    // property rejects.
    let forged = signing::dumps(
        &serde_json::json!({"other": 1}),
        &signer,
        Compression::Off,
        now(),
    )
    .unwrap();
    assert_ne!(
        signing::loads(&forged, &signer, None, now()).unwrap(),
        seed.obj
    );
    // And an accepted value is what `loads_refuses_arbitrary_text` reports.
    assert!(signing::loads(&seed.signed, &signer, None, now()).is_ok());
}

// ---- regressions: what the properties found, kept as plain tests ----

/// Found by `values_round_trip_through_dumps_and_loads`: serde_json's default float parser
/// may be an ulp off, so `-5.731432665379556e-266` came back as `-5.7314326653795556e-266`.
/// Fixed with serde_json's `float_roundtrip` feature.
#[test]
fn floats_round_trip_bit_for_bit() {
    let signer = signer("fuzz.salt");
    for f in [-5.731432665379556e-266f64, -5.515711698554193e-13] {
        let value = serde_json::json!({"": {"": f}});
        for compression in [
            Compression::Off,
            Compression::Fast,
            Compression::DjangoExact,
        ] {
            let signed = signing::dumps(&value, &signer, compression, now()).unwrap();
            let back = signing::loads(&signed, &signer, None, now()).unwrap();
            assert_eq!(back[""][""].as_f64().unwrap().to_bits(), f.to_bits());
        }
    }
}

/// Found by `decode_record_of_authentic_data_with_any_expiry`: an authentic
/// `_session_expiry` of `1e300`, or a value signed at the end of chrono's range, made
/// `decode_record` panic (`DateTime + TimeDelta` overflowed).
#[test]
fn decode_record_with_an_expiry_out_of_range() {
    for (expiry, at) in [
        (serde_json::json!(1e300), now()),
        (serde_json::json!(-1e300), now()),
        (serde_json::json!(null), DateTime::<Utc>::MAX_UTC),
    ] {
        let ctx = StoreContext::new(SessionSettings::with_secrets(SECRETS.clone()))
            .with_clock(std::sync::Arc::new(MockClock::new(at)));
        let mut data = Map::new();
        data.insert("_session_expiry".to_owned(), expiry);
        let record = ctx.decode_record(&ctx.encode(&data).unwrap()).unwrap();
        assert_eq!(record.data(), &data);
    }
}

/// Found by `base62_round_trips_and_never_panics`: `encode(i64::MIN)` did not decode
/// (its magnitude overflowed an i64 before the sign was applied).
#[test]
fn base62_extremes_round_trip() {
    for n in [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX] {
        assert_eq!(base62::decode(&base62::encode(n)), Some(n), "{n}");
    }
}
