//! Hostile input on every endpoint: megabyte parameters, invalid UTF-8, NUL bytes, repeated
//! parameters, wrong JSON types, wrong content types, empty and truncated bodies, huge headers.
//! Every answer is a 4xx (never a 5xx, never a dropped connection where HTTP allows an answer)
//! in the endpoint's own error shape, and the server keeps answering afterwards.
//!
//! Requests go over a raw TCP socket so that bytes no HTTP client library would send (raw
//! non-UTF-8 octets, NUL) reach the server exactly as written.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tessera_server::dashboard;
use tessera_server::management::ROUTES;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::management::Mgmt;
use crate::support::*;

/// The error shape an endpoint owes its callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// RFC 6749 §5.2 JSON (`/oauth/token`, `/oauth/revoke`, `/oauth/introspect`).
    TokenJson,
    /// RFC 6749 §4.1.2.1: an error page, or a redirect carrying `error` to a trusted client.
    Authorize,
    /// RFC 6750 §3: `WWW-Authenticate: Bearer …`.
    Bearer,
    /// Auth0's Management API body `{statusCode, error, message, errorCode}`.
    Management,
    /// A hosted page: HTML (an error page, or the page itself when the input does not matter,
    /// as for a logout without a session), or a redirect.
    Page,
    /// Public documents that take no input: anything but a server error.
    Document,
}

struct Endpoint {
    method: &'static str,
    path: String,
    shape: Shape,
}

fn endpoint(method: &'static str, path: &str, shape: Shape) -> Endpoint {
    Endpoint {
        method,
        path: path.to_owned(),
        shape,
    }
}

/// Every endpoint: the OAuth/OIDC routes, every Management API route from its ROUTES table,
/// and every Dashboard page and form.
fn endpoints() -> Vec<Endpoint> {
    let mut all = vec![
        endpoint("GET", "/authorize", Shape::Authorize),
        endpoint("GET", "/u/login", Shape::Page),
        endpoint("POST", "/u/login", Shape::Page),
        endpoint("GET", "/u/consent", Shape::Page),
        endpoint("POST", "/u/consent", Shape::Page),
        endpoint("POST", "/oauth/token", Shape::TokenJson),
        endpoint("POST", "/oauth/revoke", Shape::TokenJson),
        endpoint("POST", "/oauth/introspect", Shape::TokenJson),
        endpoint("GET", "/userinfo", Shape::Bearer),
        endpoint("POST", "/userinfo", Shape::Bearer),
        endpoint("GET", "/v2/logout", Shape::Page),
        endpoint("GET", "/oidc/logout", Shape::Page),
        endpoint("POST", "/oidc/logout", Shape::Page),
        endpoint("GET", "/.well-known/openid-configuration", Shape::Document),
        endpoint("GET", "/.well-known/jwks.json", Shape::Document),
        endpoint("GET", dashboard::SIGNIN_PATH, Shape::Page),
        endpoint("POST", dashboard::SIGNIN_PATH, Shape::Page),
    ];
    for route in ROUTES {
        let path = route
            .path
            .replace("{id}", "no-such-id")
            .replace("{kid}", "no-such-kid");
        all.push(Endpoint {
            method: route.method.as_str(),
            path,
            shape: Shape::Management,
        });
    }
    for page in dashboard::PAGES {
        all.push(endpoint(
            "GET",
            &page.replace("{id}", "no-such-id"),
            Shape::Page,
        ));
    }
    for form in dashboard::FORMS {
        all.push(endpoint(
            "POST",
            &form.replace("{id}", "no-such-id"),
            Shape::Page,
        ));
    }
    all
}

/// One malformed request: what is appended to the path, extra headers, and the body.
struct Case {
    name: &'static str,
    query: Vec<u8>,
    headers: Vec<(&'static str, Vec<u8>)>,
    body: Vec<u8>,
    /// Whether the request is well-formed HTTP, so that the application (not the HTTP parser)
    /// answers it and owes its endpoint's error shape.
    reaches_app: bool,
}

const FORM: &[u8] = b"application/x-www-form-urlencoded";
const JSON: &[u8] = b"application/json";
const MEGABYTE: usize = 1024 * 1024;

fn case(name: &'static str, query: &[u8], content_type: Option<&[u8]>, body: &[u8]) -> Case {
    Case {
        name,
        query: query.to_vec(),
        headers: content_type
            .map(|ct| vec![("Content-Type", ct.to_vec())])
            .unwrap_or_default(),
        body: body.to_vec(),
        reaches_app: true,
    }
}

fn cases() -> Vec<Case> {
    let mega = "a".repeat(MEGABYTE);
    let big = "a".repeat(24 * 1024);
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut all = vec![
        case("query with two 24 KB parameters", format!("?client_id={big}&state={big}").as_bytes(), None, b""),
        case("query with percent-encoded invalid UTF-8", b"?client_id=%FF%FE&state=%C3%28&response_type=%80", None, b""),
        case("query with percent-encoded NUL", b"?client_id=a%00b&state=%00&redirect_uri=http://127.0.0.1:4000/callback%00", None, b""),
        case(
            "query with repeated parameters",
            b"?client_id=myclientapp&client_id=other&response_type=code&response_type=token&state=a&state=b&redirect_uri=http://127.0.0.1:4000/callback",
            None,
            b"",
        ),
        case("query with broken percent-encoding", b"?client_id=%&state=%G1%2&%%%=%", None, b""),
        case("form body of a megabyte", b"", Some(FORM), format!("grant_type=client_credentials&client_id={mega}").as_bytes()),
        case("JSON body of a megabyte", b"", Some(JSON), format!("{{\"client_id\":\"{mega}\"}}").as_bytes()),
        case("form body with percent-encoded invalid UTF-8", b"", Some(FORM), b"grant_type=%FF&client_id=%C3%28&state=%80&username=%FE"),
        case("form body with raw invalid UTF-8", b"", Some(FORM), b"grant_type=\xFF\xFE&client_id=\xC3\x28&token=\x80"),
        case("form body with NUL bytes", b"", Some(FORM), b"grant_type=client_credentials%00&client_id=a\x00b&token=%00&state=\x00"),
        case(
            "form body with repeated parameters",
            b"",
            Some(FORM),
            b"grant_type=client_credentials&grant_type=authorization_code&client_id=a&client_id=b&token=x&token=y&state=s&state=t&csrf_token=c&csrf_token=d",
        ),
        case("JSON with a number for a string", b"", Some(JSON), br#"{"grant_type":5,"client_id":1e400,"token":-0,"name":12}"#),
        case("JSON with an array for a string", b"", Some(JSON), br#"{"grant_type":["client_credentials"],"client_id":[],"name":["x"],"callbacks":"x"}"#),
        case("JSON with nested objects", b"", Some(JSON), br#"{"grant_type":{"a":{"b":{"c":1}}},"client_id":{"$ne":null},"name":{"x":1},"scopes":{"a":[{}]}}"#),
        case("JSON nested 100000 deep", b"", Some(JSON), deep_json.as_bytes()),
        case("JSON that is not an object", b"", Some(JSON), br#"["grant_type","client_credentials"]"#),
        case("JSON null", b"", Some(JSON), b"null"),
        case("JSON with invalid UTF-8", b"", Some(JSON), b"{\"grant_type\":\"\xFF\xFE\",\"name\":\"\xC3\x28\"}"),
        case("JSON with escaped NUL and lone surrogate", b"", Some(JSON), br#"{"grant_type":"\u0000","name":"\ud800","client_id":"a\u0000"}"#),
        case("truncated JSON", b"", Some(JSON), br#"{"grant_type":"client_credenti"#),
        case("empty form body", b"", Some(FORM), b""),
        case("empty JSON body", b"", Some(JSON), b""),
        case("empty body without a content type", b"", None, b""),
        case("text/plain body", b"", Some(b"text/plain"), b"grant_type=client_credentials"),
        case("XML body", b"", Some(b"application/xml"), b"<grant_type>client_credentials</grant_type>"),
        case("multipart body", b"", Some(b"multipart/form-data; boundary=x"), b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--\r\n"),
        case("form content type on a JSON body", b"", Some(FORM), br#"{"grant_type":"client_credentials"}"#),
        case("JSON content type on a form body", b"", Some(JSON), b"grant_type=client_credentials"),
        case("content type with invalid UTF-8", b"", Some(b"application/\xFF\xFEjson"), b"{}"),
        case("content type with a huge parameter", b"", Some(format!("application/json; charset={big}").as_bytes()), b"{}"),
    ];
    all.push(Case {
        name: "24 KB Authorization header",
        query: Vec::new(),
        headers: vec![("Authorization", format!("Bearer {big}").into_bytes())],
        body: Vec::new(),
        reaches_app: true,
    });
    all.push(Case {
        name: "Authorization header with raw invalid UTF-8",
        query: Vec::new(),
        headers: vec![("Authorization", b"Basic \xFF\xFE:\x80".to_vec())],
        body: Vec::new(),
        reaches_app: true,
    });
    all.push(Case {
        name: "malformed Basic credentials",
        query: Vec::new(),
        headers: vec![("Authorization", b"Basic %%%not-base64".to_vec())],
        body: b"grant_type=client_credentials".to_vec(),
        reaches_app: true,
    });
    all.push(Case {
        name: "24 KB cookie with invalid UTF-8",
        query: Vec::new(),
        headers: vec![(
            "Cookie",
            [
                b"tessera_session=\xFF\xFE; tessera_admin=".as_slice(),
                big.as_bytes(),
            ]
            .concat(),
        )],
        body: Vec::new(),
        reaches_app: true,
    });
    // Beyond what the HTTP parser takes: it answers (431/414/400) before any route runs.
    all.push(Case {
        name: "query of a megabyte",
        query: format!("?client_id={mega}").into_bytes(),
        headers: Vec::new(),
        body: Vec::new(),
        reaches_app: false,
    });
    all.push(Case {
        name: "header of a megabyte",
        query: Vec::new(),
        headers: vec![("X-Padding", mega.clone().into_bytes())],
        body: Vec::new(),
        reaches_app: false,
    });
    all.push(Case {
        name: "query with raw invalid UTF-8",
        query: b"?client_id=\xFF\xFE&state=\xC3\x28".to_vec(),
        headers: Vec::new(),
        body: Vec::new(),
        reaches_app: false,
    });
    all.push(Case {
        name: "raw NUL in the request target",
        query: b"?client_id=a\x00b".to_vec(),
        headers: Vec::new(),
        body: Vec::new(),
        reaches_app: false,
    });
    all
}

/// An HTTP answer as read off the socket.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// Sends one raw HTTP/1.1 request and reads the answer until the server closes the connection.
async fn send(addr: SocketAddr, method: &str, path: &str, case: &Case) -> Option<Reply> {
    let mut request = format!("{method} {path}").into_bytes();
    request.extend_from_slice(&case.query);
    request.extend_from_slice(
        format!(" HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n").as_bytes(),
    );
    for (name, value) in &case.headers {
        request.extend_from_slice(name.as_bytes());
        request.extend_from_slice(b": ");
        request.extend_from_slice(value);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(format!("Content-Length: {}\r\n\r\n", case.body.len()).as_bytes());
    request.extend_from_slice(&case.body);

    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // Written concurrently with reading: the server may answer (413, 431) before it has read
    // everything, and the answer must be read before the connection is reset.
    let writing = tokio::spawn(async move {
        let _ = writer.write_all(&request).await;
        writer
    });
    let mut raw = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match reader.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => raw.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "{method} {path} [{}]: no answer within 60 s",
        case.name
    );
    writing.abort();
    parse_reply(&raw)
}

fn parse_reply(raw: &[u8]) -> Option<Reply> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Some(Reply {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let Ok(size) = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
        else {
            break;
        };
        let start = line_end + 2;
        if size == 0 || data.len() < start + size {
            break;
        }
        out.extend_from_slice(&data[start..start + size]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

/// What is wrong with `reply` for an endpoint of `shape`, if anything.
fn shape_problem(shape: Shape, reply: &Reply) -> Option<String> {
    let content_type = reply.header("content-type").unwrap_or("");
    let is_redirect = (300..400).contains(&reply.status) && reply.header("location").is_some();
    match shape {
        Shape::TokenJson => {
            let body = reply.json();
            let codes = [
                "invalid_request",
                "invalid_client",
                "invalid_grant",
                "unauthorized_client",
                "unsupported_grant_type",
                "invalid_scope",
                "unsupported_token_type",
            ];
            let code = body["error"].as_str().unwrap_or("");
            (!(400..500).contains(&reply.status)
                || !content_type.starts_with("application/json")
                || !codes.contains(&code))
            .then(|| format!("not an RFC 6749 §5.2 error: {body}"))
        }
        Shape::Authorize => {
            if is_redirect {
                let location = reply.header("location").unwrap_or("");
                let to_client = location.starts_with(CALLBACK);
                let with_error = url::Url::parse(location)
                    .ok()
                    .and_then(|url| query_param(&url, "error"))
                    .is_some();
                (to_client && !with_error).then(|| format!("a redirect without error: {location}"))
            } else {
                (!(400..500).contains(&reply.status) || !content_type.starts_with("text/html"))
                    .then(|| "neither an error page nor a redirect".to_owned())
            }
        }
        Shape::Bearer => {
            let challenge = reply.header("www-authenticate").unwrap_or("");
            (!(400..500).contains(&reply.status) || !challenge.starts_with("Bearer"))
                .then(|| format!("no RFC 6750 challenge: `{challenge}`"))
        }
        Shape::Management => {
            let body = reply.json();
            let ok = body["statusCode"].as_u64() == Some(u64::from(reply.status))
                && body["error"].is_string()
                && body["message"].is_string();
            (reply.status >= 400 && !ok).then(|| format!("not an Auth0 error body: {body}"))
        }
        Shape::Page => (!is_redirect && !content_type.starts_with("text/html"))
            .then(|| "neither an HTML page nor a redirect".to_owned()),
        Shape::Document => None,
    }
}

/// Every hostile case against every endpoint: never a 5xx, never silence, always the
/// endpoint's error shape; the server answers a normal request after each endpoint's barrage.
#[tokio::test]
async fn hostile_input_on_every_endpoint_gets_a_shaped_4xx_and_the_server_keeps_answering() {
    let mgmt = Mgmt::start().await;
    let server = &mgmt.server;
    let addr: SocketAddr = server
        .issuer
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let bearer = format!("Bearer {}", mgmt.token);
    let mut failures = Vec::new();
    for endpoint in endpoints() {
        for mut case in cases() {
            let authorized = endpoint.shape == Shape::Management
                && !case
                    .headers
                    .iter()
                    .any(|(name, _)| *name == "Authorization");
            if authorized {
                case.headers
                    .push(("Authorization", bearer.clone().into_bytes()));
            }
            let label = format!("{} {} [{}]", endpoint.method, endpoint.path, case.name);
            let Some(reply) = send(addr, endpoint.method, &endpoint.path, &case).await else {
                failures.push(format!("{label}: connection closed without an answer"));
                continue;
            };
            if reply.status >= 500 {
                failures.push(format!(
                    "{label}: {} {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                ));
            } else if !case.reaches_app {
                if !(400..500).contains(&reply.status) {
                    failures.push(format!("{label}: {} instead of a 4xx", reply.status));
                }
            } else if let Some(problem) = shape_problem(endpoint.shape, &reply) {
                failures.push(format!("{label}: {} {problem}", reply.status));
            }
        }
        let alive = http()
            .get(server.url("/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            alive.status(),
            reqwest::StatusCode::OK,
            "after {}",
            endpoint.path
        );
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The token, revocation and introspection endpoints: a repeated parameter (RFC 6749 §3.2) is
/// `invalid_request`, whether it came in the form or as a JSON-and-Basic mix.
#[tokio::test]
async fn repeated_parameters_at_client_endpoints_are_invalid_request() {
    let server = TestServer::start().await;
    for path in ["oauth/token", "oauth/revoke", "oauth/introspect"] {
        for body in [
            "grant_type=client_credentials&grant_type=client_credentials&client_id=myclientapp&token=t",
            "grant_type=client_credentials&client_id=myclientapp&client_id=myclientapp&token=t",
            "grant_type=client_credentials&client_id=myclientapp&client_secret=a&client_secret=b&token=t",
        ] {
            let response = http()
                .post(server.url(path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), reqwest::StatusCode::BAD_REQUEST, "{path} {body}");
            let error: Value = response.json().await.unwrap();
            assert_eq!(error["error"], "invalid_request", "{path} {body}: {error}");
        }
    }
}

/// A `state` that is not UTF-8 cannot come back byte for byte (RFC 6749 §4.1.2), so it is
/// refused rather than replaced by U+FFFD and echoed altered.
#[tokio::test]
async fn authorize_state_that_is_not_utf8_is_refused_not_mangled() {
    let server = TestServer::start().await;
    let url = server.authorize_url_without(&["state"], &[]) + "&state=%FF%FE";
    let response = http().get(url).send().await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::BAD_REQUEST);
    let page = response.text().await.unwrap();
    assert!(page.contains("invalid_request"), "{page}");
    assert!(page.contains("UTF-8"), "{page}");
}

/// A server with short deadlines, and its address.
async fn impatient_server() -> (TestServer, SocketAddr) {
    let server = TestServer::start_with(|config| {
        config.header_read_timeout = 2;
        config.request_timeout = 3;
    })
    .await;
    let addr = server
        .issuer
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    (server, addr)
}

/// Reads until the server closes the connection; `None` if it has not within `limit`.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut raw = Vec::new();
    tokio::time::timeout(limit, async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => raw.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await
    .ok()?;
    Some(raw)
}

/// Slowloris: half a request line, then silence. The connection is closed once the header-read
/// deadline (2 s here) passes, instead of being held open for as long as the client likes.
#[tokio::test]
async fn client_stalling_in_the_request_line_is_disconnected() {
    let (_server, addr) = impatient_server().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /.well-known/jwks").await.unwrap();
    let closed = read_until_closed(&mut stream, Duration::from_secs(30)).await;
    assert!(
        closed.is_some(),
        "the stalled connection was still open after 30 s"
    );
}

/// Headers trickled a byte at a time never complete a request: the deadline covers the whole
/// head, not the time between two bytes.
#[tokio::test]
async fn client_trickling_its_headers_is_disconnected() {
    let (_server, addr) = impatient_server().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "GET /.well-known/jwks.json HTTP/1.1\r\nHost: {addr}\r\nX-Slow: {}",
        "a".repeat(200)
    );
    let writer = async {
        for byte in head.as_bytes() {
            if stream.write_all(&[*byte]).await.is_err() {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        true
    };
    let finished = tokio::time::timeout(Duration::from_secs(60), writer).await;
    assert_eq!(
        finished.ok(),
        Some(false),
        "the server kept reading a trickled head"
    );
}

/// A body sent more slowly than the request deadline (3 s here) is answered 408 in RFC 6749
/// §5.2's shape at the token endpoint, and the server still serves others meanwhile.
#[tokio::test]
async fn body_trickling_past_the_request_deadline_gets_408() {
    let (server, addr) = impatient_server().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /oauth/token HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        for _ in 0..1000 {
            if writer.write_all(b"a").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    let alive = http()
        .get(server.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(alive.status(), reqwest::StatusCode::OK);
    let mut raw = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        let mut chunk = [0u8; 4096];
        while !raw.windows(4).any(|w| w == b"\r\n\r\n") || !raw.ends_with(b"}") {
            match reader.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => raw.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    trickle.abort();
    assert!(read.is_ok(), "no answer within 60 s");
    let reply = parse_reply(&raw).expect("an HTTP answer");
    assert_eq!(reply.status, 408);
    assert_eq!(
        reply.json()["error"],
        "invalid_request",
        "{:?}",
        reply.json()
    );
}
