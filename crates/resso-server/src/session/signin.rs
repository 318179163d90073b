//! `pusher:signin` (§2.6): the connection proves who its user is with a signature over
//! `socket_id::user::user_data`; on success it may subscribe to `#server-to-user-{id}`, its
//! watchlist is followed, and the app can terminate it through the HTTP API.

use resso_protocol::auth::signin_string;
use resso_protocol::client::Signin;
use resso_protocol::user::User;
use resso_protocol::{server, ErrorCode};

use super::Session;

impl Session {
    pub(super) fn signin(&mut self, signin: &Signin) -> Vec<String> {
        let unauthorized =
            |msg: &str| vec![server::error(Some(ErrorCode::Unauthorized.code()), msg)];
        let signed = signin_string(self.socket_id, &signin.user_data);
        if let Err(e) = self.app.credentials().verify(Some(&signin.auth), &signed) {
            return unauthorized(&format!("Invalid signin: {e}"));
        }
        let user = match User::parse(&signin.user_data) {
            Ok(user) => user,
            Err(e) => return unauthorized(&format!("Invalid signin: {e}")),
        };
        if self
            .user
            .as_ref()
            .is_some_and(|current| *current != user.id)
        {
            return unauthorized("This connection is already signed in as another user");
        }
        self.user = Some(user.id.clone());
        self.authorized = true;
        let mut frames = vec![server::signin_success(&signin.user_data)];
        if user.watchlist_truncated {
            let code = ErrorCode::WatchlistLimit;
            frames.push(server::error(Some(code.code()), code.message()));
        }
        frames.extend(
            self.registry
                .sign_in(&self.app, self.socket_id, &user, &self.outbox),
        );
        frames
    }
}
