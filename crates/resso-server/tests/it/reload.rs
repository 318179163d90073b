//! A configuration reload on SIGHUP, with the real `resso` binary and its config file: an app
//! removed has its clients closed with 4003, an app added is served, the apps that stay keep their
//! connections, a webhook added starts firing, and a config that does not load is refused whole
//! while the running one keeps serving.

use std::time::Duration;

use crate::environments::{resso, start, Scratch};
use crate::support::{eventually, Client, Sink, TestApp};

/// Waits until the server's log has a line containing `text`.
async fn await_line(log: &std::path::Path, text: &str) {
    eventually(&format!("a log line with {text:?}"), || async {
        std::fs::read_to_string(log).is_ok_and(|t| t.contains(text))
    })
    .await;
}

const A: TestApp = TestApp {
    id: "a",
    key: "key-a",
    secret: "secret-a",
};

fn app(id: &str, extra: &str) -> String {
    format!("[[apps]]\nid = '{id}'\nkey = 'key-{id}'\nsecret = 'secret-{id}'\n{extra}")
}

fn url(addr: std::net::SocketAddr, id: &str) -> String {
    format!("ws://{addr}/app/key-{id}?protocol=7")
}

#[tokio::test]
async fn sighup_applies_apps_and_webhooks_and_refuses_a_bad_config() {
    let dir = Scratch::new();
    let file = dir.0.join("resso.toml");
    let server = "[server]\nhost = '127.0.0.1'\nport = 0\n";
    std::fs::write(&file, format!("{server}{}{}", app("a", ""), app("b", ""))).unwrap();
    let log = dir.0.join("resso.log");
    let command = resso(&["--config", file.to_str().unwrap()], &[]);
    let (proc, addr) = start(command, log.clone()).await;
    let mut a = Client::connect(&url(addr, "a")).await;
    a.subscribe_public("before").await;
    let mut b = Client::connect(&url(addr, "b")).await;

    let sink = Sink::start(A).await;
    let hook = format!("webhooks = [{{ url = '{}' }}]\n", sink.url("/hooks"));
    let next = format!("{server}{}{}", app("a", &hook), app("c", ""));
    std::fs::write(&file, next).unwrap();
    proc.signal("HUP");

    b.expect_refusal(4003).await;
    await_line(&log, "configuration reloaded").await;
    let mut c = Client::connect(&url(addr, "c")).await;
    c.subscribe_public("new-app").await;
    let since = tokio::time::Instant::now();
    a.subscribe_public("after").await;
    sink.wait_for_event(
        since,
        ("channel_occupied", "after", None),
        Duration::from_secs(5),
    )
    .await;

    std::fs::write(&file, format!("{server}{}{}", app("a", ""), app("a", ""))).unwrap();
    proc.signal("HUP");
    await_line(&log, "configuration refused").await;
    Client::connect(&url(addr, "c")).await;
    a.ping().await;
    drop(proc);
}
