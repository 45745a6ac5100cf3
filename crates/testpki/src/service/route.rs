//! Routing HTTP requests to the OCSP responder, the CRL issuer and the CA certificates, and
//! decoding OCSP GET requests (RFC 6960 appendix A.1: `/ocsp/<url-encoded base64 DER>`).

use std::sync::atomic::Ordering;

use super::Shared;
use super::http::{Request, Response};

/// Content type of OCSP responses.
pub(super) const OCSP_RESPONSE: &str = "application/ocsp-response";
/// Content type of CRLs.
pub(super) const PKIX_CRL: &str = "application/pkix-crl";
/// Content type of certificates.
pub(super) const PKIX_CERT: &str = "application/pkix-cert";

/// Answers one request.
pub(super) fn route(shared: &Shared, req: &Request) -> Response {
    let path = req.path.as_str();
    if path == "/ocsp" || path == "/ocsp/" {
        if req.method != "POST" {
            return Response::status(405);
        }
        return ocsp(shared, &req.body);
    }
    if let Some(encoded) = path.strip_prefix("/ocsp/") {
        if req.method != "GET" {
            return Response::status(405);
        }
        return match percent_decode(encoded).and_then(|b| base64_decode(&b)) {
            Some(der) => ocsp(shared, &der),
            // Not base64: a malformed request, answered as OCSP does.
            None => ocsp(shared, &[]),
        };
    }
    let (kind, name) = if let Some(n) = path
        .strip_prefix("/crl/")
        .and_then(|p| p.strip_suffix(".crl"))
    {
        ("crl", n)
    } else if let Some(n) = path
        .strip_prefix("/ca/")
        .and_then(|p| p.strip_suffix(".der"))
    {
        ("ca", n)
    } else {
        return not_found(shared);
    };
    if req.method != "GET" {
        return Response::status(405);
    }
    let Some(ca) = shared.authorities.iter().find(|a| a.issued.name == name) else {
        return not_found(shared);
    };
    if kind == "ca" {
        shared.hits.ca.fetch_add(1, Ordering::SeqCst);
        return Response::ok(PKIX_CERT, ca.issued.cert_der.clone());
    }
    let revoked = shared.revocations();
    match super::crl::issue(ca, shared.pki.config(), &revoked, shared.now()) {
        Ok(Some(der)) => {
            shared.hits.crl.fetch_add(1, Ordering::SeqCst);
            Response::ok(PKIX_CRL, der)
        }
        Ok(None) => not_found(shared),
        Err(_) => Response::status(500),
    }
}

fn not_found(shared: &Shared) -> Response {
    shared.hits.other.fetch_add(1, Ordering::SeqCst);
    Response::status(404)
}

fn ocsp(shared: &Shared, der: &[u8]) -> Response {
    shared.hits.ocsp.fetch_add(1, Ordering::SeqCst);
    let revoked = shared.revocations();
    let body = super::ocsp::answer(der, &shared.authorities, &revoked, shared.now());
    Response::ok(OCSP_RESPONSE, body)
}

/// `%XX` decoding (a `+` stays a `+`: it is a base64 character here).
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    Some(out)
}

/// Base64 (standard or URL-safe alphabet, padding optional); `None` if not base64.
fn base64_decode(input: &[u8]) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        }))
    }
    let trimmed = match input.iter().position(|&c| c == b'=') {
        Some(p)
            if input.get(p..)?.iter().all(|&c| c == b'=')
                && input.len().is_multiple_of(4)
                && !p.is_multiple_of(4) =>
        {
            input.get(..p)?
        }
        Some(_) => return None,
        None => input,
    };
    if trimmed.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    for chunk in trimmed.chunks(4) {
        let mut acc = 0u32;
        for &c in chunk {
            acc = (acc << 6) | value(c)?;
        }
        let bits = 6 * chunk.len();
        acc <<= 24 - bits;
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(bytes.get(1..1 + bits / 8)?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_known_vectors() {
        assert_eq!(base64_decode(b"").as_deref(), Some(&b""[..]));
        assert_eq!(base64_decode(b"Zg==").as_deref(), Some(&b"f"[..]));
        assert_eq!(base64_decode(b"Zm8").as_deref(), Some(&b"fo"[..]));
        assert_eq!(base64_decode(b"Zm9vYmFy").as_deref(), Some(&b"foobar"[..]));
        assert_eq!(base64_decode(b"-_8=").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(base64_decode(b"+/8=").as_deref(), Some(&[0xfb, 0xff][..]));
        for bad in [&b"Z"[..], b"Zg=a", b"Z===", b"Zm9v!", b"="] {
            assert_eq!(base64_decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Bb%3d+").as_deref(), Some(&b"a+b=+"[..]));
        assert_eq!(percent_decode("%2"), None);
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%é"), None);
    }
}
