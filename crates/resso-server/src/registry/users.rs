//! Signed-in users (§2.6) of one app: which connections each user has, and who watches whom. A user
//! is online while at least one signed-in connection exists; watchers hear `online` on the first
//! and `offline` after the last.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use resso_protocol::user::User;
use resso_protocol::{ErrorCode, SocketId, UserId};

use super::Watchlist;
use crate::broadcast::Broadcast;
use crate::outbox::Outbox;

#[derive(Default)]
pub(super) struct Users {
    signed: HashMap<SocketId, Signed>,
    sockets: HashMap<UserId, HashSet<SocketId>>,
    watchers: HashMap<UserId, HashSet<SocketId>>,
}

struct Signed {
    user: UserId,
    outbox: Outbox,
    watchlist: Vec<UserId>,
}

impl Users {
    /// Signs `socket` in as `user`; returns the watchlist status to send it (`None` when it watches
    /// nobody). `elsewhere` tells whether a user is online on another node.
    pub fn sign_in(
        &mut self,
        socket: SocketId,
        user: &User,
        outbox: &Outbox,
        elsewhere: &dyn Fn(&UserId) -> bool,
    ) -> Option<Watchlist> {
        match self.signed.get(&socket) {
            // Signing in again as the same user only replaces the watchlist: no offline/online flap.
            Some(same) if same.user == user.id => {
                for watched in same.watchlist.clone() {
                    remove_from(&mut self.watchers, &watched, socket);
                }
            }
            Some(_) => {
                self.sign_out(socket, elsewhere);
            }
            None => {}
        }
        let sockets = self.sockets.entry(user.id.clone()).or_default();
        if sockets.insert(socket) && sockets.len() == 1 && !elsewhere(&user.id) {
            self.tell_watchers(&user.id, true);
        }
        for watched in &user.watchlist {
            self.watchers
                .entry(watched.clone())
                .or_default()
                .insert(socket);
        }
        let signed = Signed {
            user: user.id.clone(),
            outbox: outbox.clone(),
            watchlist: user.watchlist.clone(),
        };
        self.signed.insert(socket, signed);
        if user.watchlist.is_empty() {
            return None;
        }
        let (online, offline) = user
            .watchlist
            .iter()
            .cloned()
            .partition(|w| self.sockets.contains_key(w) || elsewhere(w));
        Some(Watchlist { online, offline })
    }

    /// Forgets `socket`'s signin, telling watchers when its user went offline; returns the user it
    /// was signed in as.
    pub fn sign_out(
        &mut self,
        socket: SocketId,
        elsewhere: &dyn Fn(&UserId) -> bool,
    ) -> Option<UserId> {
        let signed = self.signed.remove(&socket)?;
        for watched in &signed.watchlist {
            remove_from(&mut self.watchers, watched, socket);
        }
        if remove_from(&mut self.sockets, &signed.user, socket) && !elsewhere(&signed.user) {
            self.tell_watchers(&signed.user, false);
        }
        Some(signed.user)
    }

    /// Closes every connection signed in as `user` with 4009; returns how many.
    pub fn terminate(&self, user: &str) -> usize {
        let Some(sockets) = self.sockets.get(user) else {
            return 0;
        };
        for socket in sockets {
            if let Some(signed) = self.signed.get(socket) {
                signed.outbox.close(ErrorCode::Terminated);
            }
        }
        sockets.len()
    }

    /// Whether `user` has a signed-in connection here.
    pub fn is_online(&self, user: &UserId) -> bool {
        self.sockets.contains_key(user)
    }

    /// Signed-in users with their connection counts.
    pub fn counts(&self) -> impl Iterator<Item = (&UserId, usize)> {
        self.sockets.iter().map(|(u, s)| (u, s.len()))
    }

    /// The user `socket` is signed in as.
    pub fn user_of(&self, socket: SocketId) -> Option<&UserId> {
        self.signed.get(&socket).map(|s| &s.user)
    }

    /// Tells local watchers of `user` that it came online or went offline.
    pub fn tell_watchers(&self, user: &UserId, online: bool) {
        let Some(watchers) = self.watchers.get(user) else {
            return;
        };
        let msg = Arc::new(Broadcast::watchlist(online, user.clone()));
        for socket in watchers {
            if let Some(signed) = self.signed.get(socket) {
                signed.outbox.push(&msg);
            }
        }
    }
}

/// Removes `socket` from `map[key]`; returns whether that emptied (and removed) the entry.
fn remove_from(
    map: &mut HashMap<UserId, HashSet<SocketId>>,
    key: &UserId,
    socket: SocketId,
) -> bool {
    let Some(set) = map.get_mut(key) else {
        return false;
    };
    set.remove(&socket);
    if !set.is_empty() {
        return false;
    }
    map.remove(key);
    true
}
