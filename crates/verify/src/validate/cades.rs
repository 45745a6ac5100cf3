//! The CAdES adapter: the checks of one SignerInfo ([`crate::signature::SignerCheck`])
//! and what its SignedData embeds, as format-neutral [`SignatureEvidence`].

use super::embedded::Embedded;
use super::evidence::{DataIntegrity, EmbeddedData, SignatureEvidence, SignatureValue};
use crate::report::{CheckKind, Outcome};
use crate::signature::SignerCheck;

/// The evidence of the SignerInfo at `index` of a SignedData whose embedded data is
/// `emb`; `content_available`: the content is attached or was given.
pub(super) fn evidence<'a>(
    s: SignerCheck,
    index: usize,
    emb: &'a Embedded<'a>,
    content_available: bool,
) -> SignatureEvidence<'a> {
    // Structure of the SignerInfo (attributes and algorithms).
    let format_failure = s.checks.iter().filter(|c| !c.passed).any(|c| match c.kind {
        CheckKind::ContentType | CheckKind::SigningTime => true,
        // An algorithm this build does not implement is not a format error (see
        // `unsupported_algorithm`); malformed parameters are.
        CheckKind::DigestAlgorithm | CheckKind::SignatureAlgorithm => s.malformed_algorithm,
        // Absent or not an OCTET STRING (a mismatch sets data_intact).
        CheckKind::MessageDigest => s.data_intact.is_none(),
        _ => false,
    });
    let checkable = !s.checks.iter().any(|c| {
        c.kind == CheckKind::SignatureValue && matches!(c.outcome, Outcome::NotCheckable(_))
    });
    let signature_value = match (s.signature_intact, checkable) {
        (true, _) => SignatureValue::Intact,
        (false, true) => SignatureValue::Broken,
        (false, false) => SignatureValue::NotCheckable,
    };
    // Without signed attributes the signature value is computed over the content itself:
    // a mismatch is the signature's (SIG_CRYPTO_FAILURE), there is no message-digest
    // attribute to fail.
    let data = match s.data_intact {
        Some(_) if !s.signed_attributes => DataIntegrity::Intact,
        Some(true) => DataIntegrity::Intact,
        Some(false) => DataIntegrity::Broken,
        None if !content_available => DataIntegrity::ContentMissing,
        None => DataIntegrity::NotCheckable,
    };
    SignatureEvidence {
        signer_cert: s.signer_cert,
        signing_cert_bound: s.signing_cert_bound,
        data,
        signature_value,
        unsupported_algorithm: s.unsupported_algorithm,
        format_failure,
        signing_time: s.signing_time,
        timestamps: s.timestamps,
        embedded: EmbeddedData {
            certificates: &emb.certs,
            crls: &emb.crls,
            ocsp_responses: &emb.ocsp,
            validation_data: emb.lt_data.get(index).copied().unwrap_or(false),
        },
        findings: s.checks,
    }
}
