//! The ats-hash-index attributes that an ATSv3 token carries, their creation and their
//! check against the SignedData as it is now.
//!
//! ```text
//! ATSHashIndexV3 ::= SEQUENCE {
//!   hashIndAlgorithm        AlgorithmIdentifier DEFAULT {algorithm id-sha256},
//!   certificatesHashIndex   SEQUENCE OF OCTET STRING,
//!   crlsHashIndex           SEQUENCE OF OCTET STRING,
//!   unsignedAttrValuesHashIndex SEQUENCE OF OCTET STRING }
//! ```
//!
//! * certificatesHashIndex: the hash of each CertificateChoices of `SignedData.certificates`;
//! * crlsHashIndex: the hash of each RevocationInfoChoice of `SignedData.crls`;
//! * unsignedAttrValuesHashIndex (v3, EN 319 122-1 V1.1.1 §5.5.2): the hash of
//!   `attrType ‖ attrValue` for every value of every unsigned attribute; in the legacy
//!   ats-hash-index (TS 101 733 V2.2.1 §6.4.2) and ats-hash-index-v2 (EN 319 122-1 V1.0.0)
//!   the hash of each whole `Attribute` encoding.
//!
//! An index is invalid when an entry corresponds to no element present now (checked as a
//! multiset: an entry listed twice needs two equal elements). Elements added after the
//! time-stamp are not listed and are ignored.

use std::collections::HashMap;

use const_oid::ObjectIdentifier as Oid;
use der::{Decode, Encode};
use kenpo_core::alg::{Digest, DigestAlgorithm};
use kenpo_core::cms::{SignedDataView, SignerInfoView};
use kenpo_core::der_span::{Tlv, parse_one, tag, tlv};
use kenpo_core::oid;
use spki::AlgorithmIdentifierOwned;

use super::ArchiveError;

/// id-aa-ATSHashIndex (ETSI TS 101 733 V2.2.1, legacy; read only).
pub const ATTR_ATS_HASH_INDEX: Oid = Oid::new_unwrap("0.4.0.1733.2.5");
/// id-aa-ATSHashIndex-v2 (ETSI EN 319 122-1 V1.0.0; read only).
pub const ATTR_ATS_HASH_INDEX_V2: Oid = Oid::new_unwrap("0.4.0.19122.1.4");

/// Which hash-index attribute an ATSv3 token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashIndexKind {
    /// ats-hash-index (TS 101 733 V2.2.1): whole Attribute encodings are hashed.
    Legacy,
    /// ats-hash-index-v2 (EN 319 122-1 V1.0.0): whole Attribute encodings are hashed.
    V2,
    /// ats-hash-index-v3 (EN 319 122-1 V1.1.1): attrType ‖ each attrValue is hashed.
    V3,
}

impl HashIndexKind {
    /// The attribute type.
    pub fn oid(self) -> Oid {
        match self {
            Self::Legacy => ATTR_ATS_HASH_INDEX,
            Self::V2 => ATTR_ATS_HASH_INDEX_V2,
            Self::V3 => oid::ATTR_ATS_HASH_INDEX_V3,
        }
    }

    /// The kind named by an attribute type, if any.
    pub fn from_oid(o: &Oid) -> Option<Self> {
        [Self::Legacy, Self::V2, Self::V3]
            .into_iter()
            .find(|k| k.oid() == *o)
    }

    /// Attribute name (`ats-hash-index`, `ats-hash-index-v2`, `ats-hash-index-v3`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Legacy => "ats-hash-index",
            Self::V2 => "ats-hash-index-v2",
            Self::V3 => "ats-hash-index-v3",
        }
    }
}

/// A parsed hash index: its encoding as stored and its entries.
#[derive(Debug, Clone)]
pub struct HashIndex<'a> {
    /// Which attribute carried it.
    pub kind: HashIndexKind,
    /// The ATSHashIndex(V3) SEQUENCE as encoded in the token (hashed into the imprint).
    pub raw: &'a [u8],
    /// hashIndAlgorithm (SHA-256 when absent).
    pub algorithm: DigestAlgorithm,
    /// certificatesHashIndex entries.
    pub certificates: Vec<&'a [u8]>,
    /// crlsHashIndex entries.
    pub crls: Vec<&'a [u8]>,
    /// unsignedAttrs(Values)HashIndex entries.
    pub unsigned_attrs: Vec<&'a [u8]>,
}

fn octet_strings<'a>(t: Tlv<'a>) -> Result<Vec<&'a [u8]>, ArchiveError> {
    let t = t.expect(tag::SEQUENCE)?;
    let mut out = Vec::new();
    let mut r = t.reader();
    while !r.is_empty() {
        out.push(r.expect(tag::OCTET_STRING)?.value);
    }
    Ok(out)
}

impl<'a> HashIndex<'a> {
    /// Parses an ATSHashIndex(V3) value of attribute `kind`.
    pub fn parse(kind: HashIndexKind, raw: &'a [u8]) -> Result<Self, ArchiveError> {
        let seq = parse_one(raw)?.expect(tag::SEQUENCE)?;
        let parts = seq.reader().all()?;
        let (algorithm, lists) = match parts.as_slice() {
            [alg, rest @ ..] if rest.len() == 3 => {
                let id = AlgorithmIdentifierOwned::from_der(alg.expect(tag::SEQUENCE)?.raw)
                    .map_err(|_| ArchiveError::MalformedHashIndex("hashIndAlgorithm"))?;
                (DigestAlgorithm::from_oid(&id.oid)?, rest)
            }
            rest if rest.len() == 3 => (DigestAlgorithm::Sha256, rest),
            _ => return Err(ArchiveError::MalformedHashIndex("not 3 or 4 components")),
        };
        let [certs, crls, attrs] = lists else {
            return Err(ArchiveError::MalformedHashIndex("not 3 hash lists"));
        };
        Ok(Self {
            kind,
            raw: seq.raw,
            algorithm,
            certificates: octet_strings(*certs)?,
            crls: octet_strings(*crls)?,
            unsigned_attrs: octet_strings(*attrs)?,
        })
    }

    /// The single hash index among a time-stamp token's unsigned attributes.
    pub fn from_token(token: &SignedDataView<'a>) -> Result<Self, ArchiveError> {
        let si = token
            .signer_infos
            .first()
            .ok_or(ArchiveError::NoTokenSigner)?;
        let attrs = si
            .unsigned_attrs
            .as_ref()
            .ok_or(ArchiveError::NoHashIndex)?;
        let mut found = attrs
            .list
            .iter()
            .filter_map(|a| HashIndexKind::from_oid(&a.oid).map(|k| (k, a)));
        let (kind, attr) = found.next().ok_or(ArchiveError::NoHashIndex)?;
        if found.next().is_some() {
            return Err(ArchiveError::DuplicateHashIndex);
        }
        match &attr.values[..] {
            [v] => Self::parse(kind, v.raw),
            _ => Err(ArchiveError::DuplicateHashIndex),
        }
    }
}

/// The hashes of the unsigned attributes of `si` as a hash index of `kind` lists them.
pub(crate) fn unsigned_attr_hashes(
    kind: HashIndexKind,
    si: &SignerInfoView<'_>,
    alg: DigestAlgorithm,
) -> Result<Vec<Digest>, ArchiveError> {
    let Some(attrs) = &si.unsigned_attrs else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for a in &attrs.list {
        if kind == HashIndexKind::V3 {
            let seq = parse_one(a.raw)?;
            let attr_type = seq.reader().expect(tag::OID)?.raw;
            for v in &a.values {
                let mut h = alg.hasher();
                h.update(attr_type);
                h.update(v.raw);
                out.push(h.finalize());
            }
        } else {
            out.push(alg.digest(a.raw));
        }
    }
    Ok(out)
}

/// One entry of a hash index that corresponds to no element present now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexProblem {
    /// certificatesHashIndex entry `n` matches no certificate of SignedData.certificates.
    Certificate(usize),
    /// crlsHashIndex entry `n` matches no RevocationInfoChoice of SignedData.crls.
    Crl(usize),
    /// unsignedAttrsHashIndex entry `n` matches no unsigned attribute (value).
    UnsignedAttribute(usize),
}

impl std::fmt::Display for IndexProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Certificate(n) => write!(f, "certificatesHashIndex[{n}] not in certificates"),
            Self::Crl(n) => write!(f, "crlsHashIndex[{n}] not in crls"),
            Self::UnsignedAttribute(n) => {
                write!(f, "unsignedAttrsHashIndex[{n}] not in unsignedAttrs")
            }
        }
    }
}

/// Removes from `present` one element equal to each entry; entries left unmatched are
/// returned by position. Linear in the number of entries and elements.
fn unmatched(entries: &[&[u8]], present: Vec<Digest>) -> Vec<usize> {
    let mut counts: HashMap<Digest, usize> = HashMap::new();
    for d in present {
        *counts.entry(d).or_default() += 1;
    }
    let alg = counts.keys().next().map(Digest::algorithm);
    let mut missing = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let left = alg
            .and_then(|a| Digest::from_bytes(a, e))
            .and_then(|d| counts.get_mut(&d))
            .filter(|n| **n > 0);
        match left {
            Some(n) => *n -= 1,
            None => missing.push(i),
        }
    }
    missing
}

/// Checks `index` against `sd` and `signer` as they are now: every entry must correspond to
/// an element present (each element used once). Returns the entries that do not.
pub fn check_hash_index(
    sd: &SignedDataView<'_>,
    signer: &SignerInfoView<'_>,
    index: &HashIndex<'_>,
) -> Result<Vec<IndexProblem>, ArchiveError> {
    let hashes = ElementHashes {
        digest: &|alg, der| alg.digest(der),
        attrs: &|kind, alg| unsigned_attr_hashes(kind, signer, alg),
    };
    check_hash_index_with(sd, index, &hashes)
}

/// The hashes of what a hash index may list, for [`check_hash_index_with`]; a
/// verification shares them between the archive time-stamps of a signer, and keeps those
/// of certificates and CRLs (which the files of a batch share) in its context.
pub(crate) struct ElementHashes<'a> {
    /// The hash of a certificate or RevocationInfoChoice.
    pub(crate) digest: &'a dyn Fn(DigestAlgorithm, &[u8]) -> Digest,
    /// The signer's unsigned attributes as an index of that kind lists them
    /// ([`unsigned_attr_hashes`]).
    pub(crate) attrs:
        &'a dyn Fn(HashIndexKind, DigestAlgorithm) -> Result<Vec<Digest>, ArchiveError>,
}

/// [`check_hash_index`] with the elements' hashes given by `hashes`.
pub(crate) fn check_hash_index_with(
    sd: &SignedDataView<'_>,
    index: &HashIndex<'_>,
    hashes: &ElementHashes<'_>,
) -> Result<Vec<IndexProblem>, ArchiveError> {
    let alg = index.algorithm;
    let certs = sd
        .certificates
        .iter()
        .map(|c| (hashes.digest)(alg, c.raw))
        .collect();
    let crls = sd
        .crls
        .iter()
        .map(|c| (hashes.digest)(alg, c.raw))
        .collect();
    let attrs = (hashes.attrs)(index.kind, alg)?;
    let mut problems: Vec<IndexProblem> = unmatched(&index.certificates, certs)
        .into_iter()
        .map(IndexProblem::Certificate)
        .collect();
    problems.extend(
        unmatched(&index.crls, crls)
            .into_iter()
            .map(IndexProblem::Crl),
    );
    problems.extend(
        unmatched(&index.unsigned_attrs, attrs)
            .into_iter()
            .map(IndexProblem::UnsignedAttribute),
    );
    Ok(problems)
}

fn sequence_of_octets(hashes: impl Iterator<Item = Digest>) -> Vec<u8> {
    let items: Vec<Vec<u8>> = hashes
        .map(|d| tlv(tag::OCTET_STRING, &[d.as_bytes()]))
        .collect();
    let parts: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
    tlv(tag::SEQUENCE, &parts)
}

/// DER ATSHashIndexV3 for `signer` of `sd`, indexing every certificate, RevocationInfoChoice
/// and unsigned attribute present now, with `alg` (hashIndAlgorithm always present, as EU DSS expects).
pub fn hash_index_v3(
    sd: &SignedDataView<'_>,
    signer: &SignerInfoView<'_>,
    alg: DigestAlgorithm,
) -> Result<Vec<u8>, ArchiveError> {
    // hashIndAlgorithm is DEFAULT id-sha256, but EU DSS requires it present in v3 (every
    // ats-hash-index-v3 of its corpus carries it): always written, for interoperability.
    let alg_id = alg
        .algorithm_identifier()
        .to_der()
        .map_err(|_| ArchiveError::MalformedHashIndex("hashIndAlgorithm not encodable"))?;
    let certs = sequence_of_octets(sd.certificates.iter().map(|c| alg.digest(c.raw)));
    let crls = sequence_of_octets(sd.crls.iter().map(|c| alg.digest(c.raw)));
    let attrs =
        sequence_of_octets(unsigned_attr_hashes(HashIndexKind::V3, signer, alg)?.into_iter());
    Ok(tlv(tag::SEQUENCE, &[&alg_id, &certs, &crls, &attrs]))
}
