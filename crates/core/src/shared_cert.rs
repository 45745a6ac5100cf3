//! [`SharedCert`]: a certificate parsed once and shared, and [`shared`], the bounded
//! process-wide memo that hands out one per encoding.
//!
//! The same signer, CA and TSA certificates come back in signature after signature. Reading
//! their spans, validity and extensions ([`CertRef::parse`]) is a pure function of the
//! bytes, so a verifier looks them up by encoding instead of parsing them again. Nothing
//! about a certificate's *checks* is remembered here: signatures, validity at a time and
//! revocation are still worked out by their callers.

use std::sync::{Arc, OnceLock};

use yoke::Yoke;

use crate::cert::{CertError, CertRef};
use crate::memo::DerMemo;

/// Certificates kept at most (then the memo starts afresh).
const MAX_CERTS: usize = 1024;

/// Larger encodings are parsed but not kept (real certificates are a few KiB): with
/// [`MAX_CERTS`], the memo never holds more than 16 MiB of them (the certificate's own
/// encoding is the memo's key) whatever the input.
pub const MAX_KEPT_LEN: usize = 16 * 1024;

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

    /// The certificate's encoding, shared (this very memory: memos keyed with it find a
    /// caller holding this certificate without comparing octets, see
    /// [`crate::memo::DerMemo::insert_kept`]).
    pub fn der_shared(&self) -> Arc<[u8]> {
        Arc::clone(self.0.backing_cart())
    }
}

/// Two shared certificates are equal when their encodings are.
impl PartialEq for SharedCert {
    fn eq(&self, other: &Self) -> bool {
        crate::memo::same_octets(self.der(), other.der())
    }
}

impl Eq for SharedCert {}

fn memo() -> &'static DerMemo<Arc<SharedCert>> {
    static MEMO: OnceLock<DerMemo<Arc<SharedCert>>> = OnceLock::new();
    MEMO.get_or_init(|| DerMemo::new(MAX_CERTS))
}

/// The parsed certificate for `der`: the one parsed before when there is one, else parsed
/// now and remembered. Unreadable encodings and encodings longer than [`MAX_KEPT_LEN`] are
/// not remembered (each call parses them).
pub fn shared(der: &[u8]) -> Result<Arc<SharedCert>, CertError> {
    if der.len() > MAX_KEPT_LEN {
        return SharedCert::parse(der).map(Arc::new);
    }
    if let Some(c) = memo().get(der, |_| true) {
        return Ok(c);
    }
    let c = Arc::new(SharedCert::parse(der)?);
    memo().insert_kept(c.der_shared(), Arc::clone(&c), |_| true);
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Readable certificates: `tests/cert_spans.rs` (real HPKI certificates).

    #[test]
    fn unreadable_encodings_are_errors_every_time() {
        for _ in 0..2 {
            assert!(shared(&[0x30, 0x03, 0x02, 0x01, 0x01]).is_err());
        }
        assert!(
            memo()
                .get(&[0x30, 0x03, 0x02, 0x01, 0x01], |_| true)
                .is_none()
        );
    }
}
