//! The conformance suite on the file engine, one directory per case, with keys hashed at
//! rest too.

use std::sync::Arc;

use session_conformance::Env;
use session_core::{HashedKeys, SessionStore};
use session_file::FileStore;

session_conformance::suite!(
    file_store,
    [
        server,
        logout_wins,
        conflicts,
        clock,
        clear_expired,
        inventory,
        inventory_clock
    ],
    |env: Env| async move {
        let store = FileStore::new(Some(env.temp_dir().to_path_buf()), env.context())?;
        Ok::<Arc<dyn SessionStore>, session_core::Error>(Arc::new(store))
    }
);

session_conformance::suite!(
    file_store_hashed_keys,
    [server, logout_wins, conflicts, clock, clear_expired],
    |env: Env| async move {
        let store = FileStore::new(Some(env.temp_dir().to_path_buf()), env.context())?;
        let hashed = HashedKeys::new(Arc::new(store), &env.context());
        Ok::<Arc<dyn SessionStore>, session_core::Error>(Arc::new(hashed))
    }
);
