//! `pusher:signin` (§2.6): the connection proves who its user is with a signature over
//! `socket_id::user::user_data`; on success it may subscribe to `#server-to-user-{id}`, its
//! watchlist is followed, and the app can terminate it through the HTTP API.

use resso_protocol::auth::signin_string;
use resso_protocol::client::Signin;
use resso_protocol::user::User;

use super::{Refused, Reply, Session, SignedIn, SigninError};

impl Session {
    pub(super) fn signin(&mut self, signin: Signin) -> Reply {
        match self.try_signin(&signin) {
            Ok(user) => {
                let watchlist =
                    self.registry
                        .sign_in(&self.app, self.socket_id, &user, &self.outbox);
                Reply::SignedIn(SignedIn {
                    user_data: signin.user_data,
                    watchlist_truncated: user.watchlist_truncated,
                    watchlist,
                })
            }
            Err(e) => Reply::Refused(Refused::Signin(e)),
        }
    }

    /// Checks the signin and records who the connection is.
    fn try_signin(&mut self, signin: &Signin) -> Result<User, SigninError> {
        let signed = signin_string(self.socket_id, &signin.user_data);
        self.app
            .credentials()
            .verify(Some(&signin.auth), &signed)
            .map_err(SigninError::Unauthorized)?;
        let user = User::parse(&signin.user_data).map_err(SigninError::BadUserData)?;
        if self
            .user
            .as_ref()
            .is_some_and(|current| *current != user.id)
        {
            return Err(SigninError::OtherUser);
        }
        self.user = Some(user.id.clone());
        self.authorized = true;
        Ok(user)
    }
}
