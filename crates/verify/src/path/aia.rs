//! Online path building help: fetching missing issuer certificates from the
//! authorityInfoAccess caIssuers URLs (RFC 5280 §4.2.2.1), before the depth-first search.
//!
//! Starting at the leaf, while a certificate's issuer is neither an anchor nor among the
//! known candidates, its caIssuers URLs are fetched (size and time limits of the
//! [`Fetcher`]; only http(s) URLs its policy permits, nothing when offline); every certificate in the answer whose subject is
//! that issuer — a DER or PEM certificate, or a certs-only CMS — joins the candidates,
//! and the walk goes on from it, at most `max_depth` steps. Fetched certificates are only
//! candidates: the path is validated exactly as with local ones.

use kenpo_core::cert::{CertRef, certificates_from_pem_or_der};
use kenpo_core::cms::SignedDataView;
use kenpo_revocation::fetch::Fetcher;
use kenpo_revocation::names::{ca_issuers_urls, names_equal};

use crate::Context;

/// Largest caIssuers answer read (certificates, or a small certs-only CMS).
const MAX_CA_ISSUERS_BYTES: u64 = 256 * 1024;

/// The certificates at `url`, fetched once per context (successful answers only).
fn fetch_cached(ctx: &Context, fetcher: &Fetcher, url: &str) -> Option<Vec<Vec<u8>>> {
    // Offline, another scheme, off the allow-list: neither fetched nor taken from answers
    // kept under other settings.
    fetcher.permits(url).ok()?;
    ctx.ca_issuers(url, || {
        let body = fetcher.get(url, MAX_CA_ISSUERS_BYTES).ok()?;
        Some(certificates_in(&body))
    })
}

/// Certificates found in a caIssuers answer.
fn certificates_in(body: &[u8]) -> Vec<Vec<u8>> {
    if let Ok(certs) = certificates_from_pem_or_der(body)
        && !certs.is_empty()
    {
        return certs;
    }
    SignedDataView::parse(body)
        .map(|sd| sd.x509_certificates().map(<[u8]>::to_vec).collect())
        .unwrap_or_default()
}

/// Issuer certificates fetched for `leaf` (see the module docs); `known` are the anchors
/// and the candidates already at hand.
pub(super) fn chase(
    ctx: &Context,
    fetcher: &Fetcher,
    leaf: &[u8],
    known: &[&[u8]],
    max_depth: usize,
) -> Vec<Vec<u8>> {
    let mut fetched: Vec<Vec<u8>> = Vec::new();
    let mut cur = leaf.to_vec();
    for _ in 0..max_depth {
        let Ok(cert) = CertRef::parse(&cur) else {
            break;
        };
        if names_equal(cert.subject, cert.issuer) {
            break; // self-issued: a root
        }
        let issued_by =
            |c: &[u8]| CertRef::parse(c).is_ok_and(|i| names_equal(i.subject, cert.issuer));
        if let Some(local) = known.iter().copied().find(|c| issued_by(c)) {
            cur = local.to_vec();
            continue;
        }
        if let Some(f) = fetched.iter().find(|c| issued_by(c)) {
            cur = f.clone();
            continue;
        }
        let urls = ca_issuers_urls(&cert).unwrap_or_default();
        let mut next = None;
        for url in urls.iter().filter(|u| fetcher.permits(u).is_ok()) {
            let Some(found) = fetch_cached(ctx, fetcher, url) else {
                continue;
            };
            for c in found {
                if CertRef::parse(&c).is_ok_and(|i| names_equal(i.subject, cert.issuer))
                    && !fetched.contains(&c)
                {
                    next.get_or_insert_with(|| c.clone());
                    fetched.push(c);
                }
            }
            if next.is_some() {
                break;
            }
        }
        match next {
            Some(n) => cur = n,
            None => break,
        }
    }
    fetched
}
