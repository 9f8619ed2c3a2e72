//! Per-thread byte buffers kept from one call to the next, so that encoding and decoding
//! allocate little more than their result.

use std::cell::Cell;
use std::thread::LocalKey;

/// A buffer that grew past this is freed after use instead of being kept by the thread.
const KEEP_AT_MOST: usize = 256 * 1024;

/// The key of one per-thread buffer (declare it with `Cell::new(Vec::new())`).
pub(crate) type Buffer = LocalKey<Cell<Vec<u8>>>;

/// Runs `f` on the thread's buffer behind `key`, with whatever length and content the last
/// user left: callers clear it or overwrite it. The buffer is taken out for the call, so a
/// nested call on the same key (a `Serialize` impl that signs something) gets a new one.
pub(crate) fn with<R>(key: &'static Buffer, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    let mut buffer = key.take();
    let result = f(&mut buffer);
    if buffer.capacity() <= KEEP_AT_MOST {
        key.set(buffer);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static TEST: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    }

    #[test]
    fn kept_between_calls_fresh_when_nested_dropped_when_huge() {
        with(&TEST, |b| b.extend_from_slice(b"abc"));
        with(&TEST, |b| {
            assert_eq!(b, b"abc");
            with(&TEST, |nested| assert!(nested.is_empty()));
            b.resize(KEEP_AT_MOST + 1, 0);
        });
        with(&TEST, |b| assert_eq!(b.capacity(), 0));
    }
}
