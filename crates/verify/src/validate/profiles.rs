//! [`ProfileMemo`]: profile checks of signer certificates, remembered by a
//! [`crate::Context`] (the check is a pure function of the profile and the certificate, and
//! a batch meets the same signers in file after file), kept as the report's signer fields
//! they give.

use kenpo_core::memo::DerMemo;
use kenpo_core::shared_cert::SharedCert;
use kenpo_sign::Profile;
use kenpo_sign::profile::{ProfileError, SignerInfoSummary, check_profile};

use crate::report::SignerReport;

/// Answers kept at most (then the memo starts afresh).
const MAX_ENTRIES: usize = 1024;

type Answer = Result<SignerReport, ProfileError>;

/// The report's signer fields from a profile check's summary of `cert` (DER; the same for
/// every profile the certificate meets), with the names of its subjectAltName.
pub(super) fn summary_report(s: SignerInfoSummary, cert: &[u8]) -> SignerReport {
    SignerReport {
        subject: s.subject,
        hc_roles: s.hc_roles,
        policy_oids: s.policy_oids,
        alt_names: crate::report::alt_names(cert),
    }
}

/// Profile answers per (profile, certificate DER).
#[derive(Debug)]
pub(crate) struct ProfileMemo {
    answers: DerMemo<(Profile, Answer)>,
}

impl Default for ProfileMemo {
    fn default() -> Self {
        Self {
            answers: DerMemo::new(MAX_ENTRIES),
        }
    }
}

impl ProfileMemo {
    /// [`check_profile`] of `cert` under `profile` as signer fields, computed once per
    /// memo.
    pub(super) fn check(&self, profile: Profile, cert: &SharedCert) -> Answer {
        let same = |(p, _): &(Profile, Answer)| *p == profile;
        if let Some((_, a)) = self.answers.get(cert.der(), same) {
            return a;
        }
        let answer = check_profile(profile, cert.der()).map(|s| summary_report(s, cert.der()));
        self.answers
            .insert(cert.der(), (profile, answer.clone()), same);
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_equal_fresh_checks() {
        let memo = ProfileMemo::default();
        let pki = kenpo_testpki::generate(&kenpo_testpki::Config::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let cert = |name: &str| {
            let der = pki
                .entity(name)
                .map(|e| e.cert_der.clone())
                .unwrap_or_default();
            SharedCert::parse(&der).unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        for name in ["hpki-signer", "hpki-auth", "accredited-signer"] {
            // The certificate, then a copy of it elsewhere in memory.
            for c in [cert(name), cert(name)] {
                for profile in [Profile::Any, Profile::Hpki, Profile::Accredited] {
                    for _ in 0..2 {
                        assert_eq!(
                            memo.check(profile, &c),
                            check_profile(profile, c.der()).map(|s| summary_report(s, c.der()))
                        );
                    }
                }
            }
        }
        assert!(memo.check(Profile::Hpki, &cert("hpki-signer")).is_ok());
        assert!(memo.check(Profile::Hpki, &cert("hpki-auth")).is_err());
    }
}
