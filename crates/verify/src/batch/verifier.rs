//! What verifies each signature file of a batch: the [`SignatureVerifier`] trait, so that
//! filing software can plug in its own; the default is the shared
//! [`crate::validate::Verifier`] (anchors, certificates and CRLs parsed once, revocation
//! fetches cached across files).

use std::path::{Path, PathBuf};

use crate::report::Report;
use crate::validate::{Detached, Verifier, VerifyError};

/// Verifies one signature file; shared by every worker of a batch.
pub trait SignatureVerifier: Send + Sync {
    /// The verdict on `signature` (CMS, DER/BER/PEM, or a signed PDF) with its detached
    /// `content`, if any.
    /// Unparsable input is a verdict (FORMAT_FAILURE), not an error.
    fn verify(&self, signature: &[u8], content: Option<&Path>) -> Result<Report, VerifyError>;

    /// The verdict on the XML `document` whose detached references are resolved among
    /// `attachments` (the files it names beside it, see
    /// [`crate::validate::xml_attachments`]). The default passes a single attachment to
    /// [`SignatureVerifier::verify`] and none otherwise.
    fn verify_with_attachments(
        &self,
        document: &[u8],
        attachments: &[PathBuf],
    ) -> Result<Report, VerifyError> {
        match attachments {
            [one] => self.verify(document, Some(one)),
            _ => self.verify(document, None),
        }
    }
}

impl SignatureVerifier for Verifier {
    fn verify(&self, signature: &[u8], content: Option<&Path>) -> Result<Report, VerifyError> {
        if content.is_none() && crate::validate::is_pdf_file(signature) {
            // A signed PDF: its signatures (PAdES), the worst of them as the verdict.
            return crate::validate::verify_pdf(self, signature).map(|v| v.report);
        }
        Verifier::verify(self, signature, content)
    }

    fn verify_with_attachments(
        &self,
        document: &[u8],
        attachments: &[PathBuf],
    ) -> Result<Report, VerifyError> {
        let contents: Vec<Detached<'_>> = attachments.iter().map(|p| Detached::File(p)).collect();
        Verifier::verify_xml(self, document, &contents)
    }
}
