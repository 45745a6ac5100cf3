//! `adbe.pkcs7.sha1` (legacy, ISO 32000-1 12.8.3.3.1): the CMS's encapsulated content is
//! the SHA-1 digest of the `/ByteRange` bytes, and the CMS (its signed attributes, if any)
//! covers that content. The CMS is verified over its content by the CAdES path; here the
//! digest is compared with the byte range, and SHA-1's sunset is checked.

use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::cms::SignedDataView;

use crate::report::{CheckKind, CheckReport, SignatureReport};
use crate::{Indication, SubIndication};

/// Adds the checks of an `adbe.pkcs7.sha1` signature to `sr`: the encapsulated digest
/// against `covered` (the byte range's bytes; a mismatch is TOTAL_FAILED /
/// HASH_FAILURE), then SHA-1's sunset at the best-signature-time (reached without a proof
/// of existence before it: INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE_NO_POE).
pub(super) fn check(sr: &mut SignatureReport, contents: &[u8], covered: &[u8], range_ok: bool) {
    if !range_ok {
        return;
    }
    let expected = DigestAlgorithm::Sha1.digest(covered);
    let econtent = crate::signature::to_der_padded(contents)
        .ok()
        .and_then(|(_, der)| {
            SignedDataView::parse(&der)
                .ok()
                .and_then(|sd| sd.econtent.map(<[u8]>::to_vec))
        });
    let matches = econtent.as_deref() == Some(expected.as_bytes());
    sr.checks.push(CheckReport::new(
        CheckKind::MessageDigest,
        matches,
        match &econtent {
            _ if matches => {
                "adbe.pkcs7.sha1: the encapsulated content is the SHA-1 digest of the /ByteRange bytes".to_string()
            }
            Some(_) => "adbe.pkcs7.sha1: the encapsulated content is not the SHA-1 digest of the /ByteRange bytes (the signed bytes were changed)".to_string(),
            None => "adbe.pkcs7.sha1: the CMS has no encapsulated content (it must carry the SHA-1 digest of the /ByteRange bytes)".to_string(),
        },
    ));
    if !matches {
        sr.indication = Indication::TotalFailed;
        sr.sub_indication = Some(SubIndication::HASH_FAILURE);
        return;
    }
    let Some(sunset) = crate::sunset::digest_sunset(DigestAlgorithm::Sha1) else {
        return;
    };
    let sunset = crate::sunset::start_of(sunset);
    let best = sr.best_signature_time;
    let reached = best >= sunset;
    sr.checks.push(CheckReport::new(
        CheckKind::AlgorithmSunset,
        !reached,
        format!(
            "SHA-1 (the adbe.pkcs7.sha1 digest of the byte range) sunset {} ({}){}",
            kenpo_core::timefmt::rfc3339(sunset),
            crate::sunset::SUNSET_POLICY,
            if reached {
                format!(
                    "; no proof of existence before it (best-signature-time {}): re-sign with ETSI.CAdES.detached",
                    kenpo_core::timefmt::rfc3339(best)
                )
            } else {
                format!(
                    "; proof of existence {} before it",
                    kenpo_core::timefmt::rfc3339(best)
                )
            }
        ),
    ));
    if reached && sr.indication == Indication::TotalPassed {
        sr.indication = Indication::Indeterminate;
        sr.sub_indication = Some(SubIndication::CRYPTO_CONSTRAINTS_FAILURE_NO_POE);
    }
}
