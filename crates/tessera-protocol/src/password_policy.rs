//! Auth0's password policy for database connections: the strength levels (`passwordPolicy`),
//! minimum length, history, personal-data and dictionary options, and the errors Auth0 answers
//! a refused password with.
//!
//! Sources. Levels, rule codes and English messages: auth0/password-sheriff v2.0.0 (`index.js`,
//! `lib/rules/*.js`, `lib/policy.js`), the library Auth0 and Lock use. Option names and limits:
//! <https://auth0.com/docs/authenticate/identity-providers/options-mgmt-api>; minimum length:
//! <https://auth0.com/docs/authenticate/database-connections/password-strength>; personal data
//! and dictionary: <https://auth0.com/docs/authenticate/database-connections/password-options>.
//! Error bodies: the `/dbconnections/signup` answers quoted in the tests below.
//!
//! The default dictionary is SecLists' `10-million-password-list-top-10000.txt` (MIT, Daniel
//! Miessler), taken from the npm package `@foal/password` 2.4.0: see `data/README.md`.

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

/// Auth0's `passwordPolicy`: the strength level of a database connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PasswordPolicy {
    /// Auth0's default when `passwordPolicy` is absent or null: a non-empty password.
    #[default]
    None,
    Low,
    Fair,
    Good,
    Excellent,
}

impl PasswordPolicy {
    /// The level's minimum length, used when `password_complexity_options.min_length` is unset
    /// (the table in Auth0's "Password Strength" page).
    pub fn default_min_length(self) -> u32 {
        match self {
            PasswordPolicy::None => 1,
            PasswordPolicy::Low => 6,
            PasswordPolicy::Fair | PasswordPolicy::Good => 8,
            PasswordPolicy::Excellent => 10,
        }
    }
}

/// `password_complexity_options`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordComplexityOptions {
    /// Replaces the level's minimum length (Auth0: "this value supersedes that indicated by the
    /// password policy"); 1 to 128.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "min_length_in_range"
    )]
    pub min_length: Option<u32>,
}

/// `password_history`: how many previous passwords a user may not reuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordHistory {
    pub enable: bool,
    /// 0 to 24 (Management API schema).
    #[serde(deserialize_with = "history_size_in_range")]
    pub size: u32,
}

impl Default for PasswordHistory {
    /// What Auth0 shows for a connection that never enabled history: `{"enable": false, "size": 5}`.
    fn default() -> Self {
        PasswordHistory {
            enable: false,
            size: 5,
        }
    }
}

/// `password_no_personal_info`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordNoPersonalInfo {
    pub enable: bool,
}

/// `password_dictionary`: the 10,000 common passwords plus the connection's own words.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordDictionary {
    pub enable: bool,
    /// Extra forbidden passwords: up to 200 entries of up to 50 characters each.
    #[serde(deserialize_with = "dictionary_in_range")]
    pub dictionary: Vec<String>,
}

/// A connection's password options, as they sit in its `options` object. Absent keys take the
/// values Auth0 assumes for them (`Default`): level `none`, every option disabled.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordRules {
    #[serde(rename = "passwordPolicy", deserialize_with = "null_as_none")]
    pub password_policy: PasswordPolicy,
    #[serde(skip_serializing_if = "PasswordComplexityOptions::is_unset")]
    pub password_complexity_options: PasswordComplexityOptions,
    pub password_history: PasswordHistory,
    pub password_no_personal_info: PasswordNoPersonalInfo,
    pub password_dictionary: PasswordDictionary,
}

impl PasswordComplexityOptions {
    fn is_unset(&self) -> bool {
        self.min_length.is_none()
    }
}

/// The user's profile values a password may not contain when `password_no_personal_info` is on:
/// Auth0 checks `name`, `username`, `nickname`, `user_metadata.name`, `user_metadata.first`,
/// `user_metadata.last` and the part of the email before the `@` — no other field.
#[derive(Debug, Clone, Copy, Default)]
pub struct PersonalInfo<'a> {
    pub email: Option<&'a str>,
    pub username: Option<&'a str>,
    pub name: Option<&'a str>,
    pub nickname: Option<&'a str>,
    /// `user_metadata.name`.
    pub metadata_name: Option<&'a str>,
    /// `user_metadata.first`.
    pub metadata_first: Option<&'a str>,
    /// `user_metadata.last`.
    pub metadata_last: Option<&'a str>,
}

impl PasswordRules {
    /// The options Auth0 gives a tenant's `Username-Password-Authentication` connection.
    pub fn for_new_connection() -> Self {
        PasswordRules {
            password_policy: PasswordPolicy::Good,
            ..PasswordRules::default()
        }
    }

    /// The minimum length in force: `min_length` when set, else the level's.
    pub fn min_length(&self) -> u32 {
        // Lock treats a missing or 0 `min_length` as unset (`if (options.min_length)`).
        match self.password_complexity_options.min_length {
            Some(n) if n > 0 => n,
            _ => self.password_policy.default_min_length(),
        }
    }

    /// How many previous passwords the server must compare against; 0 when history is off.
    pub fn history_size(&self) -> usize {
        if self.password_history.enable {
            self.password_history.size as usize
        } else {
            0
        }
    }

    /// The strength rules without a password (password-sheriff's `explain()`): what a sign-up
    /// page lists before the user types.
    pub fn explain(&self) -> Vec<RuleOutcome> {
        self.strength_rules()
            .iter()
            .map(|r| r.outcome(None))
            .collect()
    }

    /// The bullet list Auth0 sends as `policy` (password-sheriff's `toString()`).
    pub fn policy_text(&self) -> String {
        policy_text(&self.explain())
    }

    /// Checks a new password against every rule but history, which needs the stored hashes:
    /// strength first, then the dictionary, then personal data.
    pub fn check(
        &self,
        password: &str,
        personal: &PersonalInfo<'_>,
    ) -> Result<(), PasswordRejection> {
        let rules: Vec<RuleOutcome> = self
            .strength_rules()
            .iter()
            .map(|r| r.outcome(Some(password)))
            .collect();
        if rules.iter().any(|r| r.verified == Some(false)) {
            return Err(PasswordRejection::TooWeak { rules });
        }
        if self.password_dictionary.enable && self.password_dictionary.forbids(password) {
            return Err(PasswordRejection::TooCommon);
        }
        if self.password_no_personal_info.enable && personal.appears_in(password) {
            return Err(PasswordRejection::ContainsUserInfo);
        }
        Ok(())
    }

    /// password-sheriff's `index.js`: the rules of each level, in its order.
    fn strength_rules(&self) -> Vec<Rule> {
        let mut rules = vec![Rule::Length(self.min_length())];
        match self.password_policy {
            PasswordPolicy::None | PasswordPolicy::Low => {}
            PasswordPolicy::Fair => rules.push(Rule::ContainsAll(&FAIR_CLASSES)),
            PasswordPolicy::Good => rules.push(Rule::ContainsAtLeast(3, &ALL_CLASSES)),
            PasswordPolicy::Excellent => {
                rules.push(Rule::ContainsAtLeast(3, &ALL_CLASSES));
                rules.push(Rule::IdenticalChars(2));
            }
        }
        rules
    }
}

impl PasswordDictionary {
    /// Auth0 "uses case-insensitive comparison" of the whole password with each entry; a
    /// password that merely contains a common word passes.
    fn forbids(&self, password: &str) -> bool {
        let password = password.to_lowercase();
        COMMON_PASSWORDS.contains(&password)
            || self.dictionary.iter().any(|w| w.to_lowercase() == password)
    }
}

/// The default dictionary, lowercased once.
static COMMON_PASSWORDS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_lowercase)
        .collect()
});

impl PersonalInfo<'_> {
    /// Whether the password contains one of the values, ignoring case. Auth0 compares the whole
    /// local part of the email: `john.doe@…` forbids `john.doe`, not `john` or `johndoe`.
    fn appears_in(&self, password: &str) -> bool {
        let password = password.to_lowercase();
        let local_part = self.email.and_then(|e| e.split('@').next());
        [
            local_part,
            self.username,
            self.name,
            self.nickname,
            self.metadata_name,
            self.metadata_first,
            self.metadata_last,
        ]
        .into_iter()
        .flatten()
        .filter(|v| !v.is_empty())
        .any(|v| password.contains(&v.to_lowercase()))
    }
}

/// password-sheriff's character sets (`lib/rules/contains.js`). Only ASCII letters and digits
/// count, as in its `/[a-z]/`, `/[A-Z]/`, `/\d/`: `é` is a character but of no class.
#[derive(Debug, Clone, Copy)]
enum CharClass {
    Lower,
    Upper,
    Number,
    Special,
}

const FAIR_CLASSES: [CharClass; 3] = [CharClass::Lower, CharClass::Upper, CharClass::Number];
const ALL_CLASSES: [CharClass; 4] = [
    CharClass::Lower,
    CharClass::Upper,
    CharClass::Number,
    CharClass::Special,
];

impl CharClass {
    fn matches(self, c: char) -> bool {
        match self {
            CharClass::Lower => c.is_ascii_lowercase(),
            CharClass::Upper => c.is_ascii_uppercase(),
            CharClass::Number => c.is_ascii_digit(),
            // OWASP's password special characters: the space and ASCII punctuation.
            CharClass::Special => c == ' ' || c.is_ascii_punctuation(),
        }
    }

    fn outcome(self, password: Option<&str>) -> RuleOutcome {
        let (code, message) = match self {
            CharClass::Lower => ("lowerCase", "lower case letters (a-z)"),
            CharClass::Upper => ("upperCase", "upper case letters (A-Z)"),
            CharClass::Number => ("numbers", "numbers (i.e. 0-9)"),
            CharClass::Special => ("specialCharacters", "special characters (e.g. !@#$%^&*)"),
        };
        RuleOutcome {
            verified: password.map(|p| p.chars().any(|c| self.matches(c))),
            ..RuleOutcome::new(code, message, Vec::new())
        }
    }
}

/// A password-sheriff rule with its options.
enum Rule {
    /// `length: { minLength }`.
    Length(u32),
    /// `contains: { expressions }` (fair).
    ContainsAll(&'static [CharClass]),
    /// `containsAtLeast: { atLeast, expressions }` (good, excellent).
    ContainsAtLeast(usize, &'static [CharClass]),
    /// `identicalChars: { max }` (excellent).
    IdenticalChars(usize),
}

impl Rule {
    /// `explain()` when `password` is `None`, `missing(password)` otherwise. Every rule fails
    /// an empty password, as password-sheriff's `assert`s do.
    fn outcome(&self, password: Option<&str>) -> RuleOutcome {
        let items = |classes: &[CharClass]| -> Vec<RuleOutcome> {
            classes.iter().map(|c| c.outcome(password)).collect()
        };
        let passed =
            |items: &[RuleOutcome]| items.iter().filter(|i| i.verified == Some(true)).count();
        match *self {
            Rule::Length(1) => RuleOutcome {
                verified: password.map(|p| !p.is_empty()),
                ..RuleOutcome::new("nonEmpty", "Non-empty password required", Vec::new())
            },
            // Length in characters (Unicode scalar values), not bytes. password-sheriff counts
            // UTF-16 units, so an emoji outside the BMP counts 2 there and 1 here.
            Rule::Length(min) => RuleOutcome {
                verified: password.map(|p| !p.is_empty() && p.chars().count() >= min as usize),
                ..RuleOutcome::new(
                    "lengthAtLeast",
                    "At least %d characters in length",
                    vec![FormatArg::Number(min as usize)],
                )
            },
            Rule::ContainsAll(classes) => {
                let items = items(classes);
                RuleOutcome {
                    verified: password.map(|_| passed(&items) == classes.len()),
                    items,
                    ..RuleOutcome::new("shouldContain", "Should contain:", Vec::new())
                }
            }
            Rule::ContainsAtLeast(at_least, classes) => {
                let items = items(classes);
                RuleOutcome {
                    verified: password.map(|_| passed(&items) >= at_least),
                    items,
                    ..RuleOutcome::new(
                        "containsAtLeast",
                        "Contain at least %d of the following %d types of characters:",
                        vec![
                            FormatArg::Number(at_least),
                            FormatArg::Number(classes.len()),
                        ],
                    )
                }
            }
            Rule::IdenticalChars(max) => RuleOutcome {
                verified: password.map(|p| !p.is_empty() && longest_run(p) <= max),
                ..RuleOutcome::new(
                    "identicalChars",
                    "No more than %d identical characters in a row (e.g., \"%s\" not allowed)",
                    vec![FormatArg::Number(max), FormatArg::Text("a".repeat(max + 1))],
                )
            },
        }
    }
}

/// The longest run of one character repeated.
fn longest_run(password: &str) -> usize {
    let (mut longest, mut run, mut previous) = (0, 0, None);
    for c in password.chars() {
        run = if previous == Some(c) { run + 1 } else { 1 };
        previous = Some(c);
        longest = longest.max(run);
    }
    longest
}

/// One rule as password-sheriff describes it, and as Auth0 sends it in `description.rules`:
/// `message` is a printf template filled from `format`, so clients can translate it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleOutcome {
    pub message: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub format: Vec<FormatArg>,
    pub code: &'static str,
    /// The character sets of a `shouldContain` or `containsAtLeast` rule.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<RuleOutcome>,
    /// Whether the password meets the rule; `None` when only explaining the policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

/// An argument of a rule's `format`: Auth0 mixes numbers and strings (`[2, "aaa"]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum FormatArg {
    Number(usize),
    Text(String),
}

impl RuleOutcome {
    fn new(code: &'static str, message: &'static str, format: Vec<FormatArg>) -> Self {
        RuleOutcome {
            message,
            format,
            code,
            items: Vec::new(),
            verified: None,
        }
    }

    /// The message with its `%d`/`%s` filled in, as Node's `util.format` does.
    pub fn text(&self) -> String {
        self.text_of(self.message)
    }

    /// `message` (this rule's message, or a translation of it) with the rule's `%d`/`%s`
    /// arguments filled in, in order.
    pub fn text_of(&self, message: &str) -> String {
        let mut args = self.format.iter();
        let mut out = String::new();
        let mut chars = message.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some(spec @ ('d' | 's')) => match args.next() {
                    Some(FormatArg::Number(n)) => out.push_str(&n.to_string()),
                    Some(FormatArg::Text(t)) => out.push_str(t),
                    None => out.extend(['%', spec]),
                },
                Some('%') => out.push('%'),
                other => out.extend(std::iter::once('%').chain(other)),
            }
        }
        out
    }
}

/// password-sheriff's `flatDescriptions`: `* rule` lines, items indented one space per level.
fn policy_text(rules: &[RuleOutcome]) -> String {
    fn lines(rules: &[RuleOutcome], depth: usize, out: &mut Vec<String>) {
        for rule in rules {
            out.push(format!("{}* {}", " ".repeat(depth), rule.text()));
            lines(&rule.items, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    lines(rules, 0, &mut out);
    out.join("\n")
}

/// Why a password was refused. Auth0 answers each with HTTP 400, `code: "invalid_password"`
/// and a `name` telling them apart; `Serialize` writes that body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordRejection {
    /// The strength rules; `rules` holds every rule, met or not, as `description.rules`.
    TooWeak { rules: Vec<RuleOutcome> },
    /// In the dictionary (common passwords or the connection's own words).
    TooCommon,
    /// Contains the user's name, username, nickname or the like.
    ContainsUserInfo,
    /// Equal to one of the last `history_size` passwords; the server decides this one.
    ReusedPassword { history_size: usize },
}

impl PasswordRejection {
    /// Auth0's `name`.
    pub fn error_name(&self) -> &'static str {
        match self {
            PasswordRejection::TooWeak { .. } => "PasswordStrengthError",
            PasswordRejection::TooCommon => "PasswordDictionaryError",
            PasswordRejection::ContainsUserInfo => "PasswordNoUserInfoError",
            PasswordRejection::ReusedPassword { .. } => "PasswordHistoryError",
        }
    }

    /// Auth0's `code`: the same for every password rejection (Lock and the mobile SDKs tell
    /// them apart by `name`).
    pub fn code(&self) -> &'static str {
        "invalid_password"
    }

    /// The HTTP status Auth0 answers with.
    pub fn status(&self) -> u16 {
        400
    }

    /// Auth0's `message`.
    pub fn message(&self) -> &'static str {
        match self {
            PasswordRejection::TooWeak { .. } => "Password is too weak",
            PasswordRejection::TooCommon => "Password is too common",
            PasswordRejection::ContainsUserInfo => "Password contains user information",
            PasswordRejection::ReusedPassword { .. } => "Password has previously been used",
        }
    }

    /// The Management API's `message` for the same refusal (`PATCH /api/v2/users/{id}`).
    pub fn management_message(&self) -> String {
        format!("{}: {}", self.error_name(), self.message())
    }

    /// Every strength rule with `verified`; empty for the other rejections.
    pub fn explain(&self) -> &[RuleOutcome] {
        match self {
            PasswordRejection::TooWeak { rules } => rules,
            _ => &[],
        }
    }

    /// The `policy` bullet text; only a strength rejection has one.
    pub fn policy_text(&self) -> Option<String> {
        match self {
            PasswordRejection::TooWeak { rules } => Some(policy_text(rules)),
            _ => None,
        }
    }

    fn description(&self) -> Description<'_> {
        match self {
            PasswordRejection::TooWeak { rules } => Description::Rules {
                rules,
                verified: false,
            },
            PasswordRejection::TooCommon => {
                Description::Text("Password is not allowed, it might be too common.".into())
            }
            PasswordRejection::ContainsUserInfo => {
                Description::Text("Password is based on user information".into())
            }
            // Auth0 adds when the password was last used ("… a minute ago."); the server knows.
            PasswordRejection::ReusedPassword { history_size } => Description::Text(format!(
                "You may not reuse any of the last {history_size} passwords."
            )),
        }
    }
}

/// The sentence Lock shows for each rejection (its English `error.signUp` strings).
impl fmt::Display for PasswordRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PasswordRejection::TooWeak { .. } => "Password is too weak.",
            PasswordRejection::TooCommon => "Password is too common.",
            PasswordRejection::ContainsUserInfo => "Password is based on user information.",
            PasswordRejection::ReusedPassword { .. } => "Password has previously been used.",
        })
    }
}

impl std::error::Error for PasswordRejection {}

#[derive(Serialize)]
#[serde(untagged)]
enum Description<'a> {
    Rules {
        rules: &'a [RuleOutcome],
        verified: bool,
    },
    Text(String),
}

#[derive(Serialize)]
struct Body<'a> {
    name: &'static str,
    message: &'static str,
    code: &'static str,
    description: Description<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<String>,
    #[serde(rename = "statusCode")]
    status_code: u16,
}

/// The body of Auth0's 400 answer from `/dbconnections/signup` and the password-reset page.
impl Serialize for PasswordRejection {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Body {
            name: self.error_name(),
            message: self.message(),
            code: self.code(),
            description: self.description(),
            policy: self.policy_text(),
            status_code: self.status(),
        }
        .serialize(serializer)
    }
}

/// Auth0 sends `"passwordPolicy": null` for a connection that never had one: level `none`.
fn null_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<PasswordPolicy, D::Error> {
    Ok(Option::<PasswordPolicy>::deserialize(d)?.unwrap_or_default())
}

fn min_length_in_range<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match Option::<u32>::deserialize(d)? {
        Some(n) if !(1..=128).contains(&n) => Err(D::Error::custom(
            "password_complexity_options.min_length must be between 1 and 128",
        )),
        n => Ok(n),
    }
}

fn history_size_in_range<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let size = u32::deserialize(d)?;
    if size > 24 {
        return Err(D::Error::custom("password_history.size must be at most 24"));
    }
    Ok(size)
}

fn dictionary_in_range<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let words = Vec::<String>::deserialize(d)?;
    if words.len() > 200 || words.iter().any(|w| w.chars().count() > 50) {
        return Err(D::Error::custom(
            "password_dictionary.dictionary takes up to 200 entries of up to 50 characters",
        ));
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use serde_json::json;

    fn rules(policy: PasswordPolicy) -> PasswordRules {
        PasswordRules {
            password_policy: policy,
            ..PasswordRules::default()
        }
    }

    fn nobody() -> PersonalInfo<'static> {
        PersonalInfo::default()
    }

    fn accepts(rules: &PasswordRules, password: &str) -> bool {
        rules.check(password, &nobody()).is_ok()
    }

    /// The codes of the rules a rejected password failed.
    fn failed(rules: &PasswordRules, password: &str) -> Vec<&'static str> {
        match rules.check(password, &nobody()) {
            Err(rejection) => rejection
                .explain()
                .iter()
                .filter(|r| r.verified == Some(false))
                .map(|r| r.code)
                .collect(),
            Ok(()) => Vec::new(),
        }
    }

    #[test]
    fn none_requires_a_non_empty_password() {
        let none = rules(PasswordPolicy::None);
        assert_eq!(failed(&none, ""), ["nonEmpty"]);
        assert!(accepts(&none, "a"));
    }

    #[test]
    fn low_requires_six_characters() {
        let low = rules(PasswordPolicy::Low);
        assert_eq!(failed(&low, "abcde"), ["lengthAtLeast"]);
        assert!(accepts(&low, "abcdef"));
    }

    #[test]
    fn fair_requires_eight_characters_with_lower_upper_and_number() {
        let fair = rules(PasswordPolicy::Fair);
        assert_eq!(failed(&fair, "Abcdef1"), ["lengthAtLeast"]);
        assert!(accepts(&fair, "Abcdefg1"));
        assert_eq!(failed(&fair, "abcdefg1"), ["shouldContain"]);
        assert_eq!(failed(&fair, "ABCDEFG1"), ["shouldContain"]);
        // A special character does not stand in for a missing class at this level.
        assert_eq!(failed(&fair, "Abcdefg!"), ["shouldContain"]);
    }

    #[test]
    fn good_requires_eight_characters_of_three_classes() {
        let good = rules(PasswordPolicy::Good);
        assert_eq!(failed(&good, "Abcde1!"), ["lengthAtLeast"]);
        assert!(accepts(&good, "Abcdefg1"));
        assert!(accepts(&good, "abcdef1!"));
        assert_eq!(failed(&good, "abcdefg1"), ["containsAtLeast"]);
        assert_eq!(failed(&good, "HELLO123"), ["containsAtLeast"]);
    }

    #[test]
    fn good_counts_the_space_as_a_special_character() {
        // password-sheriff's own example of a good password.
        assert!(accepts(&rules(PasswordPolicy::Good), "someP1! "));
        assert!(accepts(&rules(PasswordPolicy::Good), "hello w0rld"));
    }

    #[test]
    fn excellent_requires_ten_characters_of_three_classes() {
        let excellent = rules(PasswordPolicy::Excellent);
        assert_eq!(failed(&excellent, "Abcdefgh1"), ["lengthAtLeast"]);
        assert!(accepts(&excellent, "Abcdefgh12"));
        assert_eq!(failed(&excellent, "abcdefgh12"), ["containsAtLeast"]);
    }

    #[test]
    fn excellent_allows_no_more_than_two_identical_characters_in_a_row() {
        let excellent = rules(PasswordPolicy::Excellent);
        assert!(accepts(&excellent, "Abcdefg1aa"));
        assert_eq!(failed(&excellent, "Abcdefg1aaa"), ["identicalChars"]);
        assert_eq!(failed(&excellent, "Abcdefg111"), ["identicalChars"]);
        // Case matters: "aAa" is three different characters.
        assert!(accepts(&excellent, "Bcdefg1aAa"));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let low = rules(PasswordPolicy::Low);
        assert_eq!("ééééé".len(), 10);
        assert_eq!(failed(&low, "ééééé"), ["lengthAtLeast"]);
        assert!(accepts(&low, "éééééé"));
        assert!(accepts(&low, "密码密码密码"));
    }

    #[test]
    fn non_ascii_letters_belong_to_no_character_class() {
        // ü, Ö and é are letters, but password-sheriff's classes are [a-z], [A-Z] and \d.
        let good = rules(PasswordPolicy::Good);
        assert_eq!(failed(&good, "übÖrzé12"), ["containsAtLeast"]);
        assert!(accepts(&good, "übÖrzé1A"));
    }

    #[test]
    fn identical_chars_compare_characters_not_bytes() {
        let excellent = rules(PasswordPolicy::Excellent);
        assert!(accepts(&excellent, "Abcdefg1éé"));
        assert_eq!(failed(&excellent, "Abcdefg1ééé"), ["identicalChars"]);
    }

    #[test]
    fn min_length_overrides_the_level_minimum() {
        let mut good = rules(PasswordPolicy::Good);
        good.password_complexity_options.min_length = Some(12);
        assert_eq!(good.min_length(), 12);
        assert_eq!(failed(&good, "Abcdefgh1!x"), ["lengthAtLeast"]);
        assert!(accepts(&good, "Abcdefgh1!xy"));

        // Lower than the level's own minimum: it still wins.
        good.password_complexity_options.min_length = Some(4);
        assert!(accepts(&good, "Ab1!"));

        let mut none = rules(PasswordPolicy::None);
        none.password_complexity_options.min_length = Some(10);
        assert_eq!(failed(&none, "123456789"), ["lengthAtLeast"]);
    }

    #[test]
    fn min_length_of_one_is_explained_as_non_empty() {
        let mut low = rules(PasswordPolicy::Low);
        low.password_complexity_options.min_length = Some(1);
        assert_eq!(low.explain()[0].code, "nonEmpty");
        assert_eq!(low.policy_text(), "* Non-empty password required");
    }

    #[test]
    fn personal_info_rejects_the_whole_email_local_part_ignoring_case() {
        let mut good = rules(PasswordPolicy::Good);
        good.password_no_personal_info.enable = true;
        let user = PersonalInfo {
            email: Some("John.Doe@example.com"),
            ..PersonalInfo::default()
        };
        assert_eq!(
            good.check("xJOHN.DOE!1", &user),
            Err(PasswordRejection::ContainsUserInfo)
        );
        // Auth0 does not split the local part at its dots.
        assert_eq!(good.check("Johndoe123", &user), Ok(()));
        assert_eq!(good.check("Doe!2024xy", &user), Ok(()));
    }

    #[test]
    fn personal_info_rejects_name_username_nickname_and_metadata() {
        let mut good = rules(PasswordPolicy::Good);
        good.password_no_personal_info.enable = true;
        let user = PersonalInfo {
            email: Some("jd@example.com"),
            username: Some("jdoe77"),
            name: Some("John"),
            nickname: Some("Johnny"),
            metadata_name: Some("Jonathan Doe"),
            metadata_first: Some("Jon"),
            metadata_last: Some("Smithers"),
        };
        for password in [
            "John1234",
            "Xjdoe77!",
            "JOHNNY!23",
            "jonathan doe1",
            "Jon12345",
            "1SMITHERS!",
        ] {
            assert_eq!(
                good.check(password, &user),
                Err(PasswordRejection::ContainsUserInfo),
                "{password}"
            );
        }
        assert_eq!(good.check("Tr0ub4dor&3", &user), Ok(()));
    }

    #[test]
    fn personal_info_ignores_empty_values_and_is_off_by_default() {
        let user = PersonalInfo {
            name: Some(""),
            username: Some("Abcdefg1"),
            ..PersonalInfo::default()
        };
        let mut good = rules(PasswordPolicy::Good);
        assert_eq!(good.check("Abcdefg1", &user), Ok(()));
        good.password_no_personal_info.enable = true;
        assert_eq!(good.check("Xyzwvut1", &user), Ok(()));
        assert_eq!(
            good.check("Abcdefg1", &user),
            Err(PasswordRejection::ContainsUserInfo)
        );
    }

    #[test]
    fn dictionary_rejects_common_passwords_only_when_enabled() {
        let mut low = rules(PasswordPolicy::Low);
        assert!(accepts(&low, "password1"));
        assert!(accepts(&low, "qwerty123"));
        low.password_dictionary.enable = true;
        for password in ["password1", "qwerty123", "PassWord1", "111111"] {
            assert_eq!(
                low.check(password, &nobody()),
                Err(PasswordRejection::TooCommon),
                "{password}"
            );
        }
        // The whole password is compared: containing a common one is allowed.
        assert!(accepts(&low, "password1-tessera-blue"));
    }

    #[test]
    fn dictionary_rejects_the_connections_own_words_ignoring_case() {
        let mut low = rules(PasswordPolicy::Low);
        low.password_dictionary = PasswordDictionary {
            enable: true,
            dictionary: vec!["Tessera".into()],
        };
        assert_eq!(
            low.check("TESSERA", &nobody()),
            Err(PasswordRejection::TooCommon)
        );
        assert!(accepts(&low, "tessera2024"));
    }

    #[test]
    fn strength_is_checked_before_dictionary_and_personal_info() {
        let mut fair = rules(PasswordPolicy::Fair);
        fair.password_dictionary.enable = true;
        fair.password_no_personal_info.enable = true;
        let user = PersonalInfo {
            name: Some("password"),
            ..PersonalInfo::default()
        };
        let weak = fair.check("password", &user);
        assert_eq!(
            weak.map_err(|r| r.error_name()),
            Err("PasswordStrengthError")
        );
        let common = fair.check("Password1", &user);
        assert_eq!(common, Err(PasswordRejection::TooCommon));
    }

    #[test]
    fn common_password_list_has_ten_thousand_entries() {
        let raw = include_str!("../data/common-passwords.txt");
        assert_eq!(raw.lines().count(), 10_000);
        // Entries differing only in case collapse when lowercased.
        assert!(COMMON_PASSWORDS.len() > 9_000);
        assert!(COMMON_PASSWORDS.contains("123456"));
    }

    #[test]
    fn history_size_is_zero_when_history_is_disabled() {
        let mut rules = PasswordRules::default();
        assert_eq!(rules.password_history.size, 5);
        assert_eq!(rules.history_size(), 0);
        rules.password_history.enable = true;
        assert_eq!(rules.history_size(), 5);
    }

    #[test]
    fn rejections_carry_auth0_names_codes_and_messages() {
        let weak = rules(PasswordPolicy::Good).check("hello", &nobody()).err();
        let cases = [
            (
                weak,
                "PasswordStrengthError",
                "Password is too weak",
                "Password is too weak.",
            ),
            (
                Some(PasswordRejection::TooCommon),
                "PasswordDictionaryError",
                "Password is too common",
                "Password is too common.",
            ),
            (
                Some(PasswordRejection::ContainsUserInfo),
                "PasswordNoUserInfoError",
                "Password contains user information",
                "Password is based on user information.",
            ),
            (
                Some(PasswordRejection::ReusedPassword { history_size: 5 }),
                "PasswordHistoryError",
                "Password has previously been used",
                "Password has previously been used.",
            ),
        ];
        for (rejection, name, message, sentence) in cases {
            let rejection = rejection.expect("a rejection");
            assert_eq!(rejection.error_name(), name);
            assert_eq!(rejection.code(), "invalid_password");
            assert_eq!(rejection.status(), 400);
            assert_eq!(rejection.message(), message);
            assert_eq!(rejection.to_string(), sentence);
            assert_eq!(rejection.management_message(), format!("{name}: {message}"));
        }
    }

    #[test]
    fn policy_text_matches_password_sheriff_for_each_level() {
        assert_eq!(
            rules(PasswordPolicy::None).policy_text(),
            "* Non-empty password required"
        );
        assert_eq!(
            rules(PasswordPolicy::Low).policy_text(),
            "* At least 6 characters in length"
        );
        assert_eq!(
            rules(PasswordPolicy::Fair).policy_text(),
            "* At least 8 characters in length\n* Should contain:\n * lower case letters (a-z)\n \
             * upper case letters (A-Z)\n * numbers (i.e. 0-9)"
        );
        // password-sheriff test/policies/good.js.
        assert_eq!(
            rules(PasswordPolicy::Good).policy_text(),
            "* At least 8 characters in length\n\
             * Contain at least 3 of the following 4 types of characters:\n\
             \x20* lower case letters (a-z)\n\
             \x20* upper case letters (A-Z)\n\
             \x20* numbers (i.e. 0-9)\n\
             \x20* special characters (e.g. !@#$%^&*)"
        );
        assert!(rules(PasswordPolicy::Excellent).policy_text().ends_with(
            "\n* No more than 2 identical characters in a row (e.g., \"aaa\" not allowed)"
        ));
    }

    #[test]
    fn explain_without_a_password_has_no_verified_fields() {
        let explained = serde_json::to_value(rules(PasswordPolicy::Excellent).explain()).unwrap();
        assert_eq!(
            explained,
            json!([
                {"message": "At least %d characters in length", "format": [10], "code": "lengthAtLeast"},
                {"message": "Contain at least %d of the following %d types of characters:",
                 "code": "containsAtLeast", "format": [3, 4], "items": [
                    {"message": "lower case letters (a-z)", "code": "lowerCase"},
                    {"message": "upper case letters (A-Z)", "code": "upperCase"},
                    {"message": "numbers (i.e. 0-9)", "code": "numbers"},
                    {"message": "special characters (e.g. !@#$%^&*)", "code": "specialCharacters"}
                 ]},
                {"message": "No more than %d identical characters in a row (e.g., \"%s\" not allowed)",
                 "code": "identicalChars", "format": [2, "aaa"]}
            ])
        );
    }

    #[test]
    fn too_weak_body_matches_auth0_signup_answer() {
        // Auth0's /dbconnections/signup answer for a `good` connection and a password of lower
        // case and special characters only, as fixed in auth0/go-auth0's error tests.
        let rejection = rules(PasswordPolicy::Good)
            .check("hello!xyz", &nobody())
            .unwrap_err();
        assert_eq!(
            serde_json::to_value(&rejection).unwrap(),
            json!({
                "name": "PasswordStrengthError",
                "message": "Password is too weak",
                "code": "invalid_password",
                "description": {"rules": [
                    {"message": "At least %d characters in length", "format": [8],
                     "code": "lengthAtLeast", "verified": true},
                    {"message": "Contain at least %d of the following %d types of characters:",
                     "code": "containsAtLeast", "format": [3, 4], "items": [
                        {"message": "lower case letters (a-z)", "code": "lowerCase", "verified": true},
                        {"message": "upper case letters (A-Z)", "code": "upperCase", "verified": false},
                        {"message": "numbers (i.e. 0-9)", "code": "numbers", "verified": false},
                        {"message": "special characters (e.g. !@#$%^&*)",
                         "code": "specialCharacters", "verified": true}
                     ], "verified": false}
                ], "verified": false},
                "policy": "* At least 8 characters in length\n* Contain at least 3 of the following 4 types of characters:\n * lower case letters (a-z)\n * upper case letters (A-Z)\n * numbers (i.e. 0-9)\n * special characters (e.g. !@#$%^&*)",
                "statusCode": 400
            })
        );
    }

    #[test]
    fn too_weak_body_for_excellent_carries_identical_chars() {
        let rejection = rules(PasswordPolicy::Excellent)
            .check("helloworld!", &nobody())
            .unwrap_err();
        let body = serde_json::to_value(&rejection).unwrap();
        assert_eq!(
            body["description"]["rules"][2],
            json!({"message": "No more than %d identical characters in a row (e.g., \"%s\" not allowed)",
                   "code": "identicalChars", "format": [2, "aaa"], "verified": true})
        );
        assert_eq!(
            rejection.explain()[2].text(),
            "No more than 2 identical characters in a row (e.g., \"aaa\" not allowed)"
        );
    }

    #[test]
    fn other_rejection_bodies_match_auth0() {
        // Auth0 community thread 131029: /dbconnections/signup with "111111".
        assert_eq!(
            serde_json::to_value(PasswordRejection::TooCommon).unwrap(),
            json!({"name": "PasswordDictionaryError", "message": "Password is too common",
                   "code": "invalid_password",
                   "description": "Password is not allowed, it might be too common.",
                   "statusCode": 400})
        );
        assert_eq!(
            serde_json::to_value(PasswordRejection::ContainsUserInfo).unwrap(),
            json!({"name": "PasswordNoUserInfoError", "message": "Password contains user information",
                   "code": "invalid_password", "description": "Password is based on user information",
                   "statusCode": 400})
        );
        assert_eq!(
            serde_json::to_value(PasswordRejection::ReusedPassword { history_size: 5 }).unwrap(),
            json!({"name": "PasswordHistoryError", "message": "Password has previously been used",
                   "code": "invalid_password",
                   "description": "You may not reuse any of the last 5 passwords.",
                   "statusCode": 400})
        );
    }

    #[test]
    fn connection_options_round_trip_in_auth0_shape() {
        let options = json!({
            "passwordPolicy": "good",
            "password_complexity_options": {"min_length": 8},
            "password_history": {"enable": true, "size": 5},
            "password_no_personal_info": {"enable": true},
            "password_dictionary": {"enable": true, "dictionary": ["tessera"]}
        });
        let parsed: PasswordRules = serde_json::from_value(options.clone()).unwrap();
        assert_eq!(parsed.password_policy, PasswordPolicy::Good);
        assert_eq!(parsed.min_length(), 8);
        assert_eq!(parsed.history_size(), 5);
        assert!(parsed.password_no_personal_info.enable);
        assert_eq!(parsed.password_dictionary.dictionary, ["tessera"]);
        assert_eq!(serde_json::to_value(&parsed).unwrap(), options);
    }

    #[test]
    fn partial_or_null_options_take_auth0_defaults() {
        let empty: PasswordRules = serde_json::from_value(json!({})).unwrap();
        assert_eq!(empty, PasswordRules::default());
        assert_eq!(empty.password_policy, PasswordPolicy::None);
        let null: PasswordRules = serde_json::from_value(json!({"passwordPolicy": null})).unwrap();
        assert_eq!(null.password_policy, PasswordPolicy::None);
        let partial: PasswordRules = serde_json::from_value(json!({
            "passwordPolicy": "excellent",
            "password_history": {"enable": true}
        }))
        .unwrap();
        assert_eq!(partial.min_length(), 10);
        assert_eq!(partial.history_size(), 5);
        // No min_length set: none is written back.
        assert_eq!(
            serde_json::to_value(&empty).unwrap(),
            json!({
                "passwordPolicy": "none",
                "password_history": {"enable": false, "size": 5},
                "password_no_personal_info": {"enable": false},
                "password_dictionary": {"enable": false, "dictionary": []}
            })
        );
    }

    #[test]
    fn a_new_connection_gets_the_good_level() {
        let rules = PasswordRules::for_new_connection();
        assert_eq!(rules.password_policy, PasswordPolicy::Good);
        assert_eq!(rules.min_length(), 8);
        assert_eq!(rules.history_size(), 0);
    }

    #[test]
    fn options_outside_auth0_limits_are_refused() {
        for options in [
            json!({"passwordPolicy": "strong"}),
            json!({"password_complexity_options": {"min_length": 0}}),
            json!({"password_complexity_options": {"min_length": 129}}),
            json!({"password_history": {"enable": true, "size": 25}}),
            json!({"password_dictionary": {"enable": true, "dictionary": ["x".repeat(51)]}}),
            json!({"password_dictionary": {"enable": true, "dictionary": vec!["x"; 201]}}),
        ] {
            assert!(
                serde_json::from_value::<PasswordRules>(options.clone()).is_err(),
                "{options}"
            );
        }
        let edge: PasswordRules = serde_json::from_value(json!({
            "password_complexity_options": {"min_length": 128},
            "password_history": {"enable": true, "size": 24},
            "password_dictionary": {"enable": true, "dictionary": vec!["x".repeat(50); 200]}
        }))
        .unwrap();
        assert_eq!(edge.min_length(), 128);
        assert_eq!(edge.history_size(), 24);
    }

    #[test]
    fn rule_text_fills_format_like_node_util_format() {
        let rule = RuleOutcome::new(
            "x",
            "%d of %d, 100%% %s",
            vec![
                FormatArg::Number(3),
                FormatArg::Number(4),
                FormatArg::Text("sure".into()),
            ],
        );
        assert_eq!(rule.text(), "3 of 4, 100% sure");
        assert_eq!(
            RuleOutcome::new("x", "%d left", Vec::new()).text(),
            "%d left"
        );
    }
}
