//! [`Cluster`]: a broker and several nodes sharing one temporary directory, with waits on the
//! cluster-wide state as seen through each node's HTTP API (nothing is asserted before every node
//! has seen the others).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::time::{sleep, Instant};

use super::process::{Node, Options};
use super::{eventually, Api, Backend, Broker, Client, TestApp, MAIN, PROBE};

/// How long the cluster may take to converge after a change.
pub const CONVERGE: Duration = Duration::from_secs(5);

static DIRS: AtomicUsize = AtomicUsize::new(0);

/// A broker and its nodes; everything is killed when dropped.
pub struct Cluster {
    pub broker: Broker,
    nodes: Vec<Node>,
    options: Options,
    dir: PathBuf,
    probes: usize,
}

impl Cluster {
    /// Starts the broker and `nodes` nodes, and waits until every node sees every other.
    pub async fn start(backend: Backend, nodes: usize, options: Options) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "resso-cluster-{}-{}",
            std::process::id(),
            DIRS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create the test directory");
        let broker = Broker::start_with_password(backend, &dir, options.broker_password).await;
        let mut cluster = Self {
            broker,
            nodes: Vec::new(),
            options,
            dir,
            probes: 0,
        };
        for _ in 0..nodes {
            cluster.spawn_node().await;
        }
        cluster.await_mesh().await;
        cluster
    }

    async fn spawn_node(&mut self) -> usize {
        let name = format!("node{}", self.nodes.len() + 1);
        let node = Node::start(&name, &self.dir, &self.broker, &self.options).await;
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Starts one more node (a new process) and waits until it and the others see each other.
    pub async fn add_node(&mut self) -> usize {
        let i = self.spawn_node().await;
        self.await_mesh().await;
        i
    }

    pub fn node(&self, i: usize) -> &Node {
        &self.nodes[i]
    }

    pub fn node_mut(&mut self, i: usize) -> &mut Node {
        &mut self.nodes[i]
    }

    pub(super) fn live(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.is_alive())
    }

    /// Every node not killed by the test is still running.
    pub fn assert_running(&mut self) {
        for node in self.nodes.iter_mut().filter(|n| n.is_alive()) {
            assert!(node.running(), "{} exited", node.name);
        }
    }

    /// Waits until every live node lists, for the probe app, a channel subscribed on each live
    /// node — proof that each has the others' state and deltas flow both ways.
    pub async fn await_mesh(&mut self) {
        self.probes += 1;
        let prefix = format!("probe{}-", self.probes);
        let mut clients = Vec::new();
        let mut wanted = BTreeSet::new();
        for node in self.live() {
            let mut client = node.client(PROBE).await;
            let channel = format!("{prefix}{}", node.name);
            client.subscribe_public(&channel).await;
            wanted.insert(channel);
            clients.push(client);
        }
        let deadline = Instant::now() + CONVERGE;
        for node in self.live() {
            let api = node.api_of(PROBE);
            loop {
                let (status, body) = api.get("/channels", &[("filter_by_prefix", &prefix)]).await;
                assert_eq!(status, 200, "{body}");
                let seen: BTreeSet<String> = object_keys(&body["channels"]);
                if seen == wanted {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "{} sees probe channels {seen:?}, not {wanted:?}, after {CONVERGE:?}",
                    node.name
                );
                sleep(Duration::from_millis(25)).await;
            }
        }
    }

    /// Waits until `check(node, answer)` holds for `GET rest?extra` on every live node; panics
    /// with the last answers after [`CONVERGE`].
    pub async fn await_all(
        &self,
        rest: &str,
        extra: &[(&str, &str)],
        check: impl Fn(&Value) -> bool,
    ) {
        let deadline = Instant::now() + CONVERGE;
        for node in self.live() {
            let api = node.api();
            loop {
                let (status, body) = api.get(rest, extra).await;
                if status == 200 && check(&body) {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "{}: GET {rest} {extra:?} still answers {status} {body}",
                    node.name
                );
                sleep(Duration::from_millis(25)).await;
            }
        }
    }

    /// Waits until every live node lists exactly `users` in `channel`.
    pub async fn await_users(&self, channel: &str, users: &[&str]) {
        let wanted: BTreeSet<String> = users.iter().map(|u| (*u).to_owned()).collect();
        let rest = format!("/channels/{channel}/users");
        self.await_all(&rest, &[], |body| user_ids(body) == wanted)
            .await;
    }

    /// Waits until every live node counts `n` connections of the main app cluster-wide (the count
    /// its `max_connections` is checked against).
    pub async fn await_connections(&self, n: u64) {
        for node in self.live() {
            let api = node.api();
            let what = format!("{} counts {n} connections cluster-wide", node.name);
            eventually(&what, || async { api.connections().await == n }).await;
        }
    }

    /// Waits until every live node counts `n` subscriptions to `channel`.
    pub async fn await_subscriptions(&self, channel: &str, n: u64) {
        let rest = format!("/channels/{channel}");
        let info = [("info", "subscription_count")];
        self.await_all(&rest, &info, |body| {
            body["subscription_count"].as_u64().unwrap_or(0) == n
        })
        .await;
    }
}

impl Node {
    /// `ws://…/app/{key}?…` as pusher-js opens it.
    pub fn ws_url(&self, key: &str) -> String {
        format!(
            "ws://{}/app/{key}?protocol=7&client=js&version=8.4.0&flash=false",
            self.addr
        )
    }

    /// A connected client of the main app.
    pub async fn connect(&self) -> Client {
        self.client(MAIN).await
    }

    pub async fn client(&self, app: TestApp) -> Client {
        Client::connect_as(&self.ws_url(app.key), app).await
    }

    /// The value of `resso_{series}` (name and labels as rendered) on this node's `/metrics`.
    pub async fn metric(&self, series: &str) -> f64 {
        let page = reqwest::get(format!("http://{}/metrics", self.addr))
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("a text page");
        let start = format!("resso_{series} ");
        let line = page.lines().find(|l| l.starts_with(&start));
        let line = line.unwrap_or_else(|| panic!("no {start} in\n{page}"));
        line[start.len()..].parse().expect("a number")
    }

    /// The main app's HTTP API on this node.
    pub fn api(&self) -> Api {
        self.api_of(MAIN)
    }

    pub fn api_of(&self, app: TestApp) -> Api {
        Api::new(&format!("http://{}", self.addr), app)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Kill (and, on failure, print the logs of) every process before removing their directory.
        self.nodes.clear();
        self.broker.stop();
        if std::env::var_os("RESSO_CLUSTER_KEEP").is_some() {
            eprintln!("logs kept in {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The keys of a JSON object.
pub fn object_keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// The ids of a `/users` answer.
pub fn user_ids(body: &Value) -> BTreeSet<String> {
    body["users"]
        .as_array()
        .map(|users| {
            users
                .iter()
                .filter_map(|u| u["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
