//! [`ReferenceStore`]: a small, correct in-memory engine. It passes every case, and it is
//! the shape to copy when writing an engine.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use session_core::{
    Cursor, Error, KeyBatch, Result, SessionInventory, SessionKey, SessionRecord, SessionStore,
    StoreContext, UserIndex, async_trait,
};

type Table = Arc<Mutex<HashMap<String, Row>>>;
type Users = Arc<Mutex<HashMap<String, std::collections::BTreeSet<String>>>>;

#[derive(Debug, Clone)]
struct Row {
    encoded: String,
    expires_at: DateTime<Utc>,
}

/// An in-memory store keeping Django-encoded data, one table per namespace.
#[derive(Debug, Clone)]
pub struct ReferenceStore {
    table: Table,
    users: Users,
    ctx: StoreContext,
}

impl ReferenceStore {
    /// The store for `namespace`: every store opened with the same namespace shares data.
    pub fn open(namespace: &str, ctx: StoreContext) -> Self {
        static TABLES: OnceLock<Mutex<HashMap<String, Table>>> = OnceLock::new();
        let mut tables = TABLES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let table = tables.entry(namespace.to_owned()).or_default().clone();
        static USERS: OnceLock<Mutex<HashMap<String, Users>>> = OnceLock::new();
        let users = USERS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(namespace.to_owned())
            .or_default()
            .clone();
        ReferenceStore { table, users, ctx }
    }

    fn rows(&self) -> std::sync::MutexGuard<'_, HashMap<String, Row>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn row(&self, record: &SessionRecord) -> Result<Row> {
        Ok(Row {
            encoded: self.ctx.encode(record.data())?,
            expires_at: record.expires_at(),
        })
    }
}

#[async_trait]
impl SessionStore for ReferenceStore {
    async fn exists(&self, key: &SessionKey) -> Result<bool> {
        Ok(self.rows().contains_key(key.as_str()))
    }

    async fn create(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        let row = self.row(record)?;
        match self.rows().entry(key.as_str().to_owned()) {
            std::collections::hash_map::Entry::Occupied(_) => Err(Error::KeyCollision),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(row);
                Ok(key.clone())
            }
        }
    }

    async fn save(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        let row = self.row(record)?;
        match self.rows().get_mut(key.as_str()) {
            Some(existing) => {
                *existing = row;
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
        let now = self.ctx.now();
        let Some(row) = self.rows().get(key.as_str()).cloned() else {
            return Ok(None);
        };
        if row.expires_at <= now {
            return Ok(None);
        }
        Ok(self.ctx.decode(&row.encoded).map(|data| {
            self.ctx
                .loaded(SessionRecord::new(data, row.expires_at), &row.encoded)
        }))
    }

    fn supports_conflict_detection(&self) -> bool {
        true
    }

    async fn save_if_unchanged(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        loaded: &SessionRecord,
    ) -> Result<SessionRecord> {
        let expected = loaded.expect_version()?;
        let row = self.row(record)?;
        let version = row.encoded.clone();
        match self.rows().get_mut(key.as_str()) {
            Some(existing) if existing.encoded == expected => *existing = row,
            Some(_) => return Err(Error::Conflict),
            None => return Err(Error::SessionDeleted),
        }
        Ok(record.clone().with_version(version))
    }

    async fn clear_expired(&self) -> Result<u64> {
        let now = self.ctx.now();
        let mut rows = self.rows();
        let before = rows.len();
        rows.retain(|_, row| row.expires_at >= now);
        Ok((before - rows.len()) as u64)
    }

    fn inventory(&self) -> Option<&dyn SessionInventory> {
        Some(self)
    }

    fn user_index(&self) -> Option<&dyn UserIndex> {
        Some(self)
    }
}

/// A set of stored keys per user.
#[async_trait]
impl UserIndex for ReferenceStore {
    async fn index_add(&self, user: &str, key: &SessionKey, _: DateTime<Utc>) -> Result<()> {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        users
            .entry(user.to_owned())
            .or_default()
            .insert(key.as_str().to_owned());
        Ok(())
    }

    async fn index_keys(&self, user: &str) -> Result<Vec<SessionKey>> {
        let users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        Ok(users
            .get(user)
            .into_iter()
            .flatten()
            .filter_map(|k| SessionKey::parse(k).ok())
            .collect())
    }

    async fn index_remove(&self, user: &str, key: &SessionKey) -> Result<()> {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(keys) = users.get_mut(user) {
            keys.remove(key.as_str());
        }
        Ok(())
    }
}

/// Keys in key order; the cursor is the last key listed.
#[async_trait]
impl SessionInventory for ReferenceStore {
    async fn list_keys(&self, from: Option<&Cursor>, limit: usize) -> Result<KeyBatch> {
        let after = from.map_or("", Cursor::as_str);
        let mut keys: Vec<&String> = Vec::new();
        let rows = self.rows();
        keys.extend(rows.keys().filter(|k| k.as_str() > after));
        keys.sort();
        keys.truncate(limit.max(1));
        let next = (keys.len() == limit.max(1)).then(|| Cursor::new(keys[keys.len() - 1].clone()));
        let keys = keys
            .into_iter()
            .filter_map(|k| SessionKey::parse(k).ok())
            .collect();
        Ok(KeyBatch::new(keys, next))
    }

    async fn count(&self) -> Result<u64> {
        let now = self.ctx.now();
        Ok(self.rows().values().filter(|r| r.expires_at > now).count() as u64)
    }
}
