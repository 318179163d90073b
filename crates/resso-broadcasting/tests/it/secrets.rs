//! What a failure tells: error strings and `Debug` output never carry the signed URL, the signature
//! or the secret, whether the server is unreachable or refuses the request.

use resso_broadcasting::{Broadcaster, Channel, Driver, PusherClient, PusherConfig};

use crate::support::{Resso, APP_ID, KEY, SECRET};

/// Asserts `text` carries no signed URL, no signature (64 hex digits) and no secret. (A server may
/// say what it expected to be signed — method, path, unsigned query — which is no secret.)
fn assert_clean(text: &str, secret: &str) {
    for leak in ["auth_signature", secret] {
        assert!(!text.contains(leak), "{leak:?} in {text:?}");
    }
    let longest_hex = text
        .split(|c: char| !c.is_ascii_hexdigit())
        .map(str::len)
        .max();
    assert!(longest_hex < Some(64), "a signature in {text:?}");
}

async fn send_through(config: PusherConfig) -> String {
    let b = Broadcaster::new(Driver::Pusher(PusherClient::new(config)));
    let error = b
        .on([Channel::public("orders")])
        .event("Ping")
        .send()
        .await
        .expect_err("the request fails");
    format!("{error} / {error:?} / {b:?}")
}

#[tokio::test]
async fn an_unreachable_server() {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let text = send_through(PusherConfig::new("http://127.0.0.1:1", APP_ID, KEY, SECRET)).await;
    assert!(text.contains("could not be reached"), "{text}");
    assert_clean(&text, SECRET);
}

#[tokio::test]
async fn a_refused_signature() {
    let resso = Resso::start().await;
    let config = PusherConfig::new(resso.base_url(), APP_ID, KEY, "not-the-secret");
    let text = send_through(config).await;
    assert!(text.contains("401"), "{text}");
    assert_clean(&text, "not-the-secret");
}
