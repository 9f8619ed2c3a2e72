//! Encode and decode of stored sessions and signed cookies at 200 B, 2 KiB and 16 KiB, in
//! the default fast mode, uncompressed (`round_trip_off`) and (`*_exact`) in Django's
//! byte-exact mode.

use chrono::Utc;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use session_core::signing::{self, Compression, TimestampSigner};
use session_core::{Secrets, SessionCodec, SessionData};

/// Session data whose JSON is about `bytes` long, half repetitive and half random-looking,
/// like real sessions (ids, tokens, some text).
fn payload(bytes: usize) -> SessionData {
    let mut data = SessionData::new();
    data.insert("_auth_user_id".into(), json!("42"));
    data.insert(
        "_auth_user_backend".into(),
        json!("django.contrib.auth.backends.ModelBackend"),
    );
    let mut n: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut i = 0;
    while serde_json::to_vec(&data).unwrap().len() < bytes {
        n = n
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let value = if i % 2 == 0 {
            Value::from(format!("{n:016x}{n:016x}"))
        } else {
            Value::from("lorem ipsum dolor sit amet ".repeat(2))
        };
        data.insert(format!("k{i}"), value);
        i += 1;
    }
    data
}

fn codec(c: &mut Criterion) {
    let secrets = Secrets::new("bench-secret-key")
        .unwrap()
        .with_fallbacks(["old"])
        .unwrap();
    let stored = SessionCodec::new(&secrets);
    let exact = stored.clone().byte_exact();
    let plain = stored.clone().with_compression(Compression::Off);
    let cookie = TimestampSigner::new("django.contrib.sessions.backends.signed_cookies", &secrets);
    let now = Utc::now();
    let mut group = c.benchmark_group("codec");
    for size in [200, 2048, 16384] {
        let data = payload(size);
        let encoded = stored.encode(&data, now).unwrap();
        let encoded_exact = exact.encode(&data, now).unwrap();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("encode", size), &data, |b, data| {
            b.iter(|| stored.encode(data, now).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("decode", size), &encoded, |b, encoded| {
            b.iter(|| stored.decode(encoded).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("round_trip", size), &data, |b, data| {
            b.iter(|| stored.decode(&stored.encode(data, now).unwrap()).unwrap())
        });
        group.bench_with_input(
            BenchmarkId::new("round_trip_off", size),
            &data,
            |b, data| b.iter(|| plain.decode(&plain.encode(data, now).unwrap()).unwrap()),
        );
        group.bench_with_input(
            BenchmarkId::new("cookie_round_trip", size),
            &data,
            |b, data| {
                b.iter(|| {
                    let value = signing::dumps_object(data, &cookie, Compression::Fast, now);
                    signing::loads(&value, &cookie, Some(1_209_600.0), now).unwrap()
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("encode_exact", size), &data, |b, data| {
            b.iter(|| exact.encode(data, now).unwrap())
        });
        group.bench_with_input(
            BenchmarkId::new("decode_exact", size),
            &encoded_exact,
            |b, encoded| b.iter(|| stored.decode(encoded).unwrap()),
        );
    }
    group.finish();
}

/// Where the time goes, at 2 KiB, in the fast mode.
fn stages(c: &mut Criterion) {
    let secrets = Secrets::new("bench-secret-key").unwrap();
    let signer = TimestampSigner::new("django.contrib.sessions.SessionStore", &secrets);
    let now = Utc::now();
    let data = payload(2048);
    let json = signing::pyjson::to_vec(&data).unwrap();
    let payload_text = signing::encode_payload(&json, Compression::Fast);
    let signed = signer.sign(&payload_text, now);
    let mut group = c.benchmark_group("stages_2048");
    group.bench_function("json_write", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            out.clear();
            signing::pyjson::write_object(&mut out, &data);
            out.len()
        })
    });
    group.bench_function("json_write_serde", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            out.clear();
            signing::pyjson::write(&mut out, &data).unwrap();
            out.len()
        })
    });
    group.bench_function("json_read", |b| {
        b.iter(|| signing::pyjson::from_slice(&json).unwrap())
    });
    group.bench_function("json_index", |b| {
        b.iter(|| index::top_level(std::str::from_utf8(&json).unwrap()).unwrap())
    });
    group.bench_function("compress_base64", |b| {
        b.iter(|| signing::encode_payload(&json, Compression::Fast))
    });
    group.bench_function("plain_base64", |b| {
        b.iter(|| signing::encode_payload(&json, Compression::Off))
    });
    group.bench_function("decompress_json", |b| {
        b.iter(|| signing::decode_payload(&payload_text).unwrap())
    });
    group.bench_function("sign", |b| b.iter(|| signer.sign(&payload_text, now)));
    group.bench_function("unsign", |b| {
        b.iter(|| signer.unsign(&signed, None, now).unwrap())
    });
    group.finish();
}

/// The floor of reading session data without building `serde_json::Map`: the text checked as
/// serde_json checks it (every number parsed, every string's escapes and UTF-8), and each
/// top-level key and where its value starts, without building a value or a key. A session
/// type decoded lazily, value by value, could not read faster than this.
mod index {
    use std::borrow::Cow;

    use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

    /// Each top-level key, borrowed from `text` unless it has escapes, and the offset of its
    /// closing quote (`usize::MAX` for a key with escapes, which is copied).
    pub fn top_level(text: &str) -> serde_json::Result<Vec<(Cow<'_, str>, usize)>> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let keys = deserializer.deserialize_map(TopLevel(text))?;
        deserializer.end()?;
        Ok(keys)
    }

    struct TopLevel<'a>(&'a str);

    impl<'de> Visitor<'de> for TopLevel<'de> {
        type Value = Vec<(Cow<'de, str>, usize)>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut keys = Vec::with_capacity(64);
            while let Some(Key(key)) = map.next_key::<Key>()? {
                let at = match &key {
                    Cow::Borrowed(k) => k.as_ptr() as usize - self.0.as_ptr() as usize + k.len(),
                    Cow::Owned(_) => usize::MAX,
                };
                map.next_value::<Checked>()?;
                keys.push((key, at));
            }
            Ok(keys)
        }
    }

    /// A key borrowed from the text when it has no escapes (serde's own `Cow` always copies).
    struct Key<'de>(Cow<'de, str>);

    impl<'de> Deserialize<'de> for Key<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_str(KeyVisitor)
        }
    }

    struct KeyVisitor;

    impl<'de> Visitor<'de> for KeyVisitor {
        type Value = Key<'de>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a key")
        }
        fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Key<'de>, E> {
            Ok(Key(Cow::Borrowed(key)))
        }
        fn visit_str<E>(self, key: &str) -> Result<Key<'de>, E> {
            Ok(Key(Cow::Owned(key.to_owned())))
        }
    }

    /// Any JSON value, visited as serde_json parses it for a `Value`, then dropped.
    struct Checked;

    impl<'de> Deserialize<'de> for Checked {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(Checked)
        }
    }

    impl<'de> Visitor<'de> for Checked {
        type Value = Checked;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
            Ok(Checked)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
            Ok(Checked)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
            Ok(Checked)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
            Ok(Checked)
        }
        fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
            Ok(Checked)
        }
        fn visit_unit<E>(self) -> Result<Checked, E> {
            Ok(Checked)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
            while seq.next_element::<Checked>()?.is_some() {}
            Ok(Checked)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
            while map.next_key::<IgnoredAny>()?.is_some() {
                map.next_value::<Checked>()?;
            }
            Ok(Checked)
        }
    }
}

criterion_group!(benches, codec, stages);
criterion_main!(benches);
