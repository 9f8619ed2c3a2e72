//! `sessions copy`: every unexpired session, with its expiry, from one store to another.

use std::collections::HashSet;
use std::fmt;

use futures::StreamExt;
use session_core::{Error, Result, SessionKey, SessionRecord, SessionStore};

/// Keys listed per batch.
pub const BATCH: usize = 500;
/// Sessions copied at once.
const IN_FLIGHT: usize = 16;

/// What a copy did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CopySummary {
    /// Sessions the target did not have.
    pub copied: u64,
    /// Sessions the target had with other data or expiry, overwritten.
    pub updated: u64,
    /// Sessions the target already had, the same: a second copy only counts these.
    pub unchanged: u64,
    /// Keys listed whose session had expired (or was unreadable, or deleted meanwhile).
    pub skipped: u64,
    /// Sessions that could not be read or written (logged by key id).
    pub failed: u64,
}

impl CopySummary {
    /// Sessions looked at.
    pub fn total(&self) -> u64 {
        self.copied + self.updated + self.unchanged + self.skipped + self.failed
    }
}

impl fmt::Display for CopySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "copied {}, updated {}, unchanged {}, skipped as expired {}, failed {}",
            self.copied, self.updated, self.unchanged, self.skipped, self.failed
        )
    }
}

#[derive(Debug, Clone, Copy)]
enum Outcome {
    Copied,
    Updated,
    Unchanged,
    Skipped,
    Failed,
}

/// Two records are the same session when their data are equal and their expiries agree
/// to the second (engines keep expiry at different precisions: SQLite's microseconds,
/// the signed encoding's seconds).
fn same(a: &SessionRecord, b: &SessionRecord) -> bool {
    a.data() == b.data() && (a.expires_at() - b.expires_at()).num_milliseconds().abs() < 1000
}

/// Copies every unexpired session of `source` (which must list its sessions) to `target`,
/// under the same key and with the same expiry. Idempotent: a session the target already
/// holds unchanged is left alone, one it holds otherwise is overwritten. Keys are copied
/// as stored, so hashed keys stay valid when both sides hash under the same secret.
/// `progress` is called with the number of sessions handled so far.
///
/// ```
/// use session_cli::copy::copy;
/// use session_conformance::ReferenceStore;
/// use session_core::{SessionManager, SessionSettings, SessionStore};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> session_core::Result<()> {
/// let settings = SessionSettings::new("secret")?;
/// let from = SessionManager::build(settings.clone(), |c| Ok(ReferenceStore::open("copy-a", c)))?;
/// let to = SessionManager::build(settings, |c| Ok(ReferenceStore::open("copy-b", c)))?;
/// let session = from.session(None);
/// session.insert("cart", 3).await?;
/// session.save().await?;
/// let first = copy(from.store().as_ref(), to.store().as_ref(), |_| {}).await?;
/// assert_eq!(first.copied, 1);
/// let again = copy(from.store().as_ref(), to.store().as_ref(), |_| {}).await?;
/// assert_eq!((again.copied, again.unchanged), (0, 1));
/// # Ok(()) }
/// ```
///
/// # Errors
/// A configuration error when `source` cannot list its sessions, or the listing's first
/// backend error. Failures on single sessions are counted in [`CopySummary::failed`].
pub async fn copy(
    source: &dyn SessionStore,
    target: &dyn SessionStore,
    mut progress: impl FnMut(u64),
) -> Result<CopySummary> {
    let inventory = source.inventory().ok_or_else(|| {
        Error::config(
            "the source engine cannot list its sessions: copy from db, file, Redis or the in-process cache",
        )
    })?;
    let mut summary = CopySummary::default();
    let mut seen = HashSet::new();
    let mut cursor = None;
    loop {
        let batch = inventory.list_keys(cursor.as_ref(), BATCH).await?;
        let fresh: Vec<SessionKey> = batch
            .keys
            .into_iter()
            .filter(|key| seen.insert(key.clone()))
            .collect();
        let mut outcomes = futures::stream::iter(fresh)
            .map(|key| async move { copy_one(source, target, &key).await })
            .buffer_unordered(IN_FLIGHT);
        while let Some(outcome) = outcomes.next().await {
            match outcome {
                Outcome::Copied => summary.copied += 1,
                Outcome::Updated => summary.updated += 1,
                Outcome::Unchanged => summary.unchanged += 1,
                Outcome::Skipped => summary.skipped += 1,
                Outcome::Failed => summary.failed += 1,
            }
            progress(summary.total());
        }
        match batch.next {
            Some(next) => cursor = Some(next),
            None => return Ok(summary),
        }
    }
}

async fn copy_one(
    source: &dyn SessionStore,
    target: &dyn SessionStore,
    key: &SessionKey,
) -> Outcome {
    let failed = |doing: &str, error: Error| {
        tracing::warn!(target: "sessions::copy", key = %key.log_id(), %error, "copy failed {doing}");
        Outcome::Failed
    };
    let record = match source.load(key).await {
        Ok(Some(record)) => record,
        Ok(None) => return Outcome::Skipped,
        Err(error) => return failed("reading the source", error),
    };
    match target.create(key, &record).await {
        Ok(_) => return Outcome::Copied,
        Err(Error::KeyCollision) => {}
        Err(error) => return failed("writing the target", error),
    }
    match target.load(key).await {
        Ok(Some(existing)) if same(&existing, &record) => return Outcome::Unchanged,
        Ok(_) => {}
        Err(error) => return failed("reading the target", error),
    }
    match target.save(key, &record).await {
        Ok(_) => Outcome::Updated,
        Err(error) => failed("updating the target", error),
    }
}
