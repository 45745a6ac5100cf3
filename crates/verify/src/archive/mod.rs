//! Archive time-stamp imprints: what an archive time-stamp covers, computed over spans of
//! the received SignedData, for creating B-LTA and for checking it.
//!
//! * **ATSv3** (archive-time-stamp-v3, `0.4.0.1733.2.4`; ETSI EN 319 122-1 V1.1.1 §5.5.3):
//!   the imprint is the hash of eContentType ‖ hash of the signed data ‖ the SignerInfo
//!   fields version, sid, digestAlgorithm, signedAttrs, signatureAlgorithm, signature ‖ the
//!   ATSHashIndexV3 value carried as an unsigned attribute of the time-stamp token
//!   ([`check_ats_v3`]). The hash index lists a hash of every certificate, RevocationInfoChoice and
//!   unsigned attribute present when the time-stamp was taken ([`HashIndex`]); later
//!   additions are allowed, a listed element that is gone makes the index invalid.
//!   The legacy ats-hash-index of TS 101 733 V2.2.1 (`0.4.0.1733.2.5`) and the
//!   ats-hash-index-v2 of EN 319 122-1 V1.0.0 (`0.4.0.19122.1.4`) are read too; they hash
//!   whole Attribute encodings where v3 hashes attrType ‖ each attrValue.
//! * **ATSv2** (archive-time-stamp-v2, `1.2.840.113549.1.9.16.2.48`; TS 101 733 V2.2.1
//!   §6.4.1 and Annex K): the imprint covers encapContentInfo, the detached content, the
//!   certificates and crls fields and the SignerInfo with the unsigned attributes present
//!   before the time-stamp ([`check_ats_v2`]). Implementations differ in how those attributes are
//!   encoded and chosen; every known variant is accepted and named.
//!
//! Everything hashed is a span of the input (see `docs/ARCHITECTURE.md`); nothing is
//! re-encoded except the new SEQUENCE/`[1]` headers the specifications ask for.

pub(crate) mod ber_span;
pub(crate) mod hash_index;
pub(crate) mod v2;
mod v2_state;
pub(crate) mod v3;

pub(crate) use v2_state::V2State;

pub use ber_span::received_parts;
pub use hash_index::{
    ATTR_ATS_HASH_INDEX, ATTR_ATS_HASH_INDEX_V2, HashIndex, HashIndexKind, IndexProblem,
    check_hash_index, hash_index_v3,
};
pub use v2::{
    AtsV2Variant, Covered, V2Parts, ats_v2_content_hasher, ats_v2_imprints, check_ats_v2,
};
pub use v3::{AtsV3Check, ats_v3_imprint, check_ats_v3};

use kenpo_core::alg::AlgError;
use kenpo_core::ber::BerError;
use kenpo_core::cms::{CmsError, SignerInfoView};
use kenpo_core::der_span::{Reader, SpanError, tag};

/// Why an archive imprint could not be computed or a hash index not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveError {
    /// A DER structure (SignerInfo, hash index) is malformed.
    #[error("DER structure: {0}")]
    Der(#[from] SpanError),
    /// The time-stamp token is not BER/DER.
    #[error("time-stamp token not BER/DER: {0}")]
    Ber(#[from] BerError),
    /// The time-stamp token is not a well-formed CMS SignedData.
    #[error("time-stamp token: {0}")]
    Cms(#[from] CmsError),
    /// The time-stamp token's TSTInfo cannot be read.
    #[error("time-stamp token TSTInfo: {0}")]
    TstInfo(String),
    /// A digest algorithm is unknown or not supported.
    #[error("digest algorithm: {0}")]
    Algorithm(#[from] AlgError),
    /// The hash of the signed data given has the wrong length for the algorithm.
    #[error("signed-data hash of {got} bytes where {alg} gives {expected}")]
    SignedDataHashLength {
        /// Algorithm named.
        alg: &'static str,
        /// Its output length.
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// A detached signature's content is needed but was not given.
    #[error("the signed content is detached and was not provided")]
    ContentMissing,
    /// The time-stamp token has no SignerInfo.
    #[error("time-stamp token has no SignerInfo")]
    NoTokenSigner,
    /// The token carries no ats-hash-index attribute (any version).
    #[error("no ats-hash-index(-v3) attribute in the time-stamp token")]
    NoHashIndex,
    /// The token carries several hash-index attributes or values.
    #[error("several ats-hash-index attributes or values in the time-stamp token")]
    DuplicateHashIndex,
    /// The hash index value is not an ATSHashIndex(V3) SEQUENCE.
    #[error("malformed ATSHashIndex: {0}")]
    MalformedHashIndex(&'static str),
    /// The SignerInfo has no unsigned attribute at the position given.
    #[error("no unsigned attribute at position {0}")]
    NoSuchAttribute(usize),
}

/// The encodings of the SignerInfo fields that archive imprints cover, in order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignerFields<'a> {
    /// version, sid, digestAlgorithm, signedAttrs (when present), signatureAlgorithm and
    /// signature TLVs, as received.
    pub fields: [Option<&'a [u8]>; 6],
}

impl<'a> SignerFields<'a> {
    /// Reads the field spans of `si` (tag and length included).
    pub(crate) fn of(si: &SignerInfoView<'a>) -> Result<Self, ArchiveError> {
        let seq = kenpo_core::der_span::parse_one(si.raw)?.expect(tag::SEQUENCE)?;
        let mut r: Reader<'a> = seq.reader();
        let version = r.expect(tag::INTEGER)?.raw;
        let sid = r.read()?.raw;
        let digest_alg = r.expect(tag::SEQUENCE)?.raw;
        let signed = r.optional(tag::context(0))?.map(|t| t.raw);
        let sig_alg = r.expect(tag::SEQUENCE)?.raw;
        let signature = r.expect(tag::OCTET_STRING)?.raw;
        Ok(Self {
            fields: [
                Some(version),
                Some(sid),
                Some(digest_alg),
                signed,
                Some(sig_alg),
                Some(signature),
            ],
        })
    }

    /// Feeds the fields to `h` in order.
    pub(crate) fn feed(&self, h: &mut kenpo_core::alg::Hasher) {
        for f in self.fields.iter().flatten() {
            h.update(f);
        }
    }
}

/// The encoded eContentType OID (tag and length included) of a SignedData.
pub(crate) fn econtent_type_raw<'a>(
    sd: &kenpo_core::cms::SignedDataView<'a>,
) -> Result<&'a [u8], ArchiveError> {
    Ok(sd.encap_content_info.reader().expect(tag::OID)?.raw)
}
