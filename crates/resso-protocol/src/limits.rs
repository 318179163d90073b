//! Sizes and counts the protocol bounds. One struct so every layer validates against the same numbers;
//! the defaults are Pusher's published limits (channel names use the SDKs' 200, not the docs' 164).

/// Protocol limits applied to names and payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest accepted channel name, in bytes.
    pub channel_name: usize,
    /// Longest accepted event name, in bytes.
    pub event_name: usize,
    /// Largest accepted event `data`, in bytes of UTF-8.
    pub event_data: usize,
    /// Most channels one `POST /events` may name.
    pub channels_per_publish: usize,
    /// Most events one `POST /batch_events` may carry.
    pub batch_events: usize,
    /// Longest accepted presence `user_id`, in bytes.
    pub user_id: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            channel_name: 200,
            event_name: 200,
            event_data: 10 * 1024,
            channels_per_publish: 100,
            batch_events: 10,
            user_id: 128,
        }
    }
}
