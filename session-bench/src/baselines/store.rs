//! Another engine as the baseline: the cache engine alone is what a cached-db engine's
//! hit path is measured against.

use std::sync::Arc;

use session_core::{SessionManager, SessionStore, StoreContext};

use crate::baselines::Raw;
use crate::target::{Payload, SessionTarget, Target};

/// The session layer over `store`, named `name` in reports.
pub struct StoreRaw {
    name: String,
    sessions: SessionManager,
}

impl StoreRaw {
    /// `store`, which was opened with `ctx`, reported as `name`.
    pub fn new(name: &str, store: Arc<dyn SessionStore>, ctx: StoreContext) -> Self {
        StoreRaw {
            name: name.to_owned(),
            sessions: SessionManager::build(ctx, |_| Ok(store))
                .expect("the store is already built"),
        }
    }
}

impl Raw for StoreRaw {
    fn name(&self) -> &str {
        &self.name
    }

    fn target(&self, payload: &Payload) -> Arc<dyn Target> {
        Arc::new(SessionTarget::new(self.sessions.clone(), payload))
    }
}
