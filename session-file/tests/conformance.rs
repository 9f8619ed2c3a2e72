//! The conformance suite on the file engine, one directory per case.

use std::sync::Arc;

use session_conformance::Env;
use session_core::SessionStore;
use session_file::FileStore;

session_conformance::suite!(
    file_store,
    [server, logout_wins, conflicts, clock, clear_expired],
    |env: Env| async move {
        let store = FileStore::new(Some(env.temp_dir().to_path_buf()), env.context())?;
        Ok::<Arc<dyn SessionStore>, session_core::Error>(Arc::new(store))
    }
);
