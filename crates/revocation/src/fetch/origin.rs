//! Origins: what a redirect may not leave, and the entries of a fetch allow-list.

use std::fmt;
use std::str::FromStr;

use reqwest::Url;

/// Whether `a` and `b` have the same origin: scheme, host and port (default ports made
/// explicit, so `http://h/` and `http://h:80/` are one origin).
pub(super) fn same_origin(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin()
}

/// One entry of a fetch allow-list ([`FetchConfig::allow`](super::FetchConfig::allow)):
/// a host and an optional port, written `HOST` or `HOST:PORT` (`[v6-address]:PORT` for
/// IPv6).
///
/// An entry without a port allows only the scheme's default port (80 for `http`, 443 for
/// `https`); with a port, only that port. Host names compare case-insensitively (IDNA
/// applied as in URLs); IP addresses compare as addresses.
///
/// ```
/// # use kenpo_revocation::fetch::AllowedOrigin;
/// let a: AllowedOrigin = "crl.example.jp".parse()?;
/// assert!(a.allows(&"http://CRL.example.jp/ca.crl".parse()?));
/// assert!(!a.allows(&"http://crl.example.jp:8080/ca.crl".parse()?));
/// let b: AllowedOrigin = "127.0.0.1:8080".parse()?;
/// assert!(b.allows(&"http://127.0.0.1:8080/ocsp".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AllowedOrigin {
    /// As `Url::host_str` writes it (lower case, IDNA, `[…]` around IPv6).
    host: String,
    port: Option<u16>,
}

/// Why an allow-list entry does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad fetch allow-list entry {entry:?}: {reason} (write HOST or HOST:PORT)")]
pub struct AllowedOriginError {
    /// The entry as given.
    pub entry: String,
    /// What is wrong with it.
    pub reason: String,
}

impl AllowedOrigin {
    /// Whether `url`'s host and port are this entry's.
    pub fn allows(&self, url: &Url) -> bool {
        if url.host_str() != Some(self.host.as_str()) {
            return false;
        }
        match self.port {
            Some(p) => url.port_or_known_default() == Some(p),
            None => url.port().is_none(),
        }
    }

    /// The host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, when the entry names one.
    pub fn port(&self) -> Option<u16> {
        self.port
    }
}

impl FromStr for AllowedOrigin {
    type Err = AllowedOriginError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| AllowedOriginError {
            entry: s.to_owned(),
            reason: reason.to_owned(),
        };
        let entry = s.trim();
        if entry.is_empty() {
            return Err(bad("empty"));
        }
        if entry.contains("://") || entry.contains(['/', '?', '#', '@']) {
            return Err(bad("a host and port only, no scheme, path or user"));
        }
        if entry.ends_with(':') {
            return Err(bad("empty port"));
        }
        // Parsed as the authority of a URL, so hosts normalise exactly as in fetched URLs.
        // `Url` drops a port equal to its scheme's default, hence both schemes.
        let parse = |scheme: &str| {
            Url::parse(&format!("{scheme}://{entry}/")).map_err(|e| bad(&e.to_string()))
        };
        let (http, https) = (parse("http")?, parse("https")?);
        let host = http
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host"))?
            .to_owned();
        Ok(Self {
            host,
            port: http.port().or(https.port()),
        })
    }
}

impl fmt::Display for AllowedOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(p) => write!(f, "{}:{p}", self.host),
            None => write!(f, "{}", self.host),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn entries_parse_and_match() {
        let a: AllowedOrigin = "Example.JP".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.to_string(), "example.jp");
        assert!(a.allows(&url("http://example.jp/a.crl")));
        assert!(a.allows(&url("https://example.jp/a.crl")));
        assert!(!a.allows(&url("http://example.jp:8080/a.crl")));
        assert!(!a.allows(&url("http://other.jp/a.crl")));

        let b: AllowedOrigin = "127.0.0.1:80".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.port(), Some(80));
        assert!(b.allows(&url("http://127.0.0.1/x")));
        assert!(!b.allows(&url("https://127.0.0.1/x")));

        let c: AllowedOrigin = "[::1]:8080".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(c.allows(&url("http://[::1]:8080/x")));
        assert!(!c.allows(&url("http://127.0.0.1:8080/x")));

        for bad in ["", "http://x", "x/y", "u@x", "x:", "x:99999", "x:y"] {
            assert!(bad.parse::<AllowedOrigin>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn origins_include_the_default_port() {
        assert!(same_origin(&url("http://h/a"), &url("http://h:80/b")));
        assert!(!same_origin(&url("http://h/a"), &url("https://h/a")));
        assert!(!same_origin(&url("http://h/a"), &url("http://h:81/a")));
    }
}
