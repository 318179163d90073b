//! Opening a mailed export in the browser, when mail goes to `.eml` files: `GET /mail/{file}` shows
//! the message (its headers, its text, its attachments as download links),
//! `/mail/{file}/attachments/{n}` downloads one attachment and `/mail/{file}/raw` the `.eml` itself.
//! Only the user the export belongs to can open it.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use mail_parser::{Message, MessageParser, MimeHeaders};

use super::auth::CurrentUser;
use super::pages::{escape, layout};
use super::{AppError, AppState};

/// `GET /mail/{file}`: the mail as a page.
pub async fn show(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let Some(bytes) = read(&state, user.id, &file).await? else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    Ok(match render(&file, &bytes) {
        Some(page) => Html(page).into_response(),
        None => (StatusCode::UNPROCESSABLE_ENTITY, "not a readable mail").into_response(),
    })
}

/// `GET /mail/{file}/attachments/{n}`: the `n`th attachment, as a download.
pub async fn attachment(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((file, n)): Path<(String, usize)>,
) -> Result<Response, AppError> {
    let Some(bytes) = read(&state, user.id, &file).await? else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let message = MessageParser::default().parse(&bytes);
    let Some(part) = message.as_ref().and_then(|m| m.attachments().nth(n)) else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let name = safe_file_name(part.attachment_name().unwrap_or("attachment"));
    let headers = [
        (header::CONTENT_TYPE, content_type(part)),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ),
    ];
    Ok((headers, part.contents().to_vec()).into_response())
}

/// `GET /mail/{file}/raw`: the `.eml` file.
pub async fn raw(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let Some(bytes) = read(&state, user.id, &file).await? else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let headers = [
        (header::CONTENT_TYPE, "message/rfc822".to_owned()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ),
    ];
    Ok((headers, bytes).into_response())
}

/// The mail file's bytes, when mail goes to files and `user_id` owns it.
async fn read(state: &AppState, user_id: i64, file: &str) -> Result<Option<Vec<u8>>, AppError> {
    let (Some(dir), true) = (&state.mail_dir, is_mail_file_name(file)) else {
        return Ok(None);
    };
    if !state.db.owns_mail(user_id, file).await? {
        return Ok(None);
    }
    Ok(Some(tokio::fs::read(dir.join(file)).await?))
}

/// The mail as an HTML page; `None` when it does not parse.
#[must_use]
pub fn render(file: &str, bytes: &[u8]) -> Option<String> {
    let message = MessageParser::default().parse(bytes)?;
    let header = |name: &str, value: String| format!("<dt>{name}</dt><dd>{}</dd>", escape(&value));
    let headers = [
        header("From", addresses(message.from())),
        header("To", addresses(message.to())),
        header("Subject", message.subject().unwrap_or("").to_owned()),
        header(
            "Date",
            message.date().map(|d| d.to_rfc822()).unwrap_or_default(),
        ),
    ]
    .concat();
    let text = message.body_text(0).unwrap_or_default();
    let body = format!(
        r#"<main class="card mail">
  <p><a href="/">← Back to your exports</a></p>
  <dl class="headers">{headers}</dl>
  <pre class="body">{text}</pre>
  <h2>Attachments</h2>
  <ul class="attachments">{attachments}</ul>
  <p class="hint"><a href="/mail/{file}/raw" download>Download the whole message (.eml)</a></p>
</main>"#,
        text = escape(&text),
        attachments = attachment_links(file, &message),
    );
    Some(layout("Your CSV export (e-mail)", &body, ""))
}

fn attachment_links(file: &str, message: &Message<'_>) -> String {
    message
        .attachments()
        .enumerate()
        .map(|(n, part)| {
            let name = part.attachment_name().unwrap_or("attachment");
            let size = part.contents().len();
            format!(
                r#"<li><a href="/mail/{file}/attachments/{n}" download="{name}">{name}</a> ({size} bytes, {kind})</li>"#,
                name = escape(name),
                kind = escape(&content_type(part)),
            )
        })
        .collect()
}

fn addresses(address: Option<&mail_parser::Address<'_>>) -> String {
    let Some(address) = address else {
        return String::new();
    };
    address
        .iter()
        .map(|a| match (a.name(), a.address()) {
            (Some(name), Some(email)) => format!("{name} <{email}>"),
            (None, Some(email)) => email.to_owned(),
            (Some(name), None) => name.to_owned(),
            (None, None) => String::new(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn content_type<'x>(part: &impl MimeHeaders<'x>) -> String {
    part.content_type().map_or_else(
        || "application/octet-stream".to_owned(),
        |t| match t.subtype() {
            Some(sub) => format!("{}/{sub}", t.ctype()),
            None => t.ctype().to_owned(),
        },
    )
}

/// An attachment name safe inside a quoted header value.
fn safe_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Only names lettre's file transport makes (`{uuid}.eml`), so no path can reach outside the folder.
fn is_mail_file_name(name: &str) -> bool {
    name.strip_suffix(".eml").is_some_and(|stem| {
        !stem.is_empty() && stem.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
    })
}

#[cfg(test)]
mod tests {
    use super::{is_mail_file_name, render};

    const MAIL: &str = "From: Exports <exports@example.com>\r\n\
To: Ann <ann@example.com>\r\n\
Subject: Your CSV export\r\n\
Date: Mon, 7 Dec 2026 12:00:00 +0000\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Hello Ann <3\r\n\
--b\r\n\
Content-Type: text/csv; charset=utf-8\r\n\
Content-Disposition: attachment; filename=\"my-data.csv\"\r\n\
\r\n\
order_id,item\r\n\
1,tea\r\n\
--b--\r\n";

    #[test]
    fn a_mail_shows_its_headers_text_and_attachment() {
        let page = render("0b5c-1.eml", MAIL.as_bytes()).unwrap();
        assert!(
            page.contains("Exports &lt;exports@example.com&gt;"),
            "{page}"
        );
        assert!(page.contains("Ann &lt;ann@example.com&gt;"), "{page}");
        assert!(page.contains("Your CSV export"), "{page}");
        assert!(page.contains("Hello Ann &lt;3"), "{page}");
        assert!(page.contains(r#"href="/mail/0b5c-1.eml/attachments/0" download="my-data.csv""#));
        assert!(page.contains("text/csv"), "{page}");
    }

    #[test]
    fn only_uuid_eml_names_are_served() {
        assert!(is_mail_file_name(
            "0b5c2f1e-7a3d-4e8b-9c1d-2f3a4b5c6d7e.eml"
        ));
        assert!(!is_mail_file_name("../app.db"));
        assert!(!is_mail_file_name(".eml"));
        assert!(!is_mail_file_name("abc.txt"));
    }
}
