//! The app store against real databases: Soketi's own `apps` table in PostgreSQL and MariaDB,
//! rows inserted by SQL, a `resso` process reading it. Each test runs on both databases, each with
//! a server of its own.

mod support;

mod changes;
mod cluster;
mod flood;
mod outage;
mod serving;

/// A test body `fn name(engine)` as one test per database.
macro_rules! on_both {
    ($body:ident, $module:ident: $($name:ident),+ $(,)?) => {
        mod $module {
            $(
                mod $name {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn postgres() {
                        crate::support::run(crate::$body::$name(resso_test_kit::Engine::Postgres)).await;
                    }

                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn mariadb() {
                        crate::support::run(crate::$body::$name(resso_test_kit::Engine::MariaDb)).await;
                    }
                }
            )+
        }
    };
}

on_both!(serving, serving_on: a_soketi_row_serves_clients_the_api_and_webhooks);
on_both!(changes, changes_on: changes_apply_within_the_ttl);
on_both!(flood, flood_on: made_up_keys_never_reach_the_database);
on_both!(outage, outage_on: an_outage_keeps_cached_apps_serving);
on_both!(cluster, cluster_on: two_nodes_share_one_database);
