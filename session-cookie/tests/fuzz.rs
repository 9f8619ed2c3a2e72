//! Property-based fuzzing of the cookie engine: arbitrary cookie values through `parse_key`
//! then `load`, in the signed and the encrypted mode; Django's cookies and fresh ones,
//! mutated; and round trips of arbitrary data.
//!
//! Every property runs `PROPTEST_CASES` cases (256 unless set); `scripts/test` runs this
//! file again in release mode with a large count.

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Map, Value};
use session_cookie::{CookieMode, CookieStore, ENCRYPTED_PREFIX};
use session_core::signing::Compression;
use session_core::{
    MockClock, Secrets, SessionData, SessionRecord, SessionSettings, SessionStore, StoreContext,
};

use django_interop::vectors;

const BOUND: Duration = Duration::from_secs(2);

static VECTORS: LazyLock<Value> = LazyLock::new(vectors::load);

static SECRETS: LazyLock<Secrets> = LazyLock::new(|| {
    Secrets::new(vectors::secret_key(&VECTORS))
        .unwrap()
        .with_fallbacks(vectors::fallbacks(&VECTORS))
        .unwrap()
});

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
});

/// Django's cookies (current key and fallback), each with its data and signing time.
static SEEDS: LazyLock<Vec<(String, Value, DateTime<Utc>)>> = LazyLock::new(|| {
    let mut seeds = Vec::new();
    for name in ["signed_cookies", "fallback_signed"] {
        for case in VECTORS[name].as_array().unwrap() {
            let t = case["time"].as_f64().unwrap();
            let at = Utc
                .timestamp_opt(t.trunc() as i64, (t.fract() * 1e9) as u32)
                .unwrap();
            seeds.push((
                case["cookie"].as_str().unwrap().to_owned(),
                case["obj"].clone(),
                at,
            ));
        }
    }
    assert!(seeds.len() >= 16);
    seeds
});

fn store(mode: CookieMode, compression: Compression, at: DateTime<Utc>) -> CookieStore {
    let ctx = StoreContext::new(SessionSettings::with_secrets(SECRETS.clone()))
        .with_clock(Arc::new(MockClock::new(at)));
    CookieStore::builder(ctx)
        .mode(mode)
        .compression(compression)
        .build()
        .unwrap()
}

/// `parse_key` then `load`, as the middleware does with a cookie value; within [`BOUND`].
fn load(store: &CookieStore, raw: &str) -> Option<SessionData> {
    let start = Instant::now();
    let loaded = store.parse_key(raw).ok().map(|key| {
        RUNTIME
            .block_on(store.load(&key))
            .expect("load never fails: a bad cookie is no session")
    });
    let took = start.elapsed();
    assert!(took < BOUND, "load took {took:?}");
    loaded.flatten().map(SessionRecord::into_data)
}

fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_100, 0).unwrap()
}

fn mode() -> impl Strategy<Value = CookieMode> {
    prop_oneof![Just(CookieMode::Signed), Just(CookieMode::Encrypted)]
}

fn compression() -> impl Strategy<Value = Compression> {
    prop_oneof![
        Just(Compression::Off),
        Just(Compression::Fast),
        Just(Compression::DjangoExact),
    ]
}

fn any_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..max).prop_map(String::from_iter)
}

fn json_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any_text(12),
        1 => ("[a-zA-Z é☕😀\"\\\\]{1,4}", 0..200usize).prop_map(|(s, n)| s.repeat(n)),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
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

/// Arbitrary session data, without a custom expiry (which could legitimately expire it).
fn json_object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((json_string(), json_value()), 0..8).prop_map(|entries| {
        let mut data: Map<String, Value> = entries.into_iter().collect();
        data.remove("_session_expiry");
        data
    })
}

/// Cookie values: anything, the signed alphabet, and encrypted-looking values.
fn raw_cookie() -> impl Strategy<Value = String> {
    prop_oneof![
        any_text(100),
        "[A-Za-z0-9_:.-]{0,200}",
        "[A-Za-z0-9_-]{1,80}:[0-9A-Za-z]{1,8}:[A-Za-z0-9_-]{43}",
        prop::collection::vec(any::<u8>(), 0..300)
            .prop_map(|b| format!("{ENCRYPTED_PREFIX}{}", URL_SAFE_NO_PAD.encode(b))),
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, char),
    Insert(usize, char),
    Delete(usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let ch = prop_oneof![
        4 => prop::sample::select(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:="
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
    ]
}

fn mutated(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        let n = chars.len();
        match *edit {
            Edit::Replace(i, c) if n > 0 => chars[i % n] = c,
            Edit::Insert(i, c) => chars.insert(i % (n + 1), c),
            Edit::Delete(i) if n > 0 => {
                chars.remove(i % n);
            }
            Edit::Truncate(i) => chars.truncate(i % (n + 1)),
            _ => {}
        }
    }
    chars.into_iter().collect()
}

proptest! {
    /// No cookie value that was not sealed with our keys is ever a session, in either mode.
    #[test]
    fn arbitrary_cookies_are_no_session(raw in raw_cookie(), mode in mode()) {
        let store = store(mode, Compression::Fast, now());
        prop_assert_eq!(load(&store, &raw), None, "{:?}", raw);
    }

    /// Django's cookies with one to four edits, at their signing time: the same data or no
    /// session, never other data. Unedited, they load.
    #[test]
    fn mutated_django_cookies(
        seed in prop::sample::select(SEEDS.clone()),
        edits in prop::collection::vec(edit(), 0..5),
    ) {
        let (cookie, obj, at) = seed;
        let store = store(CookieMode::Signed, Compression::Fast, at);
        let text = mutated(&cookie, &edits);
        match load(&store, &text) {
            Some(data) => prop_assert_eq!(Value::Object(data), obj),
            None => prop_assert_ne!(text, cookie),
        }
    }

    /// Fresh cookies of arbitrary data, in every mode and compression, round-trip; mutated,
    /// they are the same data or no session.
    #[test]
    fn fresh_cookies_round_trip_and_resist_edits(
        data in json_object(),
        mode in mode(),
        compression in compression(),
        edits in prop::collection::vec(edit(), 1..4),
    ) {
        let store = store(mode, compression, now());
        let record = SessionRecord::new(data.clone(), now());
        let key = match RUNTIME.block_on(store.save(&store.parse_key("placeholder").unwrap(), &record)) {
            Ok(key) => key,
            // Too large for a cookie: refused, as it must be.
            Err(session_core::Error::TooLarge { .. }) => return Ok(()),
            Err(error) => panic!("{error}"),
        };
        prop_assert_eq!(load(&store, key.as_str()), Some(data.clone()));
        let text = mutated(key.as_str(), &edits);
        match load(&store, &text) {
            Some(back) => prop_assert_eq!(back, data),
            None => prop_assert_ne!(text.as_str(), key.as_str()),
        }
    }

    /// Authentic cookies signed at any time chrono can hold, loaded at any other: no panic,
    /// and a cookie from the future or within the cookie age loads.
    #[test]
    fn authentic_cookies_at_any_time(
        mode in mode(),
        signed in prop_oneof![
            DateTime::<Utc>::MIN_UTC.timestamp()..=DateTime::<Utc>::MAX_UTC.timestamp(),
            // The last weeks chrono can hold, where adding the cookie age overflows.
            DateTime::<Utc>::MAX_UTC.timestamp() - 3_000_000..=DateTime::<Utc>::MAX_UTC.timestamp(),
        ],
        offset in prop_oneof![-2_000_000i64..2_000_000, any::<i64>()],
    ) {
        let at = Utc.timestamp_opt(signed, 0).unwrap();
        let mut data = Map::new();
        data.insert("k".to_owned(), Value::from(1));
        let writer = store(mode, Compression::Fast, at);
        let key = RUNTIME
            .block_on(writer.save(&writer.parse_key("placeholder").unwrap(), &SessionRecord::new(data.clone(), at)))
            .unwrap();
        let Some(later) = at.checked_add_signed(chrono::TimeDelta::seconds(offset.clamp(-i64::MAX / 1000, i64::MAX / 1000))) else {
            return Ok(());
        };
        let reader = store(mode, Compression::Fast, later);
        let loaded = load(&reader, key.as_str());
        // Expiry dates stay within Python's years 1 to 9999 (session_core::expiry): a cookie
        // whose age would end outside them is no session.
        let in_python_range = signed >= session_core::expiry::EARLIEST.timestamp()
            && signed + 1_209_600 < session_core::expiry::LATEST.timestamp();
        if (0..1_209_600).contains(&offset) && in_python_range {
            prop_assert_eq!(loaded, Some(data));
        }
    }
}

/// Found by `authentic_cookies_at_any_time`: a cookie signed within the cookie age of the
/// end of chrono's range made `load` panic (`DateTime + TimeDelta` overflowed). Its age
/// cannot be counted within years 1 to 9999, so it is no session.
#[test]
fn cookie_signed_at_the_end_of_time_loads_without_panicking() {
    for mode in [CookieMode::Signed, CookieMode::Encrypted] {
        let at = DateTime::<Utc>::MAX_UTC - chrono::TimeDelta::seconds(10);
        let store = store(mode, Compression::Fast, at);
        let mut data = Map::new();
        data.insert("k".to_owned(), Value::from(1));
        let key = RUNTIME
            .block_on(store.save(
                &store.parse_key("placeholder").unwrap(),
                &SessionRecord::new(data.clone(), at),
            ))
            .unwrap();
        assert_eq!(load(&store, key.as_str()), None);
    }
}
