//! The verification page: one self-contained HTML document (markup, CSS and script inline,
//! no external asset), built once per language at startup. The script renders every text
//! from its table of both languages; the server only picks the language: `?lang=ja|en`,
//! else the preferred of `ja` and `en` in `Accept-Language`, else Japanese.
//!
//! A Content-Security-Policy allows only this page's own style and script (by their
//! SHA-256), requests to this server, and nothing else.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use kenpo_core::alg::DigestAlgorithm;

const HTML: &str = include_str!("page.html");
const CSS: &str = include_str!("page.css");
const JS: &str = include_str!("page.js");

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageLang {
    /// 日本語.
    Ja,
    /// English.
    En,
}

impl PageLang {
    fn code(self) -> &'static str {
        match self {
            Self::Ja => "ja",
            Self::En => "en",
        }
    }
}

/// The page in both languages and its security policy.
#[derive(Debug, Clone)]
pub struct Pages {
    ja: String,
    en: String,
    csp: HeaderValue,
    default: PageLang,
}

impl Pages {
    /// Builds the page; `default` is the language when the request names none.
    pub fn new(default: PageLang) -> Self {
        let build = |lang: PageLang| {
            HTML.replace("{{lang}}", lang.code())
                .replace("{{style}}", CSS)
                .replace("{{script}}", JS)
        };
        let csp = format!(
            "default-src 'none'; style-src '{}'; script-src '{}'; connect-src 'self'; \
             img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            sha256(CSS),
            sha256(JS)
        );
        Self {
            ja: build(PageLang::Ja),
            en: build(PageLang::En),
            csp: HeaderValue::from_str(&csp)
                .unwrap_or(HeaderValue::from_static("default-src 'none'")),
            default,
        }
    }

    /// The page for a request with `query` and `headers`.
    pub fn answer(&self, query: Option<&str>, headers: &HeaderMap) -> Response {
        let lang = from_query(query)
            .or_else(|| {
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(from_accept_language)
            })
            .unwrap_or(self.default);
        let body = match lang {
            PageLang::Ja => self.ja.clone(),
            PageLang::En => self.en.clone(),
        };
        let mut r = (StatusCode::OK, body).into_response();
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        h.insert(header::CONTENT_SECURITY_POLICY, self.csp.clone());
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
        r
    }

    /// The page in `lang`.
    #[cfg(test)]
    fn text(&self, lang: PageLang) -> &str {
        match lang {
            PageLang::Ja => &self.ja,
            PageLang::En => &self.en,
        }
    }
}

/// `'sha256-…'` source of a CSP for `text`.
fn sha256(text: &str) -> String {
    let d = DigestAlgorithm::Sha256.digest(text.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(d.as_bytes())
    )
}

/// `lang=ja|en` in a query string.
fn from_query(query: Option<&str>) -> Option<PageLang> {
    query?.split('&').find_map(|kv| match kv {
        "lang=ja" => Some(PageLang::Ja),
        "lang=en" => Some(PageLang::En),
        _ => None,
    })
}

/// The preferred of `ja` and `en` in an `Accept-Language` value (the first of the highest
/// weight); `None` when neither is listed.
fn from_accept_language(value: &str) -> Option<PageLang> {
    let mut best: Option<(f32, PageLang)> = None;
    for item in value.split(',') {
        let mut fields = item.split(';');
        let tag = fields.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = fields
            .find_map(|f| f.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        let lang = match primary {
            "ja" => PageLang::Ja,
            "en" => PageLang::En,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn language_from_query_then_accept_language() {
        assert_eq!(from_query(Some("a=1&lang=en")), Some(PageLang::En));
        assert_eq!(from_query(Some("lang=fr")), None);
        let al = from_accept_language;
        assert_eq!(al("en-US,en;q=0.9,ja;q=0.8"), Some(PageLang::En));
        assert_eq!(al("ja,en-US;q=0.9"), Some(PageLang::Ja));
        assert_eq!(al("fr-FR, en;q=0.5, ja;q=0.7"), Some(PageLang::Ja));
        assert_eq!(al("en;q=0, ja;q=0.1"), Some(PageLang::Ja));
        assert_eq!(al("de, fr"), None);
    }

    #[test]
    fn page_is_self_contained_and_small() {
        let pages = Pages::new(PageLang::Ja);
        for lang in [PageLang::Ja, PageLang::En] {
            let page = pages.text(lang);
            assert!(page.len() < 100 * 1024, "{} bytes", page.len());
            assert!(page.contains(&format!("<html lang=\"{}\">", lang.code())));
            assert!(!page.contains("{{"), "a placeholder was left");
            // Nothing is loaded from elsewhere.
            for external in ["src=\"http", "href=\"http", "url(http", "@import"] {
                assert!(!page.contains(external), "{external}");
            }
            assert!(page.contains("id=\"drop\""));
        }
        // The CSP hashes are those of the inline style and script.
        let csp = pages.csp.to_str().unwrap();
        assert!(
            csp.contains(&sha256(CSS)) && csp.contains(&sha256(JS)),
            "{csp}"
        );
        assert!(pages.ja.contains(&format!("<script>{JS}</script>")));
        assert!(pages.ja.contains(&format!("<style>{CSS}</style>")));
    }
}
