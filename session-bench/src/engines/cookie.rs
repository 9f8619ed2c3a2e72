//! `session-cookie`, signed (Django's format) and encrypted, against HMAC-SHA256 + base64.

use std::sync::Arc;

use session_cookie::CookieStore;

use super::{Opened, Setup, Skip};
use crate::baselines::cookie::CookieRaw;

pub async fn signed(setup: Setup) -> Result<Opened, Skip> {
    let store = CookieStore::new(setup.ctx.clone()).map_err(|e| Skip(e.to_string()))?;
    Ok(Opened::new(
        Arc::new(store),
        Some(Arc::new(CookieRaw::new(setup.ctx.settings().secrets()))),
    ))
}

pub async fn encrypted(setup: Setup) -> Result<Opened, Skip> {
    let store = CookieStore::builder(setup.ctx.clone())
        .encrypted()
        .build()
        .map_err(|e| Skip(e.to_string()))?;
    Ok(Opened::new(
        Arc::new(store),
        Some(Arc::new(CookieRaw::new(setup.ctx.settings().secrets()))),
    ))
}
