//! archive-time-stamp-v2 (ETSI TS 101 733 V2.2.1 §6.4.1, Annex K): the message imprint.
//!
//! The imprint is the hash, with the time-stamp's messageImprint algorithm, of
//!
//! 1. the encapContentInfo element (as encoded);
//! 2. when eContent is absent, the detached content octets;
//! 3. the `[0]` certificates and `[1]` crls fields when present (as encoded);
//! 4. the SignerInfo fields version, sid, digestAlgorithm, signedAttrs, signatureAlgorithm
//!    and signature, then the unsigned attributes present before the time-stamp.
//!
//! Implementations differ in the last part ([`AtsV2Variant`]): TS 101 733 V2.2.1 hashes
//! the unsignedAttrs field with its `[1]` tag and length, V1.8.3 hashes the attributes
//! only (V2.2.1 Annex K note 3 recommends accepting both); and "present before" is taken
//! either as the attributes preceding it in the encoded order or, because DER sorts the
//! SET so that order says nothing about age, as every attribute except archive time-stamps
//! that are not older (EU DSS). [`check_ats_v2`] accepts each and says which matched.
//!
//! Parts 1 and 2 are fed once into a [`Hasher`] ([`ats_v2_content_hasher`], or the caller's
//! own streaming loop) and cloned for each time-stamp, so streamed content is read once.

use kenpo_core::alg::{Digest, DigestAlgorithm, Hasher};
use kenpo_core::ber;
use kenpo_core::cms::{AttributeView, SignedDataView, SignerInfoView};
use kenpo_core::der_span::{encode_len, tag};
use kenpo_core::oid;
use kenpo_tsa::TstInfo;
use time::OffsetDateTime;

use super::{ArchiveError, SignerFields};

/// Which unsigned attributes an ATSv2 imprint covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Covered {
    /// Those before the time-stamp's attribute in the encoded order.
    Preceding,
    /// All but the time-stamp itself and archive time-stamps (v2, v3) not older than it,
    /// in the encoded order: senders that write unsignedAttrs as a sorted DER SET put older
    /// attributes after newer ones (EU DSS computes it so).
    AllButNewerArchive,
}

/// How an ATSv2 imprint was computed: which attributes, and whether the `[1]` unsignedAttrs
/// tag and length are hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AtsV2Variant {
    /// Which unsigned attributes are covered.
    pub covered: Covered,
    /// TS 101 733 V2.2.1: the `[1]` tag and length are hashed; V1.8.3: only the Attribute
    /// encodings.
    pub tagged: bool,
}

impl AtsV2Variant {
    /// Every variant, most standard first.
    pub const ALL: [Self; 4] = [
        Self {
            covered: Covered::Preceding,
            tagged: true,
        },
        Self {
            covered: Covered::Preceding,
            tagged: false,
        },
        Self {
            covered: Covered::AllButNewerArchive,
            tagged: true,
        },
        Self {
            covered: Covered::AllButNewerArchive,
            tagged: false,
        },
    ];

    /// Short description for reports.
    pub fn name(self) -> String {
        format!(
            "{}, {}",
            if self.tagged {
                "TS 101 733 v2.2.1 encoding (unsignedAttrs tag and length hashed)"
            } else {
                "TS 101 733 v1.8.3 encoding (unsignedAttrs tag and length not hashed)"
            },
            match self.covered {
                Covered::Preceding => "preceding unsigned attributes",
                Covered::AllButNewerArchive => "unsigned attributes but newer archive time-stamps",
            }
        )
    }
}

/// The SignedData fields outside the SignerInfo that an ATSv2 imprint covers, as encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V2Parts<'a> {
    /// encapContentInfo.
    pub encap_content_info: &'a [u8],
    /// The `[0]` certificates field, when present.
    pub certificates: Option<&'a [u8]>,
    /// The `[1]` crls field, when present.
    pub crls: Option<&'a [u8]>,
}

impl<'a> V2Parts<'a> {
    /// The fields of a parsed (DER) SignedData.
    pub fn of(sd: &SignedDataView<'a>) -> Self {
        Self {
            encap_content_info: sd.encap_content_info.raw,
            certificates: sd.certificates_field.map(|f| f.raw),
            crls: sd.crls_field.map(|f| f.raw),
        }
    }
}

/// A hasher for `alg` fed with parts 1 and 2 of the ATSv2 imprint: encapContentInfo and,
/// when eContent is absent, `detached` (error when it is needed and `None`).
pub fn ats_v2_content_hasher(
    sd: &SignedDataView<'_>,
    alg: DigestAlgorithm,
    detached: Option<&[u8]>,
) -> Result<Hasher, ArchiveError> {
    let mut h = alg.hasher();
    h.update(sd.encap_content_info.raw);
    if sd.econtent.is_none() {
        h.update(detached.ok_or(ArchiveError::ContentMissing)?);
    }
    Ok(h)
}

/// genTime of the first token of an archive time-stamp attribute; `None` for other
/// attributes.
fn archive_gen_time(a: &AttributeView<'_>) -> Option<Option<OffsetDateTime>> {
    if a.oid != oid::ATTR_ARCHIVE_TIME_STAMP_V2 && a.oid != oid::ATTR_ARCHIVE_TIME_STAMP_V3 {
        return None;
    }
    Some(
        a.values
            .first()
            .and_then(|v| token_info(v.raw).ok())
            .map(|t| t.gen_time),
    )
}

/// The TSTInfo of a time-stamp token (BER or DER ContentInfo).
pub(crate) fn token_info(token: &[u8]) -> Result<TstInfo, ArchiveError> {
    let der = ber::to_der(token)?;
    let sd = SignedDataView::parse(&der)?;
    let econtent = sd
        .econtent
        .ok_or_else(|| ArchiveError::TstInfo("no eContent".into()))?;
    TstInfo::parse(econtent).map_err(|e| ArchiveError::TstInfo(e.to_string()))
}

/// The ATSv2 imprint variants ([`AtsV2Variant::ALL`]) for the archive time-stamp carried
/// by the unsigned attribute at position `ats_attr` of `signer`, whose genTime is
/// `gen_time` (`None`: a time-stamp not yet taken, newer than every present one; `ats_attr`
/// may then be the number of unsigned attributes),
/// continuing `content` (from [`ats_v2_content_hasher`] or an equivalent streaming loop
/// over `parts.encap_content_info`; its algorithm is used).
pub fn ats_v2_imprints(
    parts: &V2Parts<'_>,
    signer: &SignerInfoView<'_>,
    ats_attr: usize,
    gen_time: Option<OffsetDateTime>,
    content: &Hasher,
) -> Result<Vec<(AtsV2Variant, Digest)>, ArchiveError> {
    let attrs = signer
        .unsigned_attrs
        .as_ref()
        .filter(|a| ats_attr < a.list.len() || gen_time.is_none())
        .map_or(&[][..], |a| a.list.as_slice());
    if gen_time.is_some() && ats_attr >= attrs.len() {
        return Err(ArchiveError::NoSuchAttribute(ats_attr));
    }
    let fields = SignerFields::of(signer)?;
    let mut h = content.clone();
    for f in [parts.certificates, parts.crls].into_iter().flatten() {
        h.update(f);
    }
    fields.feed(&mut h);
    // Whether each attribute is older than the time-stamp (non-archive ones count as older).
    let older: Vec<bool> = attrs
        .iter()
        .map(|a| match (archive_gen_time(a), gen_time) {
            (None, _) | (Some(_), None) => true,
            (Some(Some(t)), Some(g)) => t < g,
            (Some(None), Some(_)) => false,
        })
        .collect();
    let mut out = Vec::with_capacity(AtsV2Variant::ALL.len());
    for v in AtsV2Variant::ALL {
        let covered: Vec<&[u8]> = attrs
            .iter()
            .enumerate()
            .filter(|(i, _)| match v.covered {
                Covered::Preceding => *i < ats_attr,
                Covered::AllButNewerArchive => *i != ats_attr && older.get(*i) == Some(&true),
            })
            .map(|(_, a)| a.raw)
            .collect();
        let mut hv = h.clone();
        if v.tagged {
            let mut header = vec![tag::context(1)];
            encode_len(covered.iter().map(|a| a.len()).sum(), &mut header);
            hv.update(&header);
        }
        for a in covered {
            hv.update(a);
        }
        out.push((v, hv.finalize()));
    }
    Ok(out)
}

/// Checks the ATSv2 `token` (BER or DER ContentInfo) carried by the unsigned attribute at
/// position `ats_attr` of `signer`: the variant whose imprint equals the token's (`None`:
/// none does). `content` must use the token's imprint algorithm and have been fed
/// `parts.encap_content_info` (and the detached content).
pub fn check_ats_v2(
    parts: &V2Parts<'_>,
    signer: &SignerInfoView<'_>,
    ats_attr: usize,
    token: &[u8],
    content: &Hasher,
) -> Result<Option<AtsV2Variant>, ArchiveError> {
    let tst = token_info(token)?;
    Ok(
        ats_v2_imprints(parts, signer, ats_attr, Some(tst.gen_time), content)?
            .into_iter()
            .find(|(_, d)| *d == tst.imprint)
            .map(|(v, _)| v),
    )
}
