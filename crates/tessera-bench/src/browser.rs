//! A browser without a browser: cookies, redirects and the login and consent forms of a whole
//! authorization flow (authorize → login → consent → code → token), in either server's dialect.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use hyper::HeaderMap;
use hyper::Request;

use crate::flows::{authorize_path, call, encode, json_field, redeem_form, user_tokens, Dialect};
use crate::load::{get, post_form, snippet, Body, Step, Worker};
use crate::server::{CALLBACK, PASSWORD, USER};

/// Cookies as a browser keeps them.
#[derive(Debug, Clone, Default)]
pub struct Cookies(HashMap<String, String>);

impl Cookies {
    fn absorb(&mut self, headers: &HeaderMap) {
        for value in headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            if let Some((name, rest)) = value.split_once('=') {
                // An empty value is how both servers delete a cookie.
                match rest.split(';').next().unwrap_or("") {
                    "" => self.0.remove(name),
                    value => self.0.insert(name.to_owned(), value.to_owned()),
                };
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// `url` as a path when it points at `host` (the peer writes absolute URLs), else unchanged.
fn local(url: &str, host: &str) -> String {
    url.strip_prefix("http://")
        .and_then(|rest| rest.strip_prefix(host))
        .filter(|path| path.starts_with('/'))
        .unwrap_or(url)
        .to_owned()
}

fn location(headers: &HeaderMap, host: &str) -> String {
    let location = headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    local(location, host)
}

fn query_value(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The text between `marker` and the next `"`.
fn quoted_after(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

fn form_value(html: &str, name: &str) -> Option<String> {
    quoted_after(html, &format!("name=\"{name}\" value=\""))
}

/// Where a flow stands.
#[derive(Debug, Clone)]
enum Stage {
    Authorize,
    /// A page to read: Tessera's login or consent page, the peer's interaction page.
    Page(String),
    /// Tessera's hosted forms, filled in.
    Login {
        state: String,
        csrf: String,
    },
    Consent {
        state: String,
        csrf: String,
    },
    /// The peer's interaction form (`prompt` is `login` or `consent`), posted to `action`.
    Interaction {
        action: String,
        prompt: String,
    },
    /// A redirect back into the server: the peer resuming the authorization after a form.
    Follow(String),
    Token(String),
}

/// A browserless authorization flow, repeated: authorize → (login) → (consent) → code → token.
pub struct Flow {
    host: String,
    dialect: Dialect,
    authorize: String,
    cookies: Cookies,
    stage: Stage,
    /// Shared with the caller, e.g. to collect codes or refresh tokens instead of redeeming.
    collect: Option<Arc<Mutex<Vec<String>>>>,
    redeem: bool,
}

impl Flow {
    /// `prompt` forces the steps: `login consent` (first time), `login` (remembered consent),
    /// none (SSO session and remembered consent: no page at all). Without `audience` the
    /// access token is for the server's own userinfo endpoint.
    pub fn new(
        host: &str,
        dialect: Dialect,
        audience: Option<&str>,
        scope: &str,
        prompt: Option<&str>,
        cookies: Cookies,
    ) -> Flow {
        Flow {
            host: host.to_owned(),
            dialect,
            authorize: authorize_path(dialect, audience, scope, prompt),
            cookies,
            stage: Stage::Authorize,
            collect: None,
            redeem: true,
        }
    }

    /// Collects each token response's refresh token (when `redeem`) or each code (otherwise).
    pub fn collecting(mut self, into: Arc<Mutex<Vec<String>>>, redeem: bool) -> Flow {
        self.collect = Some(into);
        self.redeem = redeem;
        self
    }

    fn browser_get(&self, path: &str) -> Request<Body> {
        let cookie = self.cookies.header();
        get(&self.host, path, &[("cookie", &cookie)])
    }

    fn browser_post(&self, path: &str, form: &str) -> Request<Body> {
        let mut request = post_form(&self.host, path, form);
        if let Ok(value) = self.cookies.header().parse() {
            request.headers_mut().insert("cookie", value);
        }
        request
    }

    fn after_redirect(&mut self, headers: &HeaderMap) -> Step {
        let next = location(headers, &self.host);
        if next.starts_with(CALLBACK) {
            let Some(code) = query_value(&next, "code") else {
                return self.restart(Step::Failure(format!("no code in the callback {next}")));
            };
            if self.redeem {
                self.stage = Stage::Token(code);
                return Step::Continue;
            }
            if let Some(collect) = &self.collect {
                if let Ok(mut codes) = collect.lock() {
                    codes.push(code);
                }
            }
            return self.restart(Step::Success);
        }
        self.stage = match self.dialect {
            Dialect::Tessera if next.starts_with("/u/login") || next.starts_with("/u/consent") => {
                Stage::Page(next)
            }
            Dialect::Peer if next.starts_with("/interaction/") => Stage::Page(next),
            Dialect::Peer if next.starts_with("/authorize/") => Stage::Follow(next),
            _ => return self.restart(Step::Failure(format!("an unexpected redirect to {next}"))),
        };
        Step::Continue
    }

    /// Finds the form a person would submit on the page at `path`.
    fn read_page(&mut self, path: &str, html: &str) -> Step {
        self.stage = match self.dialect {
            Dialect::Tessera => match (form_value(html, "state"), form_value(html, "csrf_token")) {
                (Some(state), Some(csrf)) if path.starts_with("/u/login") => {
                    Stage::Login { state, csrf }
                }
                (Some(state), Some(csrf)) => Stage::Consent { state, csrf },
                _ => return self.restart(Step::Failure(format!("no form on {path}"))),
            },
            Dialect::Peer => match (quoted_after(html, "action=\""), form_value(html, "prompt")) {
                (Some(action), Some(prompt)) => Stage::Interaction {
                    action: local(&action, &self.host),
                    prompt,
                },
                _ => return self.restart(Step::Failure(format!("no form on {path}"))),
            },
        };
        Step::Continue
    }

    fn restart(&mut self, step: Step) -> Step {
        self.stage = Stage::Authorize;
        step
    }
}

impl Worker for Flow {
    fn next(&mut self) -> Option<Request<Body>> {
        Some(match &self.stage {
            Stage::Authorize => self.browser_get(&self.authorize),
            Stage::Page(path) | Stage::Follow(path) => self.browser_get(path),
            Stage::Login { state, csrf } => {
                let form = format!(
                    "state={state}&csrf_token={csrf}&username={USER}&password={}",
                    encode(PASSWORD)
                );
                self.browser_post("/u/login", &form)
            }
            Stage::Consent { state, csrf } => self.browser_post(
                "/u/consent",
                &format!("state={state}&csrf_token={csrf}&decision=allow"),
            ),
            Stage::Interaction { action, prompt } => {
                let form = if prompt == "login" {
                    // The peer's development login takes any password and checks none.
                    format!("prompt=login&login={USER}&password={}", encode(PASSWORD))
                } else {
                    format!("prompt={}", encode(prompt))
                };
                self.browser_post(action, &form)
            }
            Stage::Token(code) => post_form(&self.host, "/oauth/token", &redeem_form(code)),
        })
    }

    fn checks_a_password(&self) -> bool {
        // The peer's development login (an `Interaction`) checks no password.
        matches!(self.stage, Stage::Login { .. })
    }

    fn done(&mut self, status: u16, headers: &HeaderMap, body: &[u8]) -> Step {
        self.cookies.absorb(headers);
        // Tessera redirects with 302, the peer with 303.
        let redirect = status == 302 || status == 303;
        match self.stage.clone() {
            Stage::Authorize
            | Stage::Login { .. }
            | Stage::Consent { .. }
            | Stage::Interaction { .. }
            | Stage::Follow(_)
                if redirect =>
            {
                self.after_redirect(headers)
            }
            Stage::Page(path) if status == 200 => {
                self.read_page(&path, &String::from_utf8_lossy(body))
            }
            Stage::Token(_) => {
                let step = Step::checked(status, body, user_tokens);
                if let (Step::Success, Some(collect), Some(refresh)) =
                    (&step, &self.collect, json_field(body, "refresh_token"))
                {
                    if let Ok(mut tokens) = collect.lock() {
                        tokens.push(refresh);
                    }
                }
                self.restart(step)
            }
            stage => self.restart(Step::Failure(format!(
                "HTTP {status} at {stage:?}: {}",
                snippet(body)
            ))),
        }
    }
}

/// Runs one flow to its token response, one request at a time; returns the flow (its cookies)
/// and the token response's body.
async fn walk(addr: SocketAddr, mut flow: Flow) -> Result<(Flow, Vec<u8>), String> {
    for _ in 0..12 {
        let Some(request) = flow.next() else { break };
        let (status, headers, body) = call(addr, request).await?;
        match flow.done(status, &headers, &body) {
            Step::Success => return Ok((flow, body)),
            Step::Failure(why) => return Err(format!("flow failed: {why}")),
            Step::Continue => {}
        }
    }
    Err("flow did not finish".into())
}

/// Logs in once and consents to `scope` for `audience`: the cookies of an SSO session.
pub async fn sign_in(
    addr: SocketAddr,
    host: &str,
    dialect: Dialect,
    audience: &str,
    scope: &str,
) -> Result<Cookies, String> {
    let flow = Flow::new(
        host,
        dialect,
        Some(audience),
        scope,
        None,
        Cookies::default(),
    );
    let (flow, _) = walk(addr, flow)
        .await
        .map_err(|e| format!("sign-in: {e}"))?;
    Ok(flow.cookies)
}

/// A user's access token from one whole flow.
pub async fn user_access_token(addr: SocketAddr, flow: Flow) -> Result<String, String> {
    let (_, body) = walk(addr, flow).await?;
    json_field(&body, "access_token").ok_or_else(|| "no access token in the token response".into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use http_body_util::BodyExt;
    use hyper::header::{HeaderValue, LOCATION, SET_COOKIE};

    use super::*;

    const HOST: &str = "127.0.0.1:4000";

    fn redirect(to: &str, cookies: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, HeaderValue::from_str(to).unwrap());
        for cookie in cookies {
            headers.append(SET_COOKIE, HeaderValue::from_str(cookie).unwrap());
        }
        headers
    }

    /// Method, URI, cookie header and body of a request the flow sends.
    fn parts(request: Request<Body>) -> (String, String, String, String) {
        let method = request.method().to_string();
        let uri = request.uri().to_string();
        let cookie = request
            .headers()
            .get("cookie")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = body_of(request);
        (method, uri, cookie, body)
    }

    fn body_of(request: Request<Body>) -> String {
        let collected = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(request.into_body().collect())
            .unwrap();
        String::from_utf8(collected.to_bytes().to_vec()).unwrap()
    }

    fn peer_page(prompt: &str, uid: &str) -> String {
        format!(
            "<form autocomplete=\"off\" action=\"http://{HOST}/interaction/{uid}\" method=\"post\">\
             <input type=\"hidden\" name=\"prompt\" value=\"{prompt}\"/></form>"
        )
    }

    #[test]
    fn peer_flow_logs_in_consents_follows_the_resume_and_redeems_the_code() {
        let mut flow = Flow::new(
            HOST,
            Dialect::Peer,
            Some("bench:rs256"),
            "openid read",
            None,
            Cookies::default(),
        );
        let (method, uri, _, _) = parts(flow.next().unwrap());
        assert_eq!(method, "GET");
        assert!(uri.contains("&resource=bench%3Ars256"), "{uri}");
        assert!(!uri.contains("audience="), "{uri}");

        let session = ["_interaction=abc; path=/interaction/abc; httponly"];
        let step = flow.done(303, &redirect("/interaction/abc", &session), b"");
        assert_eq!(step, Step::Continue);
        let (method, uri, cookie, _) = parts(flow.next().unwrap());
        assert_eq!((method.as_str(), uri.as_str()), ("GET", "/interaction/abc"));
        assert_eq!(cookie, "_interaction=abc");

        let page = peer_page("login", "abc");
        assert_eq!(
            flow.done(200, &HeaderMap::new(), page.as_bytes()),
            Step::Continue
        );
        let (method, uri, _, form) = parts(flow.next().unwrap());
        assert_eq!(
            (method.as_str(), uri.as_str()),
            ("POST", "/interaction/abc")
        );
        assert!(
            form.starts_with("prompt=login&login=bench&password="),
            "{form}"
        );

        let resume = format!("http://{HOST}/authorize/abc");
        assert_eq!(flow.done(303, &redirect(&resume, &[]), b""), Step::Continue);
        let (_, uri, _, _) = parts(flow.next().unwrap());
        assert_eq!(uri, "/authorize/abc");

        let step = flow.done(303, &redirect("/interaction/def", &[]), b"");
        assert_eq!(step, Step::Continue);
        flow.next().unwrap();
        let page = peer_page("consent", "def");
        assert_eq!(
            flow.done(200, &HeaderMap::new(), page.as_bytes()),
            Step::Continue
        );
        let (method, uri, _, form) = parts(flow.next().unwrap());
        assert_eq!(
            (method.as_str(), uri.as_str(), form.as_str()),
            ("POST", "/interaction/def", "prompt=consent")
        );

        let resume = format!("http://{HOST}/authorize/def");
        flow.done(303, &redirect(&resume, &[]), b"");
        flow.next().unwrap();
        let callback = format!("{CALLBACK}?code=c0de&state=bench&iss=x");
        assert_eq!(
            flow.done(303, &redirect(&callback, &[]), b""),
            Step::Continue
        );
        let (method, uri, _, form) = parts(flow.next().unwrap());
        assert_eq!((method.as_str(), uri.as_str()), ("POST", "/oauth/token"));
        assert!(form.contains("grant_type=authorization_code&"), "{form}");
        assert!(form.contains("&code=c0de&"), "{form}");

        let tokens =
            br#"{"access_token":"at","token_type":"Bearer","expires_in":3600,"id_token":"h.p.s"}"#;
        assert_eq!(flow.done(200, &HeaderMap::new(), tokens), Step::Success);
        let (_, uri, _, _) = parts(flow.next().unwrap());
        assert!(uri.starts_with("/authorize?"), "a flow starts over: {uri}");
    }

    #[test]
    fn tessera_flow_posts_its_login_form_with_state_and_csrf_token() {
        let mut flow = Flow::new(
            HOST,
            Dialect::Tessera,
            Some("bench:rs256"),
            "openid",
            Some("login"),
            Cookies::default(),
        );
        let (_, uri, _, _) = parts(flow.next().unwrap());
        assert!(
            uri.contains("&audience=bench%3Ars256&prompt=login"),
            "{uri}"
        );
        assert_eq!(
            flow.done(302, &redirect("/u/login?state=s", &[]), b""),
            Step::Continue
        );
        flow.next().unwrap();
        let page = "<input name=\"state\" value=\"s1\"><input name=\"csrf_token\" value=\"t1\">";
        assert_eq!(
            flow.done(200, &HeaderMap::new(), page.as_bytes()),
            Step::Continue
        );
        let (method, uri, _, form) = parts(flow.next().unwrap());
        assert_eq!((method.as_str(), uri.as_str()), ("POST", "/u/login"));
        assert!(
            form.starts_with("state=s1&csrf_token=t1&username=bench&password="),
            "{form}"
        );
    }

    #[test]
    fn a_flow_fails_on_a_redirect_it_does_not_expect() {
        let mut tessera = Flow::new(
            HOST,
            Dialect::Tessera,
            None,
            "openid",
            None,
            Cookies::default(),
        );
        tessera.next().unwrap();
        assert!(matches!(
            tessera.done(302, &redirect("/interaction/abc", &[]), b""),
            Step::Failure(why) if why.contains("/interaction/abc")
        ));
        let mut peer = Flow::new(
            HOST,
            Dialect::Peer,
            None,
            "openid",
            None,
            Cookies::default(),
        );
        peer.next().unwrap();
        assert!(matches!(
            peer.done(303, &redirect("/u/login", &[]), b""),
            Step::Failure(_)
        ));
        peer.next().unwrap();
        assert!(matches!(
            peer.done(200, &HeaderMap::new(), b"{}"),
            Step::Failure(_)
        ));
    }

    #[test]
    fn cookies_are_replaced_and_deleted_like_a_browser_does() {
        let mut cookies = Cookies::default();
        cookies.absorb(&redirect("/", &["a=1; path=/", "b=2"]));
        cookies.absorb(&redirect(
            "/",
            &["a=3", "b=; expires=Thu, 01 Jan 1970 00:00:00 GMT"],
        ));
        assert_eq!(cookies.header(), "a=3");
    }

    #[test]
    fn only_urls_on_the_server_become_paths() {
        assert_eq!(
            local(&format!("http://{HOST}/authorize/x"), HOST),
            "/authorize/x"
        );
        assert_eq!(local("/u/login", HOST), "/u/login");
        assert_eq!(
            local("http://127.0.0.1:9/cb?code=1", HOST),
            "http://127.0.0.1:9/cb?code=1"
        );
        assert_eq!(
            local(&format!("http://{HOST}.evil/x"), HOST),
            format!("http://{HOST}.evil/x")
        );
    }
}
