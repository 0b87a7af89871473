//! Auth0's user search query (`GET /api/v2/users?q=…&search_engine=v3`): the Lucene subset
//! Auth0 documents for its user search, parsed into the store's [`UserSearch`].
//!
//! Terms are `field:value`, `field:"a phrase"`, `field:prefix*`, `field:*suffix` (at least
//! three characters, as Auth0 requires), `field:[low TO high]` (`{…}` excludes a bound, `*`
//! leaves it open), or a word or phrase without a field, looked for in the user's names and
//! email. `AND`, `OR`, `NOT` (capitalized) and parentheses combine them; terms side by side
//! are `OR`ed, as in Lucene.

use serde_json::Value;
use tessera_protocol::connection::Strategy;
use tessera_store::{
    FlagField, IdentityField, MetadataField, MetadataKey, RangeField, SortField, TextField,
    TextMatch, UserSearch, UserSort,
};

/// Shortest literal Auth0 accepts before a leading wildcard.
const MIN_SUFFIX: usize = 3;
/// The deepest nesting of parentheses and `NOT`s taken, so a hostile query cannot exhaust
/// the stack.
const MAX_DEPTH: usize = 32;

/// Parses `q`; the error says what is wrong with it.
pub fn parse_query(q: &str) -> Result<UserSearch, String> {
    let tokens = tokenize(q)?;
    if tokens.is_empty() {
        return Ok(UserSearch::All(Vec::new()));
    }
    let mut parser = Parser {
        tokens,
        at: 0,
        depth: 0,
    };
    let search = parser.any()?;
    match parser.tokens.get(parser.at) {
        None => Ok(search),
        Some(token) => Err(format!("unexpected {}", token.describe())),
    }
}

/// Parses Auth0's `sort` parameter: `field:1` (ascending) or `field:-1` (descending).
pub fn parse_sort(sort: &str) -> Result<UserSort, String> {
    let (field, direction) = sort
        .split_once(':')
        .ok_or_else(|| format!("sort `{sort}` is not field:1 or field:-1"))?;
    let by = match field {
        "email" => SortField::Email,
        "name" => SortField::Name,
        "username" => SortField::Username,
        "nickname" => SortField::Nickname,
        "user_id" => SortField::UserId,
        "created_at" => SortField::CreatedAt,
        "updated_at" => SortField::UpdatedAt,
        "last_login" => SortField::LastLogin,
        "logins_count" => SortField::LoginsCount,
        other => return Err(format!("cannot sort by `{other}`")),
    };
    let descending = match direction {
        "1" => false,
        "-1" => true,
        other => return Err(format!("sort direction `{other}` is not 1 or -1")),
    };
    Ok(UserSort { by, descending })
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    Term {
        field: Option<String>,
        value: Written,
    },
}

/// A term's value as written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Written {
    /// Unquoted: may hold wildcards.
    Word(String),
    /// Between double quotes: taken literally.
    Phrase(String),
    /// `[low TO high]`, `{…}`: each bound with whether it is included; `None` is `*`.
    Range(Option<(String, bool)>, Option<(String, bool)>),
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Open => "`(`".to_owned(),
            Token::Close => "`)`".to_owned(),
            Token::And => "`AND`".to_owned(),
            Token::Or => "`OR`".to_owned(),
            Token::Not => "`NOT`".to_owned(),
            Token::Term { field, .. } => match field {
                Some(field) => format!("term on `{field}`"),
                None => "term".to_owned(),
            },
        }
    }
}

fn tokenize(q: &str) -> Result<Vec<Token>, String> {
    let mut chars = q.chars().peekable();
    let mut tokens = Vec::new();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' => {
                chars.next();
                tokens.push(Token::Close);
            }
            '"' => {
                chars.next();
                tokens.push(Token::Term {
                    field: None,
                    value: Written::Phrase(phrase(&mut chars)?),
                });
            }
            _ => {
                let word = word(&mut chars, true);
                if chars.peek() == Some(&':') {
                    chars.next();
                    let value = match chars.peek() {
                        Some('"') => {
                            chars.next();
                            Written::Phrase(phrase(&mut chars)?)
                        }
                        Some(&open @ ('[' | '{')) => {
                            chars.next();
                            range(&mut chars, open == '[')?
                        }
                        _ => Written::Word(word_value(&mut chars, &word)?),
                    };
                    tokens.push(Token::Term {
                        field: Some(word),
                        value,
                    });
                } else {
                    tokens.push(match word.as_str() {
                        "AND" => Token::And,
                        "OR" => Token::Or,
                        "NOT" => Token::Not,
                        _ => Token::Term {
                            field: None,
                            value: Written::Word(word),
                        },
                    });
                }
            }
        }
    }
    Ok(tokens)
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// Characters up to whitespace, a parenthesis or (for a field name) a colon; `\` escapes one.
fn word(chars: &mut Chars<'_>, stop_at_colon: bool) -> String {
    let mut word = String::new();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() || c == '(' || c == ')' || (stop_at_colon && c == ':') {
            break;
        }
        chars.next();
        if c == '\\' {
            if let Some(escaped) = chars.next() {
                word.push(escaped);
            }
        } else {
            word.push(c);
        }
    }
    word
}

fn word_value(chars: &mut Chars<'_>, field: &str) -> Result<String, String> {
    let value = word(chars, false);
    if value.is_empty() {
        return Err(format!("`{field}:` has no value"));
    }
    Ok(value)
}

/// The rest of a phrase after its opening quote, up to the closing one (`\"` inside).
fn phrase(chars: &mut Chars<'_>) -> Result<String, String> {
    let mut phrase = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Ok(phrase),
            '\\' => phrase.extend(chars.next()),
            c => phrase.push(c),
        }
    }
    Err("a phrase has no closing `\"`".to_owned())
}

/// The rest of a range after its opening bracket: `low TO high` and `]` or `}`.
fn range(chars: &mut Chars<'_>, includes_low: bool) -> Result<Written, String> {
    let mut inside = String::new();
    let includes_high = loop {
        match chars.next() {
            Some(']') => break true,
            Some('}') => break false,
            Some(c) => inside.push(c),
            None => return Err("a range has no closing `]` or `}`".to_owned()),
        }
    };
    let parts: Vec<&str> = inside.split_whitespace().collect();
    let [low, "TO", high] = parts.as_slice() else {
        return Err(format!("range `{inside}` is not `low TO high`"));
    };
    let bound = |text: &str, included: bool| (text != "*").then(|| (text.to_owned(), included));
    Ok(Written::Range(
        bound(low, includes_low),
        bound(high, includes_high),
    ))
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    /// Terms joined by `OR`, or side by side.
    fn any(&mut self) -> Result<UserSearch, String> {
        let mut terms = vec![self.all()?];
        loop {
            match self.peek() {
                Some(Token::Or) => {
                    self.at += 1;
                    terms.push(self.all()?);
                }
                Some(Token::Close) | None => break,
                Some(_) => terms.push(self.all()?),
            }
        }
        Ok(one_or(terms, UserSearch::Any))
    }

    fn all(&mut self) -> Result<UserSearch, String> {
        let mut terms = vec![self.unary()?];
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            terms.push(self.unary()?);
        }
        Ok(one_or(terms, UserSearch::All))
    }

    fn unary(&mut self) -> Result<UserSearch, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH}"));
        }
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        let parsed = match token {
            Some(Token::Not) => Ok(UserSearch::Not(Box::new(self.unary()?))),
            Some(Token::Open) => {
                let inner = self.any()?;
                if self.peek() != Some(&Token::Close) {
                    return Err("a `(` has no closing `)`".to_owned());
                }
                self.at += 1;
                Ok(inner)
            }
            Some(Token::Term { field, value }) => term(field.as_deref(), value),
            Some(other) => Err(format!("unexpected {}", other.describe())),
            None => Err("the query ends where a term was expected".to_owned()),
        };
        self.depth -= 1;
        parsed
    }
}

fn one_or(mut terms: Vec<UserSearch>, combine: fn(Vec<UserSearch>) -> UserSearch) -> UserSearch {
    if terms.len() == 1 {
        terms.remove(0)
    } else {
        combine(terms)
    }
}

fn term(field: Option<&str>, value: Written) -> Result<UserSearch, String> {
    let Some(field) = field else {
        return match value {
            Written::Word(word) => Ok(UserSearch::Anywhere(word.trim_matches('*').to_owned())),
            Written::Phrase(phrase) => Ok(UserSearch::Anywhere(phrase)),
            Written::Range(..) => Err("a range needs a field".to_owned()),
        };
    };
    if let Some(text) = text_field(field) {
        return text_term(field, text, value);
    }
    match field {
        "blocked" => flag_term(field, FlagField::Blocked, value),
        "email_verified" => flag_term(field, FlagField::EmailVerified, value),
        "logins_count" => range_term(field, RangeField::LoginsCount, value, count_bound),
        "created_at" => range_term(field, RangeField::CreatedAt, value, time_bound),
        "updated_at" => range_term(field, RangeField::UpdatedAt, value, time_bound),
        "last_login" => range_term(field, RangeField::LastLogin, value, time_bound),
        "identities.connection" | "identities.provider" => {
            let word = match value {
                Written::Word(word) | Written::Phrase(word) => word,
                Written::Range(..) => return Err(format!("`{field}` takes no range")),
            };
            let compared = if field == "identities.connection" {
                IdentityField::Connection
            } else {
                IdentityField::Provider
            };
            Ok(UserSearch::Identity(compared, word))
        }
        // A user with an identity of a social strategy, or of another.
        "identities.isSocial" => {
            let social = match value {
                Written::Word(word) | Written::Phrase(word) => match word.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(format!("`{field}` is true or false")),
                },
                Written::Range(..) => return Err(format!("`{field}` takes no range")),
            };
            Ok(UserSearch::Any(
                Strategy::ALL
                    .into_iter()
                    .filter(|strategy| strategy.is_social() == social)
                    .map(|strategy| {
                        UserSearch::Identity(IdentityField::Provider, strategy.as_str().to_owned())
                    })
                    .collect(),
            ))
        }
        _ => match field.split_once('.') {
            Some(("app_metadata", path)) => metadata_term(field, MetadataField::App, path, value),
            Some(("user_metadata", path)) => metadata_term(field, MetadataField::User, path, value),
            _ => Err(format!("`{field}` is not a field users can be searched by")),
        },
    }
}

fn text_field(field: &str) -> Option<TextField> {
    Some(match field {
        "email" => TextField::Email,
        "name" => TextField::Name,
        "given_name" => TextField::GivenName,
        "family_name" => TextField::FamilyName,
        "nickname" => TextField::Nickname,
        "username" => TextField::Username,
        "user_id" => TextField::UserId,
        "email.domain" => TextField::EmailDomain,
        "last_ip" => TextField::LastIp,
        _ => return None,
    })
}

fn text_term(name: &str, field: TextField, value: Written) -> Result<UserSearch, String> {
    let matched = match value {
        Written::Phrase(phrase) => TextMatch::Is(phrase),
        Written::Word(word) => match (word.strip_prefix('*'), word.strip_suffix('*')) {
            (Some(rest), _) if rest.contains('*') => return Err(wildcard_inside(name)),
            (Some(suffix), _) if suffix.chars().count() < MIN_SUFFIX => {
                return Err(format!(
                    "`{name}:*{suffix}`: a leading wildcard needs at least {MIN_SUFFIX} characters after it"
                ))
            }
            (Some(suffix), _) => TextMatch::EndsWith(suffix.to_owned()),
            (None, Some(prefix)) if prefix.contains('*') => return Err(wildcard_inside(name)),
            (None, Some(prefix)) => TextMatch::StartsWith(prefix.to_owned()),
            (None, None) if word.contains('*') => return Err(wildcard_inside(name)),
            (None, None) => TextMatch::Is(word),
        },
        Written::Range(..) => return Err(format!("`{name}` takes no range")),
    };
    Ok(UserSearch::Text(field, matched))
}

fn wildcard_inside(field: &str) -> String {
    format!("`{field}`: a wildcard can only start or end a value")
}

fn flag_term(name: &str, field: FlagField, value: Written) -> Result<UserSearch, String> {
    match value {
        Written::Word(word) | Written::Phrase(word) if word == "true" => {
            Ok(UserSearch::Flag(field, true))
        }
        Written::Word(word) | Written::Phrase(word) if word == "false" => {
            Ok(UserSearch::Flag(field, false))
        }
        _ => Err(format!("`{name}` is true or false")),
    }
}

/// A bound as the store compares it; `upper` says which end of a day a date stands for.
type Bound = fn(&str, bool) -> Option<i64>;

fn count_bound(text: &str, _upper: bool) -> Option<i64> {
    text.parse().ok()
}

/// A date (`2024-01-31`: the whole day) or an RFC 3339 instant, in Unix seconds.
fn time_bound(text: &str, upper: bool) -> Option<i64> {
    let date_only = text.len() == 10;
    let instant = if date_only {
        humantime::parse_rfc3339_weak(&format!("{text} 00:00:00")).ok()?
    } else {
        humantime::parse_rfc3339_weak(text.trim_end_matches('Z').trim_end_matches("+00:00")).ok()?
    };
    let seconds = i64::try_from(
        instant
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs(),
    )
    .ok()?;
    Some(if date_only && upper {
        seconds + 86_399
    } else {
        seconds
    })
}

fn range_term(
    name: &str,
    field: RangeField,
    value: Written,
    bound: Bound,
) -> Result<UserSearch, String> {
    let invalid = |text: &str| format!("`{name}:{text}` is not a valid value");
    let (low, high) = match value {
        Written::Word(word) | Written::Phrase(word) => {
            let low = bound(&word, false).ok_or_else(|| invalid(&word))?;
            let high = bound(&word, true).ok_or_else(|| invalid(&word))?;
            (Some(low), Some(high))
        }
        Written::Range(low, high) => {
            let low = match low {
                None => None,
                Some((text, included)) => {
                    let at = bound(&text, !included).ok_or_else(|| invalid(&text))?;
                    Some(if included { at } else { at + 1 })
                }
            };
            let high = match high {
                None => None,
                Some((text, included)) => {
                    let at = bound(&text, included).ok_or_else(|| invalid(&text))?;
                    Some(if included { at } else { at - 1 })
                }
            };
            (low, high)
        }
    };
    Ok(UserSearch::Range(field, low, high))
}

fn metadata_term(
    name: &str,
    of: MetadataField,
    path: &str,
    value: Written,
) -> Result<UserSearch, String> {
    let path = path
        .split('.')
        .map(|key| {
            MetadataKey::parse(key)
                .ok_or_else(|| format!("`{name}`: `{key}` is not a key a search can name"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let json = match value {
        Written::Phrase(phrase) => vec![Value::String(phrase).to_string()],
        Written::Word(word) if word.contains('*') => {
            return Err(format!("`{name}`: metadata is not searched by wildcard"))
        }
        Written::Word(word) => {
            let mut json = vec![Value::String(word.clone()).to_string()];
            if let Ok(scalar @ (Value::Bool(_) | Value::Number(_))) =
                serde_json::from_str::<Value>(&word)
            {
                json.push(scalar.to_string());
            }
            json
        }
        Written::Range(..) => return Err(format!("`{name}`: metadata is not searched by range")),
    };
    Ok(UserSearch::Metadata { of, path, json })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn text(field: TextField, matched: TextMatch) -> UserSearch {
        UserSearch::Text(field, matched)
    }

    #[test]
    fn fields_phrases_and_wildcards() {
        assert_eq!(
            parse_query(r#"email:"Jane@Example.com""#).unwrap(),
            text(TextField::Email, TextMatch::Is("Jane@Example.com".into()))
        );
        assert_eq!(
            parse_query("name:jo*").unwrap(),
            text(TextField::Name, TextMatch::StartsWith("jo".into()))
        );
        assert_eq!(
            parse_query("email:*example.com").unwrap(),
            text(TextField::Email, TextMatch::EndsWith("example.com".into()))
        );
        assert_eq!(
            parse_query(r#"user_id:auth0\|abc"#).unwrap(),
            text(TextField::UserId, TextMatch::Is("auth0|abc".into()))
        );
        assert!(parse_query("name:*sa").unwrap_err().contains("at least 3"));
        assert!(parse_query("name:j*n").unwrap_err().contains("wildcard"));
    }

    #[test]
    fn operators_with_and_binding_tighter_than_or() {
        let parsed = parse_query("blocked:true AND NOT email_verified:false OR jane").unwrap();
        assert_eq!(
            parsed,
            UserSearch::Any(vec![
                UserSearch::All(vec![
                    UserSearch::Flag(FlagField::Blocked, true),
                    UserSearch::Not(Box::new(UserSearch::Flag(FlagField::EmailVerified, false))),
                ]),
                UserSearch::Anywhere("jane".into()),
            ])
        );
        // Side by side is OR, as in Lucene; parentheses group.
        assert_eq!(
            parse_query("(jane john) AND blocked:false").unwrap(),
            UserSearch::All(vec![
                UserSearch::Any(vec![
                    UserSearch::Anywhere("jane".into()),
                    UserSearch::Anywhere("john".into()),
                ]),
                UserSearch::Flag(FlagField::Blocked, false),
            ])
        );
    }

    #[test]
    fn ranges_of_counts_and_dates() {
        assert_eq!(
            parse_query("logins_count:[2 TO *]").unwrap(),
            UserSearch::Range(RangeField::LoginsCount, Some(2), None)
        );
        assert_eq!(
            parse_query("logins_count:{2 TO 5}").unwrap(),
            UserSearch::Range(RangeField::LoginsCount, Some(3), Some(4))
        );
        // A date bound stands for its whole day; 2024-01-01 is 1704067200.
        assert_eq!(
            parse_query("created_at:[2024-01-01 TO 2024-01-01]").unwrap(),
            UserSearch::Range(
                RangeField::CreatedAt,
                Some(1_704_067_200),
                Some(1_704_153_599)
            )
        );
        assert_eq!(
            parse_query("last_login:2024-01-01T00:00:10Z").unwrap(),
            UserSearch::Range(
                RangeField::LastLogin,
                Some(1_704_067_210),
                Some(1_704_067_210)
            )
        );
        assert!(parse_query("logins_count:many").is_err());
        assert!(parse_query("created_at:[yesterday TO *]").is_err());
    }

    #[test]
    fn metadata_values_as_string_number_or_boolean() {
        assert_eq!(
            parse_query("app_metadata.plan.tier:5").unwrap(),
            UserSearch::Metadata {
                of: MetadataField::App,
                path: vec![
                    MetadataKey::parse("plan").unwrap(),
                    MetadataKey::parse("tier").unwrap()
                ],
                json: vec![r#""5""#.into(), "5".into()],
            }
        );
        assert_eq!(
            parse_query(r#"user_metadata.theme:"dark""#).unwrap(),
            UserSearch::Metadata {
                of: MetadataField::User,
                path: vec![MetadataKey::parse("theme").unwrap()],
                json: vec![r#""dark""#.into()],
            }
        );
        assert!(parse_query("app_metadata.plan:gol*").is_err());
        assert!(parse_query("app_metadata.a'b:1").is_err());
    }

    #[test]
    fn malformed_queries_are_refused_with_a_reason() {
        for (query, reason) in [
            ("email:", "no value"),
            ("name:\"jane", "closing"),
            ("(jane", "closing"),
            ("jane)", "unexpected"),
            ("jane AND", "ends"),
            ("password_hash:x", "not a field"),
            ("blocked:maybe", "true or false"),
            ("logins_count:[1 2]", "low TO high"),
        ] {
            let error = parse_query(query).unwrap_err();
            assert!(error.contains(reason), "{query}: {error}");
        }
        let deep = format!("{}jane{}", "(".repeat(100), ")".repeat(100));
        assert!(parse_query(&deep).unwrap_err().contains("nested"));
    }

    #[test]
    fn identity_terms_name_a_connection_or_a_provider() {
        assert_eq!(
            parse_query("identities.connection:\"Username-Password-Authentication\"").unwrap(),
            UserSearch::Identity(
                IdentityField::Connection,
                "Username-Password-Authentication".into()
            )
        );
        assert_eq!(
            parse_query("identities.provider:oidc").unwrap(),
            UserSearch::Identity(IdentityField::Provider, "oidc".into())
        );
        let provider = |name: &str| UserSearch::Identity(IdentityField::Provider, name.into());
        assert_eq!(
            parse_query("identities.isSocial:true").unwrap(),
            UserSearch::Any(vec![
                provider("oauth2"),
                provider("google-oauth2"),
                provider("github")
            ])
        );
        assert_eq!(
            parse_query("identities.isSocial:false").unwrap(),
            UserSearch::Any(vec![provider("auth0"), provider("oidc")])
        );
        assert!(parse_query("identities.isSocial:maybe").is_err());
    }

    #[test]
    fn sort_orders() {
        assert_eq!(
            parse_sort("last_login:-1").unwrap(),
            UserSort {
                by: SortField::LastLogin,
                descending: true
            }
        );
        assert!(parse_sort("password:1").is_err());
        assert!(parse_sort("email:up").is_err());
    }
}
