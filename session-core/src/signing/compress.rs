//! zlib at level 6 with a zlib wrapper: what Python's `zlib.compress` writes.
//!
//! Setting up a deflate stream allocates and clears about 256 KiB, which costs more than
//! compressing a typical session; each thread keeps one stream and resets it instead.

use std::cell::RefCell;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// Inflated payloads larger than this are refused. Only authenticated data is inflated, so
/// this guards against our own mistakes rather than attackers, but it keeps memory bounded.
pub const MAX_INFLATED_BYTES: usize = 64 * 1024 * 1024;

thread_local! {
    static DEFLATE: RefCell<Compress> = RefCell::new(Compress::new(Compression::new(6), true));
    static INFLATE: RefCell<Decompress> = RefCell::new(Decompress::new(true));
}

pub fn deflate(bytes: &[u8]) -> Vec<u8> {
    DEFLATE.with_borrow_mut(|stream| {
        stream.reset();
        let mut out = Vec::with_capacity(bytes.len() / 2 + 64);
        loop {
            let consumed = stream.total_in() as usize;
            let status = stream
                .compress_vec(&bytes[consumed..], &mut out, FlushCompress::Finish)
                .expect("compressing into memory cannot fail");
            if status == Status::StreamEnd {
                return out;
            }
            out.reserve(out.capacity().max(64));
        }
    })
}

pub fn inflate(bytes: &[u8]) -> Result<Vec<u8>, String> {
    INFLATE.with_borrow_mut(|stream| {
        stream.reset(true);
        let mut out = Vec::with_capacity((bytes.len() * 4).clamp(64, MAX_INFLATED_BYTES));
        loop {
            let consumed = stream.total_in() as usize;
            let before = (stream.total_in(), stream.total_out());
            let status = stream
                .decompress_vec(&bytes[consumed..], &mut out, FlushDecompress::Finish)
                .map_err(|e| e.to_string())?;
            match status {
                Status::StreamEnd => return Ok(out),
                _ if out.len() >= MAX_INFLATED_BYTES => {
                    return Err(format!("inflates to more than {MAX_INFLATED_BYTES} bytes"));
                }
                _ if out.len() < out.capacity()
                    && before == (stream.total_in(), stream.total_out()) =>
                {
                    return Err("truncated zlib stream".to_owned());
                }
                _ => out.reserve(out.capacity().min(MAX_INFLATED_BYTES - out.len()).max(64)),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reuses_state() {
        for text in ["", "a", &"abc".repeat(10_000), "{\"k\":1}"] {
            let packed = deflate(text.as_bytes());
            assert_eq!(inflate(&packed).unwrap(), text.as_bytes());
            assert_eq!(
                deflate(text.as_bytes()),
                packed,
                "a reused stream must give the same bytes"
            );
        }
    }

    #[test]
    fn bad_streams_are_errors() {
        let packed = deflate(&b"hello world ".repeat(100));
        assert!(inflate(&packed[..packed.len() / 2]).is_err());
        assert!(inflate(b"\x78\x9c garbage").is_err());
        assert!(inflate(b"").is_err());
        // A good stream after a bad one still works.
        assert_eq!(inflate(&packed).unwrap(), b"hello world ".repeat(100));
    }
}
