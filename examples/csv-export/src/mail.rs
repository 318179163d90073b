//! Sending the export mail: through SMTP when `SMTP_URL` is set, else as an `.eml` file in the data
//! folder (lettre's file transport) that the page links to. The one `match` on the transport is
//! here; the worker only asks for a mail to be sent.

use std::path::{Path, PathBuf};

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Why a mail could not be built or sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address: {0}")]
    Address(#[from] lettre::address::AddressError),
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("cannot write the mail file: {0}")]
    File(#[from] lettre::transport::file::Error),
}

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in this folder, served under `/mail/`.
    Files(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

/// What became of a sent mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Smtp,
    /// The file name (`{uuid}.eml`) inside the mail folder.
    File(String),
}

/// A CSV export mail for one user.
pub struct ExportMail<'a> {
    pub from: &'a str,
    pub to_name: &'a str,
    pub to_email: &'a str,
    pub rows: u64,
    pub csv: Vec<u8>,
}

impl Mailer {
    /// An SMTP mailer for `smtp://host:port` URLs (lettre's URL format, so `smtps://` and credentials
    /// work too).
    ///
    /// # Errors
    /// A URL lettre cannot read.
    pub fn smtp(url: &str) -> Result<Self, MailError> {
        Ok(Self::Smtp(
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build(),
        ))
    }

    /// A mailer writing `.eml` files into `dir` (created if missing).
    ///
    /// # Errors
    /// When the folder cannot be created.
    pub fn files(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self::Files(AsyncFileTransport::new(dir), dir.to_owned()))
    }

    /// The folder `.eml` files go to, if that is where mail goes.
    #[must_use]
    pub fn folder(&self) -> Option<&Path> {
        match self {
            Self::Smtp(_) => None,
            Self::Files(_, dir) => Some(dir),
        }
    }

    /// Sends `mail`.
    ///
    /// # Errors
    /// A [`MailError`] from building or sending.
    pub async fn send(&self, mail: ExportMail<'_>) -> Result<Sent, MailError> {
        let message = build(mail)?;
        match self {
            Self::Smtp(smtp) => {
                smtp.send(message).await?;
                Ok(Sent::Smtp)
            }
            Self::Files(files, _) => {
                let id = files.send(message).await?;
                Ok(Sent::File(format!("{id}.eml")))
            }
        }
    }
}

fn build(mail: ExportMail<'_>) -> Result<Message, MailError> {
    let to = Mailbox::new(Some(mail.to_name.to_owned()), mail.to_email.parse()?);
    let text = format!(
        "Hello {},\n\nattached is the CSV export of your data you asked for ({} rows).\n",
        mail.to_name, mail.rows
    );
    let attachment = Attachment::new("my-data.csv".to_owned()).body(
        mail.csv,
        ContentType::parse("text/csv; charset=utf-8").expect("valid MIME type"),
    );
    Ok(Message::builder()
        .from(mail.from.parse()?)
        .to(to)
        .subject("Your CSV export")
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(text))
                .singlepart(attachment),
        )?)
}
