//! An event's payload as an ordered JSON object. PHP sends public properties in declaration order and
//! our serde output keeps field order too; a `serde_json::Map` would sort the keys, so the payload is
//! kept as `(key, raw JSON value)` pairs and every value keeps its exact bytes.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// An ordered JSON object.
#[derive(Debug, Clone, Default)]
pub struct Payload(Vec<(String, Box<RawValue>)>);

impl Payload {
    /// An empty object.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Serializes `value`, which must serialize to a JSON object.
    ///
    /// # Errors
    /// When serialization fails or gives something other than an object.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        let text = serde_json::to_string(value)?;
        serde_json::from_str(&text)
    }

    /// Adds or replaces `key` (a replaced key keeps its place, as PHP's `array_merge` does).
    ///
    /// # Errors
    /// When `value` does not serialize.
    pub fn insert<T: Serialize + ?Sized>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        let raw = serde_json::value::to_raw_value(value)?;
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = raw,
            None => self.0.push((key.to_owned(), raw)),
        }
        Ok(())
    }

    /// Removes `key`, returning its raw JSON.
    pub fn remove(&mut self, key: &str) -> Option<Box<RawValue>> {
        let at = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(at).1)
    }

    /// The raw JSON of `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&RawValue> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| &**v)
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }

    /// The object as compact JSON text.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("raw JSON values always serialize")
    }

    /// The object as a `serde_json::Value` (keys sorted), for assertions.
    #[must_use]
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(&self.to_json()).expect("our own JSON parses")
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Self) -> bool {
        self.to_json() == other.to_json()
    }
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut map = ser.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_map(PayloadVisitor)
    }
}

struct PayloadVisitor;

impl<'de> Visitor<'de> for PayloadVisitor {
    type Value = Payload;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object (an event payload)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Payload, A::Error> {
        let mut pairs: Vec<(String, Box<RawValue>)> = Vec::new();
        while let Some((k, v)) = access.next_entry::<String, Box<RawValue>>()? {
            match pairs.iter_mut().find(|(key, _)| *key == k) {
                Some((_, old)) => *old = v,
                None => pairs.push((k, v)),
            }
        }
        Ok(Payload(pairs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_bytes() {
        let p: Payload = serde_json::from_str(r#"{"z":1,"a":{"y":2,"b":"\u00e9"}}"#).unwrap();
        assert_eq!(p.to_json(), r#"{"z":1,"a":{"y":2,"b":"\u00e9"}}"#);
        assert_eq!(p.keys().collect::<Vec<_>>(), ["z", "a"]);
    }

    #[test]
    fn insert_replaces_in_place_or_appends() {
        let mut p: Payload = serde_json::from_str(r#"{"socket":1,"x":2}"#).unwrap();
        p.insert("socket", &None::<String>).unwrap();
        p.insert("y", "3").unwrap();
        assert_eq!(p.to_json(), r#"{"socket":null,"x":2,"y":"3"}"#);
        assert_eq!(p.remove("x").unwrap().get(), "2");
        assert_eq!(p.to_json(), r#"{"socket":null,"y":"3"}"#);
    }

    #[test]
    fn refuses_non_objects() {
        assert!(Payload::from_serialize(&[1, 2]).is_err());
        assert!(Payload::from_serialize(&"text").is_err());
    }
}
