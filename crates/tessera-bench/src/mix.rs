//! The soak's mixed load, one virtual client per connection: now and then a login through the
//! hosted login form and its code exchange (argon2-bound, so rarely), and in between refresh
//! token rotations on the chains its logins started (keeping each chain's newest token),
//! client-credentials tokens, and `/userinfo` with its latest access token. Every answer is
//! checked as the scenarios check it.

use std::collections::VecDeque;

use hyper::{HeaderMap, Request};

use crate::browser::{Cookies, Flow};
use crate::flows::{self, client_credentials, json_field, refresh_form, Dialect};
use crate::load::{get, post_form, Body, Step, Worker};
use crate::server::APIS;

/// What the logins ask for: `offline_access` for a refresh token, the first API's audience
/// for an access token `/userinfo` accepts. Consent to it is given once before the load.
pub const MIX_SCOPE: &str = "openid profile read offline_access";

/// One operation in this many is a login: 1 %. A login's password check costs as much CPU as
/// some seventy signatures, so even this share is a large part of the server's work.
const LOGIN_EVERY: u64 = 100;

/// Refresh token chains a client keeps going; a login beyond them leaves its oldest chain to
/// expire unused, for housekeeping to purge.
const CHAINS_PER_CLIENT: usize = 4;

/// What an operation of the mix is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Authorize, the login form, its post, the code exchange: several requests.
    Login,
    Refresh,
    ClientCredentials,
    Userinfo,
}

/// The `turn`th operation of a client: a login first (it starts the client's first chain),
/// then one in [`LOGIN_EVERY`], and the others in equal shares.
pub fn operation(turn: u64) -> Operation {
    if turn.is_multiple_of(LOGIN_EVERY) {
        return Operation::Login;
    }
    match turn % 3 {
        0 => Operation::Refresh,
        1 => Operation::ClientCredentials,
        _ => Operation::Userinfo,
    }
}

/// One virtual client of the mix.
pub struct MixedClient {
    host: String,
    turns: u64,
    /// The operation whose answer is awaited.
    current: Operation,
    /// The login under way.
    login: Option<Flow>,
    /// The newest refresh token of each chain, the one refreshed longest ago first.
    chains: VecDeque<String>,
    /// `Bearer` and the newest access token.
    bearer: Option<String>,
}

impl MixedClient {
    pub fn new(host: &str) -> MixedClient {
        MixedClient {
            host: host.to_owned(),
            turns: 0,
            current: Operation::Login,
            login: None,
            chains: VecDeque::new(),
            bearer: None,
        }
    }

    /// The next operation, by turn; one that needs a token it does not hold yet (none before
    /// its first login answers) is a client-credentials request instead.
    fn next_operation(&mut self) -> Operation {
        let planned = operation(self.turns);
        self.turns += 1;
        match planned {
            Operation::Refresh if self.chains.is_empty() => Operation::ClientCredentials,
            Operation::Userinfo if self.bearer.is_none() => Operation::ClientCredentials,
            planned => planned,
        }
    }

    /// Keeps the tokens of a checked token response: its refresh token continues (or starts)
    /// a chain, its access token is the one `/userinfo` gets.
    fn keep_tokens(&mut self, body: &[u8]) {
        if let Some(refresh) = json_field(body, "refresh_token") {
            self.chains.push_back(refresh);
            if self.chains.len() > CHAINS_PER_CLIENT {
                self.chains.pop_front();
            }
        }
        if let Some(access) = json_field(body, "access_token") {
            self.bearer = Some(format!("Bearer {access}"));
        }
    }
}

impl Worker for MixedClient {
    fn next(&mut self) -> Option<Request<Body>> {
        if let Some(flow) = &mut self.login {
            return flow.next();
        }
        self.current = self.next_operation();
        let host = &self.host;
        let request = match self.current {
            Operation::Login => {
                let mut flow = Flow::new(
                    host,
                    Dialect::Tessera,
                    Some(APIS[0].0),
                    MIX_SCOPE,
                    Some("login"),
                    Cookies::default(),
                );
                let authorize = flow.next()?;
                self.login = Some(flow);
                authorize
            }
            Operation::Refresh => {
                // Taken off its chain: a failed rotation ends the chain, the token is spent.
                let token = self.chains.pop_front().unwrap_or_default();
                post_form(host, "/oauth/token", &refresh_form(&token))
            }
            Operation::ClientCredentials => client_credentials(host, Dialect::Tessera, APIS[0].0),
            Operation::Userinfo => {
                let bearer = self.bearer.as_deref().unwrap_or_default();
                get(host, "/userinfo", &[("authorization", bearer)])
            }
        };
        Some(request)
    }

    fn done(&mut self, status: u16, headers: &HeaderMap, body: &[u8]) -> Step {
        let step = match (self.current, &mut self.login) {
            (Operation::Login, Some(flow)) => flow.done(status, headers, body),
            (Operation::Refresh, _) => Step::checked(status, body, flows::rotated_tokens),
            (Operation::ClientCredentials, _) => Step::checked(status, body, flows::m2m_tokens),
            (Operation::Userinfo, _) => Step::checked(status, body, flows::userinfo),
            (Operation::Login, None) => Step::Failure("an answer to no login".to_owned()),
        };
        if step != Step::Continue {
            self.login = None;
        }
        if step == Step::Success && matches!(self.current, Operation::Login | Operation::Refresh) {
            self.keep_tokens(body);
        }
        step
    }

    fn checks_a_password(&self) -> bool {
        self.login.as_ref().is_some_and(Flow::checks_a_password)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn logins_are_one_operation_in_a_hundred_and_come_first() {
        let turns: Vec<Operation> = (0..3000).map(operation).collect();
        let count = |wanted| turns.iter().filter(|&&o| o == wanted).count();
        assert_eq!(turns[0], Operation::Login);
        assert_eq!(count(Operation::Login), 30);
        for other in [
            Operation::Refresh,
            Operation::ClientCredentials,
            Operation::Userinfo,
        ] {
            assert!((980..=1000).contains(&count(other)), "{other:?}");
        }
    }

    #[test]
    fn a_client_refreshes_its_oldest_chain_and_keeps_the_newest_token() {
        let mut client = MixedClient::new("127.0.0.1:4000");
        for n in 0..6 {
            let body = format!(r#"{{"access_token":"at{n}","refresh_token":"rt{n}"}}"#);
            client.keep_tokens(body.as_bytes());
        }
        assert_eq!(client.chains, ["rt2", "rt3", "rt4", "rt5"]);
        assert_eq!(client.bearer.as_deref(), Some("Bearer at5"));
        client.turns = 3;
        assert_eq!(client.next_operation(), Operation::Refresh);
    }

    #[test]
    fn a_client_without_tokens_asks_for_client_credentials_instead() {
        let mut client = MixedClient::new("127.0.0.1:4000");
        client.turns = 3;
        assert_eq!(client.next_operation(), Operation::ClientCredentials);
        client.turns = 5;
        assert_eq!(client.next_operation(), Operation::ClientCredentials);
    }
}
