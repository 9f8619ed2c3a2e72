//! [`Env`]: what a case gives an engine's constructor.

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;

use chrono::{SubsecRound, Utc};
use rand::Rng;
use session_core::{MockClock, SessionSettings, StoreContext};

/// The secret every case signs with (unless it swaps secrets on purpose).
pub const SECRET_KEY: &str = "conformance-suite-secret-key-0123456789";

/// Everything an engine's constructor needs in one case: a [`StoreContext`] on a mock
/// clock, a unique namespace (for a table, schema or key prefix) and a private directory.
///
/// A case may call the constructor several times with the same namespace and directory
/// (and perhaps other settings): each call must give a store over the *same* data.
#[derive(Debug, Clone)]
pub struct Env {
    shared: Arc<Shared>,
    settings: SessionSettings,
}

struct Shared {
    namespace: String,
    dir: tempfile::TempDir,
    clock: Arc<MockClock>,
    cleanups: Mutex<Vec<BoxFuture<'static, ()>>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("namespace", &self.namespace)
            .field("dir", &self.dir)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl Env {
    /// A fresh environment for the case `case`.
    pub fn new(case: &str) -> Self {
        let suffix: String = rand::rng()
            .sample_iter(rand::distr::Alphanumeric)
            .take(8)
            .map(|c| char::from(c).to_ascii_lowercase())
            .collect();
        let stem: String = case.chars().take(40).collect();
        let namespace = format!("cf_{stem}_{suffix}");
        let prefix = format!("{namespace}-");
        let mut dir = tempfile::Builder::new();
        dir.prefix(&prefix);
        #[cfg(unix)]
        dir.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
        let dir = dir.tempdir().expect("a temporary directory for the case");
        let start = Utc::now().trunc_subsecs(6);
        Env {
            shared: Arc::new(Shared {
                namespace,
                dir,
                clock: Arc::new(MockClock::new(start)),
                cleanups: Mutex::new(Vec::new()),
            }),
            settings: SessionSettings::new(SECRET_KEY).expect("non-empty secret"),
        }
    }

    /// A lowercase `[a-z0-9_]` name unique to this case, at most 52 characters: use it as a
    /// table name, schema or key prefix.
    pub fn namespace(&self) -> &str {
        &self.shared.namespace
    }

    /// A directory unique to this case, removed when the case ends.
    pub fn temp_dir(&self) -> &Path {
        self.shared.dir.path()
    }

    /// The case's clock. Engines must take "now" from [`Env::context`], which uses it.
    pub fn clock(&self) -> &Arc<MockClock> {
        &self.shared.clock
    }

    /// The settings this constructor call must honour.
    pub fn settings(&self) -> &SessionSettings {
        &self.settings
    }

    /// The store context: these settings on the case's clock.
    pub fn context(&self) -> StoreContext {
        StoreContext::new(self.settings.clone()).with_clock(self.shared.clock.clone())
    }

    /// Runs `cleanup` when the case ends, passed or failed: drop the table or delete the
    /// keys the constructor made on a shared server. Registering the same cleanup again
    /// (a case may call the constructor more than once) must be harmless.
    ///
    /// ```
    /// # let env = session_conformance::Env::new("doc");
    /// let table = env.namespace().to_owned();
    /// env.on_cleanup(async move {
    ///     // DROP TABLE IF EXISTS <table> on the shared server
    ///     let _ = table;
    /// });
    /// ```
    pub fn on_cleanup(&self, cleanup: impl Future<Output = ()> + Send + 'static) {
        self.shared
            .cleanups
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Box::pin(cleanup));
    }

    /// Runs the registered cleanups, once.
    pub(crate) async fn clean_up(&self) {
        let cleanups = std::mem::take(
            &mut *self
                .shared
                .cleanups
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        for cleanup in cleanups {
            cleanup.await;
        }
    }

    /// The same namespace, directory and clock with other settings.
    pub fn with_settings(&self, change: impl FnOnce(&mut SessionSettings)) -> Env {
        let mut env = self.clone();
        change(&mut env.settings);
        env
    }
}
