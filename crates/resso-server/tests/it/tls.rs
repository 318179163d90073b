//! TLS on the listening port, through real clients that verify certificates against a CA made in
//! the test: `wss://` and `https://` on one port (and a plain port beside it), certificates
//! reloaded without dropping connections (by [`Tls::reload`], by the files changing, by SIGHUP to
//! the real binary), a bad new certificate keeping the old one, expired and wrong-host
//! certificates refused by the client, and a bad certificate at start-up stopping the binary with
//! the file named.

mod binary;
mod client;
mod pki;

use std::net::SocketAddr;

use resso_server::config::TlsConfig;
use resso_server::tls::Tls;
use resso_server::Listeners;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use self::client::{https, publish, trusting, trusting_with, Wss};
use self::pki::{Ca, Files, Leaf, Validity};
use crate::support::{config, eventually, Client};

fn tls_config(files: &Files) -> TlsConfig {
    TlsConfig {
        cert: files.cert(),
        key: files.key(),
        plain_port: None,
    }
}

/// A server whose main listener serves TLS from `files`, with a plain listener beside it when
/// `plain`; cancelled on drop.
struct TlsServer {
    addr: SocketAddr,
    plain: Option<SocketAddr>,
    tls: Tls,
    token: CancellationToken,
}

impl TlsServer {
    async fn start(files: &Files, plain: bool) -> Self {
        let tls = Tls::load(&tls_config(files)).expect("the test certificate loads");
        let main = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let plain = match plain {
            true => Some(TcpListener::bind("127.0.0.1:0").await.unwrap()),
            false => None,
        };
        let server = Self {
            addr: main.local_addr().unwrap(),
            plain: plain.as_ref().map(|l| l.local_addr().unwrap()),
            tls: tls.clone(),
            token: CancellationToken::new(),
        };
        let listeners = Listeners {
            main,
            tls: Some(tls),
            plain,
        };
        tokio::spawn(resso_server::serve(
            listeners,
            config(),
            server.token.clone(),
        ));
        server
    }

    fn https_base(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

/// Whether a new connection to `addr` is given `leaf`'s certificate.
async fn serves(addr: SocketAddr, ca: &Ca, leaf: &Leaf) -> bool {
    let wss = Wss::connect(addr, "localhost", &ca.pem()).await.unwrap();
    wss.cert == leaf.der
}

/// A CA, a localhost certificate (serial 1) in place, and a server on it.
async fn started(plain: bool) -> (Ca, Leaf, Files, TlsServer) {
    let ca = Ca::new();
    let leaf = ca.localhost(1);
    let files = Files::new();
    files.install(&leaf);
    let server = TlsServer::start(&files, plain).await;
    (ca, leaf, files, server)
}

#[tokio::test]
async fn wss_and_https_share_the_port() {
    let (ca, leaf, _files, server) = started(false).await;
    let mut client = Wss::connect(server.addr, "localhost", &ca.pem())
        .await
        .unwrap();
    assert_eq!(client.cert, leaf.der, "the configured certificate");
    assert_eq!(
        client.alpn.as_deref(),
        Some(&b"http/1.1"[..]),
        "ALPN picks HTTP/1.1 over h2"
    );
    client.subscribe("orders").await;

    let http = https(&ca.pem());
    let up = http
        .get(format!("{}/up", server.https_base()))
        .send()
        .await
        .unwrap();
    assert_eq!(up.status().as_u16(), 200);
    assert_eq!(
        publish(&http, &server.https_base(), "orders", "shipped").await,
        200
    );
    let frame = client.expect("shipped").await;
    assert_eq!(frame["channel"], "orders");
}

/// Frames and request bodies larger than a read, a record and a batch: a 10-event batch of 9 KB
/// each over https (a ~95 KB body arrives in many records), fanned out to a wss client (ten
/// frames written together, gathered into records of 16 KiB); and a TLS 1.2 client.
#[tokio::test]
async fn large_bodies_batches_and_tls12() {
    let (ca, _leaf, _files, server) = started(false).await;
    let tls12 = trusting_with(&ca.pem(), &[&rustls::version::TLS12]);
    let mut old = Wss::connect_with(server.addr, "localhost", tls12)
        .await
        .unwrap();
    old.subscribe("bulk").await;
    let mut client = Wss::connect(server.addr, "localhost", &ca.pem())
        .await
        .unwrap();
    client.subscribe("bulk").await;
    let data = "x".repeat(9000);
    let batch: Vec<_> = (0..10)
        .map(|i| serde_json::json!({"name": format!("e{i}"), "channel": "bulk", "data": data}))
        .collect();
    let body = serde_json::json!({ "batch": batch }).to_string();
    let signer = crate::support::Api::new("", crate::support::MAIN);
    let path = signer.path("/batch_events");
    let query = signer.query("POST", &path, &[], &body);
    let response = https(&ca.pem())
        .post(format!("{}{path}?{query}", server.https_base()))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        200,
        "{:?}",
        response.text().await
    );
    for i in 0..10 {
        for c in [&mut client, &mut old] {
            let frame = c.expect(&format!("e{i}")).await;
            assert_eq!(frame["data"].as_str().map(str::len), Some(9000));
        }
    }
}

/// A client that comes back resumes its session from a ticket (no signature on the server), and
/// the ticket still works after a certificate reload.
#[tokio::test]
async fn returning_clients_resume_their_session() {
    let (ca, _leaf, files, server) = started(false).await;
    let config = trusting(&ca.pem());
    let first = Wss::connect_with(server.addr, "localhost", config.clone())
        .await
        .unwrap();
    assert!(!first.resumed, "a first visit makes a full handshake");
    let again = Wss::connect_with(server.addr, "localhost", config.clone())
        .await
        .unwrap();
    assert!(again.resumed, "a returning client resumes");
    files.install(&ca.localhost(2));
    server.tls.reload().unwrap();
    let after = Wss::connect_with(server.addr, "localhost", config)
        .await
        .unwrap();
    assert!(after.resumed, "tickets outlive a certificate reload");
}

#[tokio::test]
async fn a_plain_port_serves_beside_tls() {
    let (ca, _leaf, _files, server) = started(true).await;
    let plain = server.plain.expect("a plain listener");
    let mut secure = Wss::connect(server.addr, "127.0.0.1", &ca.pem())
        .await
        .unwrap();
    secure.subscribe("news").await;
    let url = format!("ws://{plain}/app/app-key?protocol=7&client=js&version=8.4.0");
    let mut clear = Client::connect(&url).await;
    clear.subscribe_public("news").await;
    let status = publish(
        &reqwest::Client::new(),
        &format!("http://{plain}"),
        "news",
        "flash",
    )
    .await;
    assert_eq!(status, 200, "the HTTP API on the plain port");
    secure.expect("flash").await;
    clear.expect_event("flash").await;
}

#[tokio::test]
async fn reload_keeps_connections_and_serves_the_new_certificate() {
    let (ca, first, files, server) = started(false).await;
    let mut old = Wss::connect(server.addr, "localhost", &ca.pem())
        .await
        .unwrap();
    old.subscribe("orders").await;
    assert_eq!(old.cert, first.der);

    let second = ca.localhost(2);
    files.install(&second);
    server.tls.reload().expect("the new certificate loads");
    let fresh = Wss::connect(server.addr, "localhost", &ca.pem())
        .await
        .unwrap();
    assert_eq!(
        fresh.cert, second.der,
        "a new connection gets the new certificate"
    );
    old.ping().await;
    let http = https(&ca.pem());
    assert_eq!(
        publish(&http, &server.https_base(), "orders", "still-here").await,
        200
    );
    old.expect("still-here").await;

    // A broken certificate is refused, named, and the working one stays.
    files.replace(&files.cert(), "not a certificate\n");
    let err = server
        .tls
        .reload()
        .expect_err("garbage is not a certificate")
        .to_string();
    assert!(
        err.contains(&files.cert()) && err.contains("no certificate"),
        "{err}"
    );
    let third = ca.localhost(3);
    files.replace(&files.cert(), &third.cert_pem); // with the second's key: a mismatch
    let err = server
        .tls
        .reload()
        .expect_err("the key does not match")
        .to_string();
    assert!(err.contains("does not belong"), "{err}");
    let after = Wss::connect(server.addr, "localhost", &ca.pem())
        .await
        .unwrap();
    assert_eq!(
        after.cert, second.der,
        "the last good certificate serves on"
    );
    old.ping().await;
}

#[tokio::test]
async fn changed_files_are_picked_up_without_a_signal() {
    let ca = Ca::new();
    let files = Files::new();
    files.install(&ca.localhost(1));
    let mut config = config();
    config.server.tls = Some(tls_config(&files));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let token = CancellationToken::new();
    tokio::spawn(resso_server::run(listener, config, token.clone()));
    let mut old = Wss::connect(addr, "localhost", &ca.pem()).await.unwrap();

    let second = ca.localhost(2);
    files.install(&second);
    eventually("a new connection gets the rewritten certificate", || {
        serves(addr, &ca, &second)
    })
    .await;
    old.ping().await;
    token.cancel();
}

#[tokio::test]
async fn clients_refuse_expired_and_wrong_host_certificates() {
    let ca = Ca::new();
    for (leaf, host, why) in [
        (
            ca.leaf(&["localhost"], 7, Validity::Expired),
            "localhost",
            "Expired",
        ),
        (
            ca.leaf(&["example.com"], 8, Validity::Current),
            "localhost",
            "NotValidForName",
        ),
    ] {
        let files = Files::new();
        files.install(&leaf);
        let server = TlsServer::start(&files, false).await;
        let err = Wss::connect(server.addr, host, &ca.pem())
            .await
            .err()
            .unwrap_or_else(|| panic!("a client accepted a certificate that is {why}"));
        assert!(format!("{err:?}").contains(why), "{err:?}");
        let https = https(&ca.pem())
            .get(format!("{}/up", server.https_base()))
            .send()
            .await;
        assert!(
            https.is_err(),
            "reqwest accepted a certificate that is {why}"
        );
    }
    // The same client trusts a good certificate from the same CA: the refusals were the
    // certificates', not the set-up's.
    let (ca, _leaf, _files, server) = started(false).await;
    Wss::connect(server.addr, "localhost", &ca.pem())
        .await
        .unwrap();
}
