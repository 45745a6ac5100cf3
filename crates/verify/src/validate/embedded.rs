//! What a SignedData embeds for long-term validation: certificates, CRLs, OCSP responses
//! (SignedData fields, certificate-values / revocation-values attributes and the
//! time-stamp tokens' own fields) and the genTimes of archive time-stamps.

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::cms::{SignedDataView, SignerInfoView};
use kenpo_core::der_span::{self, Tlv, tag};
use kenpo_core::oid;
use kenpo_tsa::tstinfo::TstInfo;
use time::OffsetDateTime;

/// id-aa-ets-certValues (certificate-values).
const ATTR_CERTIFICATE_VALUES: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.23");
/// id-aa-ets-revocationValues (revocation-values).
const ATTR_REVOCATION_VALUES: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.24");

/// Time-stamp tokens nested deeper than this are not searched for validation data.
const MAX_TOKEN_DEPTH: usize = 2;

/// What the SignedData carries besides what [`crate::signature::verify`] reports.
#[derive(Debug, Default)]
pub(super) struct Embedded {
    /// Certificates (DER).
    pub(super) certs: Vec<Vec<u8>>,
    /// CRLs (CertificateList DER).
    pub(super) crls: Vec<Vec<u8>>,
    /// OCSP responses (OCSPResponse or BasicOCSPResponse DER).
    pub(super) ocsp: Vec<Vec<u8>>,
    /// Per SignerInfo: validation data present (SignedData crls, certificate-values,
    /// revocation-values).
    pub(super) lt_data: Vec<bool>,
    /// genTimes of every archive time-stamp (v2 and v3), unverified, sorted.
    pub(super) archive_times: Vec<OffsetDateTime>,
}

/// Collects what `der` (a ContentInfo(SignedData)) embeds; nothing for other input.
pub(super) fn embedded(der: &[u8]) -> Embedded {
    let mut e = Embedded::default();
    let Ok(sd) = SignedDataView::parse(der) else {
        return e;
    };
    collect(&sd, &mut e, 0);
    e.lt_data = sd
        .signer_infos
        .iter()
        .map(|si| {
            !sd.crls.is_empty()
                || si.unsigned_attrs.as_ref().is_some_and(|a| {
                    a.all_of(ATTR_CERTIFICATE_VALUES).next().is_some()
                        || a.all_of(ATTR_REVOCATION_VALUES).next().is_some()
                })
        })
        .collect();
    for si in &sd.signer_infos {
        for token in tokens(
            si,
            &[
                oid::ATTR_ARCHIVE_TIME_STAMP_V2,
                oid::ATTR_ARCHIVE_TIME_STAMP_V3,
            ],
        ) {
            if let Some(t) = gen_time(token.raw) {
                e.archive_times.push(t);
            }
        }
    }
    e.archive_times.sort();
    e
}

/// Certificates and revocation data of one SignedData, its SignerInfos' validation-data
/// attributes and its time-stamp tokens (recursively, up to [`MAX_TOKEN_DEPTH`]).
fn collect(sd: &SignedDataView<'_>, e: &mut Embedded, depth: usize) {
    e.certs.extend(sd.x509_certificates().map(<[u8]>::to_vec));
    for c in &sd.crls {
        if c.tag == tag::SEQUENCE {
            e.crls.push(c.raw.to_vec());
        } else if c.tag == tag::context(1)
            && let Some(ocsp) = other_ocsp(*c)
        {
            e.ocsp.push(ocsp.to_vec());
        }
    }
    for si in &sd.signer_infos {
        let Some(attrs) = &si.unsigned_attrs else {
            continue;
        };
        for a in attrs.all_of(ATTR_CERTIFICATE_VALUES) {
            for v in &a.values {
                e.certs.extend(seq_items(*v).map(|c| c.raw.to_vec()));
            }
        }
        for a in attrs.all_of(ATTR_REVOCATION_VALUES) {
            for v in &a.values {
                revocation_values(*v, e);
            }
        }
        if depth < MAX_TOKEN_DEPTH {
            let kinds = [
                oid::ATTR_SIGNATURE_TIME_STAMP,
                oid::ATTR_ARCHIVE_TIME_STAMP_V2,
                oid::ATTR_ARCHIVE_TIME_STAMP_V3,
            ];
            for token in tokens(si, &kinds) {
                if let Ok(inner) = SignedDataView::parse(token.raw) {
                    collect(&inner, e, depth + 1);
                }
            }
        }
    }
}

/// The values of the unsigned attributes `kinds` of `si` (time-stamp tokens).
fn tokens<'a>(si: &SignerInfoView<'a>, kinds: &[Oid]) -> Vec<Tlv<'a>> {
    si.unsigned_attrs
        .iter()
        .flat_map(|a| a.list.iter())
        .filter(|a| kinds.contains(&a.oid))
        .flat_map(|a| a.values.iter().copied())
        .collect()
}

/// The genTime of a token, unverified (ordering only; tokens are verified elsewhere).
fn gen_time(token: &[u8]) -> Option<OffsetDateTime> {
    let sd = SignedDataView::parse(token).ok()?;
    TstInfo::parse(sd.econtent?).ok().map(|t| t.gen_time)
}

/// `[1] OtherRevocationInfoFormat { id-ri-ocsp-response, OCSPResponse }` → the response.
fn other_ocsp(t: Tlv<'_>) -> Option<&[u8]> {
    let mut r = t.reader();
    let format = r.read().ok()?;
    let info = r.read().ok()?;
    let id = Oid::from_bytes(format.value).ok()?;
    (format.tag == tag::OID && id == oid::RI_OCSP_RESPONSE).then_some(info.raw)
}

/// RevocationValues ::= SEQUENCE { crlVals [0] SEQUENCE OF CertificateList OPTIONAL,
/// ocspVals [1] SEQUENCE OF BasicOCSPResponse OPTIONAL, otherRevVals [2] … OPTIONAL }
fn revocation_values(v: Tlv<'_>, e: &mut Embedded) {
    for field in seq_items(v) {
        let Ok(inner) = der_span::parse_one(field.value) else {
            continue;
        };
        if field.tag == tag::context(0) {
            e.crls.extend(seq_items(inner).map(|c| c.raw.to_vec()));
        } else if field.tag == tag::context(1) {
            e.ocsp.extend(seq_items(inner).map(|c| c.raw.to_vec()));
        }
    }
}

pub(super) fn seq_items(t: Tlv<'_>) -> impl Iterator<Item = Tlv<'_>> {
    let mut r = t.reader();
    std::iter::from_fn(move || if r.is_empty() { None } else { r.read().ok() })
}
