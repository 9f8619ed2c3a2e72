//! Django's base62 timestamps (`django.core.signing.b62_encode` / `b62_decode`).

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Encodes an integer, big-endian digits, a leading `-` for negatives.
pub fn encode(value: i64) -> String {
    if value == 0 {
        return "0".to_owned();
    }
    let mut n = value.unsigned_abs();
    let mut digits = Vec::with_capacity(12);
    while n > 0 {
        digits.push(ALPHABET[(n % 62) as usize]);
        n /= 62;
    }
    if value < 0 {
        digits.push(b'-');
    }
    digits.reverse();
    String::from_utf8(digits).expect("base62 digits are ASCII")
}

/// Decodes a base62 integer; `None` for an empty string, a foreign character or overflow.
pub fn decode(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    // Unsigned, so that `i64::MIN` (whose magnitude is no i64) decodes too.
    let mut value: u64 = 0;
    for byte in digits.bytes() {
        let digit = ALPHABET.iter().position(|c| *c == byte)? as u64;
        value = value.checked_mul(62)?.checked_add(digit)?;
    }
    if negative {
        0i64.checked_sub_unsigned(value)
    } else {
        i64::try_from(value).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn django_examples() {
        assert_eq!(encode(0), "0");
        assert_eq!(encode(61), "z");
        assert_eq!(encode(62), "10");
        assert_eq!(encode(-5), "-5");
        assert_eq!(encode(1_700_000_000), "1r31eq");
        assert_eq!(decode("1r31eq"), Some(1_700_000_000));
        assert_eq!(decode("-5"), Some(-5));
        assert_eq!(decode("0"), Some(0));
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(decode(""), None);
        assert_eq!(decode("-"), None);
        assert_eq!(decode("1r3!eq"), None);
        assert_eq!(decode(&"z".repeat(40)), None);
    }

    #[test]
    fn round_trips() {
        for v in [1, 7, 62 * 62, i64::MAX, -i64::MAX, 1_234_567_890_123] {
            assert_eq!(decode(&encode(v)), Some(v));
        }
    }
}
