//! [`Context`]: what verifications have worked out, owned by the caller — never by the
//! process, so a result depends only on the inputs and the context it is given.
//!
//! A one-shot call ([`crate::validate::verify_signature`],
//! [`crate::validate::verify_certificate`]) makes a fresh context; a
//! [`crate::validate::Verifier`] owns one and reuses it for every file (its batch workers
//! share it). It holds, bounded: the certificates parsed (by encoding), their digests and
//! the public keys parsed ([`CertCache`]); the certificate→issuer signatures verified
//! ([`LinkCache`], shared with the context's revocation checkers); the paths validated
//! ([`PathMemo`], not kept by a one-shot context); parsed DER CRLs; signer-profile answers;
//! issuer certificates fetched from caIssuers URLs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use kenpo_core::cert_cache::CertCache;
use kenpo_core::crypto::KeyCache;
use kenpo_core::memo::DerMemo;
use kenpo_core::shared_cert::SharedCert;
use kenpo_revocation::{Crl, CrlError, LinkCache};

use crate::path::PathMemo;
use crate::validate::ProfileMemo;

/// Parsed CRLs kept at most (then that memo starts afresh).
const MAX_CRLS: usize = 64;

/// caIssuers URLs whose answers are kept at most (then that map starts afresh).
const MAX_FETCHED_URLS: usize = 256;

/// A caller-owned verification context (see the module docs). `Send + Sync`: threads may
/// share one.
#[derive(Debug)]
pub struct Context {
    certs: CertCache,
    links: Arc<LinkCache>,
    paths: Option<PathMemo>,
    crls: DerMemo<Arc<Crl>>,
    pub(crate) profiles: ProfileMemo,
    /// caIssuers answers by URL (successful fetches only).
    ca_issuers: Mutex<HashMap<String, Vec<Vec<u8>>>>,
}

impl Default for Context {
    fn default() -> Self {
        Self {
            certs: CertCache::new(),
            links: Arc::new(LinkCache::new()),
            paths: Some(PathMemo::new()),
            crls: DerMemo::new(MAX_CRLS),
            profiles: ProfileMemo::default(),
            ca_issuers: Mutex::default(),
        }
    }
}

impl Context {
    /// An empty context that remembers validated paths for later calls.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty context for one call: validated paths are not remembered (no later call
    /// would replay them).
    pub fn one_shot() -> Self {
        Self {
            paths: None,
            ..Self::default()
        }
    }

    /// Certificates, their digests and the public keys parsed so far.
    pub fn certs(&self) -> &CertCache {
        &self.certs
    }

    /// The parsed certificate for `der` (see [`CertCache::cert`]).
    pub fn cert(&self, der: &[u8]) -> Result<Arc<SharedCert>, kenpo_core::cert::CertError> {
        self.certs.cert(der)
    }

    /// The crypto backend keeping this context's parsed public keys.
    pub fn keys(&self) -> &KeyCache {
        self.certs.keys()
    }

    /// Signature verifications made through [`Context::keys`] so far (certificate, CMS and
    /// time-stamp token signatures; revocation data signatures are verified by the
    /// revocation checker).
    pub fn verifications(&self) -> u64 {
        self.keys().verifications()
    }

    /// Certificate→issuer signatures verified so far (share it with revocation checkers:
    /// `kenpo_revocation::Checker::with_link_cache`).
    pub fn links(&self) -> &Arc<LinkCache> {
        &self.links
    }

    /// Validated paths, when this context remembers them.
    pub fn paths(&self) -> Option<&PathMemo> {
        self.paths.as_ref()
    }

    /// The parsed CRL for `der` (DER): parsed before by this context, else parsed now and
    /// kept.
    ///
    /// # Errors
    /// Those of [`Crl::from_der`].
    pub fn crl(&self, der: &[u8]) -> Result<Arc<Crl>, CrlError> {
        if let Some(crl) = self.crls.get(der, |_| true) {
            return Ok(crl);
        }
        let crl = Arc::new(Crl::from_der(der.to_vec())?);
        self.crls.insert(der, Arc::clone(&crl), |_| true);
        Ok(crl)
    }

    /// The certificates fetched from `url` before, or `fetch()`'s when it gives some
    /// (kept; failures are not).
    pub(crate) fn ca_issuers(
        &self,
        url: &str,
        fetch: impl FnOnce() -> Option<Vec<Vec<u8>>>,
    ) -> Option<Vec<Vec<u8>>> {
        let lock = || {
            self.ca_issuers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        };
        if let Some(c) = lock().get(url) {
            return Some(c.clone());
        }
        let certs = fetch()?;
        let mut map = lock();
        if map.len() >= MAX_FETCHED_URLS {
            map.clear();
        }
        map.insert(url.to_owned(), certs.clone());
        Some(certs)
    }
}
