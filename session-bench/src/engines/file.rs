//! `session-file` in the run's directory, against raw reads and renames there.

use std::os::unix::fs::DirBuilderExt;
use std::sync::Arc;

use session_file::FileStore;

use super::{Opened, Setup, Skip};
use crate::baselines::file::FileRaw;

pub async fn open(setup: Setup) -> Result<Opened, Skip> {
    let dir = setup.work_dir.join("file-engine");
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|e| Skip(format!("{}: {e}", dir.display())))?;
    let store =
        FileStore::new(Some(dir.clone()), setup.ctx.clone()).map_err(|e| Skip(e.to_string()))?;
    // The files go with the run's directory.
    Ok(Opened::new(
        Arc::new(store),
        Some(Arc::new(FileRaw::new(dir))),
    ))
}
