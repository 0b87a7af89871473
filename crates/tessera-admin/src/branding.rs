//! `/api/v2/branding`: the hosted pages' logo, colours, favicon and font, as Auth0 names them.
//! Values are checked strictly (colours `#rgb`/`#rrggbb`, URLs `https` without characters that
//! could end a CSS string), because they are written into the pages' style sheet.

use serde::{Deserialize, Serialize};
use tessera_store::JsonObject;

use crate::error::{AdminError, AdminResult};
use crate::service::{Admin, Caller};

/// The tenant setting the branding is kept under.
const SETTING: &str = "branding";

/// Auth0's branding settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Branding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colors: Option<BrandingColors>,
    /// An `https` URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub favicon_url: Option<String>,
    /// An `https` URL, shown above every hosted page's form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font: Option<BrandingFont>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandingColors {
    /// Buttons and links: `#rgb` or `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<String>,
    /// Behind the form: `#rgb` or `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_background: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandingFont {
    /// An `https` URL of a font file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

fn is_color(value: &str) -> bool {
    value
        .strip_prefix('#')
        .is_some_and(|hex| matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Auth0's "strict https uri", and nothing that could leave a CSS `url("…")`.
fn is_https_url(value: &str) -> bool {
    url::Url::parse(value).is_ok_and(|url| url.scheme() == "https" && url.host().is_some())
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "\"'\\()<>".contains(c))
}

impl Branding {
    fn check(&self) -> Result<(), String> {
        let colors = self.colors.clone().unwrap_or_default();
        for (name, value) in [
            ("colors.primary", &colors.primary),
            ("colors.page_background", &colors.page_background),
        ] {
            if value.as_deref().is_some_and(|v| !is_color(v)) {
                return Err(format!("{name} must be a colour as #rgb or #rrggbb"));
            }
        }
        let font_url = self.font.as_ref().and_then(|f| f.url.clone());
        for (name, value) in [
            ("favicon_url", &self.favicon_url),
            ("logo_url", &self.logo_url),
            ("font.url", &font_url),
        ] {
            if value.as_deref().is_some_and(|v| !is_https_url(v)) {
                return Err(format!("{name} must be an https URL"));
            }
        }
        Ok(())
    }
}

/// Merges `patch` into `stored` by key, as Auth0's PATCH does: a `null` removes the key, an
/// object is merged into the object it replaces.
fn merge(stored: &mut JsonObject, patch: JsonObject) {
    for (key, value) in patch {
        match (stored.get_mut(&key), value) {
            (_, serde_json::Value::Null) => {
                stored.remove(&key);
            }
            (Some(serde_json::Value::Object(inner)), serde_json::Value::Object(update)) => {
                merge(inner, update);
            }
            (_, value) => {
                stored.insert(key, value);
            }
        }
    }
}

impl Admin {
    /// The branding as set, or none of it (Tessera's own look).
    pub async fn branding_settings(&self) -> AdminResult<Branding> {
        let stored = self
            .store()
            .tenant_setting(SETTING)
            .await?
            .unwrap_or_default();
        serde_json::from_value(serde_json::Value::Object(stored))
            .map_err(|e| AdminError::Internal(format!("stored branding: {e}")))
    }

    pub async fn branding(&self, caller: &Caller) -> AdminResult<Branding> {
        caller.require("read:branding")?;
        self.branding_settings().await
    }

    /// Changes what `patch` names (a `null` removes a setting).
    pub async fn update_branding(
        &self,
        caller: &Caller,
        patch: JsonObject,
    ) -> AdminResult<Branding> {
        caller.require("update:branding")?;
        let mut stored = self
            .store()
            .tenant_setting(SETTING)
            .await?
            .unwrap_or_default();
        merge(&mut stored, patch);
        let branding: Branding = serde_json::from_value(serde_json::Value::Object(stored))
            .map_err(|e| AdminError::InvalidBody(format!("Payload validation error: {e}")))?;
        branding
            .check()
            .map_err(|why| AdminError::InvalidBody(format!("Payload validation error: {why}")))?;
        let value = match serde_json::to_value(&branding) {
            Ok(serde_json::Value::Object(object)) => object,
            _ => JsonObject::new(),
        };
        self.store().set_tenant_setting(SETTING, &value).await?;
        self.changed();
        Ok(branding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_urls_are_checked_strictly() {
        for good in ["#fff", "#0059d6", "#ABCDEF"] {
            assert!(is_color(good), "{good}");
        }
        for bad in ["fff", "#ffff", "#00g000", "red", "#fff;}body{"] {
            assert!(!is_color(bad), "{bad}");
        }
        assert!(is_https_url("https://cdn.example.com/logo.png"));
        for bad in [
            "http://cdn.example.com/logo.png",
            "https://cdn.example.com/a\").png",
            "https://cdn.example.com/a b.png",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
        ] {
            assert!(!is_https_url(bad), "{bad}");
        }
    }

    #[test]
    fn a_patch_merges_objects_and_null_removes() {
        let mut stored = serde_json::json!({ "colors": { "primary": "#111", "page_background": "#222" }, "logo_url": "https://a.example/l.png" });
        let patch = serde_json::json!({ "colors": { "primary": "#333" }, "logo_url": null });
        let (serde_json::Value::Object(stored_object), serde_json::Value::Object(patch)) =
            (&mut stored, patch)
        else {
            unreachable!()
        };
        merge(stored_object, patch);
        assert_eq!(
            stored,
            serde_json::json!({ "colors": { "primary": "#333", "page_background": "#222" } })
        );
    }
}
