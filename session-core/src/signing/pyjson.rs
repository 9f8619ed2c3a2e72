//! JSON exactly as Python's `json.dumps(obj, separators=(",", ":"))` writes it, which is what
//! Django signs: pure ASCII, `\uXXXX` escapes in lowercase hex (surrogate pairs beyond the BMP,
//! DEL included), floats in Python's `repr`.
//!
//! [`write_object`] reads numbers as serde_json's `u64`, `i64` or `f64`. With serde_json's
//! `arbitrary_precision` feature (off in this workspace) numbers keep their text, which
//! [`write`] would copy as it is (a float not in Python's spelling, an integer beyond 64 bits
//! in full) and [`write_object`] would not.

use std::io::{self, Write};

use serde::Serialize;
use serde::de::{Deserializer as _, MapAccess, Visitor};
use serde_json::ser::Formatter;
use serde_json::{Map, Number, Value};

/// Serializes `value` as Django's `JSONSerializer` would.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    write(&mut out, value)?;
    Ok(out)
}

/// Appends `value` as Django's `JSONSerializer` would write it to `out`.
pub fn write<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> serde_json::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(out, PythonFormatter);
    value.serialize(&mut serializer)
}

/// Appends `object` as Django's `JSONSerializer` would write it to `out`: the bytes of
/// [`write`], without serde's per-character escaping loop (a third of the time on session data).
pub fn write_object(out: &mut Vec<u8>, object: &Map<String, Value>) {
    out.push(b'{');
    for (at, (key, value)) in object.iter().enumerate() {
        if at > 0 {
            out.push(b',');
        }
        write_str(out, key);
        out.push(b':');
        write_value(out, value);
    }
    out.push(b'}');
}

/// [`write_object`] for any JSON value.
pub fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => write_number(out, number),
        Value::String(text) => write_str(out, text),
        Value::Array(items) => {
            out.push(b'[');
            for (at, item) in items.iter().enumerate() {
                if at > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(object) => write_object(out, object),
    }
}

fn write_number(out: &mut Vec<u8>, number: &Number) {
    if let Some(n) = number.as_u64() {
        out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    } else if let Some(n) = number.as_i64() {
        out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    } else {
        let float = number
            .as_f64()
            .expect("a JSON number is an integer or a float");
        out.extend_from_slice(python_float_repr(float).as_bytes());
    }
}

/// A JSON string with Python's `ensure_ascii` escapes.
fn write_str(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    if is_plain(text.as_bytes()) {
        out.extend_from_slice(text.as_bytes());
    } else {
        write_escaped(out, text).expect("writing to a Vec cannot fail");
    }
    out.push(b'"');
}

/// True when no byte needs an escape. Checked a chunk at a time without early exit inside a
/// chunk, which the compiler turns into vector compares.
fn is_plain(bytes: &[u8]) -> bool {
    bytes.chunks(16).all(|chunk| {
        chunk.iter().fold(true, |plain, &b| {
            plain & printable(b) & (b != b'"') & (b != b'\\')
        })
    })
}

/// Printable ASCII, the only characters Python's `ensure_ascii` writes as they are.
fn printable(b: u8) -> bool {
    (b' '..0x7f).contains(&b)
}

/// `text` with Python's escapes: the short ones, and `\uXXXX` in lowercase hex (surrogate
/// pairs beyond the BMP) for every other character that is not printable ASCII. Runs of
/// plain characters are copied whole.
fn write_escaped<W: ?Sized + Write>(writer: &mut W, text: &str) -> io::Result<()> {
    let mut plain_from = 0;
    for (at, ch) in text.char_indices() {
        let short: &[u8] = match ch {
            '"' => b"\\\"",
            '\\' => b"\\\\",
            '\n' => b"\\n",
            '\r' => b"\\r",
            '\t' => b"\\t",
            '\u{8}' => b"\\b",
            '\u{c}' => b"\\f",
            _ if u8::try_from(ch).is_ok_and(printable) => continue,
            _ => b"",
        };
        writer.write_all(&text.as_bytes()[plain_from..at])?;
        if short.is_empty() {
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
        } else {
            writer.write_all(short)?;
        }
        plain_from = at + ch.len_utf8();
    }
    writer.write_all(&text.as_bytes()[plain_from..])
}

/// Parses bytes as Django's `JSONSerializer.loads` does: the bytes are read as latin-1.
pub fn from_slice(bytes: &[u8]) -> serde_json::Result<Value> {
    if bytes.is_ascii() {
        from_str(std::str::from_utf8(bytes).expect("ASCII is UTF-8"))
    } else {
        let text: String = bytes.iter().map(|b| char::from(*b)).collect();
        from_str(&text)
    }
}

/// `serde_json::from_str`, except that an object at the top (session data) is read into a
/// list first and then indexed at its final size: serde_json grows the map one rehash at a
/// time, which was a tenth of reading a 2 KiB session. Keys repeated keep their first
/// position and their last value, as in serde_json and Python.
fn from_str(text: &str) -> serde_json::Result<Value> {
    if !text.trim_start().starts_with('{') {
        return serde_json::from_str(text);
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = deserializer.deserialize_map(ObjectInOnePass)?;
    deserializer.end()?;
    Ok(value)
}

struct ObjectInOnePass;

impl<'de> Visitor<'de> for ObjectInOnePass {
    type Value = Value;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<String, Value>()? {
            entries.push(entry);
        }
        Ok(Value::Object(entries.into_iter().collect()))
    }
}

struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn write_f64<W: ?Sized + Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(python_float_repr(value).as_bytes())
    }

    fn write_f32<W: ?Sized + Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(writer, f64::from(value))
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // serde_json has already escaped the control characters, quotes and backslashes.
        if is_plain(fragment.as_bytes()) {
            return writer.write_all(fragment.as_bytes());
        }
        write_escaped(writer, fragment)
    }
}

/// Python's `repr(float)`: shortest round-trip digits, fixed notation for exponents from
/// -4 to 15, scientific (`1e+16`, `1.5e-05`) outside, always a `.0` on whole numbers.
fn python_float_repr(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    // Ryū gives the shortest digits that round-trip and, between two as short and as
    // close, the even one, like Python's repr (Rust's `{:e}` rounds such ties up).
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(value.abs());
    let (mantissa, exponent) = match text.split_once('e') {
        Some((mantissa, exponent)) => (mantissa, exponent.parse().expect("an integer exponent")),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int}{frac}");
    let leading_zeros = all.bytes().take_while(|b| *b == b'0').count();
    let digits = match all[leading_zeros..].trim_end_matches('0') {
        "" => "0",
        digits => digits,
    };
    // How many digits come before the decimal point (zero is "0" with one).
    let point = if digits == "0" {
        1
    } else {
        int.len() as i32 + exponent - leading_zeros as i32
    };
    let exponent = point - 1;
    let sign = if value.is_sign_negative() { "-" } else { "" };
    let len = digits.len() as i32;
    let body = if !(-4 < point && point <= 16) {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{first}{fraction}e{exp_sign}{:02}", exponent.abs())
    } else if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else if point >= len {
        format!("{digits}{}.0", "0".repeat((point - len) as usize))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dumps(v: serde_json::Value) -> String {
        String::from_utf8(to_vec(&v).unwrap()).unwrap()
    }

    #[test]
    fn floats_match_python_repr() {
        let cases = [
            (1.0, "1.0"),
            (1.5, "1.5"),
            (-0.0, "-0.0"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1.5e-5, "1.5e-05"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (1e100, "1e+100"),
            (2.5e-300, "2.5e-300"),
            (12345.678, "12345.678"),
            // Ties between two shortest candidates go to the even digit, as in Python.
            (169049776667269.0 + 0.125, "169049776667269.12"),
            (1127236224440541.0 + 0.25, "1127236224440541.2"),
            (123456789.125, "123456789.125"),
            (1234567890123456.8, "1234567890123456.8"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (2.5e-7, "2.5e-07"),
            (1e22, "1e+22"),
            (0.0, "0.0"),
            (100.0, "100.0"),
        ];
        for (value, repr) in cases {
            assert_eq!(python_float_repr(value), repr, "{value}");
        }
    }

    #[test]
    fn strings_are_ascii_with_lowercase_escapes() {
        assert_eq!(
            dumps(json!({"name": "café ☕ 😀"})),
            r#"{"name":"caf\u00e9 \u2615 \ud83d\ude00"}"#
        );
        assert_eq!(
            dumps(json!(["\u{7f}", "\n\r\t\u{8}\u{c}", "\u{1}", "\"\\/"])),
            r#"["\u007f","\n\r\t\b\f","\u0001","\"\\/"]"#
        );
    }

    #[test]
    fn the_direct_writer_writes_what_serde_writes() {
        let values = [
            json!({"name": "café ☕ 😀", "ctl": "\u{0}\u{1f}\u{7f}\n\r\t\u{8}\u{c}\"\\/"}),
            json!([
                1.5,
                -0.0,
                1e16,
                1.5e-5,
                0,
                -1,
                u64::MAX,
                i64::MIN,
                null,
                true,
                false
            ]),
            json!({"": {}, "a": [], "b": [[{}]], "plain sixteen b.": "x".repeat(33)}),
            json!("\u{10ffff}"),
        ];
        for value in values {
            let mut direct = Vec::new();
            write_value(&mut direct, &value);
            assert_eq!(
                String::from_utf8(direct).unwrap(),
                String::from_utf8(to_vec(&value).unwrap()).unwrap()
            );
        }
        let mut object = Vec::new();
        write_object(
            &mut object,
            json!({"z": 1, "a": "\u{e9}"}).as_object().unwrap(),
        );
        assert_eq!(object, br#"{"z":1,"a":"\u00e9"}"#);
    }

    #[test]
    fn compact_separators_and_insertion_order() {
        assert_eq!(
            dumps(json!({"z": 1, "a": [1, "x", null, true], "m": {"k": 1.5}})),
            r#"{"z":1,"a":[1,"x",null,true],"m":{"k":1.5}}"#
        );
    }

    #[test]
    fn objects_read_in_one_pass_are_what_serde_json_reads() {
        for text in [
            r#"{"b":1,"a":{"y":[1,2],"x":null},"b":2,"c":"\u00e9"}"#,
            r#"  {"z":0} "#,
            "{}",
            r#"[{"a":1}]"#,
            r#""text""#,
        ] {
            let ours = from_slice(text.as_bytes()).unwrap();
            let theirs: Value = serde_json::from_str(text).unwrap();
            assert_eq!(ours, theirs, "{text}");
            let ours_keys: Vec<_> = ours
                .as_object()
                .into_iter()
                .flat_map(|m| m.keys())
                .collect();
            let their_keys: Vec<_> = theirs
                .as_object()
                .into_iter()
                .flat_map(|m| m.keys())
                .collect();
            assert_eq!(ours_keys, their_keys, "{text}");
        }
        assert_eq!(
            from_slice(br#"{"b":1,"a":0,"b":2}"#).unwrap().to_string(),
            r#"{"b":2,"a":0}"#
        );
        for bad in [r#"{"a":1} x"#, r#"{"a":1"#, r#"{"a"}"#, "{1:2}"] {
            assert!(from_slice(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_latin1_like_django() {
        assert_eq!(
            from_slice("{\"a\":\"é\"}".as_bytes()).unwrap(),
            json!({"a": "Ã©"})
        );
        assert_eq!(
            from_slice(br#"{"a":"caf\u00e9"}"#).unwrap(),
            json!({"a": "café"})
        );
    }
}
