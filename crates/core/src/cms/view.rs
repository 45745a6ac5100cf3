//! A read-only view of CMS `SignedData` whose every part is a span of the original input.
//!
//! ```text
//! SignedData ::= SEQUENCE {
//!   version CMSVersion,
//!   digestAlgorithms DigestAlgorithmIdentifiers,
//!   encapContentInfo EncapsulatedContentInfo,
//!   certificates [0] IMPLICIT CertificateSet OPTIONAL,
//!   crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
//!   signerInfos SignerInfos }
//! ```
//!
//! Signed attributes are verified over their original bytes with the `[0]` tag read as
//! `SET` ([`Attributes::digest_as_set`]): a sender's unsorted SET (OpenSSL's TSA writes
//! them) therefore still verifies, because nothing is re-encoded.

use const_oid::ObjectIdentifier as Oid;
use spki::AlgorithmIdentifierOwned;

use super::{AttributeValues, CmsError, malformed};
use crate::alg::{Digest, DigestAlgorithm};
use crate::der_span::{Tlv, parse_one, tag};
use crate::oid;

/// A parsed `ContentInfo { signedData }`.
#[derive(Debug, Clone)]
pub struct SignedDataView<'a> {
    /// The whole ContentInfo encoding.
    pub raw: &'a [u8],
    /// The SignedData SEQUENCE.
    pub signed_data: Tlv<'a>,
    /// CMSVersion.
    pub version: u8,
    /// The digestAlgorithms SET.
    pub digest_algorithms: Tlv<'a>,
    /// The encapContentInfo SEQUENCE.
    pub encap_content_info: Tlv<'a>,
    /// eContentType.
    pub econtent_type: Oid,
    /// eContent's octets, when the content is attached.
    pub econtent: Option<&'a [u8]>,
    /// The `[0]` certificates field, when present.
    pub certificates_field: Option<Tlv<'a>>,
    /// Each CertificateChoices element (plain certificates are SEQUENCEs).
    pub certificates: Vec<Tlv<'a>>,
    /// The `[1]` crls field, when present.
    pub crls_field: Option<Tlv<'a>>,
    /// Each RevocationInfoChoice (CRLs are SEQUENCEs, `other` is `[1]`).
    pub crls: Vec<Tlv<'a>>,
    /// The signerInfos SET.
    pub signer_infos_field: Tlv<'a>,
    /// Each SignerInfo.
    pub signer_infos: Vec<SignerInfoView<'a>>,
}

/// How a SignerInfo names its certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignerId<'a> {
    /// issuerAndSerialNumber: the issuer Name's encoding and the serial INTEGER's contents.
    IssuerSerial {
        /// Issuer `Name` TLV.
        issuer: &'a [u8],
        /// Serial number INTEGER contents (two's complement, as encoded).
        serial: &'a [u8],
    },
    /// `[0]` subjectKeyIdentifier octets.
    SubjectKeyId(&'a [u8]),
}

impl SignerId<'_> {
    /// Whether `cert` is the certificate named: the same issuer and serial encodings, or a
    /// subjectKeyIdentifier extension with the same octets.
    pub fn matches(&self, cert: &crate::cert::CertRef<'_>) -> bool {
        use der::Decode;
        match *self {
            Self::IssuerSerial { issuer, serial } => issuer == cert.issuer && serial == cert.serial,
            Self::SubjectKeyId(ski) => cert
                .extension(const_oid::db::rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER)
                .and_then(|e| der::asn1::OctetString::from_der(e.value).ok())
                .is_some_and(|v| v.as_bytes() == ski),
        }
    }
}

/// One SignerInfo.
#[derive(Debug, Clone)]
pub struct SignerInfoView<'a> {
    /// The SignerInfo encoding.
    pub raw: &'a [u8],
    /// CMSVersion (1 for issuerAndSerial, 3 for SKI).
    pub version: u8,
    /// sid.
    pub sid: SignerId<'a>,
    /// digestAlgorithm.
    pub digest_algorithm: AlgorithmIdentifierOwned,
    /// signedAttrs, when present.
    pub signed_attrs: Option<Attributes<'a>>,
    /// signatureAlgorithm.
    pub signature_algorithm: AlgorithmIdentifierOwned,
    /// The signature value's octets.
    pub signature: &'a [u8],
    /// The signature OCTET STRING TLV.
    pub signature_field: Tlv<'a>,
    /// unsignedAttrs, when present.
    pub unsigned_attrs: Option<Attributes<'a>>,
}

/// A list of attributes (signed or unsigned) with its original encoding.
#[derive(Debug, Clone)]
pub struct Attributes<'a> {
    /// The `[0]`/`[1]` IMPLICIT field encoding, tag included.
    pub raw: &'a [u8],
    /// The field's contents (the concatenated Attribute encodings).
    pub contents: &'a [u8],
    /// Each Attribute.
    pub list: Vec<AttributeView<'a>>,
}

/// One `Attribute ::= SEQUENCE { attrType OID, attrValues SET OF ANY }`.
#[derive(Debug, Clone)]
pub struct AttributeView<'a> {
    /// The Attribute encoding.
    pub raw: &'a [u8],
    /// attrType.
    pub oid: Oid,
    /// Each value's TLV.
    pub values: AttributeValues<'a>,
}

fn read_oid(t: Tlv<'_>, field: &'static str) -> Result<Oid, CmsError> {
    crate::oid::from_content(t.expect(tag::OID)?.value).map_err(|e| malformed(field, e))
}

fn small_int(t: Tlv<'_>, field: &'static str) -> Result<u8, CmsError> {
    match t.expect(tag::INTEGER)?.value {
        [v] => Ok(*v),
        _ => Err(malformed(field, "version out of range")),
    }
}

/// Decodes an `AlgorithmIdentifier` from its span.
pub fn algorithm_identifier(
    t: Tlv<'_>,
    field: &'static str,
) -> Result<AlgorithmIdentifierOwned, CmsError> {
    crate::alg::algorithm_identifier_from_der(t.expect(tag::SEQUENCE)?.raw)
        .map_err(|e| malformed(field, e))
}

impl<'a> SignedDataView<'a> {
    /// Parses a DER `ContentInfo` carrying `SignedData`.
    pub fn parse(input: &'a [u8]) -> Result<Self, CmsError> {
        let ci = parse_one(input)?.expect(tag::SEQUENCE)?;
        let mut r = ci.reader();
        let ct = read_oid(r.read()?, "contentType")?;
        if ct != oid::ID_SIGNED_DATA {
            return Err(CmsError::NotSignedData(ct.to_string()));
        }
        let content = r.expect(tag::context(0))?;
        r.finish()?;
        let mut inner = content.reader();
        let sd = inner.expect(tag::SEQUENCE)?;
        inner.finish()?;
        Self::parse_signed_data(input, sd)
    }

    fn parse_signed_data(raw: &'a [u8], sd: Tlv<'a>) -> Result<Self, CmsError> {
        let mut r = sd.reader();
        let version = small_int(r.read()?, "SignedData.version")?;
        let digest_algorithms = r.expect(tag::SET)?;
        let encap = r.expect(tag::SEQUENCE)?;
        let mut er = encap.reader();
        let econtent_type = read_oid(er.read()?, "eContentType")?;
        let econtent = match er.optional(tag::context(0))? {
            Some(wrapper) => {
                let mut wr = wrapper.reader();
                let os = wr.expect(tag::OCTET_STRING)?;
                wr.finish()?;
                Some(os.value)
            }
            None => None,
        };
        er.finish()?;
        let certificates_field = r.optional(tag::context(0))?;
        let certificates = match &certificates_field {
            Some(f) => f.reader().all()?,
            None => Vec::new(),
        };
        let crls_field = r.optional(tag::context(1))?;
        let crls = match &crls_field {
            Some(f) => f.reader().all()?,
            None => Vec::new(),
        };
        let signer_infos_field = r.expect(tag::SET)?;
        r.finish()?;
        // Every SignerInfo TLV read first (the errors of a list read whole), then each
        // parsed in order.
        let mut sr = signer_infos_field.reader();
        let mut signer_infos = Vec::with_capacity(sr.count()?);
        while !sr.is_empty() {
            signer_infos.push(SignerInfoView::parse(sr.read()?)?);
        }
        Ok(Self {
            raw,
            signed_data: sd,
            version,
            digest_algorithms,
            encap_content_info: encap,
            econtent_type,
            econtent,
            certificates_field,
            certificates,
            crls_field,
            crls,
            signer_infos_field,
            signer_infos,
        })
    }

    /// The plain X.509 certificates among `certificates` (other CertificateChoices skipped).
    pub fn x509_certificates(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.certificates
            .iter()
            .filter(|t| t.tag == tag::SEQUENCE)
            .map(|t| t.raw)
    }
}

impl<'a> SignerInfoView<'a> {
    /// Parses one SignerInfo TLV.
    pub fn parse(t: Tlv<'a>) -> Result<Self, CmsError> {
        let t = t.expect(tag::SEQUENCE)?;
        let mut r = t.reader();
        let version = small_int(r.read()?, "SignerInfo.version")?;
        let sid_tlv = r.read()?;
        let sid = match sid_tlv.tag {
            tag::SEQUENCE => {
                let mut sr = sid_tlv.reader();
                let issuer = sr.expect(tag::SEQUENCE)?.raw;
                let serial = sr.expect(tag::INTEGER)?.value;
                sr.finish()?;
                SignerId::IssuerSerial { issuer, serial }
            }
            t if t == tag::context_primitive(0) => SignerId::SubjectKeyId(sid_tlv.value),
            _ => {
                return Err(malformed(
                    "SignerInfo.sid",
                    "neither issuerAndSerialNumber nor SKI",
                ));
            }
        };
        let digest_algorithm = algorithm_identifier(r.read()?, "SignerInfo.digestAlgorithm")?;
        let signed_attrs = r
            .optional(tag::context(0))?
            .map(Attributes::parse)
            .transpose()?;
        let signature_algorithm = algorithm_identifier(r.read()?, "SignerInfo.signatureAlgorithm")?;
        let signature_field = r.expect(tag::OCTET_STRING)?;
        let unsigned_attrs = r
            .optional(tag::context(1))?
            .map(Attributes::parse)
            .transpose()?;
        r.finish()?;
        Ok(Self {
            raw: t.raw,
            version,
            sid,
            digest_algorithm,
            signed_attrs,
            signature_algorithm,
            signature: signature_field.value,
            signature_field,
            unsigned_attrs,
        })
    }

    /// The digest algorithm named by `digestAlgorithm`.
    pub fn digest_alg(&self) -> Result<DigestAlgorithm, crate::alg::AlgError> {
        DigestAlgorithm::from_oid(&self.digest_algorithm.oid)
    }
}

impl<'a> Attributes<'a> {
    /// Parses an `[n] IMPLICIT SET OF Attribute` field.
    pub fn parse(t: Tlv<'a>) -> Result<Self, CmsError> {
        let mut r = t.reader();
        // Sized by a first look (its errors are the loop's to report, in order).
        let mut list = Vec::with_capacity(r.count().unwrap_or(0));
        while !r.is_empty() {
            let a = r.expect(tag::SEQUENCE)?;
            let mut ar = a.reader();
            let oid = read_oid(ar.read()?, "Attribute.attrType")?;
            let values = AttributeValues::read(ar.expect(tag::SET)?.reader())?;
            ar.finish()?;
            list.push(AttributeView {
                raw: a.raw,
                oid,
                values,
            });
        }
        Ok(Self {
            raw: t.raw,
            contents: t.value,
            list,
        })
    }

    /// Every attribute of type `oid`.
    pub fn all_of(&self, oid: Oid) -> impl Iterator<Item = &AttributeView<'a>> + '_ {
        self.list.iter().filter(move |a| a.oid == oid)
    }

    /// The single value of an attribute that must occur at most once with one value
    /// (content-type, message-digest, signing-time, …): `Ok(None)` when absent.
    pub fn single(&self, oid: Oid) -> Result<Option<Tlv<'a>>, CmsError> {
        let mut it = self.all_of(oid);
        match (it.next(), it.next()) {
            (None, _) => Ok(None),
            (Some(a), None) if a.values.len() == 1 => Ok(Some(a.values[0])),
            _ => Err(CmsError::DuplicateAttribute(oid.to_string())),
        }
    }

    /// The digest of this field re-tagged as `SET OF` (RFC 5652 §5.4): the bytes a signer
    /// signed. The original contents are hashed as they are; nothing is re-encoded.
    pub fn digest_as_set(&self, alg: DigestAlgorithm) -> Digest {
        let mut h = alg.hasher();
        h.update(&[tag::SET]);
        h.update(&self.raw[1..]);
        h.finalize()
    }
}
