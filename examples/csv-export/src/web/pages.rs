//! The HTML pages, written out here rather than with a template engine because they are small:
//! the login form and the export page. Every value from the database goes through [`escape`]. The
//! export page comes in two versions, one per Echo connector ([`Connector`]): `/` loads pusher-js,
//! `/?connector=socket.io` loads socket.io-client; both load Echo and `app.js` from `/assets/` and
//! pass the connector's options as JSON, so the page script is the same.

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::auth::signed_in;
use super::{AppError, AppState};
use crate::db::{Export, User};
use crate::live::user_channel;

/// The Echo connector an export page uses, named as Echo's `broadcaster` option names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Connector {
    /// Echo's Pusher connector (`reverb`) with pusher-js.
    #[default]
    #[serde(rename = "pusher")]
    Pusher,
    /// Echo's `socket.io` connector with socket.io-client.
    #[serde(rename = "socket.io")]
    SocketIo,
}

impl Connector {
    const ALL: [Self; 2] = [Self::Pusher, Self::SocketIo];

    const fn path(self) -> &'static str {
        match self {
            Self::Pusher => "/",
            Self::SocketIo => "/?connector=socket.io",
        }
    }

    const fn label(self) -> &'static str {
        match self {
            Self::Pusher => "Pusher protocol (pusher-js)",
            Self::SocketIo => "Socket.IO (socket.io-client)",
        }
    }

    /// The vendored client library Echo drives.
    const fn client_script(self) -> &'static str {
        match self {
            Self::Pusher => "pusher.min.js",
            Self::SocketIo => "socket.io.min.js",
        }
    }
}

/// The export page's query string.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    connector: Connector,
}

/// `GET /` and `GET /?connector=socket.io`: the export page, or the way to the login form.
pub async fn home(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let Some(user) = signed_in(&session, &state).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let orders = state.db.order_count(user.id).await?;
    let exports = state.db.exports(user.id).await?;
    let echo = match query.connector {
        Connector::Pusher => Some(serde_json::json!(&state.echo.pusher)),
        Connector::SocketIo => state.echo.socket_io.as_ref().map(|o| serde_json::json!(o)),
    };
    let page_config = echo.map(|echo| {
        serde_json::json!({ "echo": echo, "channel": user_channel(user.id) }).to_string()
    });
    let page = ExportPage {
        user: &user,
        orders,
        exports: &exports,
        connector: query.connector,
        config: page_config.as_deref(),
        files: state.mail_dir.is_some(),
    };
    Ok(page.render().into_response())
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

/// What the export page shows.
struct ExportPage<'a> {
    user: &'a User,
    orders: i64,
    /// Past exports, newest first.
    exports: &'a [Export],
    connector: Connector,
    /// The JSON the page script reads (Echo's options and the user's channel); `None` when this
    /// connector has no server to talk to.
    config: Option<&'a str>,
    /// Whether mail goes to `.eml` files rather than SMTP.
    files: bool,
}

impl ExportPage<'_> {
    fn render(&self) -> Html<String> {
        let mailbox = if self.files {
            "Mail is written to files on this machine; the finished export links to its mail."
        } else {
            "Mail goes through the configured SMTP server."
        };
        let (disabled, status, scripts) = match self.config {
            Some(config) => (
                "",
                r#"<p id="status" role="status"></p>"#.to_owned(),
                live_scripts(self.connector, config),
            ),
            None => (" disabled", unavailable(self.connector), String::new()),
        };
        let body = format!(
            r#"<header class="bar">
  <span>Signed in as <strong>{name}</strong> ({email})</span>
  <span id="live" class="live" data-state="connecting" role="status"><span class="dot"></span> <span id="live-text">Connecting…</span></span>
  <form method="post" action="/logout"><button type="submit" class="link">Sign out</button></form>
</header>
<main class="card">
  <h1>Your data</h1>
  {nav}
  <p>You have <strong>{orders}</strong> orders. The export is built in the background and
  e-mailed to you as a CSV file; this page follows it live.</p>
  <button id="export" type="button"{disabled}>Export my data as CSV</button>
  <div id="job" hidden>
    <progress id="progress" max="100" value="0"></progress>
    <span id="percent">0%</span>
  </div>
  {status}
  <ul id="notifications"></ul>
  <p class="hint">{mailbox}</p>
  <h2>Your exports</h2>
  <ul id="exports">{exports}</ul>
</main>
<aside class="card events">
  <h2>Events received</h2>
  <p class="hint">Each event as it arrives through Echo: its name on the wire and its channel.</p>
  <ol id="events"></ol>
</aside>"#,
            name = escape(&self.user.name),
            email = escape(&self.user.email),
            nav = nav(self.connector),
            orders = self.orders,
            exports = self.exports.iter().map(export_item).collect::<String>(),
        );
        Html(layout("Export my data", &body, &scripts))
    }
}

/// One past export: when, how it ended, and its mail when there is one to open.
fn export_item(export: &Export) -> String {
    let outcome = match export.status.as_str() {
        "emailed" => format!("{} rows, e-mailed", export.rows),
        "failed" => format!("failed: {}", export.error.as_deref().unwrap_or("")),
        "running" => "being built".to_owned(),
        _ => "queued".to_owned(),
    };
    let mail = export.mail_file.as_deref().map_or(String::new(), |file| {
        format!(r#" · <a href="/mail/{}">Open the e-mail</a>"#, escape(file))
    });
    format!(
        r#"<li data-export="{id}" data-status="{status}">Export #{id} · {at} UTC · {outcome}{mail}</li>"#,
        id = export.id,
        status = escape(&export.status),
        at = escape(&export.created_at),
        outcome = escape(&outcome),
    )
}

/// The page's settings as JSON, the connector's client library, Echo and the page script.
fn live_scripts(connector: Connector, config: &str) -> String {
    format!(
        r#"<script type="application/json" id="page-config">{config}</script>
<script src="/assets/{client}"></script>
<script src="/assets/echo.iife.js"></script>
<script src="/assets/app.js"></script>"#,
        // JSON inside <script> is raw text: only a closing tag could end it early.
        config = config.replace("</", "<\\/"),
        client = connector.client_script(),
    )
}

/// Links to the export page with each connector, the current one marked.
fn nav(current: Connector) -> String {
    let links: Vec<String> = Connector::ALL
        .iter()
        .map(|&c| {
            let here = if c == current {
                r#" aria-current="page""#
            } else {
                ""
            };
            format!(r#"<a href="{}"{here}>{}</a>"#, c.path(), c.label())
        })
        .collect();
    format!(
        r#"<nav class="connectors">Live updates through {}</nav>"#,
        links.join(" · ")
    )
}

/// The status line of a page whose connector has no server: an outside Pusher-protocol server
/// is not known to speak Socket.IO.
fn unavailable(connector: Connector) -> String {
    format!(
        r#"<p id="status" role="status" class="error">Live updates through {} are unavailable:
  this app broadcasts through an outside server (<code>BROADCAST_CONNECTION</code>), and only the
  in-process Ressò is set up to serve Socket.IO. Use the <a href="{}">{}</a> page instead.</p>"#,
        connector.label(),
        Connector::Pusher.path(),
        Connector::Pusher.label(),
    )
}

/// The HTML around every page's `body`.
#[must_use]
pub fn layout(title: &str, body: &str, scripts: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Ressò CSV export</title>
<link rel="stylesheet" href="/assets/app.css">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
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
    use super::{escape, Connector, ExportPage};
    use crate::db::{Export, User};

    fn render(connector: Connector, config: Option<&str>) -> String {
        let user = User {
            id: 1,
            name: "Ann".into(),
            email: "ann@example.com".into(),
            password_hash: String::new(),
        };
        let exports = [Export {
            id: 4,
            status: "emailed".into(),
            rows: 3,
            mail_file: Some("0b5c-1.eml".into()),
            error: None,
            created_at: "2026-12-07 12:00:00".into(),
        }];
        let page = ExportPage {
            user: &user,
            orders: 3,
            exports: &exports,
            connector,
            config,
            files: true,
        };
        page.render().0
    }

    #[test]
    fn each_connector_loads_its_client_and_links_the_other() {
        let html = render(Connector::SocketIo, Some(r#"{"x":"</script>"}"#));
        assert!(html.contains(r#"src="/assets/socket.io.min.js""#), "{html}");
        assert!(!html.contains("pusher.min.js"), "{html}");
        assert!(html.contains(r#"{"x":"<\/script>"}"#), "{html}");
        assert!(html.contains(r#"<a href="/?connector=socket.io" aria-current="page">"#));
        assert!(html.contains(r#"<a href="/">"#), "{html}");
        let html = render(Connector::Pusher, Some("{}"));
        assert!(html.contains(r#"src="/assets/pusher.min.js""#), "{html}");
        assert!(
            html.contains(r#"<a href="/" aria-current="page">"#),
            "{html}"
        );
    }

    #[test]
    fn past_exports_are_listed_with_their_mail() {
        let html = render(Connector::Pusher, Some("{}"));
        assert!(html.contains("Export #4 · 2026-12-07 12:00:00 UTC · 3 rows, e-mailed"));
        assert!(html.contains(r#"<a href="/mail/0b5c-1.eml">Open the e-mail</a>"#));
        assert!(html.contains(r#"id="live""#) && html.contains(r#"id="events""#));
    }

    #[test]
    fn a_connector_without_a_server_says_so_and_loads_nothing() {
        let html = render(Connector::SocketIo, None);
        assert!(
            html.contains("Socket.IO (socket.io-client) are unavailable"),
            "{html}"
        );
        assert!(html.contains(r#"type="button" disabled>"#), "{html}");
        assert!(!html.contains("<script"), "{html}");
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }
}
