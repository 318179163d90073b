//! Single flight: concurrent lookups of the same thing make one query, and all get its answer.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OnceCell;

/// The lookups in flight, by what they look up. A std mutex: held only to find or drop a cell.
pub struct Flights<K, V> {
    inflight: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
}

impl<K, V> Default for Flights<K, V> {
    fn default() -> Self {
        Self {
            inflight: Mutex::default(),
        }
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Flights<K, V> {
    /// `lookup`'s answer for `key`, made once for all concurrent callers.
    pub async fn run<F: Future<Output = V>>(&self, key: &K, lookup: impl FnOnce() -> F) -> V {
        let cell = {
            let mut inflight = self.inflight.lock().unwrap_or_else(PoisonError::into_inner);
            inflight.entry(key.clone()).or_default().clone()
        };
        let value = cell.get_or_init(lookup).await.clone();
        let mut inflight = self.inflight.lock().unwrap_or_else(PoisonError::into_inner);
        if inflight.get(key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            inflight.remove(key);
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn concurrent_lookups_make_one_query() {
        let flights: Arc<Flights<String, usize>> = Arc::default();
        let queries = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let (flights, queries) = (flights.clone(), queries.clone());
            tasks.push(tokio::spawn(async move {
                flights
                    .run(&"k".to_owned(), || async {
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        queries.fetch_add(1, Ordering::Relaxed) + 7
                    })
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), 7);
        }
        assert_eq!(queries.load(Ordering::Relaxed), 1);
        assert!(flights.inflight.lock().unwrap().is_empty());
    }
}
