//! Listing and counting ([`session_core::SessionInventory`]): the `inventory` group, and
//! `inventory_clock` for engines whose count follows the injected clock.

use std::collections::BTreeSet;

use serde_json::json;
use session_core::{SessionInventory, inventory};

use super::support::saved;
use crate::Harness;

fn inventory_of(h: &Harness) -> &dyn SessionInventory {
    h.store()
        .inventory()
        .expect("the engine lists its sessions: SessionStore::inventory returns Some")
}

async fn saved_keys(h: &Harness, n: usize) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for i in 0..n {
        keys.insert(saved(h, json!({"n": i})).await.as_str().to_owned());
    }
    keys
}

/// An empty store counts 0 and lists nothing, and the listing ends.
pub async fn inventory_of_empty_store(h: Harness) {
    let inventory = inventory_of(&h);
    assert_eq!(inventory.count().await.unwrap(), 0);
    assert!(inventory::all_keys(inventory, 10).await.unwrap().is_empty());
}

/// 25 sessions listed 7 at a time: every key, nothing else.
pub async fn inventory_lists_every_session_in_batches(h: Harness) {
    let keys = saved_keys(&h, 25).await;
    let listed: BTreeSet<String> = inventory::all_keys(inventory_of(&h), 7)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(listed, keys);
}

/// Batches of one still reach the end with every key.
pub async fn inventory_batches_of_one(h: Harness) {
    let keys = saved_keys(&h, 4).await;
    let listed: BTreeSet<String> = inventory::all_keys(inventory_of(&h), 1)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(listed, keys);
}

/// Listed keys are the stored ones: each loads.
pub async fn inventory_listed_keys_load(h: Harness) {
    saved_keys(&h, 3).await;
    for key in inventory::all_keys(inventory_of(&h), 100).await.unwrap() {
        let key = h
            .store()
            .parse_key(&key)
            .expect("a listed key is a valid key");
        assert!(h.store().load(&key).await.unwrap().is_some());
    }
}

/// The count follows creates and deletes, and a deleted key is no longer listed.
pub async fn inventory_count_follows_creates_and_deletes(h: Harness) {
    let keys = saved_keys(&h, 5).await;
    let inventory = inventory_of(&h);
    assert_eq!(inventory.count().await.unwrap(), 5);
    let gone = h.store().parse_key(keys.first().unwrap()).unwrap();
    h.store().delete(&gone).await.unwrap();
    assert_eq!(inventory.count().await.unwrap(), 4);
    let listed = inventory::all_keys(inventory, 2).await.unwrap();
    assert_eq!(listed.len(), 4);
    assert!(!listed.contains(&gone.as_str().to_owned()));
}

/// Expired sessions (on the injected clock) are not counted.
pub async fn inventory_count_skips_expired(h: Harness) {
    let s = h.new_session();
    s.insert("short", 1).await.unwrap();
    s.set_expiry(60i64).await.unwrap();
    s.save().await.unwrap();
    saved_keys(&h, 2).await;
    assert_eq!(inventory_of(&h).count().await.unwrap(), 3);
    h.clock().advance(chrono::TimeDelta::seconds(61));
    assert_eq!(inventory_of(&h).count().await.unwrap(), 2);
}
