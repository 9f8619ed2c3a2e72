//! The reference store passes every server-side case, with keys hashed at rest too.

use std::sync::Arc;

use session_conformance::{Env, ReferenceStore};
use session_core::{HashedKeys, SessionStore};

session_conformance::suite!(
    reference,
    [
        server,
        logout_wins,
        conflicts,
        clock,
        clear_expired,
        inventory,
        inventory_clock,
        users
    ],
    |env: Env| async move {
        let store: Arc<dyn SessionStore> =
            Arc::new(ReferenceStore::open(env.namespace(), env.context()));
        Ok::<_, std::convert::Infallible>(store)
    }
);

session_conformance::suite!(
    reference_hashed_keys,
    [server, logout_wins, conflicts, clock, clear_expired, users],
    |env: Env| async move {
        let store: Arc<dyn SessionStore> =
            Arc::new(ReferenceStore::open(env.namespace(), env.context()));
        let hashed: Arc<dyn SessionStore> = Arc::new(HashedKeys::new(store, &env.context()));
        Ok::<_, std::convert::Infallible>(hashed)
    }
);
