//! Notifications over the `broadcast` channel, in exactly the shape Echo's `.notification(cb)`
//! expects: event `Illuminate\Notifications\Events\BroadcastNotificationCreated` on the notifiable's
//! private channel (`private-App.Models.User.{id}`), payload = the notification's fields + `id` + `type`.

use std::borrow::Cow;

use serde::Serialize;

use crate::event::{qualified, short_type_name};
use crate::{Channel, Message, Payload};

/// The event name Echo's `.notification()` listens for.
pub const NOTIFICATION_EVENT: &str =
    "Illuminate\\Notifications\\Events\\BroadcastNotificationCreated";

/// The namespace Laravel notifications live in.
pub const NOTIFICATION_NAMESPACE: &str = "App\\Notifications";

/// A notification that can be broadcast. Its serde fields become the payload (Laravel's `toArray`).
///
/// ```
/// #[derive(serde::Serialize)]
/// struct ExportReady { rows: u64 }
/// impl resso_broadcasting::BroadcastNotification for ExportReady {}
/// ```
pub trait BroadcastNotification: Serialize {
    /// The `type` field; by default `App\Notifications\{TypeName}` like Laravel's class name.
    fn notification_type(&self) -> Cow<'_, str> {
        qualified(NOTIFICATION_NAMESPACE, short_type_name::<Self>()).into()
    }
}

/// Who receives a notification: the private channel Echo's `.notification()` is called on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notifiable {
    channel: Channel,
}

impl Notifiable {
    /// `App\Models\User` with key `id` → `private-App.Models.User.{id}`.
    pub fn user(id: impl std::fmt::Display) -> Self {
        Self::model("App\\Models\\User", id)
    }

    /// A model class (backslashes or dots) and key → `private-{Class.With.Dots}.{key}`.
    pub fn model(class: &str, key: impl std::fmt::Display) -> Self {
        let class = class.replace('\\', ".");
        Self {
            channel: Channel::private(format!("{class}.{key}")),
        }
    }

    /// Any channel (Laravel's `receivesBroadcastNotificationsOn`).
    #[must_use]
    pub const fn on(channel: Channel) -> Self {
        Self { channel }
    }

    /// The channel notifications go to.
    #[must_use]
    pub const fn channel(&self) -> &Channel {
        &self.channel
    }
}

/// The message for `notification` to `notifiable`, with a fresh UUID as its `id`.
///
/// # Errors
/// When the notification does not serialize to a JSON object.
pub fn message<N: BroadcastNotification>(
    notifiable: &Notifiable,
    notification: &N,
) -> Result<(String, Message), serde_json::Error> {
    let id = uuid::Uuid::new_v4().to_string();
    let mut payload = Payload::from_serialize(notification)?;
    payload.insert("id", &id)?;
    payload.insert("type", &notification.notification_type())?;
    let message = Message {
        name: NOTIFICATION_EVENT.to_owned(),
        channels: vec![notifiable.channel.clone()],
        payload,
        socket: None,
    };
    Ok((id, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct InvoicePaid {
        amount: u32,
    }
    impl BroadcastNotification for InvoicePaid {}

    #[test]
    fn echo_notification_shape() {
        let (id, m) = message(&Notifiable::user(42), &InvoicePaid { amount: 5 }).unwrap();
        assert_eq!(m.name, NOTIFICATION_EVENT);
        assert_eq!(m.channels, vec![Channel::private("App.Models.User.42")]);
        assert_eq!(m.channels[0].name(), "private-App.Models.User.42");
        assert_eq!(
            m.payload.to_json(),
            format!(r#"{{"amount":5,"id":"{id}","type":"App\\Notifications\\InvoicePaid"}}"#)
        );
        assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4);
        let team = Notifiable::model("App\\Models\\Team", 3);
        assert_eq!(team.channel().name(), "private-App.Models.Team.3");
    }
}
