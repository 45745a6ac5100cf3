//! Byte-preserving augmentation of CMS `SignedData`: adding certificates, CRLs, OCSP
//! responses and unsigned attributes without touching anything already there.
//!
//! CAdES B-LT and B-LTA (ETSI EN 319 122-1 §5.5) extend an existing signature with
//! validation data and archive time-stamps. Earlier content is signed or hashed (the signed
//! attributes by the signer, the signature value by the signature time-stamp, the
//! certificates, CRLs and earlier unsigned attributes by archive time-stamps), so
//! [`augment`] copies every existing element **byte for byte** from its input span and only
//! encodes new structure around it:
//!
//! * new certificates and CRLs are appended to their `SET OF` (created when absent), which
//!   is then put into DER order (sorted by encoding, as [`crate::der_span::set_of`] does);
//!   a field that receives nothing new keeps its exact bytes, even if it was unsorted;
//! * OCSP responses become `RevocationInfoChoice.other`
//!   (`[1] IMPLICIT OtherRevocationInfoFormat { id-ri-ocsp-response, OCSPResponse }`,
//!   RFC 5940 §4.1); once such an element is present, `SignedData.version` is set to 5
//!   (RFC 5652 §5.1) — only that INTEGER changes;
//! * new unsigned attributes are **appended after** the existing ones in the given order,
//!   never sorted: archive time-stamps hash the earlier attributes in their order;
//! * `signerInfos` keeps the order of its SignerInfos, so indices stay valid across
//!   several augmentations.
//!
//! Counter-signatures, time-stamp tokens and any other attribute values are opaque bytes
//! here. The same functions extend an RFC 3161 token (a `ContentInfo` `SignedData` with one
//! SignerInfo).
//!
//! The input must be DER; convert BER first with [`crate::ber::to_der`].
//!
//! ```
//! use kenpo_core::cms::{Augmentation, CmsError, augment};
//!
//! /// B-LT: embeds the validation data of a B-T signature's chain.
//! fn extend(
//!     signature: &[u8],
//!     chain: Vec<Vec<u8>>,
//!     crls: Vec<Vec<u8>>,
//!     ocsp: Vec<u8>,
//! ) -> Result<Vec<u8>, CmsError> {
//!     let aug = Augmentation {
//!         certificates: chain,
//!         crls,
//!         ocsp_responses: vec![ocsp],
//!         ..Augmentation::default()
//!     };
//!     augment(signature, &aug)
//! }
//! ```

mod check;

use std::borrow::Cow;

use super::CmsError;
use super::view::{SignedDataView, SignerInfoView};
use crate::der_span::{SpanError, Tlv, encode_len, parse_one, set_of, tag, tlv};
use crate::oid;

/// What to add to a CMS SignedData without touching anything already there.
#[derive(Debug, Clone, Default)]
pub struct Augmentation {
    /// Certificates (DER) for SignedData.certificates; ones already present (same bytes) are skipped.
    pub certificates: Vec<Vec<u8>>,
    /// CRLs (CertificateList DER) for SignedData.crls; duplicates skipped.
    pub crls: Vec<Vec<u8>>,
    /// OCSPResponse DER, added to SignedData.crls as RevocationInfoChoice `other`
    /// `[1] IMPLICIT OtherRevocationInfoFormat { id-ri-ocsp-response, OCSPResponse }`
    /// ([`oid::RI_OCSP_RESPONSE`], RFC 5940); duplicates skipped.
    pub ocsp_responses: Vec<Vec<u8>>,
    /// Unsigned attributes (complete Attribute DER) to append, per SignerInfo index.
    /// Several entries for one index are appended in the order given.
    pub unsigned_attrs: Vec<(usize, Vec<Vec<u8>>)>,
}

impl Augmentation {
    /// True when there is nothing to add.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
            && self.crls.is_empty()
            && self.ocsp_responses.is_empty()
            && self.unsigned_attrs.iter().all(|(_, a)| a.is_empty())
    }
}

/// The kind of an element given to [`augment`] or [`add_unsigned_attrs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementKind {
    /// An entry of [`Augmentation::certificates`].
    Certificate,
    /// An entry of [`Augmentation::crls`].
    Crl,
    /// An entry of [`Augmentation::ocsp_responses`].
    OcspResponse,
    /// An unsigned attribute for the SignerInfo at index `signer` (0 for
    /// [`add_unsigned_attrs`]).
    UnsignedAttribute {
        /// SignerInfo index.
        signer: usize,
    },
}

impl std::fmt::Display for ElementKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Certificate => f.write_str("certificate"),
            Self::Crl => f.write_str("CRL"),
            Self::OcspResponse => f.write_str("OCSP response"),
            Self::UnsignedAttribute { signer } => {
                write!(f, "unsigned attribute for SignerInfo {signer}")
            }
        }
    }
}

/// Why an augmentation was refused (wrapped in [`CmsError::Augment`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AugmentError {
    /// [`Augmentation::unsigned_attrs`] names a SignerInfo that does not exist.
    #[error("no SignerInfo at index {index} (the SignedData has {count})")]
    NoSuchSignerInfo {
        /// The index given.
        index: usize,
        /// How many SignerInfos there are.
        count: usize,
    },
    /// An element to add is not one DER TLV of the expected shape (certificate and CRL:
    /// `SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING }`; OCSPResponse:
    /// `SEQUENCE { ENUMERATED, [0] OPTIONAL }`; Attribute: `SEQUENCE { OID, SET }`).
    #[error("{kind} #{index} to add is malformed: {cause}")]
    BadElement {
        /// Which list it came from.
        kind: ElementKind,
        /// Its position in that list.
        index: usize,
        /// What is wrong with it.
        cause: SpanError,
    },
    /// An unsigned attribute to add has an attrType that is not a valid OBJECT IDENTIFIER.
    #[error("{kind} #{index} to add has an invalid attrType: {detail}")]
    BadAttributeType {
        /// Always [`ElementKind::UnsignedAttribute`].
        kind: ElementKind,
        /// Its position in the list for that SignerInfo.
        index: usize,
        /// Decoder message.
        detail: String,
    },
}

/// `SignedData.version` 5 (RFC 5652 §5.1: an `other` RevocationInfoChoice is present).
const VERSION_5: [u8; 3] = [tag::INTEGER, 0x01, 0x05];

/// Applies `aug` to a ContentInfo(SignedData) in DER and returns the new DER ContentInfo.
///
/// Every existing element is copied byte for byte; see the [module documentation](self)
/// for what changes. All additions are checked before anything is built. An empty [`Augmentation`] returns the input re-assembled from
/// its own spans: identical to it for DER input whose version is consistent with its
/// `crls` (an `other` RevocationInfoChoice under a version other than 5 gets version 5).
///
/// # Errors
///
/// [`CmsError::NotSignedData`], [`CmsError::Der`] or [`CmsError::Malformed`] when the
/// input is not a DER ContentInfo carrying a well-formed SignedData;
/// [`CmsError::Augment`] when an index names no SignerInfo or an element to add is
/// malformed.
pub fn augment(content_info: &[u8], aug: &Augmentation) -> Result<Vec<u8>, CmsError> {
    let view = SignedDataView::parse(content_info)?;
    check::additions(aug, view.signer_infos.len())?;

    let certificates = merge_set(
        tag::context(0),
        view.certificates_field.as_ref(),
        &view.certificates,
        aug.certificates.iter().map(Vec::as_slice),
    );
    let ocsp: Vec<Vec<u8>> = aug
        .ocsp_responses
        .iter()
        .map(|r| other_revocation_info(r))
        .collect::<Result<_, _>>()?;
    let crls = merge_set(
        tag::context(1),
        view.crls_field.as_ref(),
        &view.crls,
        aug.crls
            .iter()
            .map(Vec::as_slice)
            .chain(ocsp.iter().map(Vec::as_slice)),
    );
    let other_present = !ocsp.is_empty() || view.crls.iter().any(|t| t.tag == tag::context(1));

    let mut sd_fields = view.signed_data.reader();
    let version_raw = sd_fields.read()?.raw;
    let version: &[u8] = if other_present && view.version != 5 {
        &VERSION_5
    } else {
        version_raw
    };
    let signer_infos = merge_signer_infos(&view, &aug.unsigned_attrs)?;

    let content_type = parse_one(content_info)?.reader().read()?.raw;
    let fields: [&[u8]; 6] = [
        version,
        view.digest_algorithms.raw,
        view.encap_content_info.raw,
        &certificates,
        &crls,
        &signer_infos,
    ];
    Ok(content_info_around(content_type, &fields))
}

/// `SEQUENCE { contentType, [0] { SEQUENCE { fields } } }`, written into one allocation:
/// attached content may be large, so it is copied once.
fn content_info_around(content_type: &[u8], fields: &[&[u8]]) -> Vec<u8> {
    let header = |t: u8, len: usize| {
        let mut h = vec![t];
        encode_len(len, &mut h);
        h
    };
    let sd_len: usize = fields.iter().map(|f| f.len()).sum();
    let sd_header = header(tag::SEQUENCE, sd_len);
    let content_len = sd_header.len() + sd_len;
    let content_header = header(tag::context(0), content_len);
    let ci_len = content_type.len() + content_header.len() + content_len;
    let ci_header = header(tag::SEQUENCE, ci_len);
    let mut out = Vec::with_capacity(ci_header.len() + ci_len);
    for part in [&ci_header[..], content_type, &content_header, &sd_header] {
        out.extend_from_slice(part);
    }
    for f in fields {
        out.extend_from_slice(f);
    }
    out
}

/// Appends attributes to one encoded SignerInfo (existing fields and attributes verbatim).
///
/// The `[1]` unsignedAttrs field is created after the signature when absent; otherwise the
/// new attributes follow the existing ones, in the given order. With no attributes the
/// SignerInfo is returned unchanged.
///
/// # Errors
///
/// [`CmsError::Der`] or [`CmsError::Malformed`] when `signer_info` is not one well-formed
/// SignerInfo; [`CmsError::Augment`] ([`AugmentError::BadElement`] or
/// [`AugmentError::BadAttributeType`], with signer index 0) when an attribute is not one
/// `Attribute` TLV.
pub fn add_unsigned_attrs(signer_info: &[u8], attrs: &[&[u8]]) -> Result<Vec<u8>, CmsError> {
    let si = parse_one(signer_info)?;
    let view = SignerInfoView::parse(si)?;
    for (index, a) in attrs.iter().enumerate() {
        check::attribute(a, 0, index)?;
    }
    append_unsigned(si, &view, attrs)
}

/// Rebuilds a parsed SignerInfo with `attrs` appended to its unsigned attributes.
fn append_unsigned(
    si: Tlv<'_>,
    view: &SignerInfoView<'_>,
    attrs: &[&[u8]],
) -> Result<Vec<u8>, CmsError> {
    if attrs.is_empty() {
        return Ok(si.raw.to_vec());
    }
    let fields = si.reader().all()?;
    // SignerInfoView::parse has checked that unsignedAttrs, when present, is the last field.
    let kept = fields
        .len()
        .saturating_sub(usize::from(view.unsigned_attrs.is_some()));
    let mut contents: Vec<&[u8]> = Vec::with_capacity(attrs.len() + 1);
    if let Some(u) = &view.unsigned_attrs {
        contents.push(u.contents);
    }
    contents.extend_from_slice(attrs);
    let unsigned = tlv(tag::context(1), &contents);
    let mut parts: Vec<&[u8]> = fields.iter().take(kept).map(|f| f.raw).collect();
    parts.push(&unsigned);
    Ok(tlv(tag::SEQUENCE, &parts))
}

/// The signerInfos SET with the requested attributes appended; the original bytes when no
/// SignerInfo changes. SignerInfos keep their order.
fn merge_signer_infos<'a>(
    view: &SignedDataView<'a>,
    additions: &[(usize, Vec<Vec<u8>>)],
) -> Result<Cow<'a, [u8]>, CmsError> {
    let mut per_signer: Vec<Vec<&[u8]>> = vec![Vec::new(); view.signer_infos.len()];
    for (index, attrs) in additions {
        if let Some(list) = per_signer.get_mut(*index) {
            list.extend(attrs.iter().map(Vec::as_slice));
        }
    }
    if per_signer.iter().all(Vec::is_empty) {
        return Ok(Cow::Borrowed(view.signer_infos_field.raw));
    }
    let originals = view.signer_infos_field.reader().all()?;
    let mut rebuilt = Vec::with_capacity(originals.len());
    for ((si, si_view), attrs) in originals.iter().zip(&view.signer_infos).zip(&per_signer) {
        rebuilt.push(append_unsigned(*si, si_view, attrs)?);
    }
    let parts: Vec<&[u8]> = rebuilt.iter().map(Vec::as_slice).collect();
    Ok(Cow::Owned(tlv(tag::SET, &parts)))
}

/// The `[n]` SET OF field with `new` elements added (duplicates of existing or earlier new
/// elements skipped) and DER-sorted; the original field bytes (or nothing, when absent)
/// when nothing new is added.
fn merge_set<'a, 'b>(
    field_tag: u8,
    field: Option<&Tlv<'a>>,
    existing: &[Tlv<'a>],
    new: impl Iterator<Item = &'b [u8]>,
) -> Cow<'a, [u8]>
where
    'a: 'b,
{
    let mut all: Vec<&'b [u8]> = existing.iter().map(|t| t.raw).collect();
    let before = all.len();
    for element in new {
        if !all.contains(&element) {
            all.push(element);
        }
    }
    if all.len() == before {
        return Cow::Borrowed(field.map_or(&[][..], |f| f.raw));
    }
    let mut out = set_of(all);
    // A SET's encoding with the IMPLICIT tag in place of 0x31: same length octets.
    if let Some(first) = out.first_mut() {
        *first = field_tag;
    }
    Cow::Owned(out)
}

/// `[1] IMPLICIT OtherRevocationInfoFormat { id-ri-ocsp-response, OCSPResponse }`.
fn other_revocation_info(ocsp_response: &[u8]) -> Result<Vec<u8>, CmsError> {
    let format =
        der::Encode::to_der(&oid::RI_OCSP_RESPONSE).map_err(|e| CmsError::Build(e.to_string()))?;
    Ok(tlv(tag::context(1), &[&format, ocsp_response]))
}
