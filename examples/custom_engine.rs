//! An engine written from scratch (a map in memory holding Django's encoded sessions),
//! proven correct with `session-conformance`: the six primitives, then one macro call.
//!
//! ```sh
//! cargo test -p session-examples --example custom-engine   # the suite: one test per case
//! cargo run -p session-examples --example custom-engine    # the engine behind a session
//! ```
//!
//! Copy this file to start an engine over your own storage: keep the contract comments of
//! `session_core::SessionStore` in view, and let the suite tell you what you missed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use session_core::{
    Error, Result, SessionKey, SessionManager, SessionRecord, SessionSettings, SessionStore,
    StoreContext, async_trait,
};

/// The rows: key to Django's encoded session (which also carries its expiry).
type Rows = Arc<Mutex<HashMap<String, String>>>;

/// Sessions in a map, stored exactly as Django's db and file backends store them.
#[derive(Debug, Clone)]
pub struct MapStore {
    rows: Rows,
    ctx: StoreContext,
}

impl MapStore {
    /// A store over `rows` (share them to share the sessions).
    pub fn new(rows: Rows, ctx: StoreContext) -> Self {
        MapStore { rows, ctx }
    }

    fn rows(&self) -> MutexGuard<'_, HashMap<String, String>> {
        self.rows.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl SessionStore for MapStore {
    async fn exists(&self, key: &SessionKey) -> Result<bool> {
        Ok(self.rows().contains_key(key.as_str()))
    }

    async fn create(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        let encoded = self.ctx.encode_record(record)?;
        match self.rows().entry(key.as_str().to_owned()) {
            std::collections::hash_map::Entry::Occupied(_) => Err(Error::KeyCollision),
            std::collections::hash_map::Entry::Vacant(row) => {
                row.insert(encoded);
                Ok(key.clone())
            }
        }
    }

    async fn save(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        let encoded = self.ctx.encode_record(record)?;
        match self.rows().get_mut(key.as_str()) {
            Some(row) => {
                *row = encoded;
                Ok(key.clone())
            }
            None => Err(Error::SessionDeleted),
        }
    }

    async fn delete(&self, key: &SessionKey) -> Result<()> {
        self.rows().remove(key.as_str());
        Ok(())
    }

    async fn load(&self, key: &SessionKey) -> Result<Option<SessionRecord>> {
        let Some(encoded) = self.rows().get(key.as_str()).cloned() else {
            return Ok(None);
        };
        let now = self.ctx.now();
        Ok(self
            .ctx
            .decode_record(&encoded)
            .filter(|record| !record.is_expired(now)))
    }

    async fn clear_expired(&self) -> Result<u64> {
        let now = self.ctx.now();
        let mut rows = self.rows();
        let before = rows.len();
        rows.retain(|_, encoded| {
            self.ctx
                .decode_record(encoded)
                .is_some_and(|record| !record.is_expired(now))
        });
        Ok((before - rows.len()) as u64)
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let sessions = SessionManager::build(SessionSettings::new("example-secret")?, |ctx| {
        Ok(MapStore::new(Rows::default(), ctx))
    })?;
    let session = sessions.session(None);
    session.insert("cart", ["apple", "pear"]).await?;
    session.save().await?;
    let key = session.session_key().expect("saved");
    let again = sessions.session(Some(key.as_str()));
    println!(
        "cart: {:?}",
        again.get::<Vec<String>>("cart").await?.unwrap()
    );
    Ok(())
}

#[cfg(test)]
mod conformance {
    use super::*;
    use session_conformance::Env;
    use std::sync::OnceLock;

    /// The rows of a case: a case may open the store again over the same data.
    fn rows(env: &Env) -> Rows {
        static ALL: OnceLock<Mutex<HashMap<String, Rows>>> = OnceLock::new();
        let mut all = ALL.get_or_init(Default::default).lock().unwrap();
        all.entry(env.namespace().to_owned()).or_default().clone()
    }

    session_conformance::suite!(
        map_store,
        [server, logout_wins, clock, clear_expired],
        |env: Env| async move {
            let store = MapStore::new(rows(&env), env.context());
            Ok::<Arc<dyn SessionStore>, Error>(Arc::new(store))
        }
    );
}
