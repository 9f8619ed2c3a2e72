//! `Metered` counts and times every operation, by engine, and never labels anything with
//! a session key.
#![cfg(feature = "metrics")]

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusBuilder;
use session_conformance::ReferenceStore;
use session_core::{
    Error, Metered, Result, SessionKey, SessionManager, SessionRecord, SessionSettings,
    SessionStore, async_trait,
};

/// A store whose backend is down.
#[derive(Debug)]
struct Down;

#[async_trait]
impl SessionStore for Down {
    async fn exists(&self, _: &SessionKey) -> Result<bool> {
        Err(Error::backend_msg("down"))
    }
    async fn create(&self, _: &SessionKey, _: &SessionRecord) -> Result<SessionKey> {
        Err(Error::backend_msg("down"))
    }
    async fn save(&self, _: &SessionKey, _: &SessionRecord) -> Result<SessionKey> {
        Err(Error::backend_msg("down"))
    }
    async fn delete(&self, _: &SessionKey) -> Result<()> {
        Err(Error::backend_msg("down"))
    }
    async fn load(&self, _: &SessionKey) -> Result<Option<SessionRecord>> {
        Err(Error::backend_msg("down"))
    }
    async fn clear_expired(&self) -> Result<u64> {
        Err(Error::backend_msg("down"))
    }
}

fn value(rendered: &str, series: &str) -> f64 {
    rendered
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in\n{rendered}"))
}

#[test]
fn operations_are_counted_and_timed_by_engine() {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let mut keys = Vec::new();
    metrics::with_local_recorder(&recorder, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let settings = SessionSettings::new("secret").unwrap();
            let sessions = SessionManager::build(settings.clone(), |ctx| {
                Ok(Metered::new(
                    Arc::new(ReferenceStore::open("metered", ctx)),
                    "reference",
                ))
            })
            .unwrap();
            let session = sessions.session(None);
            session.insert("user", 7).await.unwrap();
            session.save().await.unwrap(); // created
            let key = session.session_key().unwrap();
            let again = sessions.session(Some(key.as_str()));
            again.insert("user", 8).await.unwrap(); // load: hit
            again.save().await.unwrap(); // saved
            let unknown = SessionKey::generate();
            let stranger = sessions.session(Some(unknown.as_str()));
            assert!(stranger.get::<i64>("user").await.unwrap().is_none()); // load: miss
            again.flush().await.unwrap(); // deleted
            assert!(matches!(
                sessions
                    .store()
                    .save(
                        &key,
                        &SessionRecord::new(
                            serde_json::Map::new(),
                            chrono::Utc::now() + chrono::TimeDelta::hours(1)
                        )
                    )
                    .await,
                Err(Error::SessionDeleted)
            ));
            keys.extend([key, unknown]);

            let down = Metered::new(Arc::new(Down), "down");
            assert!(down.load(&SessionKey::generate()).await.is_err());
        });
    });
    let rendered = handle.render();
    let series = |s: &str| value(&rendered, s);
    assert_eq!(series("sessions_created_total{engine=\"reference\"}"), 1.0);
    assert_eq!(
        series("sessions_loaded_total{engine=\"reference\",result=\"hit\"}"),
        1.0
    );
    assert_eq!(
        series("sessions_loaded_total{engine=\"reference\",result=\"miss\"}"),
        1.0
    );
    assert_eq!(series("sessions_saved_total{engine=\"reference\"}"), 1.0);
    assert_eq!(series("sessions_deleted_total{engine=\"reference\"}"), 1.0);
    assert_eq!(
        series("sessions_conflicts_total{engine=\"reference\",kind=\"session_deleted\"}"),
        1.0
    );
    assert_eq!(
        series("sessions_errors_total{engine=\"down\",operation=\"load\",kind=\"backend\"}"),
        1.0
    );
    assert!(
        series(
            "sessions_operation_duration_seconds_count{engine=\"reference\",operation=\"load\"}"
        ) >= 2.0
    );
    for key in &keys {
        assert!(!rendered.contains(key.as_str()));
    }
}
