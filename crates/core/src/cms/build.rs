//! Building CMS `SignedData` around existing spans.
//!
//! Certificates, CRLs, eContent and attribute values are inserted exactly as given; only
//! new structure (lengths, SETs of new attributes) is encoded here.

use const_oid::ObjectIdentifier as Oid;
use der::Encode;

use super::CmsError;
use crate::alg::{DigestAlgorithm, SignatureAlgorithm};
use crate::cert::CertRef;
use crate::crypto::SigningKey;
use crate::der_span::{set_of, tag, tlv};
use crate::oid;

fn oid_der(o: Oid) -> Result<Vec<u8>, CmsError> {
    o.to_der().map_err(|e| CmsError::Build(e.to_string()))
}

/// Encodes `Attribute ::= SEQUENCE { attrType, attrValues SET OF }` from value encodings.
pub fn attribute(attr_type: Oid, values: &[&[u8]]) -> Result<Vec<u8>, CmsError> {
    let set = set_of(values.to_vec());
    Ok(tlv(tag::SEQUENCE, &[&oid_der(attr_type)?, &set]))
}

/// Builds one SignerInfo (version 1, issuerAndSerialNumber) signed by `key`.
#[derive(Debug)]
pub struct SignerInfoBuilder<'k> {
    key: &'k dyn SigningKey,
    alg: SignatureAlgorithm,
    issuer: Vec<u8>,
    serial: Vec<u8>,
    signed_attrs: Vec<Vec<u8>>,
}

/// The result of [`SignerInfoBuilder::sign`].
#[derive(Debug, Clone)]
pub struct BuiltSignerInfo {
    /// The SignerInfo encoding.
    pub der: Vec<u8>,
    /// The signature value (what a signature time-stamp covers).
    pub signature: Vec<u8>,
}

impl<'k> SignerInfoBuilder<'k> {
    /// A builder for `cert`'s key.
    pub fn new(key: &'k dyn SigningKey, alg: SignatureAlgorithm, cert: &CertRef<'_>) -> Self {
        Self {
            key,
            alg,
            issuer: cert.issuer.to_vec(),
            serial: cert.serial_tlv.to_vec(),
            signed_attrs: Vec::new(),
        }
    }

    /// Adds a signed attribute (an `Attribute` encoding, see [`attribute`]).
    pub fn signed_attr(mut self, attr: Vec<u8>) -> Self {
        self.signed_attrs.push(attr);
        self
    }

    /// Encodes the signed attributes as a DER SET, signs them and assembles the SignerInfo.
    pub fn sign(self) -> Result<BuiltSignerInfo, CmsError> {
        let digest_alg = self.alg.digest();
        let set = set_of(self.signed_attrs.iter().map(Vec::as_slice).collect());
        let digest = digest_alg.digest(&set);
        let signature = self.key.sign_digest(self.alg, &digest)?;
        let mut signed_field = set;
        signed_field[0] = tag::context(0);
        let sid = tlv(tag::SEQUENCE, &[&self.issuer, &self.serial]);
        let dig = digest_alg
            .algorithm_identifier()
            .to_der()
            .map_err(|e| CmsError::Build(e.to_string()))?;
        let sig_alg = self
            .alg
            .algorithm_identifier()
            .map_err(|e| CmsError::Build(e.to_string()))?
            .to_der()
            .map_err(|e| CmsError::Build(e.to_string()))?;
        let sig = tlv(tag::OCTET_STRING, &[&signature]);
        let der = tlv(
            tag::SEQUENCE,
            &[
                &[0x02, 0x01, 0x01],
                &sid,
                &dig,
                &signed_field,
                &sig_alg,
                &sig,
            ],
        );
        Ok(BuiltSignerInfo { der, signature })
    }
}

/// Assembles `ContentInfo { signedData }`.
///
/// `econtent` is attached when given. Certificates and CRLs are copied verbatim in the
/// given order (CertificateSet is a SET, but order-preserving writers are the norm and
/// re-sorting would not change any signature).
pub fn signed_data(
    econtent_type: Oid,
    econtent: Option<&[u8]>,
    digest_algs: &[DigestAlgorithm],
    certificates: &[&[u8]],
    crls: &[&[u8]],
    signer_infos: &[&[u8]],
) -> Result<Vec<u8>, CmsError> {
    let version: u8 = if econtent_type == oid::ID_DATA { 1 } else { 3 };
    let mut algs = Vec::new();
    for d in digest_algs {
        let enc = d
            .algorithm_identifier()
            .to_der()
            .map_err(|e| CmsError::Build(e.to_string()))?;
        if !algs.contains(&enc) {
            algs.push(enc);
        }
    }
    let algs = set_of(algs.iter().map(Vec::as_slice).collect());
    let ect = oid_der(econtent_type)?;
    let encap = match econtent {
        Some(c) => {
            let os = tlv(tag::OCTET_STRING, &[c]);
            tlv(tag::SEQUENCE, &[&ect, &tlv(tag::context(0), &[&os])])
        }
        None => tlv(tag::SEQUENCE, &[&ect]),
    };
    let certs = if certificates.is_empty() {
        Vec::new()
    } else {
        tlv(tag::context(0), certificates)
    };
    let crl_field = if crls.is_empty() {
        Vec::new()
    } else {
        tlv(tag::context(1), crls)
    };
    let sis = tlv(tag::SET, signer_infos);
    let sd = tlv(
        tag::SEQUENCE,
        &[
            &[0x02, 0x01, version],
            &algs,
            &encap,
            &certs,
            &crl_field,
            &sis,
        ],
    );
    let content = tlv(tag::context(0), &[&sd]);
    Ok(tlv(
        tag::SEQUENCE,
        &[&oid_der(oid::ID_SIGNED_DATA)?, &content],
    ))
}
