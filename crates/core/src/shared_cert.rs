//! [`SharedCert`]: a certificate parsed once and shared (a verification context keeps them
//! by encoding, see [`crate::cert_cache::CertCache::cert`]).
//!
//! Reading a certificate's spans, validity and extensions ([`CertRef::parse`]) is a pure
//! function of the bytes. Nothing about a certificate's *checks* is kept here: signatures,
//! validity at a time and revocation are worked out by their callers.

use std::sync::Arc;

use yoke::Yoke;

use crate::cert::{CertError, CertRef};

/// A certificate's encoding and its [`CertRef`] over it, kept together.
#[derive(Debug)]
pub struct SharedCert(Yoke<CertRef<'static>, Arc<[u8]>>);

impl SharedCert {
    /// Parses `der` (a copy is kept).
    pub fn parse(der: &[u8]) -> Result<Self, CertError> {
        let bytes: Arc<[u8]> = Arc::from(der);
        Yoke::try_attach_to_cart(bytes, |b: &[u8]| CertRef::parse(b)).map(Self)
    }

    /// The parsed certificate.
    pub fn cert(&self) -> &CertRef<'_> {
        self.0.get()
    }

    /// The certificate's encoding.
    pub fn der(&self) -> &[u8] {
        self.0.backing_cart()
    }
}

/// Two shared certificates are equal when their encodings are.
impl PartialEq for SharedCert {
    fn eq(&self, other: &Self) -> bool {
        self.der() == other.der()
    }
}

impl Eq for SharedCert {}
