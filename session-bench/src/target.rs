//! [`Target`]: what a cell drives, either the session layer over an engine or a raw client.

use std::sync::Arc;

use serde_json::Value;
use session_core::{Error, Result, SessionData, SessionManager, StoreContext, async_trait};

use crate::payload::{COUNTER_KEY, READ_KEY};
use crate::workload::Op;

/// Something the benchmark can time operations on, for one payload.
#[async_trait]
pub trait Target: Send + Sync {
    /// Stores one session of the payload (untimed set-up) and returns the key a client
    /// sends back to reach it.
    async fn seed(&self) -> Result<String>;

    /// Runs one operation. `key` is a seeded key for [`Op::Load`], [`Op::Save`] and
    /// [`Op::Delete`], a key nothing is stored under for [`Op::LoadMiss`], unused for
    /// [`Op::Create`]. `n` is the client's operation count (the value `save` writes).
    ///
    /// A load that finds nothing under a seeded key, or finds something under a missing
    /// one, is an error: a broken engine must not look fast.
    async fn run(&self, op: Op, key: &str, n: u64) -> Result<()>;
}

/// One payload prepared for a raw client and the session layer alike.
#[derive(Debug, Clone)]
pub struct Payload {
    /// Target size in bytes of the JSON.
    pub size: usize,
    /// The session data.
    pub data: Arc<SessionData>,
    /// The data as the server-side engines store it ([`StoreContext::encode`]).
    pub encoded: Arc<str>,
    /// The data as compact JSON.
    pub json: Arc<[u8]>,
}

impl Payload {
    /// Prepares `data` (of about `size` bytes) with `ctx`'s codec.
    pub fn new(size: usize, data: SessionData, ctx: &StoreContext) -> Result<Self> {
        let encoded = ctx.encode(&data)?;
        let json = serde_json::to_vec(&data)?;
        Ok(Payload {
            size,
            data: Arc::new(data),
            encoded: encoded.into(),
            json: json.into(),
        })
    }
}

/// The error a target returns when a load's result contradicts the workload.
pub fn wrong_answer(what: &str) -> Error {
    Error::backend_msg(format!("benchmark check failed: {what}"))
}

/// The session layer as an application uses it: a [`SessionManager`] making one
/// [`Session`](session_core::Session) per request, `get` / `insert` / `save` / `flush`.
#[derive(Debug, Clone)]
pub struct SessionTarget {
    sessions: SessionManager,
    data: Arc<SessionData>,
}

impl SessionTarget {
    /// Sessions through `sessions`, created with `payload`'s data.
    pub fn new(sessions: SessionManager, payload: &Payload) -> Self {
        SessionTarget {
            sessions,
            data: payload.data.clone(),
        }
    }

    async fn create(&self) -> Result<String> {
        let session = self.sessions.session(None);
        session
            .update(self.data.iter().map(|(k, v)| (k.as_str(), v.clone())))
            .await?;
        session.save().await?;
        session
            .session_key()
            .map(|k| k.as_str().to_owned())
            .ok_or_else(|| wrong_answer("a saved session has no key"))
    }
}

#[async_trait]
impl Target for SessionTarget {
    async fn seed(&self) -> Result<String> {
        self.create().await
    }

    async fn run(&self, op: Op, key: &str, n: u64) -> Result<()> {
        match op {
            Op::Create => self.create().await.map(drop),
            Op::Load => {
                let session = self.sessions.session(Some(key));
                match session.get::<Value>(READ_KEY).await? {
                    Some(_) => Ok(()),
                    None => Err(wrong_answer("a stored session did not load")),
                }
            }
            Op::LoadMiss => {
                let session = self.sessions.session(Some(key));
                match session.get::<Value>(READ_KEY).await? {
                    None => Ok(()),
                    Some(_) => Err(wrong_answer("a missing session loaded")),
                }
            }
            Op::Save => {
                let session = self.sessions.session(Some(key));
                if session.get::<Value>(COUNTER_KEY).await?.is_none() {
                    return Err(wrong_answer("a stored session did not load"));
                }
                session.insert(COUNTER_KEY, n).await?;
                session.save().await
            }
            Op::Delete => self.sessions.session(Some(key)).flush().await,
        }
    }
}
