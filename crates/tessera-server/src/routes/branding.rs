//! The hosted pages' branding (`/api/v2/branding`) as a style sheet, `GET /u/branding.css`, and
//! the favicon, `GET /u/favicon`. Every page links both; with no branding set the sheet is empty
//! and the favicon a 404, and the pages keep Tessera's look.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tessera_admin::branding::Branding;

use crate::error::InternalError;
use crate::state::AppState;

/// Branding changes show within a minute.
const CACHE: &str = "public, max-age=60";

/// The style sheet for `branding`. Its values were checked when set (colours `#hex`, `https`
/// URLs without quotes, parentheses or spaces), so they are written as they are.
fn style_sheet(branding: &Branding) -> String {
    let mut css = String::new();
    let colors = branding.colors.clone().unwrap_or_default();
    if let Some(primary) = &colors.primary {
        css.push_str(&format!(":root {{ --accent: {primary}; }}\n"));
    }
    if let Some(background) = &colors.page_background {
        css.push_str(&format!(":root {{ --bg: {background}; }}\n"));
    }
    if let Some(logo) = &branding.logo_url {
        css.push_str(&format!(
            ".logo {{ display: block; background-image: url(\"{logo}\"); }}\n"
        ));
    }
    if let Some(font) = branding.font.as_ref().and_then(|f| f.url.as_ref()) {
        css.push_str(&format!(
            "@font-face {{ font-family: \"Brand\"; src: url(\"{font}\"); }}\nbody {{ font-family: \"Brand\", system-ui, sans-serif; }}\n"
        ));
    }
    css
}

pub async fn style(State(state): State<AppState>) -> Response {
    match state.admin.branding_settings().await {
        Ok(branding) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/css; charset=utf-8"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static(CACHE)),
            ],
            style_sheet(&branding),
        )
            .into_response(),
        Err(error) => InternalError::from(error).into_response(),
    }
}

pub async fn favicon(State(state): State<AppState>) -> Response {
    match state.admin.branding_settings().await {
        Ok(Branding {
            favicon_url: Some(url),
            ..
        }) => match HeaderValue::from_str(&url) {
            Ok(location) => (
                StatusCode::FOUND,
                [
                    (header::LOCATION, location),
                    (header::CACHE_CONTROL, HeaderValue::from_static(CACHE)),
                ],
            )
                .into_response(),
            Err(_) => StatusCode::NOT_FOUND.into_response(),
        },
        Ok(_) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => InternalError::from(error).into_response(),
    }
}
