//! The mail tests' SMTP server ([`crate::support::smtp`]) itself: a mail sent with `lettre`, as
//! Tessera sends them, arrives and reads back decoded — a non-ASCII subject (RFC 2047), an HTML
//! body with a line too long for 7bit (quoted-printable), and its links.

use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::support::smtp::{link_in, SmtpSink};

fn transport(sink: &SmtpSink) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(sink.host())
        .port(sink.port())
        .build()
}

#[tokio::test]
async fn a_mail_sent_with_lettre_arrives_decoded() {
    let sink = SmtpSink::start();
    let subject =
        "Vérifiez votre adresse & bienvenue chez Tessera, un sujet assez long pour être plié";
    let html = format!(
        "<html><body><p>Bonjour Jane, {}</p>\n\
         <p><a href=\"https://x.example/other\">not this one</a> \
         <a href=\"https://x.example/u?a=1&amp;b=2\">Verify your address</a></p></body></html>\n",
        "please click the link below to verify your address. ".repeat(3)
    );
    let message = Message::builder()
        .from("Tessera <no-reply@tessera.example>".parse().unwrap())
        .to("jane@example.com".parse().unwrap())
        .subject(subject)
        .header(ContentType::TEXT_HTML)
        .body(html.clone())
        .unwrap();
    let formatted = String::from_utf8(message.formatted()).unwrap();
    assert!(
        formatted.contains("Content-Transfer-Encoding: quoted-printable"),
        "{formatted}"
    );
    assert!(formatted.contains("Subject: =?utf-8?b?"), "{formatted}");
    transport(&sink).send(message).await.unwrap();

    let mail = sink.wait_for("jane@example.com", "bienvenue").await;
    assert_eq!(mail.subject, subject);
    assert_eq!(mail.to, "jane@example.com");
    assert_eq!(mail.from, "Tessera <no-reply@tessera.example>");
    assert_eq!(mail.html.replace("\r\n", "\n").trim_end(), html.trim_end());
    assert_eq!(link_in(&mail, "/u?"), "https://x.example/u?a=1&b=2");
    assert_eq!(sink.messages(), vec![mail]);
}

#[tokio::test]
async fn mails_read_back_in_order_with_folded_and_q_encoded_headers() {
    let sink = SmtpSink::start();
    let transport = transport(&sink);
    for n in 1..=3 {
        let raw = format!(
            "From: =?utf-8?q?Tess=C3=A9ra?= <no-reply@tessera.example>\r\n\
             To: \"Jane Doe\" <jane@example.com>\r\n\
             Subject: =?utf-8?q?Mail_n=C2=B0{n}?=\r\n =?utf-8?b?IMOp?= & plain\r\n\
             \tfolded\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: text/html; charset=utf-8\r\n\
             Content-Transfer-Encoding: 7bit\r\n\
             \r\n\
             <a href=\"https://x.example/reset?n={n}\">reset</a>\r\n"
        );
        let envelope = lettre::address::Envelope::new(
            Some("no-reply@tessera.example".parse().unwrap()),
            vec!["jane@example.com".parse().unwrap()],
        )
        .unwrap();
        transport.send_raw(&envelope, raw.as_bytes()).await.unwrap();
    }
    let mail = sink.wait_for("jane@example.com", "n°3").await;
    assert_eq!(mail.subject, "Mail n°3 é & plain\tfolded");
    assert_eq!(mail.from, "Tesséra <no-reply@tessera.example>");
    assert_eq!(mail.to, "\"Jane Doe\" <jane@example.com>");
    assert_eq!(link_in(&mail, "/reset"), "https://x.example/reset?n=3");
    let subjects: Vec<String> = sink.messages().into_iter().map(|m| m.subject).collect();
    assert_eq!(subjects.len(), 3);
    for (i, subject) in subjects.iter().enumerate() {
        assert!(
            subject.starts_with(&format!("Mail n°{}", i + 1)),
            "{subjects:?}"
        );
    }
}
