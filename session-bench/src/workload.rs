//! What one benchmark cell does: the workloads, and the primitive operations they are made of.

use std::fmt;

/// One request's worth of session work, as the benchmark times it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// A new session: `session(None)`, `insert`, `save` (one `create`).
    Create,
    /// Read a stored session: `session(Some(key))`, `get` (one `load`).
    Load,
    /// Read with a key nothing is stored under (one `load` that finds nothing).
    LoadMiss,
    /// Change one key of a stored session: `get`, `insert`, `save` (a `load` then a `save`).
    Save,
    /// Log out: `flush` (one `delete`) of a session created, untimed, just before.
    Delete,
}

/// A workload: the operation every client repeats, or the mixed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Workload {
    /// Every operation is [`Op::Create`].
    Create,
    /// Every operation is [`Op::Load`] of a stored session.
    LoadHit,
    /// Every operation is [`Op::LoadMiss`].
    LoadMiss,
    /// Every operation is [`Op::Save`].
    Save,
    /// Every operation is [`Op::Delete`].
    Delete,
    /// 80% [`Op::Load`], 15% [`Op::Save`], 5% [`Op::Create`], interleaved evenly.
    Mixed,
}

/// The mixed workload's schedule: 16 loads, 3 saves and 1 create in 20 slots, spread out so
/// that any 20 consecutive operations have exactly the 80/15/5 split.
const MIX: [Op; 20] = {
    use Op::{Create as C, Load as L, Save as S};
    [L, L, L, L, S, L, L, L, L, L, L, S, L, L, L, L, L, L, S, C]
};

impl Workload {
    /// Every workload, in the order the report lists them.
    pub const ALL: [Workload; 6] = [
        Workload::Create,
        Workload::LoadHit,
        Workload::LoadMiss,
        Workload::Save,
        Workload::Delete,
        Workload::Mixed,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Create => "create",
            Workload::LoadHit => "load-hit",
            Workload::LoadMiss => "load-miss",
            Workload::Save => "save",
            Workload::Delete => "delete",
            Workload::Mixed => "mixed",
        }
    }

    /// Parses a [`name`](Self::name) (`_` and `-` alike, `load` for `load-hit`).
    pub fn parse(text: &str) -> Option<Workload> {
        let text = text.trim().to_ascii_lowercase().replace('_', "-");
        let text = if text == "load" { "load-hit" } else { &text };
        Workload::ALL.into_iter().find(|w| w.name() == text)
    }

    /// The `n`-th operation a client performs, counted from the client's first one.
    ///
    /// ```
    /// use session_bench::workload::{Op, Workload};
    /// assert_eq!(Workload::Save.op(7), Op::Save);
    /// let creates = (0..100).filter(|&n| Workload::Mixed.op(n) == Op::Create).count();
    /// assert_eq!(creates, 5);
    /// ```
    pub fn op(self, n: u64) -> Op {
        match self {
            Workload::Create => Op::Create,
            Workload::LoadHit => Op::Load,
            Workload::LoadMiss => Op::LoadMiss,
            Workload::Save => Op::Save,
            Workload::Delete => Op::Delete,
            Workload::Mixed => MIX[(n % MIX.len() as u64) as usize],
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A small, fast, deterministic pseudo-random sequence (SplitMix64) to spread clients over
/// the stored sessions; not for anything secret.
#[derive(Debug, Clone)]
pub struct Spread(u64);

impl Spread {
    /// A sequence starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Spread(seed)
    }

    /// The next index below `len` (`len` > 0).
    pub fn index(&mut self, len: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z % len as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(ops: impl Iterator<Item = Op>) -> [usize; 5] {
        let mut c = [0; 5];
        for op in ops {
            c[match op {
                Op::Create => 0,
                Op::Load => 1,
                Op::LoadMiss => 2,
                Op::Save => 3,
                Op::Delete => 4,
            }] += 1;
        }
        c
    }

    #[test]
    fn mixed_is_80_15_5_over_any_window_of_20() {
        for start in 0..40 {
            let c = counts((start..start + 20).map(|n| Workload::Mixed.op(n)));
            assert_eq!(c, [1, 16, 0, 3, 0], "window starting at {start}");
        }
        let c = counts((0..10_000).map(|n| Workload::Mixed.op(n)));
        assert_eq!(c, [500, 8000, 0, 1500, 0]);
    }

    #[test]
    fn single_op_workloads_repeat_their_op() {
        for (workload, op) in [
            (Workload::Create, Op::Create),
            (Workload::LoadHit, Op::Load),
            (Workload::LoadMiss, Op::LoadMiss),
            (Workload::Save, Op::Save),
            (Workload::Delete, Op::Delete),
        ] {
            assert!((0..50).all(|n| workload.op(n) == op), "{workload}");
        }
    }

    #[test]
    fn names_round_trip() {
        for w in Workload::ALL {
            assert_eq!(Workload::parse(w.name()), Some(w));
        }
        assert_eq!(Workload::parse("LOAD_HIT"), Some(Workload::LoadHit));
        assert_eq!(Workload::parse("load"), Some(Workload::LoadHit));
        assert_eq!(Workload::parse("update"), None);
    }

    #[test]
    fn spread_stays_in_range_and_covers_it() {
        let mut s = Spread::new(7);
        let mut seen = [false; 16];
        for _ in 0..1000 {
            seen[s.index(16)] = true;
        }
        assert!(seen.iter().all(|&b| b));
    }
}
