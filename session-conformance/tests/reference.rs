//! The reference store passes every server-side case.

use std::sync::Arc;

use session_conformance::{Env, ReferenceStore};
use session_core::SessionStore;

session_conformance::suite!(
    reference,
    [server, logout_wins, conflicts, clock, clear_expired],
    |env: Env| async move {
        let store: Arc<dyn SessionStore> =
            Arc::new(ReferenceStore::open(env.namespace(), env.context()));
        Ok::<_, std::convert::Infallible>(store)
    }
);
