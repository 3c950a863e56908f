//! Mail: where Loupe's mail goes and how a letter is put together. One setting says where: an SMTP server,
//! `smtp://user:pass@host:port?tls=starttls|tls|none` (STARTTLS on 587 by default, implicit TLS on 465, plain on
//! 25 for a relay on the same host), or a directory, `file:///var/mail/loupe`, that takes each message as an
//! `.eml` file (for development: nothing leaves the machine). It comes from `--smtp-url` / `LOUPE_SMTP_URL`, or
//! from `smtp_url` in the data directory's `settings.json`; the sender likewise from `--mail-from` /
//! `LOUPE_MAIL_FROM` or `mail_from`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

/// The sender when none is set.
pub const DEFAULT_FROM: &str = "Loupe <loupe@localhost>";

/// Where mail goes and who it is from, as set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `smtp://…` or `file:///dir`.
    pub url: String,
    /// The sender, `Name <address>` or an address.
    pub from: String,
}

impl Settings {
    /// The settings from the flags (and their environment variables) or, for what they leave out, the data
    /// directory's `settings.json`; `None` when no mail URL is set anywhere.
    pub fn find(url: Option<&str>, from: Option<&str>, data: &Path) -> Result<Option<Settings>> {
        let file = data.join("settings.json");
        let saved: serde_json::Value = match std::fs::read_to_string(&file) {
            Ok(text) => serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => serde_json::Value::Null,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
        };
        let saved_str = |key: &str| saved.get(key).and_then(serde_json::Value::as_str).map(str::to_string);
        let Some(url) = url.map(str::to_string).filter(|u| !u.trim().is_empty()).or_else(|| saved_str("smtp_url"))
        else {
            return Ok(None);
        };
        let from = from
            .map(str::to_string)
            .filter(|f| !f.trim().is_empty())
            .or_else(|| saved_str("mail_from"))
            .unwrap_or_else(|| DEFAULT_FROM.to_string());
        Ok(Some(Settings { url, from }))
    }
}

/// A file sent with a letter.
#[derive(Debug, Clone)]
pub struct File {
    /// Its name, as the recipient saves it.
    pub name: String,
    /// Its MIME type.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A letter: who gets it, the subject, a plain-text body and, when given, the same as HTML, and files.
#[derive(Debug, Clone)]
pub struct Letter {
    /// Its recipients.
    pub to: Vec<String>,
    /// Its subject.
    pub subject: String,
    /// The body as plain text (what every reader can show).
    pub text: String,
    /// The body as HTML.
    pub html: Option<String>,
    /// Files attached.
    pub files: Vec<File>,
}

impl Letter {
    /// The letter's size as sent, near enough: its files (base64 grows them by a third) and bodies.
    pub fn size(&self) -> usize {
        let files: usize = self.files.iter().map(|f| f.bytes.len()).sum();
        files * 4 / 3 + self.text.len() + self.html.as_ref().map_or(0, String::len)
    }
}

/// Where mail goes.
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

/// Sends letters by SMTP or into a directory.
pub struct Outbox {
    transport: Transport,
    from: Mailbox,
    /// Where it sends, for messages (never with the password).
    pub target: String,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").field("target", &self.target).field("from", &self.from.to_string()).finish()
    }
}

impl Outbox {
    /// The outbox the settings describe; a bad URL or sender is an error that names it.
    pub fn new(settings: &Settings) -> Result<Outbox> {
        let from: Mailbox =
            settings.from.parse().with_context(|| format!("mail_from {:?}: not an address", settings.from))?;
        let url = url::Url::parse(settings.url.trim())
            .with_context(|| format!("smtp_url {:?}: not a URL", redact(&settings.url)))?;
        let (transport, target) = match url.scheme() {
            "file" => {
                let dir = url
                    .to_file_path()
                    .map_err(|()| anyhow::anyhow!("smtp_url {}: not a directory path", url.as_str()))?;
                std::fs::create_dir_all(&dir).with_context(|| format!("cannot make the mail directory {dir:?}"))?;
                (Transport::Files(AsyncFileTransport::new(&dir)), format!("the directory {}", dir.display()))
            }
            "smtp" => {
                let host = url.host_str().filter(|h| !h.is_empty()).context("smtp_url: no host")?.to_string();
                let tls = url
                    .query_pairs()
                    .find(|(k, _)| k == "tls")
                    .map_or_else(|| "starttls".to_string(), |(_, v)| v.to_lowercase());
                let (builder, port) = match tls.as_str() {
                    "starttls" => (AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host)?, 587),
                    "tls" => (AsyncSmtpTransport::<Tokio1Executor>::relay(&host)?, 465),
                    "none" => (AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host), 25),
                    other => bail!("smtp_url: tls={other:?} is not one of starttls, tls, none"),
                };
                let port = url.port().unwrap_or(port);
                let mut builder = builder.port(port).timeout(Some(Duration::from_secs(30)));
                if !url.username().is_empty() {
                    let user = decode(url.username());
                    let pass = decode(url.password().unwrap_or_default());
                    builder = builder.credentials(Credentials::new(user, pass));
                }
                (Transport::Smtp(builder.build()), format!("smtp://{host}:{port} (tls={tls})"))
            }
            other => bail!("smtp_url: the scheme {other:?} is not smtp or file"),
        };
        Ok(Outbox { transport, from, target })
    }

    /// The sender's address.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// Sends `letter` with `message_id` (`<…@…>`); the error says why the server or directory refused it.
    pub async fn send(&self, letter: &Letter, message_id: &str) -> Result<()> {
        let message = self.message(letter, message_id)?;
        match &self.transport {
            Transport::Smtp(t) => {
                t.send(message).await.context("the mail server refused or was unreachable")?;
            }
            Transport::Files(t) => {
                t.send(message).await.context("the mail directory refused the message")?;
            }
        }
        Ok(())
    }

    /// The MIME message: text (and HTML, as alternatives), then the files.
    pub fn message(&self, letter: &Letter, message_id: &str) -> Result<Message> {
        let mut b = Message::builder()
            .from(self.from.clone())
            .subject(letter.subject.clone())
            .message_id(Some(message_id.to_string()))
            .date_now();
        for to in &letter.to {
            b = b.to(to.parse().with_context(|| format!("recipient {to:?}: not an address"))?);
        }
        let body = match &letter.html {
            Some(html) => MultiPart::alternative()
                .singlepart(SinglePart::plain(letter.text.clone()))
                .singlepart(SinglePart::html(html.clone())),
            None => MultiPart::mixed().singlepart(SinglePart::plain(letter.text.clone())),
        };
        let mut all = MultiPart::mixed().multipart(body);
        for f in &letter.files {
            let ty = ContentType::parse(f.content_type).with_context(|| format!("content type {}", f.content_type))?;
            all = all.singlepart(Attachment::new(f.name.clone()).body(f.bytes.clone(), ty));
        }
        Ok(b.multipart(all)?)
    }

    /// A message id in the sender's domain, unique to `key` and this instant.
    pub fn message_id(&self, key: &str) -> String {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        format!("<loupe.{key}.{nanos:x}@{}>", self.from.email.domain())
    }
}

/// A URL's user or password as written, percent-decoding undone.
fn decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A mail URL fit for a log: the password replaced — in one that does not parse, everything between `://` and
/// the last `@`, where a user and password would be.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(_) => url.to_string(),
        Err(_) => match (url.find("://"), url.rfind('@')) {
            (Some(start), Some(at)) if at > start + 3 => format!("{}***{}", &url[..start + 3], &url[at..]),
            _ => url.to_string(),
        },
    }
}

/// The directory a `file://` mail URL names, for tests and `loupe` messages.
pub fn directory(url: &str) -> Option<PathBuf> {
    url::Url::parse(url).ok().filter(|u| u.scheme() == "file").and_then(|u| u.to_file_path().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox(url: &str) -> Result<Outbox> {
        Outbox::new(&Settings { url: url.into(), from: "Loupe <reports@shop.example>".into() })
    }

    #[test]
    fn smtp_urls_say_host_port_and_tls() -> Result<()> {
        assert_eq!(outbox("smtp://mail.example.com")?.target, "smtp://mail.example.com:587 (tls=starttls)");
        assert_eq!(outbox("smtp://u:p@mail.example.com?tls=tls")?.target, "smtp://mail.example.com:465 (tls=tls)");
        assert_eq!(outbox("smtp://127.0.0.1:2525?tls=none")?.target, "smtp://127.0.0.1:2525 (tls=none)");
        Ok(())
    }

    #[test]
    fn bad_settings_name_what_is_wrong() {
        let e = |url: &str| outbox(url).map(|_| ()).unwrap_err().to_string();
        assert!(e("smtp://h?tls=maybe").contains("tls=\"maybe\""), "{}", e("smtp://h?tls=maybe"));
        assert!(e("imap://h").contains("\"imap\""));
        assert!(e("not a url").starts_with("smtp_url"));
        let bad_from = Outbox::new(&Settings { url: "smtp://h".into(), from: "nobody".into() });
        assert!(bad_from.unwrap_err().to_string().starts_with("mail_from \"nobody\""));
    }

    #[test]
    fn passwords_are_decoded_and_kept_out_of_logs() {
        assert_eq!(decode("p%40ss+w%2Fd"), "p@ss+w/d");
        assert_eq!(redact("smtp://ann:secret@mail.example.com:587"), "smtp://ann:***@mail.example.com:587");
        assert_eq!(redact("file:///tmp/mail"), "file:///tmp/mail");
        // a URL that does not parse (a port too large) still hides what may be a password
        assert_eq!(redact("smtp://ann:secret@mail.example.com:99999"), "smtp://***@mail.example.com:99999");
        let e = outbox("smtp://ann:secret@mail.example.com:99999").unwrap_err();
        assert!(!format!("{e:#}").contains("secret"), "{e:#}");
    }

    #[test]
    fn settings_come_from_flags_then_the_settings_file() -> Result<()> {
        let dir = tempfile::tempdir()?;
        assert_eq!(Settings::find(None, None, dir.path())?, None);
        std::fs::write(
            dir.path().join("settings.json"),
            r#"{"smtp_url": "smtp://relay.example:25?tls=none", "mail_from": "Books <books@shop.example>"}"#,
        )?;
        let s = Settings::find(None, None, dir.path())?.context("from the file")?;
        assert_eq!(
            (s.url.as_str(), s.from.as_str()),
            ("smtp://relay.example:25?tls=none", "Books <books@shop.example>")
        );
        let s = Settings::find(Some("file:///tmp/x"), None, dir.path())?.context("from the flag")?;
        assert_eq!((s.url.as_str(), s.from.as_str()), ("file:///tmp/x", "Books <books@shop.example>"));
        Ok(())
    }
}
