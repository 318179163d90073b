//! The benchmark's wire texts: the publish body (sequence number + scheduled send time, padded to
//! a size) and a scan that finds those two numbers in a delivered frame without parsing the JSON —
//! the subscriber side must stay cheap so the harness is not what gets measured. Pusher clients
//! get `data` as a JSON string (`\"bseq\":1`), Socket.IO clients as the parsed object
//! (`"bseq":1`, from Ressò and laravel-echo-server alike); the scan reads both.

/// Event name every benchmark publish uses.
pub const EVENT: &str = "bench-event";
const SEQ_KEY: &str = "bseq";
const TIME_KEY: &str = "bts";

/// The `data` string of publish `seq` scheduled at `micros`, padded to about `size` bytes.
#[must_use]
pub fn data(seq: u64, micros: u64, size: usize) -> String {
    let head = format!("{{\"{SEQ_KEY}\":{seq},\"{TIME_KEY}\":{micros},\"pad\":\"");
    let pad = size.saturating_sub(head.len() + 2);
    format!("{head}{}\"}}", "x".repeat(pad))
}

/// The JSON body of `POST /apps/{id}/events`.
#[must_use]
pub fn publish_body(channel: &str, data: &str) -> String {
    serde_json::json!({ "name": EVENT, "channels": [channel], "data": data }).to_string()
}

/// The JSON body of laravel-echo-server's `POST /apps/{id}/events` (one channel, no signature).
#[must_use]
pub fn echo_publish_body(channel: &str, data: &str) -> String {
    serde_json::json!({ "name": EVENT, "channel": channel, "data": data }).to_string()
}

/// `(seq, micros)` from a delivered frame, or `None` if it is not a benchmark event.
#[must_use]
pub fn scan(frame: &str) -> Option<(u64, u64)> {
    let seq = number_after(frame, SEQ_KEY)?;
    let micros = number_after(frame, TIME_KEY)?;
    Some((seq, micros))
}

/// The first run of digits after `key` (skipping quotes, escapes and the colon).
pub fn number_after(text: &str, key: &str) -> Option<u64> {
    let at = text.find(key)? + key.len();
    let rest = text[at..].trim_start_matches(['"', '\\', ':', ' ']);
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..digits].parse().ok()
}

/// The subscribe frame for a public channel.
#[must_use]
pub fn subscribe(channel: &str) -> String {
    serde_json::json!({ "event": "pusher:subscribe", "data": { "auth": "", "channel": channel } })
        .to_string()
}

/// The reply to a server's `pusher:ping`.
pub const PONG: &str = r#"{"event":"pusher:pong","data":{}}"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_has_the_requested_size() {
        assert_eq!(data(1, 2, 100).len(), 100);
        assert_eq!(data(123_456, 9_876_543_210, 100).len(), 100);
    }

    #[test]
    fn scan_finds_numbers_in_a_delivered_frame() {
        let body = publish_body("bench", &data(42, 1_234_567, 100));
        let sent: serde_json::Value = serde_json::from_str(&body).unwrap();
        let frame = serde_json::json!({
            "event": EVENT, "channel": "bench", "data": sent["data"]
        })
        .to_string();
        assert!(frame.contains(r#"\"bseq\":42"#));
        assert_eq!(scan(&frame), Some((42, 1_234_567)));
    }

    #[test]
    fn scan_finds_numbers_in_a_socketio_event() {
        // Socket.IO servers deliver `data` parsed: no escaped quotes.
        let frame = format!(r#"42["{EVENT}","bench",{}]"#, data(7, 99, 100));
        assert!(frame.contains(r#""bseq":7"#));
        assert_eq!(scan(&frame), Some((7, 99)));
    }

    #[test]
    fn scan_ignores_other_frames() {
        assert_eq!(scan(r#"{"event":"pusher:ping","data":{}}"#), None);
    }
}
