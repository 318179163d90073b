//! The channels one connection is subscribed to. Most connections hold one or two, so a vector
//! searched linearly beats a hash set: one small allocation (a hash set allocates buckets and
//! control bytes even for one element) and no hashing on lookup.

use resso_protocol::ChannelName;

#[derive(Debug, Default)]
pub struct Channels(Vec<ChannelName>);

impl Channels {
    pub fn get(&self, name: &str) -> Option<&ChannelName> {
        self.0.iter().find(|c| c.as_str() == name)
    }

    /// Adds `channel` unless it is there already.
    pub fn insert(&mut self, channel: ChannelName) {
        if self.get(channel.as_str()).is_none() {
            if self.0.is_empty() {
                self.0.reserve_exact(1);
            }
            self.0.push(channel);
        }
    }

    /// Removes and returns the channel called `name`.
    pub fn take(&mut self, name: &str) -> Option<ChannelName> {
        let at = self.0.iter().position(|c| c.as_str() == name)?;
        Some(self.0.swap_remove(at))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &ChannelName> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use resso_protocol::{ChannelName, Limits};

    use super::Channels;

    fn name(n: &str) -> ChannelName {
        ChannelName::parse(n, &Limits::default()).unwrap()
    }

    #[test]
    fn holds_each_channel_once() {
        let mut channels = Channels::default();
        channels.insert(name("a"));
        channels.insert(name("b"));
        channels.insert(name("a"));
        assert_eq!(channels.iter().count(), 2);
        assert_eq!(channels.get("b").map(ChannelName::as_str), Some("b"));
        assert_eq!(
            channels.take("a").map(|c| c.as_str().to_owned()),
            Some("a".into())
        );
        assert!(channels.get("a").is_none());
        assert!(channels.take("a").is_none());
        assert_eq!(channels.iter().count(), 1);
    }
}
