//! Rules of the Engine.IO v4 / Socket.IO v5 protocol documents where they say MUST, each checked
//! on the wire: an EVENT before CONNECT closes the connection, an EVENT with an ack id is
//! acknowledged, an encrypted channel (which Echo's connector cannot decrypt) is refused, a second
//! GET or POST in flight is refused with 400 and closes the session, and a client's close answers
//! the waiting GET with a noop.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;

use super::{next_packet, send, server, split, ws_connect, Polling, V3, V4};

#[tokio::test]
async fn an_event_before_connect_closes_the_connection_at_once() {
    let server = server().await;
    let (mut ws, _) = tokio_tungstenite::connect_async(super::ws_url(&server, V4, None))
        .await
        .unwrap();
    assert!(super::next_text(&mut ws).await.starts_with("0{"));
    send(&mut ws, r#"42["subscribe",{"channel":"news"}]"#).await;
    let ended = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) if t.as_str() == "1" => {} // the engine's close
                Some(Ok(Message::Text(t))) => panic!("no packet but the close, got {t}"),
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "closed within 2 s, not at the connect timeout"
    );
}

#[tokio::test]
async fn an_event_with_an_ack_id_is_acknowledged() {
    let server = server().await;
    for eio in [V3, V4] {
        let (mut ws, _) = ws_connect(&server, eio).await;
        send(&mut ws, r#"4217["subscribe",{"channel":"news"}]"#).await;
        assert_eq!(next_packet(&mut ws).await, "4317[]", "EIO {eio}");
    }
}

#[tokio::test]
async fn an_encrypted_channel_is_refused_to_socketio_clients() {
    let server = server().await;
    let (mut ws, _) = ws_connect(&server, V4).await;
    send(
        &mut ws,
        r#"42["subscribe",{"channel":"private-encrypted-orders"}]"#,
    )
    .await;
    // 400, not the 403 of a private channel this test app cannot authorize: refused for what it is.
    assert_eq!(
        next_packet(&mut ws).await,
        r#"42["subscription_error","private-encrypted-orders",400]"#
    );
}

/// Two long polls at once, as the raw requests' (status, body).
async fn two_gets(session: &Polling) -> [(u16, String); 2] {
    let get = || async {
        let r = session
            .http
            .get(session.session_url())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    let (a, b) = tokio::join!(get(), get());
    [a, b]
}

#[tokio::test]
async fn a_second_concurrent_get_is_refused_and_closes_the_session() {
    let server = server().await;
    for eio in [V3, V4] {
        let (session, _) = Polling::connect(&server, eio).await;
        let mut answers = two_gets(&session).await;
        answers.sort();
        assert_eq!(answers[0].0, 200, "EIO {eio}: {answers:?}");
        assert_eq!(
            split(&answers[0].1, eio),
            ["1"],
            "the waiting GET gets the close packet"
        );
        assert_eq!(answers[1].0, 400, "EIO {eio}: the second GET is refused");
        assert_eq!(
            session.poll().await.0,
            400,
            "EIO {eio}: the session is closed"
        );
    }
}

#[tokio::test]
async fn a_second_post_in_flight_is_refused_and_closes_the_session() {
    let server = server().await;
    let (session, _) = Polling::connect(&server, V4).await;
    let addr = server.http_base().trim_start_matches("http://").to_owned();
    let path = session.session_url().replacen(&server.http_base(), "", 1);
    // A POST whose body never ends: it stays in flight.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\n\
         Transfer-Encoding: chunked\r\n\r\n1\r\n6\r\n"
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        // Until the slow POST is seen in flight, a fast one goes through (a noop changes nothing).
        match session.post("6").await {
            200 => assert!(tokio::time::Instant::now() < deadline, "never refused"),
            400 => break,
            other => panic!("unexpected status {other}"),
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(session.poll().await.0, 400, "the session is closed");
}

#[tokio::test]
async fn a_client_close_answers_the_waiting_get_with_a_noop() {
    let server = server().await;
    for _ in 0..20 {
        let (session, _) = Polling::connect(&server, V4).await;
        let waiting = session.poll();
        let closing = async {
            tokio::task::yield_now().await;
            session.post("1").await
        };
        let ((status, body), posted) = tokio::join!(waiting, closing);
        assert_eq!(posted, 200);
        if status == 400 {
            continue; // the GET came after the close: try again with the GET waiting first
        }
        assert_eq!(split(&body, V4), ["6"], "a noop, not the close packet");
        return;
    }
    panic!("the GET never waited before the close");
}
