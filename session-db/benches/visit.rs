//! A `/visit` handler's session work (load, increment, save) on SQLite, at 1 and 16
//! concurrent clients: the number to compare with tower-sessions' ~670 req/s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use session_core::{SessionKey, SessionManager, SessionSettings};
use session_db::{DbConfig, DbStore};

async fn visit(sessions: &SessionManager, key: &SessionKey) {
    let session = sessions.session(Some(key.as_str()));
    let n: i64 = session.get("visit").await.unwrap().unwrap_or(0);
    session.insert("visit", n + 1).await.unwrap();
    session.save().await.unwrap();
}

fn sqlite_visits(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let settings = SessionSettings::new("bench").unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.sqlite3").display());
    let sessions = runtime.block_on(async {
        SessionManager::connect(settings, async |ctx| {
            let store = DbStore::open(DbConfig::new(url), ctx).await?;
            store.migrate().await?;
            Ok(store)
        })
        .await
        .unwrap()
    });
    let keys: Vec<SessionKey> = runtime.block_on(async {
        let mut keys = Vec::new();
        for _ in 0..256 {
            let s = sessions.session(None);
            s.insert("visit", 0).await.unwrap();
            s.save().await.unwrap();
            keys.push(s.session_key().unwrap());
        }
        keys
    });
    let keys = Arc::new(keys);
    let mut group = c.benchmark_group("sqlite_visit");
    group.throughput(Throughput::Elements(1));
    for clients in [1usize, 16] {
        group.bench_with_input(
            BenchmarkId::from_parameter(clients),
            &clients,
            |b, &clients| {
                b.to_async(&runtime).iter_custom(|iters| {
                    let sessions = sessions.clone();
                    let keys = keys.clone();
                    async move {
                        let started = Instant::now();
                        let per_client = (iters as usize).div_ceil(clients);
                        let tasks: Vec<_> = (0..clients)
                            .map(|c| {
                                let sessions = sessions.clone();
                                let keys = keys.clone();
                                tokio::spawn(async move {
                                    for i in 0..per_client {
                                        visit(&sessions, &keys[(c * 31 + i) % keys.len()]).await;
                                    }
                                })
                            })
                            .collect();
                        for task in tasks {
                            task.await.unwrap();
                        }
                        started
                            .elapsed()
                            .mul_f64(iters as f64 / (per_client * clients) as f64)
                    }
                })
            },
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5));
    targets = sqlite_visits
}
criterion_main!(benches);
