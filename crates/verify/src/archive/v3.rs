//! archive-time-stamp-v3 (ETSI EN 319 122-1 V1.1.1 §5.5.3): the message imprint and its
//! check.
//!
//! The imprint is the hash (with the time-stamp's messageImprint algorithm) of
//!
//! 1. `SignedData.encapContentInfo.eContentType` (the encoded OID);
//! 2. the hash of the signed data: the eContent OCTET STRING's value octets, or the
//!    detached content;
//! 3. the SignerInfo fields version, sid, digestAlgorithm, signedAttrs, signatureAlgorithm
//!    and signature, each as encoded (tag and length included);
//! 4. the ATSHashIndex(V3) value as encoded in the token.

use kenpo_core::alg::{Digest, DigestAlgorithm};
use kenpo_core::ber;
use kenpo_core::cms::{SignedDataView, SignerInfoView};

use super::hash_index::{
    ElementHashes, HashIndex, HashIndexKind, IndexProblem, check_hash_index_with,
    unsigned_attr_hashes,
};
use super::{ArchiveError, SignerFields, econtent_type_raw};

/// The ATSv3 message imprint for `signer` given the hash of the signed data (computed with
/// `alg`) and the DER ATSHashIndexV3.
pub fn ats_v3_imprint(
    sd: &SignedDataView<'_>,
    signer: &SignerInfoView<'_>,
    signed_data_hash: &[u8],
    hash_index: &[u8],
    alg: DigestAlgorithm,
) -> Result<Digest, ArchiveError> {
    if signed_data_hash.len() != alg.output_len() {
        return Err(ArchiveError::SignedDataHashLength {
            alg: alg.name(),
            expected: alg.output_len(),
            got: signed_data_hash.len(),
        });
    }
    let fields = SignerFields::of(signer)?;
    let mut h = alg.hasher();
    h.update(econtent_type_raw(sd)?);
    h.update(signed_data_hash);
    fields.feed(&mut h);
    h.update(hash_index);
    Ok(h.finalize())
}

/// The outcome of [`check_ats_v3`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtsV3Check {
    /// The token's messageImprint.
    pub imprint: Digest,
    /// Which hash-index attribute the token carries; `None` when it has none.
    pub hash_index_kind: Option<HashIndexKind>,
    /// The imprint recomputed with the hash index as stored equals the token's; `None`
    /// when the signed data (or its hash with the imprint algorithm) is not available.
    /// A token without a readable hash index cannot match (`Some(false)`).
    pub imprint_intact: Option<bool>,
    /// Every hash-index entry corresponds to an element present now.
    pub hash_index_valid: bool,
    /// The entries that do not (empty when valid or when the index is unreadable).
    pub problems: Vec<IndexProblem>,
    /// What was found, for reports.
    pub detail: String,
}

/// Checks an ATSv3 `token` (a ContentInfo, BER or DER) of `signer`: recomputes the imprint
/// with the token's hash index as stored and checks the index against `sd` as it is now.
///
/// `signed_data_hash` gives the hash of the signed data for an algorithm (`None`: not
/// available). Errors only when the token itself cannot be read (no TSTInfo) or `signer`
/// is malformed; a missing or malformed hash index is reported in the result.
pub fn check_ats_v3(
    sd: &SignedDataView<'_>,
    signer: &SignerInfoView<'_>,
    token: &[u8],
    signed_data_hash: &dyn Fn(DigestAlgorithm) -> Option<Digest>,
) -> Result<AtsV3Check, ArchiveError> {
    let hashes = ElementHashes {
        digest: &|alg, der| alg.digest(der),
        attrs: &|kind, alg| unsigned_attr_hashes(kind, signer, alg),
    };
    check_ats_v3_with(sd, signer, token, signed_data_hash, &hashes)
}

/// [`check_ats_v3`] with the hash index elements' hashes given by `hashes` (see
/// [`ElementHashes`]).
pub(crate) fn check_ats_v3_with(
    sd: &SignedDataView<'_>,
    signer: &SignerInfoView<'_>,
    token: &[u8],
    signed_data_hash: &dyn Fn(DigestAlgorithm) -> Option<Digest>,
    hashes: &ElementHashes<'_>,
) -> Result<AtsV3Check, ArchiveError> {
    let imprint = super::v2::token_info(token)?.imprint;
    let der = ber::to_der(token)?;
    let tsd = SignedDataView::parse(&der)?;
    let alg = imprint.algorithm();
    let index = match HashIndex::from_token(&tsd) {
        Ok(i) => i,
        Err(e) => {
            return Ok(AtsV3Check {
                imprint,
                hash_index_kind: None,
                imprint_intact: Some(false),
                hash_index_valid: false,
                problems: Vec::new(),
                detail: format!("hash index unusable: {e}"),
            });
        }
    };
    let problems = check_hash_index_with(sd, &index, hashes)?;
    let hash_index_valid = problems.is_empty();
    let imprint_intact = match signed_data_hash(alg) {
        Some(d) => Some(ats_v3_imprint(sd, signer, d.as_bytes(), index.raw, alg)? == imprint),
        None => None,
    };
    let mut detail = format!("{} ({})", index.kind.name(), index.algorithm.name());
    if hash_index_valid {
        detail.push_str(" valid");
    } else {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        detail.push_str(&format!(" INVALID: {}", list.join(", ")));
    }
    Ok(AtsV3Check {
        imprint,
        hash_index_kind: Some(index.kind),
        imprint_intact,
        hash_index_valid,
        problems,
        detail,
    })
}
