//! [`Crl::shared`]: CRLs parsed once per process. A back office that verifies file after
//! file with the same supplied CRLs, each call with its own verifier, parses each CRL once.

use std::sync::{Arc, OnceLock};

use kenpo_core::memo::DerMemo;

use super::{Crl, CrlError};

/// CRLs longer than this are parsed by every call (a long CRL belongs in a reused verifier;
/// the memo's worst case stays small: [`MAX_CRLS`] × this, kept twice).
pub const MAX_SHARED_LEN: usize = 64 * 1024;

/// Parsed CRLs kept at most (then the memo starts afresh).
const MAX_CRLS: usize = 64;

fn memo() -> &'static DerMemo<Arc<Crl>> {
    static MEMO: OnceLock<DerMemo<Arc<Crl>>> = OnceLock::new();
    MEMO.get_or_init(|| DerMemo::new(MAX_CRLS))
}

impl Crl {
    /// The parsed CRL for `der`: the one parsed before in this process when there is one
    /// (a [`Crl`] never changes once parsed), else [`Crl::from_der`] now, remembered when it
    /// parsed and is at most [`MAX_SHARED_LEN`] octets long.
    ///
    /// # Errors
    /// Those of [`Crl::from_der`].
    pub fn shared(der: &[u8]) -> Result<Arc<Self>, CrlError> {
        if der.len() > MAX_SHARED_LEN {
            return Self::from_der(der.to_vec()).map(Arc::new);
        }
        if let Some(crl) = memo().get(der, |_| true) {
            return Ok(crl);
        }
        let crl = Arc::new(Self::from_der(der.to_vec())?);
        memo().insert(der, crl.clone(), |_| true);
        Ok(crl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crl_der() -> Vec<u8> {
        let pki = kenpo_testpki::generate(&kenpo_testpki::Config::default())
            .unwrap_or_else(|e| panic!("{e}"));
        pki.crl("hpki-sign-ca")
            .map(|c| c.der.clone())
            .unwrap_or_else(|e| panic!("no CRL: {e}"))
    }

    #[test]
    fn a_crl_is_parsed_once_and_equals_a_fresh_parse() {
        let der = crl_der();
        let first = Crl::shared(&der).unwrap_or_else(|e| panic!("{e}"));
        // A copy elsewhere in memory finds the same parsed CRL.
        let again = Crl::shared(&der.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert!(Arc::ptr_eq(&first, &again));
        let fresh = Crl::from_der(der.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(format!("{first:?}"), format!("{fresh:?}"));
        assert_eq!(first.der(), der.as_slice());
    }

    #[test]
    fn other_octets_are_other_crls_and_errors_are_not_kept() {
        let der = crl_der();
        let first = Crl::shared(&der).unwrap_or_else(|e| panic!("{e}"));
        // The same tail and length, another octet in the middle: not the same CRL.
        let mut other = der.clone();
        other[der.len() / 2] ^= 1;
        match Crl::shared(&other) {
            Ok(c) => assert!(!Arc::ptr_eq(&first, &c)),
            Err(_) => assert!(Crl::from_der(other.clone()).is_err()),
        }
        // Garbage errs every time, as a fresh parse does.
        for _ in 0..2 {
            assert!(Crl::shared(&[0x30, 0x03, 0x02, 0x01, 0x00]).is_err());
        }
        // Too long to keep: parsed, not kept.
        let mut long = der.clone();
        long.resize(MAX_SHARED_LEN + 1, 0);
        assert!(Crl::shared(&long).is_err());
    }
}
