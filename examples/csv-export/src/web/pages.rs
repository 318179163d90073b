//! The two HTML pages, written out here rather than with a template engine because they are
//! small: the login form and the export page. Every value from the database goes through
//! [`escape`]. The export page loads Echo and pusher-js from `/assets/` and passes the connection
//! settings as JSON; a second page using Echo's `socket.io` connector would differ only in those
//! settings and the scripts it loads (`socket.io-client` instead of pusher-js).

use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use tower_sessions::Session;

use super::auth::signed_in;
use super::{AppError, AppState};
use crate::db::User;
use crate::live::user_channel;

/// `GET /`: the export page, or the way to the login form.
pub async fn home(State(state): State<AppState>, session: Session) -> Result<Response, AppError> {
    let Some(user) = signed_in(&session, &state).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let orders = state.db.order_count(user.id).await?;
    let page_config = serde_json::json!({ "echo": &*state.echo, "channel": user_channel(user.id) });
    Ok(export_page(
        &user,
        orders,
        &page_config.to_string(),
        state.mail_dir.is_some(),
    )
    .into_response())
}

/// `GET /login`.
pub async fn login() -> Html<String> {
    login_page(None, "")
}

/// The login form, with an error and the e-mail typed so far after a failed attempt.
pub fn login_page(error: Option<&str>, email: &str) -> Html<String> {
    let error = error.map_or(String::new(), |e| {
        format!(r#"<p class="error" role="alert">{}</p>"#, escape(e))
    });
    let body = format!(
        r#"<main class="card narrow">
  <h1>Sign in</h1>
  {error}
  <form method="post" action="/login">
    <label>E-mail <input type="email" name="email" value="{email}" required autofocus></label>
    <label>Password <input type="password" name="password" required></label>
    <button type="submit">Sign in</button>
  </form>
  <p class="hint">Demo logins: <code>demo@example.com</code> or <code>second@example.com</code>,
  password <code>password</code>.</p>
</main>"#,
        email = escape(email),
    );
    Html(layout("Sign in", &body, ""))
}

/// `config` is the JSON the page script reads: Echo's options and the user's channel.
fn export_page(user: &User, orders: i64, config: &str, files: bool) -> Html<String> {
    let mailbox = if files {
        "Mail is written to files on this machine; the finished export links to its mail."
    } else {
        "Mail goes through the configured SMTP server."
    };
    let body = format!(
        r#"<header class="bar">
  <span>Signed in as <strong>{name}</strong> ({email})</span>
  <form method="post" action="/logout"><button type="submit" class="link">Sign out</button></form>
</header>
<main class="card">
  <h1>Your data</h1>
  <p>You have <strong>{orders}</strong> orders. The export is built in the background and
  e-mailed to you as a CSV file; this page follows it live.</p>
  <button id="export" type="button">Export my data as CSV</button>
  <div id="job" hidden>
    <progress id="progress" max="100" value="0"></progress>
    <span id="percent">0%</span>
  </div>
  <p id="status" role="status"></p>
  <ul id="notifications"></ul>
  <p class="hint">{mailbox}</p>
</main>
<script type="application/json" id="page-config">{config}</script>"#,
        name = escape(&user.name),
        email = escape(&user.email),
        // JSON inside <script> is raw text: only a closing tag could end it early.
        config = config.replace("</", "<\\/"),
    );
    let scripts = r#"<script src="/assets/pusher.min.js"></script>
<script src="/assets/echo.iife.js"></script>
<script src="/assets/app.js"></script>"#;
    Html(layout("Export my data", &body, scripts))
}

fn layout(title: &str, body: &str, scripts: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Ressò CSV export</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
{body}
{scripts}
</body>
</html>"#
    )
}

/// Escapes text for HTML element content and quoted attribute values.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }
}
