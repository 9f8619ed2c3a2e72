//! zlib streams for signed payloads, written fast or byte for byte as Django writes them.
//!
//! Django's `loads` inflates any valid zlib stream, so only the exact mode has to produce
//! Django's bytes (C zlib at level 6, what Python's `zlib.compress` calls). The fast mode
//! uses zlib-rs at level 1, which deflates about twice as fast as C zlib at level 1 and
//! makes streams that inflate two to three times faster, for output a third larger than
//! level 6 on mixed session data and up to 2.3 times larger on repetitive text (`README.md`,
//! "Decisions worth knowing", has the measurements).
//! Every stream is inflated by zlib-rs: inflating does not depend on how the stream was made.
//!
//! Setting up a stream allocates and clears about 256 KiB, which costs more than compressing
//! a typical session; each thread keeps its streams and resets them instead, and keeps its
//! output buffers.

use std::cell::{Cell, RefCell};

use zlib_rs::{Deflate, DeflateFlush, Inflate, InflateFlush, Status};

use super::scratch;

/// How [`dumps`](super::dumps) compresses. Whatever the choice, the payload is compressed
/// only when that makes it shorter, as Django does, and Django reads the result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// Never compress: Django's `compress=False`.
    Off,
    /// The default: JSON shorter than [`FAST_MIN_LEN`] is left as it is, longer JSON is
    /// deflated at level 1 by zlib-rs. Not Django's bytes, but a stream Django inflates.
    #[default]
    Fast,
    /// Django's `compress=True` byte for byte: every payload deflated by C zlib at level 6.
    /// Encoding 2 KiB takes over twice as long as with [`Fast`](Self::Fast), for values a
    /// quarter to a half shorter.
    DjangoExact,
}

/// JSON shorter than this is never compressed in [`Compression::Fast`]. Below it zlib saves
/// little or nothing on session data (its 6 bytes of framing and the block header eat the
/// gain: `{"csrf_token": <43 characters>}` grows, a 127-byte profile shrinks by 9%), while
/// deflating costs more than the whole rest of an encode.
pub const FAST_MIN_LEN: usize = 128;

/// Inflated payloads larger than this are refused. Only authenticated data is inflated, so
/// this guards against our own mistakes rather than attackers, but it keeps memory bounded.
pub const MAX_INFLATED_BYTES: usize = 64 * 1024 * 1024;

const FAST_LEVEL: i32 = 1;
const DJANGO_LEVEL: u32 = 6;
const WINDOW_BITS: u8 = 15;

thread_local! {
    static FAST: RefCell<Deflate> = RefCell::new(Deflate::new(FAST_LEVEL, true, WINDOW_BITS));
    static EXACT: RefCell<flate2::Compress> =
        RefCell::new(flate2::Compress::new(flate2::Compression::new(DJANGO_LEVEL), true));
    static INFLATE: RefCell<Inflate> = RefCell::new(Inflate::new(true, WINDOW_BITS));
    static DEFLATED: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    static INFLATED: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Calls `f` with `json` compressed as `compression` says when that is shorter by Django's
/// rule (`len(compressed) < len(data) - 1`), or with `None`.
pub(crate) fn with_deflated<R>(
    json: &[u8],
    compression: Compression,
    f: impl FnOnce(Option<&[u8]>) -> R,
) -> R {
    let level = match compression {
        Compression::Off => return f(None),
        Compression::Fast if json.len() < FAST_MIN_LEN => return f(None),
        level => level,
    };
    scratch::with(&DEFLATED, |out| {
        let len = if level == Compression::DjangoExact {
            EXACT.with_borrow_mut(|stream| {
                stream.reset();
                deflate_shorter(json, out, |input, output| {
                    let status = stream
                        .compress(input, output, flate2::FlushCompress::Finish)
                        .expect("deflating into memory cannot fail");
                    let ended = status == flate2::Status::StreamEnd;
                    (ended, stream.total_in(), stream.total_out())
                })
            })
        } else {
            FAST.with_borrow_mut(|stream| {
                stream.reset();
                deflate_shorter(json, out, |input, output| {
                    let status = stream
                        .compress(input, output, DeflateFlush::Finish)
                        .expect("deflating into memory cannot fail");
                    let ended = status == Status::StreamEnd;
                    (ended, stream.total_in(), stream.total_out())
                })
            })
        };
        f(len.map(|len| &out[..len]))
    })
}

/// Drives one deflate stream (reset by the caller) over `json` into `out`, stopping as soon
/// as the output could no longer be shorter. `step(input, output)` is one call with
/// `Finish`, returning whether the stream ended and the running input and output totals.
fn deflate_shorter(
    json: &[u8],
    out: &mut Vec<u8>,
    mut step: impl FnMut(&[u8], &mut [u8]) -> (bool, u64, u64),
) -> Option<usize> {
    // Kept initialized between calls, so it is zeroed only when it grows.
    if out.len() < json.len() {
        out.resize(json.len(), 0);
    }
    let out = &mut out[..json.len()];
    let (mut read, mut written) = (0, 0);
    loop {
        let (ended, total_in, total_out) = step(&json[read..], &mut out[written..]);
        let progressed = (total_in as usize, total_out as usize) != (read, written);
        (read, written) = (total_in as usize, total_out as usize);
        if ended {
            return (written + 1 < json.len()).then_some(written);
        }
        if written == out.len() || !progressed {
            return None;
        }
    }
}

/// Inflates a zlib stream and calls `f` with the bytes; `Err` says what is wrong with it.
pub(crate) fn with_inflated<R>(bytes: &[u8], f: impl FnOnce(&[u8]) -> R) -> Result<R, String> {
    scratch::with(&INFLATED, |out| {
        let len = INFLATE.with_borrow_mut(|stream| inflate_into(stream, bytes, out))?;
        Ok(f(&out[..len]))
    })
}

/// Inflates into `out` (used from its start, grown as needed and kept initialized), returning
/// the inflated length.
fn inflate_into(stream: &mut Inflate, bytes: &[u8], out: &mut Vec<u8>) -> Result<usize, String> {
    stream.reset(true);
    let first_guess = (bytes.len() * 4 + 64).min(MAX_INFLATED_BYTES);
    if out.len() < first_guess {
        out.resize(first_guess, 0);
    }
    loop {
        let (read, written) = (stream.total_in() as usize, stream.total_out() as usize);
        let status = stream
            .decompress(&bytes[read..], &mut out[written..], InflateFlush::Finish)
            .map_err(|e| e.as_str().to_owned())?;
        let written = stream.total_out() as usize;
        match status {
            Status::StreamEnd => return Ok(written),
            _ if written < out.len() => return Err("truncated zlib stream".to_owned()),
            _ if written >= MAX_INFLATED_BYTES => {
                return Err(format!("inflates to more than {MAX_INFLATED_BYTES} bytes"));
            }
            _ => out.resize((out.len() * 2).min(MAX_INFLATED_BYTES), 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deflate(bytes: &[u8], compression: Compression) -> Option<Vec<u8>> {
        with_deflated(bytes, compression, |packed| packed.map(<[u8]>::to_vec))
    }

    fn inflate(bytes: &[u8]) -> Result<Vec<u8>, String> {
        with_inflated(bytes, <[u8]>::to_vec)
    }

    /// What C zlib makes of `bytes`, independently of our streams.
    fn c_zlib_inflate(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::ZlibDecoder::new(bytes), &mut out)
            .expect("a valid zlib stream");
        out
    }

    fn session_like(len: usize) -> Vec<u8> {
        let mut text = String::from("{");
        let mut n: u64 = 7;
        while text.len() < len {
            n = n.wrapping_mul(6364136223846793005).wrapping_add(1);
            text.push_str(&format!("\"k{n:x}\":\"{:016x} lorem ipsum\",", n >> 7));
        }
        text.push_str("\"z\":0}");
        text.into_bytes()
    }

    #[test]
    fn fast_streams_are_zlib_that_c_zlib_inflates_and_reused_streams_repeat() {
        for text in [
            session_like(FAST_MIN_LEN),
            session_like(2048),
            session_like(100_000),
            b"abc".repeat(10_000),
        ] {
            let packed = deflate(&text, Compression::Fast).expect("compressible");
            assert_eq!(packed[0], 0x78, "zlib header");
            assert_eq!(c_zlib_inflate(&packed), text);
            assert_eq!(inflate(&packed).unwrap(), text);
            assert_eq!(deflate(&text, Compression::Fast).unwrap(), packed);
        }
    }

    #[test]
    fn exact_mode_is_c_zlib_level_6() {
        let text = session_like(5000);
        let mut reference =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
        std::io::Write::write_all(&mut reference, &text).unwrap();
        let reference = reference.finish().unwrap();
        assert_eq!(deflate(&text, Compression::DjangoExact).unwrap(), reference);
        assert_eq!(inflate(&reference).unwrap(), text);
    }

    #[test]
    fn kept_only_when_shorter_and_small_json_is_not_tried_in_fast_mode() {
        let small = session_like(FAST_MIN_LEN - 30);
        assert!(small.len() < FAST_MIN_LEN);
        assert_eq!(deflate(&small, Compression::Fast), None);
        assert!(deflate(&small, Compression::DjangoExact).is_some());
        assert_eq!(deflate(&session_like(4000), Compression::Off), None);
        let mut n: u64 = 0x2545_F491_4F6C_DD1D;
        let random: Vec<u8> = (0..4000)
            .map(|_| {
                n ^= n << 13;
                n ^= n >> 7;
                n ^= n << 17;
                n as u8
            })
            .collect();
        for compression in [Compression::Fast, Compression::DjangoExact] {
            assert_eq!(deflate(&random, compression), None, "{compression:?}");
            assert_eq!(deflate(b"{}", compression), None, "{compression:?}");
            assert_eq!(deflate(b"", compression), None, "{compression:?}");
        }
    }

    #[test]
    fn bad_streams_are_errors() {
        let text = b"hello world ".repeat(100);
        let packed = deflate(&text, Compression::Fast).unwrap();
        assert!(inflate(&packed[..packed.len() / 2]).is_err());
        assert!(
            inflate(&packed[..packed.len() - 1]).is_err(),
            "checksum cut"
        );
        assert!(inflate(b"\x78\x9c garbage").is_err());
        assert!(inflate(b"").is_err());
        // A good stream after a bad one still works.
        assert_eq!(inflate(&packed).unwrap(), text);
    }

    #[test]
    fn large_outputs_grow_the_buffer() {
        let text = vec![b'a'; 1 << 20];
        let packed = deflate(&text, Compression::Fast).unwrap();
        assert!(packed.len() * 4 + 64 < text.len());
        assert_eq!(inflate(&packed).unwrap(), text);
    }
}
