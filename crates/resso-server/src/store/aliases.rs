//! The names a database app is found by besides its id and key: the path of its Socket.IO
//! endpoint and its laravel-echo-server API clients' `app_id`s, both from Ressò's settings table.
//! They are read once per TTL with the list of ids and keys, so a Socket.IO or echo-server request
//! finds its app in memory, never by a query. A name a file app has is refused, and so is one
//! another database app holds (the app that held it keeps it; among new claims the smallest id
//! wins); each refusal is logged once.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::row::Settings;
use crate::apps::{Alias, Table};

/// Which kind of name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Path,
    Client,
}

impl Kind {
    const fn what(self) -> &'static str {
        match self {
            Self::Path => "Socket.IO path",
            Self::Client => "echo_api client app_id",
        }
    }
}

/// One app's claim on a name.
type Claim = (Kind, String, String);

/// The names held, by kind, each with the id of the app holding it.
#[derive(Debug, Default)]
pub struct Aliases {
    held: HashMap<(Kind, String), String>,
    /// The claims refused last time, so each refusal is logged once.
    refused: HashSet<Claim>,
}

impl Aliases {
    /// The id of the app that holds `alias`.
    pub fn of(&self, alias: Alias<'_>) -> Option<String> {
        let key = match alias {
            Alias::SocketIoPath(path) => (Kind::Path, path.to_owned()),
            Alias::EchoClient(client) => (Kind::Client, client.to_owned()),
        };
        self.held.get(&key).cloned()
    }

    /// The names of `docs` (app id, settings document) that neither `files` nor an earlier
    /// holder has; what `before` held stays with its holder.
    pub fn build(docs: &[(String, serde_json::Value)], files: &Table, before: &Self) -> Self {
        let mut claims: Vec<Claim> = docs.iter().flat_map(|(id, doc)| claims(id, doc)).collect();
        let kept = |(kind, name, id): &Claim| before.held.get(&(*kind, name.clone())) == Some(id);
        claims.sort_by(|a, b| (!kept(a), &a.2, &a.1).cmp(&(!kept(b), &b.2, &b.1)));
        let taken = file_names(files);
        let mut next = Self::default();
        for claim in claims {
            let (kind, name, id) = &claim;
            let holder = match next.held.get(&(*kind, name.clone())) {
                Some(other) if other != id => Some(format!("database app {other:?}")),
                Some(_) => continue,
                None => taken
                    .get(&(*kind, name.clone()))
                    .map(|f| format!("file app {f:?}")),
            };
            let Some(holder) = holder else {
                next.held.insert((*kind, name.clone()), id.clone());
                continue;
            };
            if !before.refused.contains(&claim) {
                tracing::warn!(app = %id, "database app's {} {name:?} refused: {holder} has it", kind.what());
            }
            next.refused.insert(claim);
        }
        next
    }
}

/// The names one settings document claims (none when it is not a valid document: the app itself
/// is refused, and logged, when it is read).
fn claims(id: &str, doc: &serde_json::Value) -> Vec<Claim> {
    let Ok(settings) = Settings::deserialize(doc) else {
        return Vec::new();
    };
    let path = settings.socketio.filter(|s| s.enabled).map(|s| s.path);
    let clients = settings.echo_api.map(|api| api.clients).unwrap_or_default();
    let paths = path.into_iter().map(|p| (Kind::Path, p, id.to_owned()));
    let clients = clients
        .into_iter()
        .map(|c| (Kind::Client, c.app_id, id.to_owned()));
    paths.chain(clients).collect()
}

/// The names the file's apps have, each with its app's id.
fn file_names(files: &Table) -> HashMap<(Kind, String), String> {
    let mut names = HashMap::new();
    for app in files.iter() {
        let id = app.id.as_str().to_owned();
        if let Some(sio) = &app.config.socketio {
            names.insert((Kind::Path, sio.path.clone()), id.clone());
        }
        for client in app.config.echo_api.iter().flat_map(|api| &api.clients) {
            names.insert((Kind::Client, client.app_id.clone()), id.clone());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::apps::Apps;
    use crate::config::{AppConfig, SocketIoConfig};

    fn doc(path: &str) -> serde_json::Value {
        json!({"socketio": {"path": path}, "echo_api": {"clients": [{"app_id": path, "key": "k"}]}})
    }

    #[test]
    fn clashes_are_refused_and_holders_keep_their_names() {
        let mut file = AppConfig::with_credentials("file", "fk", "s");
        file.socketio = Some(SocketIoConfig::default());
        let apps = Apps::new(&[file]);
        let docs = [
            ("b".to_owned(), doc("/one")),
            ("a".to_owned(), doc("/one")),
            ("c".to_owned(), doc("/socket.io")),
            ("d".to_owned(), json!({"nope": 1})),
        ];
        let first = Aliases::build(&docs, &apps.files(), &Aliases::default());
        let path = |a: &Aliases, p| a.of(Alias::SocketIoPath(p));
        assert_eq!(
            path(&first, "/one").as_deref(),
            Some("a"),
            "the smallest id"
        );
        assert_eq!(first.of(Alias::EchoClient("/one")).as_deref(), Some("a"));
        assert_eq!(path(&first, "/socket.io"), None, "a file app's path");
        assert_eq!(first.refused.len(), 3);
        let held = [("z".to_owned(), doc("/two"))];
        let second = Aliases::build(&held, &apps.files(), &first);
        let claimed = [held[0].clone(), ("y".to_owned(), doc("/two"))];
        let third = Aliases::build(&claimed, &apps.files(), &second);
        assert_eq!(
            path(&third, "/two").as_deref(),
            Some("z"),
            "its holder keeps it"
        );
    }
}
