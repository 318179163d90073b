use rand::{Rng, SeedableRng};

use super::engine::{self, EngineError, Open, Packet};
use super::packet::{self, Kind, PacketError};
use super::payload::{self, PayloadError};
use super::EngineVersion::{self, V3, V4};

const BOTH: [EngineVersion; 2] = [V3, V4];

#[test]
fn engine_text_packets_are_the_same_in_both_versions() {
    let cases = [
        ("0{\"sid\":\"x\"}", Packet::Open("{\"sid\":\"x\"}")),
        ("1", Packet::Close),
        ("2", Packet::Ping("")),
        ("2probe", Packet::Ping("probe")),
        ("3probe", Packet::Pong("probe")),
        ("3", Packet::Pong("")),
        ("42[\"a\"]", Packet::Message("2[\"a\"]")),
        ("4", Packet::Message("")),
        ("5", Packet::Upgrade),
        ("6", Packet::Noop),
    ];
    for version in BOTH {
        for (text, packet) in &cases {
            assert_eq!(engine::decode(text, version).as_ref(), Ok(packet), "{text}");
            assert_eq!(engine::encode(packet, version), *text);
        }
        assert_eq!(engine::decode("", version), Err(EngineError::Empty));
        assert_eq!(
            engine::decode("7", version),
            Err(EngineError::UnknownType('7'))
        );
        assert_eq!(
            engine::decode("é", version),
            Err(EngineError::UnknownType('é'))
        );
    }
}

#[test]
fn binary_packets_take_each_versions_form() {
    let bytes = Packet::Binary(vec![1, 2, 3]);
    assert_eq!(engine::encode(&bytes, V3), "b4AQID");
    assert_eq!(engine::encode(&bytes, V4), "bAQID");
    assert_eq!(engine::decode("b4AQID", V3), Ok(bytes.clone()));
    assert_eq!(engine::decode("bAQID", V4), Ok(bytes.clone()));
    assert_eq!(engine::decode("bAQID", V3), Err(EngineError::BinaryType));
    assert_eq!(engine::decode("b!!", V4), Err(EngineError::Base64));
    assert_eq!(engine::decode_binary(&[4, 1, 2, 3], V3), Ok(bytes.clone()));
    assert_eq!(engine::decode_binary(&[1, 2, 3], V4), Ok(bytes));
    assert_eq!(engine::decode_binary(&[], V3), Err(EngineError::BinaryType));
}

#[test]
fn the_open_packet_announces_max_payload_to_eio4_only() {
    let open = Open {
        sid: "abc",
        upgrades: &["websocket"],
        ping_interval_ms: 25_000,
        ping_timeout_ms: 20_000,
        max_payload: 1_000_000,
    };
    assert_eq!(
        engine::open(&open, V3),
        r#"0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}"#
    );
    assert_eq!(
        engine::open(&open, V4),
        r#"0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
    );
}

#[test]
fn eio3_payloads_count_utf16_code_units() {
    let packets = ["42[\"é😀\"]", "2", "6"];
    let body = payload::encode(packets, V3);
    // `4`, `2`, `[`, `"`, `é` (1), `😀` (2), `"`, `]`: 9 UTF-16 units.
    assert_eq!(body, "9:42[\"é😀\"]1:21:6");
    assert_eq!(payload::decode(&body, V3).unwrap(), packets);
    assert_eq!(payload::decode("2:2", V3), Err(PayloadError::Truncated));
    assert_eq!(
        payload::decode("1:😀", V3),
        Err(PayloadError::SplitCharacter)
    );
    assert_eq!(payload::decode("x:2", V3), Err(PayloadError::BadLength));
    assert_eq!(payload::decode(":2", V3), Err(PayloadError::BadLength));
    assert_eq!(payload::decode("2", V3), Err(PayloadError::BadLength));
    assert_eq!(payload::decode("+1:2", V3), Err(PayloadError::BadLength));
    assert_eq!(
        payload::decode("99999999999999999999:2", V3),
        Err(PayloadError::LengthTooLong)
    );
    assert_eq!(payload::decode("", V3), Err(PayloadError::Empty));
    assert_eq!(payload::decode("", V4), Err(PayloadError::Empty));
}

#[test]
fn eio4_payloads_are_joined_by_the_record_separator() {
    let packets = ["42[\"a\"]", "3", "b4AQID"];
    let body = payload::encode(packets, V4);
    assert_eq!(body, "42[\"a\"]\x1e3\x1eb4AQID");
    assert_eq!(payload::decode(&body, V4).unwrap(), packets);
    assert_eq!(payload::decode("4x", V4).unwrap(), ["4x"]);
}

#[test]
fn socketio_packets_of_every_type_decode() {
    let p = packet::decode("0").unwrap();
    assert_eq!(
        (p.kind, p.namespace, p.id, p.data.is_none()),
        (Kind::Connect, "/", None, true)
    );
    let p = packet::decode("0{\"token\":\"x\"}").unwrap();
    assert_eq!(p.data.unwrap().get(), "{\"token\":\"x\"}");
    let p = packet::decode("0/admin?x=1,").unwrap();
    assert_eq!((p.kind, p.namespace), (Kind::Connect, "/admin"));
    let p = packet::decode("0/admin,{\"a\":1}").unwrap();
    assert_eq!(
        (p.namespace, p.data.unwrap().get()),
        ("/admin", "{\"a\":1}")
    );
    let p = packet::decode("1").unwrap();
    assert_eq!((p.kind, p.namespace), (Kind::Disconnect, "/"));
    assert_eq!(packet::decode("1/admin,").unwrap().namespace, "/admin");
    let p = packet::decode("2[\"subscribe\",{\"channel\":\"c\"}]").unwrap();
    assert_eq!((p.kind, p.id), (Kind::Event, None));
    assert_eq!(p.data.unwrap().get(), "[\"subscribe\",{\"channel\":\"c\"}]");
    let p = packet::decode("212[\"x\"]").unwrap();
    assert_eq!((p.kind, p.id), (Kind::Event, Some(12)));
    let p = packet::decode("2/admin,7[\"x\"]").unwrap();
    assert_eq!((p.namespace, p.id), ("/admin", Some(7)));
    let p = packet::decode("35[\"ok\"]").unwrap();
    assert_eq!((p.kind, p.id), (Kind::Ack, Some(5)));
    assert_eq!(packet::decode("4\"no\"").unwrap().kind, Kind::ConnectError);
    assert_eq!(
        packet::decode("4{\"message\":\"no\"}").unwrap().kind,
        Kind::ConnectError
    );
}

#[test]
fn malformed_and_binary_socketio_packets_are_refused() {
    for (text, error) in [
        ("", PacketError::Empty),
        ("7", PacketError::UnknownType('7')),
        (
            "51-[\"x\",{\"_placeholder\":true,\"num\":0}]",
            PacketError::Binary,
        ),
        (
            "61-3[{\"_placeholder\":true,\"num\":0}]",
            PacketError::Binary,
        ),
        ("2", PacketError::BadShape),
        ("2{}", PacketError::BadShape),
        ("2[]", PacketError::BadShape),
        ("2[1]", PacketError::BadShape),
        ("2[\"x\"", PacketError::BadJson),
        ("2[\"x\"]]", PacketError::BadJson),
        ("3", PacketError::BadShape),
        ("0[1]", PacketError::BadShape),
        ("1[1]", PacketError::BadShape),
        ("29999999999999999[\"x\"]", PacketError::BadId),
    ] {
        assert_eq!(packet::decode(text).err(), Some(error), "{text:?}");
    }
}

#[test]
fn socketio_replies_take_each_versions_shape() {
    assert_eq!(packet::connected("1.2"), r#"40{"sid":"1.2"}"#);
    assert_eq!(
        packet::connected_recoverable("1.2", "p\"q"),
        r#"40{"sid":"1.2","pid":"p\"q"}"#
    );
    assert_eq!(packet::connect_error(V3, "/", "no"), r#"44"no""#);
    assert_eq!(
        packet::connect_error(V4, "/", "no"),
        r#"44{"message":"no"}"#
    );
    assert_eq!(
        packet::connect_error(V4, "/admin", "Invalid namespace"),
        r#"44/admin,{"message":"Invalid namespace"}"#
    );
    assert_eq!(packet::connect_error(V3, "/a", "x"), r#"44/a,"x""#);
    assert_eq!(packet::event(r#"["e","c",{}]"#), r#"42["e","c",{}]"#);
    assert_eq!((packet::CONNECT_V4, packet::DISCONNECT), ("40", "41"));
}

fn random_text(rng: &mut impl Rng) -> String {
    const ALPHABET: &[char] = &[
        'a', '[', ']', '"', ',', '{', '}', ':', '1', '4', 'é', '😀', '\x1e', '/',
    ];
    (0..rng.random_range(0..40))
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())])
        .collect()
}

/// Random packets joined into a payload split back into the same packets, for both versions; the
/// EIO 3 length prefixes hold across multi-unit characters.
#[test]
fn random_payloads_round_trip() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x510);
    for _ in 0..2000 {
        let packets: Vec<String> = (0..rng.random_range(1..6))
            .map(|_| format!("4{}", random_text(&mut rng).replace('\x1e', "")))
            .collect();
        for version in BOTH {
            let body = payload::encode(packets.iter().map(String::as_str), version);
            let back = payload::decode(&body, version).unwrap();
            assert_eq!(back, packets, "{version:?} {body:?}");
            for text in back {
                assert!(matches!(
                    engine::decode(text, version),
                    Ok(Packet::Message(_))
                ));
            }
        }
    }
}

/// Garbage never panics: every layer answers it with a value or a typed error.
#[test]
fn random_garbage_never_panics() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x6a7b);
    for _ in 0..20_000 {
        let text = if rng.random_bool(0.5) {
            random_text(&mut rng)
        } else {
            let digits = rng.random_range(0..30);
            format!("{}:{}", "9".repeat(digits), random_text(&mut rng))
        };
        let bytes: Vec<u8> = (0..rng.random_range(0..10)).map(|_| rng.random()).collect();
        for version in BOTH {
            let _ = payload::decode(&text, version);
            let _ = engine::decode(&text, version);
            let _ = engine::decode_binary(&bytes, version);
        }
        let _ = packet::decode(&text);
    }
}
