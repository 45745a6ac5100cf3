//! What verifies each signature file of a batch: the [`SignatureVerifier`] trait, so that
//! filing software can plug in its own; the default is the shared
//! [`crate::validate::Verifier`] (anchors, certificates and CRLs parsed once, revocation
//! fetches cached across files).

use std::path::Path;

use crate::report::Report;
use crate::validate::{Verifier, VerifyError};

/// Verifies one signature file; shared by every worker of a batch.
pub trait SignatureVerifier: Send + Sync {
    /// The verdict on `signature` (CMS, DER/BER/PEM, or a signed PDF) with its detached
    /// `content`, if any.
    /// Unparsable input is a verdict (FORMAT_FAILURE), not an error.
    fn verify(&self, signature: &[u8], content: Option<&Path>) -> Result<Report, VerifyError>;
}

impl SignatureVerifier for Verifier {
    fn verify(&self, signature: &[u8], content: Option<&Path>) -> Result<Report, VerifyError> {
        if content.is_none() && crate::validate::is_pdf_file(signature) {
            // A signed PDF: its signatures (PAdES), the worst of them as the verdict.
            return crate::validate::verify_pdf(self, signature).map(|v| v.report);
        }
        Verifier::verify(self, signature, content)
    }
}
