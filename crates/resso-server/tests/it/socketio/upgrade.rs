use std::time::Duration;

use super::{
    assert_refused, closed, next_packet, next_text, plain, probe, send, server, sio_config, ws_url,
    Polling, V3, V4,
};
use crate::support::TestServer;

/// The upgrade as engine.io-client does it, with broadcasts published at every step: each arrives
/// exactly once, in order, on polling before the probe and on the websocket after it.
#[tokio::test]
async fn the_upgrade_loses_and_duplicates_nothing() {
    let server = server().await;
    let api = server.api();
    for eio in [V3, V4] {
        let (s, _) = Polling::connect(&server, eio).await;
        assert_eq!(s.post(r#"42["subscribe",{"channel":"race"}]"#).await, 200);
        api.publish("race", "e", "before").await;
        assert_eq!(plain(&s.next().await), r#"42["e","race","before"]"#);
        let pending = {
            let url = s.session_url();
            let http = s.http.clone();
            tokio::spawn(async move { http.get(url).send().await.unwrap().text().await.unwrap() })
        };
        let (mut ws, _) = tokio_tungstenite::connect_async(ws_url(&server, eio, Some(&s.sid)))
            .await
            .unwrap();
        send(&mut ws, "2probe").await;
        assert_eq!(next_text(&mut ws).await, "3probe");
        let ended = tokio::time::timeout(Duration::from_secs(10), pending)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            super::split(&ended, eio),
            ["6"],
            "the pending poll ends with a noop"
        );
        api.publish("race", "e", "during").await;
        assert_eq!(
            s.get().await,
            ["6"],
            "polls after the probe get noops, not events"
        );
        send(&mut ws, "5").await;
        api.publish("race", "e", "after").await;
        assert_eq!(
            plain(&next_packet(&mut ws).await),
            r#"42["e","race","during"]"#
        );
        assert_eq!(
            plain(&next_packet(&mut ws).await),
            r#"42["e","race","after"]"#
        );
        send(&mut ws, &probe("ws")).await;
        assert_refused(&next_packet(&mut ws).await, "ws");
        let (status, _) = s.poll().await;
        assert_eq!(status, 400, "polling is gone after the upgrade");
    }
}

/// A websocket that never probes is dropped after the heartbeat timeout; the polling session
/// carries on.
#[tokio::test]
async fn abandoned_upgrades_expire() {
    let server = TestServer::spawn(sio_config(500)).await;
    let (s, _) = Polling::connect(&server, V3).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url(&server, V3, Some(&s.sid)))
        .await
        .unwrap();
    let keep_alive = async {
        loop {
            assert_eq!(s.post("2").await, 200);
            assert_eq!(s.get().await, ["3"]);
        }
    };
    tokio::select! {
        texts = closed(&mut ws) => assert!(texts.is_empty(), "{texts:?}"),
        () = keep_alive => unreachable!(),
    }
    assert_eq!(s.post(&probe("still-here")).await, 200);
    assert_refused(&s.next().await, "still-here");
}
