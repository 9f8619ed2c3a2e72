//! [`Backend`]: what every [`Session`](crate::Session) of one application shares.

use std::sync::Arc;

use crate::key::KeyGenerator;
use crate::store::{SessionStore, StoreContext};

/// The store, the one context it was built with, and where new keys come from.
#[derive(Debug)]
pub(crate) struct Backend {
    pub(crate) store: Arc<dyn SessionStore>,
    pub(crate) context: StoreContext,
    pub(crate) keys: Arc<dyn KeyGenerator>,
    /// `SESSION_CONFLICTS=detect`, checked once against the store at start.
    pub(crate) detect_conflicts: bool,
}
