use super::*;

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A client frame: masked, with the given first byte (FIN, RSV, opcode).
fn client(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    let len = payload.len();
    if len < 126 {
        out.push(MASKED | u8::try_from(len).unwrap());
    } else if let Ok(short) = u16::try_from(len) {
        out.push(MASKED | 126);
        out.extend_from_slice(&short.to_be_bytes());
    } else {
        out.push(MASKED | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&MASK);
    let mut body = payload.to_vec();
    unmask(&mut body, MASK);
    out.extend_from_slice(&body);
    out
}

fn decode_all(bytes: &[u8], max: usize) -> Result<Vec<Incoming>, Violation> {
    let mut decoder = Decoder::new(max);
    let mut buf = bytes.to_vec();
    let mut out = Vec::new();
    while let Some(message) = decoder.decode(&mut buf)? {
        out.push(message);
    }
    assert!(buf.is_empty(), "left over: {buf:?}");
    Ok(out)
}

#[test]
fn server_frames_carry_the_right_length_encoding() {
    assert_eq!(&text("hi")[..], b"\x81\x02hi");
    let medium = text(&"x".repeat(300));
    assert_eq!(&medium[..4], &[0x81, 126, 0x01, 0x2c]);
    assert_eq!(medium.len(), 304);
    let large = encode(op::BINARY, &vec![0; 70_000]);
    assert_eq!(&large[..10], &[0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
    assert_eq!(header_len(125), 2);
    assert_eq!(header_len(126), 4);
    assert_eq!(header_len(65_536), 10);
    assert_eq!(&close(4001, "no")[..], b"\x88\x04\x0f\xa1no");
}

#[test]
fn masked_frames_of_every_length_decode() {
    for len in [0, 1, 7, 8, 9, 125, 126, 65_535, 65_536] {
        let payload = "é".repeat(len / 2) + &"a".repeat(len % 2);
        let got = decode_all(&client(0x81, payload.as_bytes()), 1 << 20).unwrap();
        assert_eq!(got, vec![Incoming::Text(payload)], "len {len}");
    }
}

#[test]
fn a_message_arrives_only_once_its_last_byte_did() {
    let bytes = client(0x81, b"{\"event\":\"pusher:ping\"}");
    let mut decoder = Decoder::new(1024);
    let mut buf = Vec::new();
    for (i, byte) in bytes.iter().enumerate() {
        buf.push(*byte);
        let got = decoder.decode(&mut buf).unwrap();
        assert_eq!(got.is_some(), i == bytes.len() - 1, "after byte {i}");
    }
}

#[test]
fn fragments_are_reassembled_with_control_frames_between() {
    let mut bytes = client(0x01, b"hel");
    bytes.extend(client(0x89, b"p"));
    bytes.extend(client(0x00, b"lo "));
    bytes.extend(client(0x80, b"world"));
    let got = decode_all(&bytes, 1024).unwrap();
    assert_eq!(
        got,
        vec![
            Incoming::Ping(b"p".to_vec()),
            Incoming::Text("hello world".into())
        ]
    );
}

#[test]
fn control_frames_and_binary() {
    let mut bytes = client(0x8A, b"");
    bytes.extend(client(0x82, &[0xff, 0x00]));
    bytes.extend(client(0x88, &[0x03, 0xe8, b'b', b'y', b'e']));
    bytes.extend(client(0x88, b""));
    let got = decode_all(&bytes, 1024).unwrap();
    assert_eq!(
        got,
        vec![
            Incoming::Pong,
            Incoming::Binary,
            Incoming::Close(Some(1000)),
            Incoming::Close(None)
        ]
    );
}

#[test]
fn protocol_violations_are_named() {
    let unmasked = vec![0x81, 0x02, b'h', b'i'];
    let cases: Vec<(&str, Vec<u8>, Violation)> = vec![
        ("unmasked", unmasked, Violation::Protocol),
        ("rsv1", client(0xC1, b"x"), Violation::Protocol),
        ("opcode 3", client(0x83, b"x"), Violation::Protocol),
        ("opcode 11", client(0x8B, b"x"), Violation::Protocol),
        ("fragmented ping", client(0x09, b"x"), Violation::Protocol),
        ("long ping", client(0x89, &[0; 126]), Violation::Protocol),
        ("lone continuation", client(0x80, b"x"), Violation::Protocol),
        ("close of one byte", client(0x88, &[3]), Violation::Protocol),
        ("bad utf-8", client(0x81, &[b'{', 0xff]), Violation::Utf8),
        (
            "bad close reason",
            client(0x88, &[3, 232, 0xff]),
            Violation::Utf8,
        ),
        ("too big", client(0x81, &[b'a'; 101]), Violation::TooBig),
    ];
    for (name, bytes, want) in cases {
        assert_eq!(decode_all(&bytes, 100), Err(want), "{name}");
    }
    let mut interleaved = client(0x01, b"a");
    interleaved.extend(client(0x81, b"b"));
    assert_eq!(decode_all(&interleaved, 100), Err(Violation::Protocol));
    let mut growing = client(0x01, &[b'a'; 60]);
    growing.extend(client(0x80, &[b'a'; 60]));
    assert_eq!(decode_all(&growing, 100), Err(Violation::TooBig));
}

#[test]
fn an_oversized_header_is_refused_before_its_payload_arrives() {
    let mut decoder = Decoder::new(1024);
    let mut buf = vec![0x81, MASKED | 127, 0, 0, 0, 1, 0, 0, 0, 0];
    assert_eq!(decoder.decode(&mut buf), Err(Violation::TooBig));
}

/// Random client streams: valid messages in random fragments and control frames, delivered in
/// random chunk sizes, decode to the same messages; random garbage never panics and never yields
/// more than it was given.
#[test]
fn random_streams_split_anywhere_decode_the_same() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5e55);
    for _ in 0..300 {
        let mut bytes = Vec::new();
        let mut want = Vec::new();
        for _ in 0..rng.random_range(1..8) {
            if rng.random_bool(0.3) {
                let payload: Vec<u8> = (0..rng.random_range(0..20)).map(|_| rng.random()).collect();
                bytes.extend(client(0x89, &payload));
                want.push(Incoming::Ping(payload));
                continue;
            }
            let text: String = (0..rng.random_range(0..400))
                .map(|_| char::from(rng.random_range(b' '..=b'~')))
                .collect();
            let cuts = rng.random_range(0..3);
            let mut parts = Vec::new();
            let mut rest = text.as_bytes();
            for _ in 0..cuts {
                let at = rng.random_range(0..=rest.len());
                parts.push(&rest[..at]);
                rest = &rest[at..];
            }
            parts.push(rest);
            let last = parts.len() - 1;
            for (i, part) in parts.iter().enumerate() {
                let opcode = if i == 0 { 0x1 } else { 0x0 };
                let fin = if i == last { 0x80 } else { 0 };
                bytes.extend(client(fin | opcode, part));
            }
            want.push(Incoming::Text(text));
        }
        let mut decoder = Decoder::new(1 << 16);
        let (mut buf, mut got, mut at) = (Vec::new(), Vec::new(), 0);
        while at < bytes.len() {
            let n = rng.random_range(1..=64).min(bytes.len() - at);
            buf.extend_from_slice(&bytes[at..at + n]);
            at += n;
            while let Some(message) = decoder.decode(&mut buf).unwrap() {
                got.push(message);
            }
        }
        assert_eq!(got, want);
        assert!(buf.is_empty());
    }
    for _ in 0..2000 {
        let mut garbage: Vec<u8> = (0..rng.random_range(0..64)).map(|_| rng.random()).collect();
        let len = garbage.len();
        let mut decoder = Decoder::new(256);
        let mut total = 0;
        while let Ok(Some(message)) = decoder.decode(&mut garbage) {
            total += match message {
                Incoming::Text(t) => t.len(),
                Incoming::Ping(p) => p.len(),
                _ => 0,
            };
        }
        assert!(total <= len);
    }
}

/// Found by the `ws_frame_diff` fuzz target (tungstenite fails here, before the ping): bad text
/// in a first fragment fails the connection at once, not when the message ends.
#[test]
fn bad_text_in_a_fragment_fails_before_later_frames() {
    let mut decoder = Decoder::new(100);
    let mut buf = client(0x01, &[b'h', b'e', 0x9b]);
    buf.extend(client(0x89, b"p"));
    assert_eq!(decoder.decode(&mut buf), Err(Violation::Utf8));
}

/// A character split across fragments is not bad text; a bad one in a continuation is.
#[test]
fn text_is_checked_across_fragments() {
    let euro = "€".as_bytes();
    let mut split = client(0x01, &[b'a', euro[0]]);
    split.extend(client(0x00, &euro[1..2]));
    split.extend(client(0x89, b"p"));
    split.extend(client(0x80, &euro[2..]));
    assert_eq!(
        decode_all(&split, 100),
        Ok(vec![
            Incoming::Ping(b"p".to_vec()),
            Incoming::Text("a€".into())
        ])
    );
    let mut bad = client(0x01, b"ok");
    bad.extend(client(0x00, &[0xff]));
    bad.extend(client(0x89, b"p"));
    let mut decoder = Decoder::new(100);
    assert_eq!(decoder.decode(&mut bad), Err(Violation::Utf8));
}

/// Found by `ws_frame_diff`: a reserved opcode is refused from the header, as tungstenite does,
/// without waiting for the payload.
#[test]
fn a_reserved_opcode_is_refused_before_its_payload_arrives() {
    let mut decoder = Decoder::new(100);
    let mut buf = vec![0x03, MASKED | 8, 8, 0x61, 1, 0, 0x7d];
    assert_eq!(decoder.decode(&mut buf), Err(Violation::Protocol));
}
