//! Answers from the supplied CRLs, remembered per (certificate, issuer) for the checker's
//! life: a batch asks about the same signer, CA and TSA certificates in every file.
//!
//! Only what does not depend on the time asked is remembered. An answer is kept when one
//! complete CRL decided it alone, reached by time-independent steps (see
//! `Checker::crl_status`): the issuer certificate names and signed the certificate, no
//! supplied OCSP response or unreadable CRL was tried before, the CRL's scope for the
//! certificate, the CRL signed by the issuer's own key, no delta CRL, nothing noted. At
//! another time the same steps reach the same CRL; so a remembered answer is given again
//! only when that CRL's finding at the new time is the one remembered: the finding
//! [`Crl::finding_at`] makes (the full check's), from the certificate's entry looked up
//! once ([`Crl::listing`]). Otherwise (no longer current, revoked since, …)
//! the full check runs.

use std::sync::Arc;

use kenpo_core::cert::CertRef;
use kenpo_core::memo::DerMemo;
use time::{Duration, OffsetDateTime};

use super::CheckReport;
use crate::Finding;
use crate::crl::{Crl, CrlEntry};

/// Answers kept at most (the memo then starts afresh).
const MAX_ANSWERS: usize = 1024;

/// Certificate and issuer encodings longer than this together are not remembered (so the
/// memo holds at most `MAX_ANSWERS` × 32 KiB of them, whatever the input).
const MAX_KEPT_LEN: usize = 32 * 1024;

/// One remembered answer.
#[derive(Debug)]
struct Decided {
    /// The issuer certificate (DER) the answer was for.
    issuer: Vec<u8>,
    /// The CRL that decided it.
    crl: Arc<Crl>,
    /// The certificate's entry on it ([`Crl::listing`], which does not depend on the time).
    listed: Option<CrlEntry>,
    /// What that CRL said.
    finding: Finding,
    /// The whole answer.
    report: CheckReport,
}

/// Remembered answers (see the module docs).
#[derive(Debug)]
pub(super) struct AnswerMemo {
    answers: DerMemo<Arc<Decided>>,
}

impl Default for AnswerMemo {
    fn default() -> Self {
        Self {
            answers: DerMemo::new(MAX_ANSWERS),
        }
    }
}

impl AnswerMemo {
    /// The answer for `cert` issued by `issuer` at `at` (clock skew `skew`), if one is
    /// remembered and its CRL still finds the same at `at`.
    pub(super) fn get(
        &self,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
        skew: Duration,
    ) -> Option<Remembered> {
        let decided = self.answers.get(cert.raw, |d| d.issuer == issuer.raw)?;
        let finding = decided.crl.finding_listed(decided.listed, cert, at, skew);
        let same = matches!(finding, Ok(f) if f == decided.finding);
        same.then_some(Remembered(decided))
    }

    /// Remembers `report`, the answer `crl` decided alone with `finding`.
    pub(super) fn remember(
        &self,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        crl: Arc<Crl>,
        finding: Finding,
        report: &CheckReport,
    ) {
        if cert.raw.len() + issuer.raw.len() > MAX_KEPT_LEN {
            return;
        }
        let Ok(listed) = crl.listing(cert) else {
            return;
        };
        let decided = Decided {
            issuer: issuer.raw.to_vec(),
            crl,
            listed,
            finding,
            report: report.clone(),
        };
        self.answers
            .insert(cert.raw, Arc::new(decided), |d| d.issuer == issuer.raw);
    }
}

/// A remembered answer.
pub(super) struct Remembered(Arc<Decided>);

impl Remembered {
    /// Its report.
    pub(super) fn report(&self) -> &CheckReport {
        &self.0.report
    }
}
