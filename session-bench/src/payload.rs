//! Session data of a given size, shaped like real sessions.

use serde_json::{Value, json};
use session_core::SessionData;

/// The payload sizes of a full run: about 200 B, 2 KiB and 16 KiB of JSON.
pub const SIZES: [usize; 3] = [200, 2048, 16384];

/// The key the benchmark's `save` workload changes.
pub const COUNTER_KEY: &str = "bench_counter";

/// The key the `load` workloads read.
pub const READ_KEY: &str = "_auth_user_id";

/// Session data whose compact JSON is `bytes` long (give or take a few bytes): a logged-in
/// user's ids plus alternating token-like (incompressible) and text-like (compressible)
/// values, so compression does what it does on real sessions.
///
/// ```
/// let data = session_bench::payload::session_data(2048);
/// let len = serde_json::to_vec(&data).unwrap().len();
/// assert!((2000..2100).contains(&len), "{len}");
/// ```
pub fn session_data(bytes: usize) -> SessionData {
    let mut data = SessionData::new();
    data.insert(READ_KEY.into(), json!("4242"));
    data.insert(
        "_auth_user_backend".into(),
        json!("django.contrib.auth.backends.ModelBackend"),
    );
    data.insert(COUNTER_KEY.into(), json!(0));
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut i = 0;
    loop {
        let len = json_len(&data);
        // `,"kNN":""` costs about 8 bytes on top of the value.
        let room = bytes.saturating_sub(len + 8 + i.to_string().len());
        if room == 0 {
            break;
        }
        let value: String = if i % 2 == 0 {
            let mut token = String::new();
            while token.len() < room.min(64) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                token.push_str(&format!("{state:016x}"));
            }
            token.truncate(room.min(64));
            token
        } else {
            "lorem ipsum dolor sit amet, "
                .repeat(4)
                .chars()
                .take(room.min(112))
                .collect()
        };
        data.insert(format!("k{i}"), Value::from(value));
        i += 1;
    }
    data
}

fn json_len(data: &SessionData) -> usize {
    serde_json::to_vec(data).map(|v| v.len()).unwrap_or(0)
}

/// A human label for a size: `200 B`, `2 KiB`, `16 KiB`.
pub fn label(bytes: usize) -> String {
    if bytes >= 1024 && bytes % 1024 == 0 {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} B")
    }
}

/// Parses `200`, `2k`, `2KiB`, `16kb` into bytes.
pub fn parse_size(text: &str) -> Option<usize> {
    let t = text.trim().to_ascii_lowercase().replace(' ', "");
    let (digits, factor) = match t.find(|c: char| !c.is_ascii_digit()) {
        None => (t.as_str(), 1),
        Some(at) => match &t[at..] {
            "b" => (&t[..at], 1),
            "k" | "kb" | "kib" => (&t[..at], 1024),
            _ => return None,
        },
    };
    digits
        .parse::<usize>()
        .ok()
        .filter(|&n| n > 0)
        .map(|n| n * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_close_to_the_target() {
        for size in SIZES {
            let len = json_len(&session_data(size));
            assert!(len <= size + 16 && len + 32 >= size, "{size}: {len}");
        }
    }

    #[test]
    fn data_has_the_keys_the_workloads_use() {
        let data = session_data(200);
        assert_eq!(data[READ_KEY], "4242");
        assert_eq!(data[COUNTER_KEY], 0);
    }

    #[test]
    fn sizes_parse_and_label() {
        assert_eq!(parse_size("200"), Some(200));
        assert_eq!(parse_size("2k"), Some(2048));
        assert_eq!(parse_size("16KiB"), Some(16384));
        assert_eq!(parse_size("0"), None);
        assert_eq!(parse_size("2mb"), None);
        assert_eq!(label(2048), "2 KiB");
        assert_eq!(label(200), "200 B");
    }
}
