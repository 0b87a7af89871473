//! A real SMTP server for the mail tests, as the issue asks: Python's `aiosmtpd` (from PyPI;
//! `.ci/run` installs it) runs as a child process on a free loopback port and stores every mail
//! it receives in a temporary maildir, which the test reads back ([`SmtpSink::wait_for`]).
//! Tessera talks to it over plain SMTP, as to any relay on the same machine. A missing
//! `python3` or `aiosmtpd` fails the test, never skips it.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use tempfile::TempDir;

const HOST: &str = "127.0.0.1";
const INSTALL: &str = "python3 -m pip install aiosmtpd";
/// How long the server may take to come up, and a mail to arrive.
const PATIENCE: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(50);

/// One mail as the SMTP server stored it, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The `To` header as sent (RFC 2047 decoded), e.g. `jane@example.com`.
    pub to: String,
    /// The `From` header as sent (RFC 2047 decoded).
    pub from: String,
    /// The subject, unfolded and RFC 2047 decoded.
    pub subject: String,
    /// The body (the `text/html` part of a multipart mail), transfer encoding undone.
    pub html: String,
    /// The envelope recipients (`RCPT TO`), as the server recorded them.
    envelope_to: Vec<String>,
}

/// `python3 -m aiosmtpd` on a loopback port, storing mails in a temporary maildir. Dropping it
/// stops the server.
pub struct SmtpSink {
    child: Child,
    port: u16,
    maildir: PathBuf,
    _dir: TempDir,
}

impl SmtpSink {
    /// Starts the server and waits (at most 20 s) until it greets on its port.
    pub fn start() -> SmtpSink {
        // Another process may take the free port between our look and aiosmtpd's bind: retry.
        let mut failures = Vec::new();
        for _ in 0..5 {
            match Self::try_start() {
                Ok(sink) => return sink,
                Err(Retry(why)) => failures.push(why),
            }
        }
        panic!("aiosmtpd did not start: {}", failures.join("\n---\n"));
    }

    fn try_start() -> Result<SmtpSink, Retry> {
        let port = TcpListener::bind((HOST, 0))
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .expect("a free loopback port");
        let dir = tempfile::tempdir().expect("a temporary directory for the maildir");
        // Python's maildir creates `new`, `cur` and `tmp` only in a directory it creates.
        let maildir = dir.path().join("maildir");
        let log_path = dir.path().join("aiosmtpd.log");
        let log = std::fs::File::create(&log_path).expect("a log file for aiosmtpd");
        let child = Command::new("python3")
            // -n: no setuid to `nobody` (as root it would, and then could not write the maildir).
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("{HOST}:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run python3 for the SMTP server ({e}): install Python 3 and `{INSTALL}`")
            });
        let mut sink = SmtpSink {
            child,
            port,
            maildir,
            _dir: dir,
        };
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = sink
                .child
                .try_wait()
                .expect("the aiosmtpd process's status")
            {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                if log.contains("No module named aiosmtpd") {
                    panic!("the mail tests need Python's aiosmtpd: run `{INSTALL}`\n{log}");
                }
                if log.contains("address already in use") {
                    return Err(Retry(format!("port {port} taken: {log}")));
                }
                panic!(
                    "aiosmtpd exited ({status}) on starting; is it installed (`{INSTALL}`)?\n{log}"
                );
            }
            if sink.greets() {
                return Ok(sink);
            }
            if Instant::now() >= deadline {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                panic!("aiosmtpd did not answer on {HOST}:{port} within 20 s\n{log}");
            }
            // A process starting: there is nothing to wait on but the socket.
            std::thread::sleep(POLL);
        }
    }

    /// Whether the port answers with an SMTP greeting (not merely accepts: another process
    /// may have taken it).
    fn greets(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect((HOST, self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let mut greeting = [0; 4];
        stream.read_exact(&mut greeting).is_ok() && &greeting == b"220 "
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn host(&self) -> &str {
        HOST
    }

    /// Every mail received so far, in the order they arrived.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        let mut files: Vec<(u64, PathBuf)> = ["new", "cur"]
            .iter()
            .filter_map(|folder| std::fs::read_dir(self.maildir.join(folder)).ok())
            .flatten()
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .map(|path| (arrival(&path), path))
            .collect();
        files.sort();
        files
            .iter()
            .filter_map(|(_, path)| std::fs::read(path).ok())
            .map(|raw| parse_mail(&String::from_utf8_lossy(&raw)))
            .collect()
    }

    /// The first mail to `to` whose subject contains `subject_contains`, once it arrived
    /// (within 20 s of real time: this waits for a delivery, not for an expiry).
    pub async fn wait_for(&self, to: &str, subject_contains: &str) -> ReceivedMail {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let messages = self.messages();
            if let Some(mail) = messages
                .iter()
                .find(|mail| mail.is_to(to) && mail.subject.contains(subject_contains))
            {
                return mail.clone();
            }
            if Instant::now() >= deadline {
                let arrived: Vec<String> = messages
                    .iter()
                    .map(|mail| format!("to {:?}, subject {:?}", mail.to, mail.subject))
                    .collect();
                panic!(
                    "no mail to {to} with a subject containing {subject_contains:?} within 20 s; \
                     arrived: {arrived:#?}"
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port was taken before aiosmtpd could bind it.
struct Retry(String);

/// The first `href="…"` in the mail's HTML whose URL contains `path_contains`, with `&amp;`
/// unescaped.
pub fn link_in(mail: &ReceivedMail, path_contains: &str) -> String {
    let links: Vec<String> = mail
        .html
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"'))
        .map(|(url, _)| url.replace("&amp;", "&"))
        .collect();
    links
        .iter()
        .find(|url| url.contains(path_contains))
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "no link containing {path_contains:?} in the mail {:?}; its links: {links:#?}",
                mail.subject
            )
        })
}

impl ReceivedMail {
    /// Whether `address` is a recipient: in the `To` header or the envelope.
    fn is_to(&self, address: &str) -> bool {
        self.to
            .split(',')
            .map(bare_address)
            .chain(self.envelope_to.iter().map(|a| bare_address(a)))
            .any(|a| a.eq_ignore_ascii_case(address.trim()))
    }
}

/// `Jane <jane@example.com>` → `jane@example.com`.
fn bare_address(value: &str) -> &str {
    match value.rsplit_once('<') {
        Some((_, rest)) => rest.split('>').next().unwrap_or(rest).trim(),
        None => value.trim(),
    }
}

/// The order Python's maildir names files in: `<seconds>.M<µs>P<pid>Q<counter>.<host>`, the
/// counter rising with each mail the server stores.
fn arrival(path: &Path) -> u64 {
    path.file_name()
        .and_then(|name| name.to_str())
        .and_then(|name| name.split('.').nth(1))
        .and_then(|unique| unique.rsplit_once('Q'))
        .and_then(|(_, counter)| counter.parse().ok())
        .unwrap_or(u64::MAX)
}

fn parse_mail(raw: &str) -> ReceivedMail {
    let raw = raw.replace("\r\n", "\n");
    let (headers, body) = split_part(&raw);
    let header = |name: &str| decode_header(find_header(&headers, name).unwrap_or_default());
    ReceivedMail {
        to: header("to"),
        from: header("from"),
        subject: header("subject"),
        html: decode_body(&headers, body),
        envelope_to: find_header(&headers, "x-rcptto")
            .unwrap_or_default()
            .split(',')
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())
            .collect(),
    }
}

/// A part's unfolded headers (names lowercased) and its body; line ends are `\n`.
fn split_part(part: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = part
        .split_once("\n\n")
        .unwrap_or((part.trim_end_matches('\n'), ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            // A continuation: unfolding removes the line break only.
            if let Some((_, value)) = headers.last_mut() {
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((
                name.trim().to_ascii_lowercase(),
                value.trim_start().to_owned(),
            ));
        }
    }
    for (_, value) in &mut headers {
        *value = value.trim_end().to_owned();
    }
    (headers, body)
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, value)| value.as_str())
}

/// The body's text: the first `text/html` part of a multipart body (else its first part), its
/// transfer encoding (quoted-printable, base64) undone.
fn decode_body(headers: &[(String, String)], body: &str) -> String {
    let content_type = find_header(headers, "content-type").unwrap_or("text/plain");
    if content_type.to_ascii_lowercase().starts_with("multipart/") {
        if let Some(boundary) = parameter(content_type, "boundary") {
            let delimiter = format!("--{boundary}");
            let parts: Vec<(Vec<(String, String)>, &str)> = body
                .split(delimiter.as_str())
                .skip(1)
                .take_while(|part| !part.starts_with("--"))
                .map(|part| split_part(part.strip_prefix('\n').unwrap_or(part)))
                .collect();
            let is_html = |headers: &[(String, String)]| {
                find_header(headers, "content-type")
                    .is_some_and(|t| t.to_ascii_lowercase().starts_with("text/html"))
            };
            let chosen = parts
                .iter()
                .find(|(headers, _)| is_html(headers))
                .or_else(|| parts.first());
            if let Some((headers, body)) = chosen {
                // The line break before the next delimiter belongs to the delimiter.
                return decode_body(headers, body.strip_suffix('\n').unwrap_or(body));
            }
        }
    }
    let encoding = find_header(headers, "content-transfer-encoding")
        .unwrap_or("7bit")
        .trim()
        .to_ascii_lowercase();
    match encoding.as_str() {
        "quoted-printable" => String::from_utf8_lossy(&decode_quoted_printable(body)).into_owned(),
        "base64" => {
            let text: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            match base64::engine::general_purpose::STANDARD.decode(text) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(e) => panic!("a base64 mail body that does not decode ({e}): {body}"),
            }
        }
        _ => body.to_owned(),
    }
}

/// A `name=value` (or `name="value"`) parameter of a header such as `Content-Type`.
fn parameter(header: &str, name: &str) -> Option<String> {
    header.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// Quoted-printable (RFC 2045): `=` at a line's end is a soft line break, `=XX` a byte.
fn decode_quoted_printable(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'=' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let rest = &bytes[i + 1..];
        if rest.starts_with(b"\r\n") {
            i += 3;
        } else if rest.starts_with(b"\n") {
            i += 2;
        } else if let Some(byte) = rest.get(..2).and_then(hex_byte) {
            out.push(byte);
            i += 3;
        } else {
            out.push(b'=');
            i += 1;
        }
    }
    out
}

fn hex_byte(two: &[u8]) -> Option<u8> {
    let digit = |b: u8| char::from(b).to_digit(16);
    u8::try_from(digit(two[0])? * 16 + digit(two[1])?).ok()
}

/// A header value with its RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`)
/// decoded; the white space between two adjacent encoded words goes, as the RFC says.
fn decode_header(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_encoded_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, word) = rest.split_at(start);
        match encoded_word(word) {
            Some((decoded, len)) => {
                if !(after_encoded_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&decoded);
                rest = &word[len..];
                after_encoded_word = true;
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = &word[2..];
                after_encoded_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The encoded word at the start of `text` (`=?charset?encoding?text?=`), decoded, and its
/// length.
fn encoded_word(text: &str) -> Option<(String, usize)> {
    let (charset, rest) = text.strip_prefix("=?")?.split_once('?')?;
    let (encoding, rest) = rest.split_once('?')?;
    let end = rest.find("?=")?;
    let encoded = &rest[..end];
    if encoded.contains(char::is_whitespace) {
        return None;
    }
    let bytes = match encoding.to_ascii_lowercase().as_str() {
        "b" => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()?,
        "q" => decode_quoted_printable(&encoded.replace('_', " ")),
        _ => return None,
    };
    let charset = charset
        .split('*')
        .next()
        .unwrap_or(charset)
        .to_ascii_lowercase();
    let decoded = match charset.as_str() {
        "iso-8859-1" | "latin1" => bytes.iter().map(|&b| char::from(b)).collect(),
        _ => String::from_utf8_lossy(&bytes).into_owned(),
    };
    let len = text.len() - rest.len() + end + "?=".len();
    Some((decoded, len))
}
