//! The hosted pages' languages. Messages are keyed by their English text, as gettext keys
//! them: the templates and the code say what they mean in English, and each catalogue
//! (`locales/<tag>.toml`) maps that text to its translation; a text a catalogue lacks stays
//! English. `{name}` in a text is a value filled in after translation. The language is the
//! first of the request's `ui_locales` (OIDC Core §3.1.2.1, kept with the pending
//! authorization), then of the browser's `Accept-Language`, that Tessera speaks; English
//! otherwise. Right-to-left languages set `dir="rtl"` on the page, whose styles use logical
//! properties (start/end, not left/right).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::Request;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use fluent_langneg::{negotiate_languages, LanguageIdentifier, NegotiationStrategy};

/// A catalogue: its BCP 47 tag and its file.
const CATALOGUES: [(&str, &str); 4] = [
    ("de", include_str!("../locales/de.toml")),
    ("fr", include_str!("../locales/fr.toml")),
    ("es", include_str!("../locales/es.toml")),
    ("ar", include_str!("../locales/ar.toml")),
];

/// Languages written right to left.
const RIGHT_TO_LEFT: [&str; 4] = ["ar", "he", "fa", "ur"];

/// One language Tessera speaks.
pub struct Language {
    pub tag: &'static str,
    right_to_left: bool,
    /// English text → this language's; empty for English.
    texts: HashMap<String, String>,
}

fn language(tag: &'static str, file: &str) -> Language {
    let texts = match toml::from_str::<HashMap<String, String>>(file) {
        Ok(texts) => texts,
        Err(error) => {
            tracing::error!(%error, language = tag, "a message catalogue cannot be read; its pages are shown in English");
            HashMap::new()
        }
    };
    Language {
        tag,
        right_to_left: RIGHT_TO_LEFT.contains(&tag),
        texts,
    }
}

/// English first (the default), then the catalogues.
static LANGUAGES: LazyLock<Vec<Language>> = LazyLock::new(|| {
    std::iter::once(language("en", ""))
        .chain(CATALOGUES.iter().map(|(tag, file)| language(tag, file)))
        .collect()
});

/// Marks `english` as a text to translate where it is not translated at once (a constant
/// shown later): gettext's `N_`. The catalogue test finds every text so marked.
pub const fn text(english: &'static str) -> &'static str {
    english
}

/// The tags of the languages Tessera speaks (discovery's `ui_locales_supported`).
pub fn supported() -> Vec<&'static str> {
    LANGUAGES.iter().map(|language| language.tag).collect()
}

/// The texts of one language, for one page.
#[derive(Clone, Copy)]
pub struct Messages {
    language: &'static Language,
}

impl std::fmt::Debug for Messages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.language.tag)
    }
}

impl Messages {
    /// English: the audit log's and the API's language.
    pub fn english() -> Messages {
        Messages {
            language: &LANGUAGES[0],
        }
    }

    /// `english` in this language.
    pub fn t<'a>(&self, english: &'a str) -> Cow<'a, str> {
        match self.language.texts.get(english) {
            Some(text) => Cow::Owned(text.clone()),
            None => Cow::Borrowed(english),
        }
    }

    /// `english` in this language, with `{name}` filled in.
    pub fn t1(&self, english: &str, name: &str, value: &str) -> String {
        self.t(english).replace(&format!("{{{name}}}"), value)
    }

    /// `english` in this language, with two values filled in.
    pub fn t2(
        &self,
        english: &str,
        first: &(&str, impl AsRef<str>),
        second: &(&str, impl AsRef<str>),
    ) -> String {
        self.t1(english, first.0, first.1.as_ref())
            .replace(&format!("{{{}}}", second.0), second.1.as_ref())
    }

    /// `english` in this language, with three values filled in.
    pub fn t3(
        &self,
        english: &str,
        first: &(&str, impl AsRef<str>),
        second: &(&str, impl AsRef<str>),
        third: &(&str, impl AsRef<str>),
    ) -> String {
        self.t2(english, first, second)
            .replace(&format!("{{{}}}", third.0), third.1.as_ref())
    }

    /// The page's `lang`.
    pub fn lang(&self) -> &'static str {
        self.language.tag
    }

    /// The page's `dir`.
    pub fn dir(&self) -> &'static str {
        if self.language.right_to_left {
            "rtl"
        } else {
            "ltr"
        }
    }
}

/// The language for `ui_locales` (space-separated tags) and then `accept_language` (the
/// header), English when Tessera speaks none of them.
pub fn negotiate(ui_locales: Option<&str>, accept_language: Option<&str>) -> Messages {
    let mut requested: Vec<LanguageIdentifier> = ui_locales
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|tag| tag.parse().ok())
        .collect();
    requested.extend(fluent_langneg::parse_accepted_languages(
        accept_language.unwrap_or_default(),
    ));
    let available: Vec<LanguageIdentifier> = LANGUAGES
        .iter()
        .filter_map(|language| language.tag.parse().ok())
        .collect();
    let chosen = negotiate_languages(
        &requested,
        &available,
        available.first(),
        NegotiationStrategy::Lookup,
    );
    let tag = chosen.first().map(|id| id.to_string()).unwrap_or_default();
    let language = LANGUAGES
        .iter()
        .find(|language| language.tag == tag)
        .unwrap_or(&LANGUAGES[0]);
    Messages { language }
}

tokio::task_local! {
    /// The `Accept-Language` of the request being served.
    static REQUEST_LANGUAGES: Option<HeaderValue>;
}

/// Middleware: keeps the request's `Accept-Language` for the pages it renders (a reference
/// count, not a copy: most requests render no page).
pub async fn remember_accept_language(request: Request, next: Next) -> Response {
    let header = request.headers().get(ACCEPT_LANGUAGE).cloned();
    REQUEST_LANGUAGES.scope(header, next.run(request)).await
}

/// The language of a page of this request, `ui_locales` first.
pub fn messages(ui_locales: Option<&str>) -> Messages {
    let accept = REQUEST_LANGUAGES.try_with(Clone::clone).ok().flatten();
    negotiate(ui_locales, accept.as_ref().and_then(|v| v.to_str().ok()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn ui_locales_come_before_accept_language_and_english_is_the_default() {
        assert_eq!(negotiate(None, None).lang(), "en");
        assert_eq!(
            negotiate(None, Some("de-AT,de;q=0.9,en;q=0.5")).lang(),
            "de"
        );
        assert_eq!(negotiate(Some("fr-CA es"), Some("de")).lang(), "fr");
        assert_eq!(negotiate(Some("ja"), Some("es-MX;q=0.8, ja")).lang(), "es");
        assert_eq!(negotiate(Some("tlh"), Some("xx")).lang(), "en");
        assert_eq!(negotiate(None, Some("ar-EG")).dir(), "rtl");
        assert_eq!(negotiate(None, Some("de")).dir(), "ltr");
    }

    #[test]
    fn values_are_filled_in_after_translation() {
        let german = negotiate(Some("de"), None);
        let english = Messages::english();
        assert_eq!(
            english.t1("Log in to {client}", "client", "Shop"),
            "Log in to Shop"
        );
        let text = german.t1("Log in to {client}", "client", "Shop");
        assert!(
            text.contains("Shop") && !text.contains("{client}"),
            "{text}"
        );
        assert_ne!(text, "Log in to Shop");
        assert_eq!(english.t("no such text"), "no such text");
    }

    /// Every text the templates and the code ask for: the string literals that `.t(`, `.t1(`,
    /// `.t2(`, `.t3(` and `text(` open with, in `templates/` and `src/`.
    fn wanted_texts() -> Vec<String> {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut files = Vec::new();
        let mut dirs = vec![format!("{root}/templates"), format!("{root}/src")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path.display().to_string());
                } else if path.extension().is_some_and(|e| e == "html" || e == "rs") {
                    files.push(path);
                }
            }
        }
        let mut texts = Vec::new();
        for path in files {
            if path.ends_with("i18n.rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            for call in [".t(", ".t1(", ".t2(", ".t3(", "text("] {
                for rest in source.split(call).skip(1) {
                    let Some(literal) = rest.trim_start().strip_prefix('"') else {
                        continue;
                    };
                    let end = literal.find('"').unwrap();
                    texts.push(literal[..end].to_owned());
                }
            }
        }
        // The login page shows brute-force protection's own words.
        texts.extend(
            [
                tessera_core::brute_force::ACCOUNT_BLOCKED,
                tessera_core::brute_force::IP_THROTTLED,
            ]
            .map(str::to_owned),
        );
        texts.sort();
        texts.dedup();
        texts
    }

    #[test]
    fn every_catalogue_translates_every_text_and_keeps_its_placeholders() {
        let wanted = wanted_texts();
        assert!(wanted.len() > 40, "{wanted:?}");
        for (tag, file) in CATALOGUES {
            let texts: HashMap<String, String> =
                toml::from_str(file).unwrap_or_else(|e| panic!("{tag}: {e}"));
            for english in &wanted {
                let translated = texts
                    .get(english)
                    .unwrap_or_else(|| panic!("{tag} lacks {english:?}"));
                for placeholder in english.split('{').skip(1).filter_map(|s| s.split_once('}')) {
                    let name = format!("{{{}}}", placeholder.0);
                    assert!(
                        translated.contains(&name),
                        "{tag}: {translated:?} lacks {name}"
                    );
                }
            }
            for english in texts.keys() {
                assert!(
                    wanted.contains(english),
                    "{tag} translates {english:?}, which nothing shows"
                );
            }
        }
    }
}
