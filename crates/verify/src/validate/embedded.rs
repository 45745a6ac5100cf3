//! What a SignedData embeds for long-term validation: certificates, CRLs, OCSP responses
//! (SignedData fields, certificate-values / revocation-values attributes and the
//! time-stamp tokens' own fields) and the genTimes of archive time-stamps.

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::cms::{SignedDataView, SignerId, SignerInfoView};
use kenpo_core::der_span::{self, Tlv, tag};
use kenpo_core::oid;
use kenpo_tsa::ParsedToken;
use time::OffsetDateTime;

/// Time-stamp tokens nested deeper than this are not searched for validation data.
const MAX_TOKEN_DEPTH: usize = 2;

/// What the SignedData carries besides what [`crate::signature::verify`] reports.
#[derive(Debug, Default)]
pub(super) struct Embedded<'a> {
    /// Certificates (DER), borrowed from the signature.
    pub(super) certs: Vec<&'a [u8]>,
    /// CRLs (CertificateList DER).
    pub(super) crls: Vec<Vec<u8>>,
    /// OCSP responses (OCSPResponse or BasicOCSPResponse DER).
    pub(super) ocsp: Vec<Vec<u8>>,
    /// Per SignerInfo: validation data present (SignedData crls, certificate-values,
    /// revocation-values).
    pub(super) lt_data: Vec<bool>,
    /// Per SignerInfo, its unsigned time-stamp tokens in attribute order (unverified):
    /// each archive time-stamp covers the tokens before it.
    pub(super) token_order: Vec<Vec<TokenEntry<'a>>>,
    /// The unsigned time-stamp tokens read here (at every depth searched), parsed with
    /// their TSTInfo: their verification reads them from here instead of parsing them again.
    pub(super) token_views: Vec<ParsedToken<'a>>,
}

/// One time-stamp token of a SignerInfo's unsigned attributes, as far as ordering needs.
#[derive(Debug, Clone, Copy)]
pub(super) struct TokenEntry<'a> {
    /// genTime (unverified).
    pub(super) gen_time: OffsetDateTime,
    /// The token's SignerInfo sid.
    pub(super) sid: SignerId<'a>,
    /// An archive time-stamp (v2 or v3)?
    pub(super) archive: bool,
}

impl TokenEntry<'_> {
    /// Whether `cert` is the one the token's sid names.
    pub(super) fn names(&self, cert: &[u8]) -> bool {
        use kenpo_core::cert::CertRef;
        match self.sid {
            // Issuer and serial are read without parsing the rest.
            SignerId::IssuerSerial { issuer, serial } => {
                CertRef::issuer_and_serial(cert).is_ok_and(|(i, s)| i == issuer && s == serial)
            }
            SignerId::SubjectKeyId(_) => CertRef::parse(cert).is_ok_and(|c| self.sid.matches(&c)),
        }
    }
}

/// The unsigned attributes that carry time-stamp tokens searched for validation data.
const TOKEN_KINDS: [Oid; 3] = [
    oid::ATTR_SIGNATURE_TIME_STAMP,
    oid::ATTR_ARCHIVE_TIME_STAMP_V2,
    oid::ATTR_ARCHIVE_TIME_STAMP_V3,
];

/// Collects what the SignedData `sd` embeds.
pub(super) fn embedded<'a>(sd: &SignedDataView<'a>) -> Embedded<'a> {
    let mut e = Embedded::default();
    collect(sd, &mut e, 0);
    e.lt_data = sd
        .signer_infos
        .iter()
        .map(|si| {
            !sd.crls.is_empty()
                || si.unsigned_attrs.as_ref().is_some_and(|a| {
                    a.all_of(oid::ATTR_CERTIFICATE_VALUES).next().is_some()
                        || a.all_of(oid::ATTR_REVOCATION_VALUES).next().is_some()
                })
        })
        .collect();
    e
}

/// genTime and signer of a token, unverified (ordering only).
pub(super) fn token_facts<'a>(token: &ParsedToken<'a>) -> Option<(OffsetDateTime, SignerId<'a>)> {
    let gen_time = token.tst_info()?.gen_time;
    Some((gen_time, token.view().signer_infos.first()?.sid))
}

/// Certificates and revocation data of one SignedData, its SignerInfos' validation-data
/// attributes and its time-stamp tokens (recursively, up to [`MAX_TOKEN_DEPTH`]); at depth
/// 0 also the token order of each SignerInfo (each token is parsed once for both).
fn collect<'a>(sd: &SignedDataView<'a>, e: &mut Embedded<'a>, depth: usize) {
    e.certs.extend(sd.x509_certificates());
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
        let mut order = Vec::new();
        if let Some(attrs) = &si.unsigned_attrs {
            for a in attrs.all_of(oid::ATTR_CERTIFICATE_VALUES) {
                for v in &a.values {
                    e.certs.extend(seq_items(*v).map(|c| c.raw));
                }
            }
            for a in attrs.all_of(oid::ATTR_REVOCATION_VALUES) {
                for v in &a.values {
                    revocation_values(*v, e);
                }
            }
            if depth < MAX_TOKEN_DEPTH {
                for (kind, token) in tokens(si, &TOKEN_KINDS) {
                    let Ok(view) = SignedDataView::parse(token.raw) else {
                        continue;
                    };
                    let inner = ParsedToken::new(view);
                    if depth == 0
                        && let Some((gen_time, sid)) = token_facts(&inner)
                    {
                        order.push(TokenEntry {
                            gen_time,
                            sid,
                            archive: kind != oid::ATTR_SIGNATURE_TIME_STAMP,
                        });
                    }
                    collect(inner.view(), e, depth + 1);
                    e.token_views.push(inner);
                }
            }
        }
        if depth == 0 {
            e.token_order.push(order);
        }
    }
}

/// The values of the unsigned attributes `kinds` of `si` (time-stamp tokens), each with its
/// attribute type, in attribute order.
fn tokens<'a>(si: &SignerInfoView<'a>, kinds: &[Oid]) -> Vec<(Oid, Tlv<'a>)> {
    si.unsigned_attrs
        .iter()
        .flat_map(|a| a.list.iter())
        .filter(|a| kinds.contains(&a.oid))
        .flat_map(|a| a.values.iter().map(move |v| (a.oid, *v)))
        .collect()
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
fn revocation_values(v: Tlv<'_>, e: &mut Embedded<'_>) {
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
