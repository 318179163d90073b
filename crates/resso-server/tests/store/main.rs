//! The app store against real databases: Soketi's own `apps` table in PostgreSQL and MariaDB,
//! rows inserted by SQL, a `resso` process reading it. Each test runs on both databases, each with
//! a server of its own.

mod support;

mod changes;
mod cluster;
mod flood;
mod idle;
mod ingest;
mod outage;
mod serving;
mod settings;
mod tls;

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

/// A test body `fn name(engine)` on PostgreSQL only (what it tests does not differ by database).
macro_rules! on_postgres {
    ($body:ident, $module:ident: $($name:ident),+ $(,)?) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::support::run(crate::$body::$name(resso_test_kit::Engine::Postgres)).await;
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
on_both!(settings, settings_on: settings_give_socketio_and_the_echo_api);
on_both!(tls, tls_on: tls_is_used_and_required);
on_postgres!(ingest, ingest_on: a_database_app_relays_laravel_redis_events);
on_postgres!(idle, idle_on: idle_apps_are_let_go_and_read_again);
