//! XAdES qualifying properties (ETSI EN 319 132-1; XAdES 1.3.2 and 1.4.1 namespaces):
//! what a verifier needs to read, as octets and strings; no crypto.

use crate::dsig::DSIG_NS;
use crate::node::decode_base64;
use crate::{C14nMethod, C14nOptions, Document, Node, Signature, XmlError};

/// The XAdES 1.3.2 namespace.
pub const XADES_NS: &str = "http://uri.etsi.org/01903/v1.3.2#";
/// The XAdES 1.4.1 namespace (TimeStampValidationData, ArchiveTimeStamp).
pub const XADES141_NS: &str = "http://uri.etsi.org/01903/v1.4.1#";
/// The XAdES 1.1.1 namespace (older signatures).
pub const XADES111_NS: &str = "http://uri.etsi.org/01903/v1.1.1#";
/// The `Type` of the reference to SignedProperties.
pub const SIGNED_PROPERTIES_TYPE: &str = "http://uri.etsi.org/01903#SignedProperties";

/// One `Cert` of SigningCertificate or SigningCertificateV2.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertRef {
    /// The CertDigest's DigestMethod URI.
    pub digest_method: String,
    /// The CertDigest's DigestValue.
    pub digest_value: Vec<u8>,
    /// SigningCertificate (v1) IssuerSerial: the issuer name as text.
    pub issuer_name: Option<String>,
    /// SigningCertificate (v1) IssuerSerial: the serial number as decimal text.
    pub serial_number: Option<String>,
    /// SigningCertificateV2 IssuerSerialV2: the DER of an RFC 5035 IssuerSerial.
    pub issuer_serial_v2: Option<Vec<u8>>,
}

/// A time-stamp property (SignatureTimeStamp, ArchiveTimeStamp).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct XadesTimeStamp {
    /// The property element.
    pub node: Node,
    /// Its `Id`.
    pub id: Option<String>,
    /// Its CanonicalizationMethod (Canonical XML 1.0 when absent).
    pub c14n: C14nMethod,
    /// The EncapsulatedTimeStamp tokens (DER CMS), usually one.
    pub tokens: Vec<Vec<u8>>,
}

/// Validation data (CertificateValues + RevocationValues, or TimeStampValidationData).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationValues {
    /// EncapsulatedX509Certificate values (DER).
    pub certificates: Vec<Vec<u8>>,
    /// EncapsulatedCRLValue values (DER).
    pub crls: Vec<Vec<u8>>,
    /// EncapsulatedOCSPValue values (DER OCSPResponse).
    pub ocsps: Vec<Vec<u8>>,
}

/// The qualifying properties of one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QualifyingProperties {
    /// The namespace the properties are in (1.3.2 or 1.1.1).
    pub namespace: &'static str,
    /// The SignedProperties element (None when absent).
    pub signed_properties: Option<Node>,
    /// SignedProperties' `Id`.
    pub signed_properties_id: Option<String>,
    /// SigningTime as written (xsd:dateTime).
    pub signing_time: Option<String>,
    /// SigningCertificate (v1) `Cert`s.
    pub signing_certificate: Vec<CertRef>,
    /// SigningCertificateV2 `Cert`s.
    pub signing_certificate_v2: Vec<CertRef>,
    /// Whether a SignaturePolicyIdentifier is present.
    pub has_signature_policy: bool,
    /// AllDataObjectsTimeStamp properties (content time-stamps over every signed data
    /// object, see [`Document::all_data_objects_octets_to`]).
    pub all_data_objects_timestamps: Vec<XadesTimeStamp>,
    /// IndividualDataObjectsTimeStamp properties (read; their imprint is not computed).
    pub individual_data_objects_timestamps: Vec<XadesTimeStamp>,
    /// SignatureTimeStamp properties.
    pub signature_timestamps: Vec<XadesTimeStamp>,
    /// CertificateValues.
    pub certificate_values: ValidationValues,
    /// RevocationValues.
    pub revocation_values: ValidationValues,
    /// TimeStampValidationData (1.4.1), merged.
    pub timestamp_validation_data: ValidationValues,
    /// ArchiveTimeStamp properties (1.4.1, or 1.3.2 for older signatures).
    pub archive_timestamps: Vec<XadesTimeStamp>,
    /// CounterSignature properties: the nested `ds:Signature` elements.
    pub counter_signatures: Vec<Node>,
    /// Whether CompleteCertificateRefs / CompleteRevocationRefs (ES-C) are present.
    pub has_complete_refs: bool,
}

impl Document<'_> {
    /// The QualifyingProperties of `signature` (inside its `ds:Object`, `Target` naming
    /// the signature), or `None` for a plain XMLDSig signature.
    pub fn qualifying_properties(
        &self,
        signature: &Signature,
    ) -> Result<Option<QualifyingProperties>, XmlError> {
        let mut found = None;
        for obj in self.children_named(signature.node, DSIG_NS, "Object") {
            for qp in self.child_elements(obj) {
                if self.local_name(qp) != "QualifyingProperties" {
                    continue;
                }
                let ns = match self.namespace(qp) {
                    Some(XADES_NS) => XADES_NS,
                    Some(XADES111_NS) => XADES111_NS,
                    _ => continue,
                };
                if found.is_some() {
                    return Err(XmlError::Invalid {
                        element: "QualifyingProperties",
                        reason: "more than one".into(),
                    });
                }
                found = Some((qp, ns));
            }
        }
        let Some((qp, ns)) = found else {
            return Ok(None);
        };
        if let (Some(target), Some(id)) = (self.attribute(qp, "Target"), signature.id.as_deref())
            && target.strip_prefix('#') != Some(id)
        {
            return Err(XmlError::Invalid {
                element: "QualifyingProperties",
                reason: format!("Target {target:?} does not name the signature {id:?}"),
            });
        }
        let mut p = QualifyingProperties {
            namespace: ns,
            signed_properties: None,
            signed_properties_id: None,
            signing_time: None,
            signing_certificate: Vec::new(),
            signing_certificate_v2: Vec::new(),
            has_signature_policy: false,
            all_data_objects_timestamps: Vec::new(),
            individual_data_objects_timestamps: Vec::new(),
            signature_timestamps: Vec::new(),
            certificate_values: ValidationValues::default(),
            revocation_values: ValidationValues::default(),
            timestamp_validation_data: ValidationValues::default(),
            archive_timestamps: Vec::new(),
            counter_signatures: Vec::new(),
            has_complete_refs: false,
        };
        if let Some(sp) = self.child(qp, ns, "SignedProperties") {
            p.signed_properties = Some(sp);
            p.signed_properties_id = self.attribute(sp, "Id").map(str::to_string);
            if let Some(sdop) = self.child(sp, ns, "SignedDataObjectProperties") {
                for c in self.child_elements(sdop) {
                    match self.local_name(c) {
                        "AllDataObjectsTimeStamp" => {
                            p.all_data_objects_timestamps.push(self.timestamp(c)?)
                        }
                        "IndividualDataObjectsTimeStamp" => p
                            .individual_data_objects_timestamps
                            .push(self.timestamp(c)?),
                        _ => {}
                    }
                }
            }
            if let Some(ssp) = self.child(sp, ns, "SignedSignatureProperties") {
                for c in self.child_elements(ssp) {
                    match self.local_name(c) {
                        "SigningTime" => {
                            p.signing_time = Some(self.text_content(c).trim().to_string())
                        }
                        "SigningCertificate" => {
                            p.signing_certificate = self.cert_refs(c, ns, false)?
                        }
                        "SigningCertificateV2" => {
                            p.signing_certificate_v2 = self.cert_refs(c, ns, true)?
                        }
                        "SignaturePolicyIdentifier" => p.has_signature_policy = true,
                        _ => {}
                    }
                }
            }
        }
        if let Some(up) = self.child(qp, ns, "UnsignedProperties")
            && let Some(usp) = self.child(up, ns, "UnsignedSignatureProperties")
        {
            for c in self.child_elements(usp) {
                let known = matches!(
                    self.namespace(c),
                    Some(XADES_NS | XADES141_NS | XADES111_NS)
                );
                if !known {
                    continue;
                }
                match self.local_name(c) {
                    "SignatureTimeStamp" => p.signature_timestamps.push(self.timestamp(c)?),
                    "ArchiveTimeStamp" => p.archive_timestamps.push(self.timestamp(c)?),
                    "CertificateValues" => self.values(c, &mut p.certificate_values)?,
                    "RevocationValues" => self.values(c, &mut p.revocation_values)?,
                    "TimeStampValidationData" => {
                        self.values(c, &mut p.timestamp_validation_data)?
                    }
                    "CounterSignature" => {
                        p.counter_signatures
                            .extend(self.children_named(c, DSIG_NS, "Signature"))
                    }
                    "CompleteCertificateRefs" | "CompleteRevocationRefs" => {
                        p.has_complete_refs = true
                    }
                    _ => {}
                }
            }
        }
        Ok(Some(p))
    }

    fn cert_refs(&self, node: Node, ns: &str, v2: bool) -> Result<Vec<CertRef>, XmlError> {
        let mut out = Vec::new();
        for cert in self.children_named(node, ns, "Cert") {
            let cd = self
                .child(cert, ns, "CertDigest")
                .ok_or(XmlError::Missing("CertDigest"))?;
            let dm = self
                .child(cd, DSIG_NS, "DigestMethod")
                .ok_or(XmlError::Missing("DigestMethod"))?;
            let dv = self
                .child(cd, DSIG_NS, "DigestValue")
                .ok_or(XmlError::Missing("DigestValue"))?;
            let mut r = CertRef {
                digest_method: self
                    .attribute(dm, "Algorithm")
                    .unwrap_or_default()
                    .to_string(),
                digest_value: decode_base64(&self.text_content(dv), "CertDigest")?,
                issuer_name: None,
                serial_number: None,
                issuer_serial_v2: None,
            };
            if v2 {
                if let Some(is) = self.child(cert, ns, "IssuerSerialV2") {
                    r.issuer_serial_v2 =
                        Some(decode_base64(&self.text_content(is), "IssuerSerialV2")?);
                }
            } else if let Some(is) = self.child(cert, ns, "IssuerSerial") {
                r.issuer_name = self
                    .child(is, DSIG_NS, "X509IssuerName")
                    .map(|n| self.text_content(n).trim().to_string());
                r.serial_number = self
                    .child(is, DSIG_NS, "X509SerialNumber")
                    .map(|n| self.text_content(n).trim().to_string());
            }
            out.push(r);
        }
        Ok(out)
    }

    fn timestamp(&self, node: Node) -> Result<XadesTimeStamp, XmlError> {
        let c14n = match self.child(node, DSIG_NS, "CanonicalizationMethod") {
            Some(cm) => {
                let uri = self.attribute(cm, "Algorithm").unwrap_or_default();
                C14nMethod::from_uri(uri)
                    .ok_or_else(|| XmlError::UnsupportedAlgorithm(uri.to_string()))?
            }
            None => C14nMethod::Inclusive10,
        };
        let mut tokens = Vec::new();
        for c in self.child_elements(node) {
            if self.local_name(c) == "EncapsulatedTimeStamp" {
                tokens.push(decode_base64(
                    &self.text_content(c),
                    "EncapsulatedTimeStamp",
                )?);
            }
        }
        Ok(XadesTimeStamp {
            node,
            id: self.attribute(node, "Id").map(str::to_string),
            c14n,
            tokens,
        })
    }

    fn values(&self, node: Node, into: &mut ValidationValues) -> Result<(), XmlError> {
        for n in self.doc.descendants(node.0).into_iter().map(Node) {
            match self.local_name(n) {
                "EncapsulatedX509Certificate" => into.certificates.push(decode_base64(
                    &self.text_content(n),
                    "EncapsulatedX509Certificate",
                )?),
                "EncapsulatedCRLValue" => into.crls.push(decode_base64(
                    &self.text_content(n),
                    "EncapsulatedCRLValue",
                )?),
                "EncapsulatedOCSPValue" => into.ocsps.push(decode_base64(
                    &self.text_content(n),
                    "EncapsulatedOCSPValue",
                )?),
                _ => {}
            }
        }
        Ok(())
    }

    /// The octets a SignatureTimeStamp's message imprint covers: the SignatureValue element
    /// canonicalised with the time-stamp's CanonicalizationMethod (EN 319 132-1 §5.3).
    pub fn signature_timestamp_octets(
        &self,
        signature: &Signature,
        timestamp: &XadesTimeStamp,
    ) -> Result<Vec<u8>, XmlError> {
        self.canonicalize(
            timestamp.c14n,
            &C14nOptions::new().subtree(signature.signature_value_node),
        )
    }
}

impl Document<'_> {
    /// The octets an ArchiveTimeStamp's message imprint covers (XAdES 1.4.1, ETSI TS 101
    /// 903 §8.2.1; EN 319 132-1 §5.5.2): every SignedInfo reference's octets in order, then
    /// SignedInfo, SignatureValue and KeyInfo canonicalised with the time-stamp's method,
    /// then each unsigned signature property before the time-stamp, then every `ds:Object`
    /// except the one holding the QualifyingProperties, each canonicalised.
    pub fn archive_timestamp_octets_to(
        &self,
        signature: &Signature,
        timestamp: &XadesTimeStamp,
        content: &dyn crate::ContentResolver,
        limits: &crate::Limits,
        out: &mut dyn std::io::Write,
    ) -> Result<(), XmlError> {
        for r in &signature.references {
            self.reference_octets_to(signature.node, r, content, limits, out)?;
        }
        let c14n = |node: Node, out: &mut dyn std::io::Write| {
            self.canonicalize_to(timestamp.c14n, &C14nOptions::new().subtree(node), out)
        };
        c14n(signature.signed_info, out)?;
        c14n(signature.signature_value_node, out)?;
        if let Some(ki) = signature.key_info {
            c14n(ki, out)?;
        }
        let usp = self
            .parent_element(timestamp.node)
            .ok_or(XmlError::Missing("UnsignedSignatureProperties"))?;
        for prop in self.child_elements(usp) {
            if prop == timestamp.node {
                break;
            }
            c14n(prop, out)?;
        }
        // XAdES 1.3.2 archive time-stamps leave out the objects SignedInfo references too.
        let v132 = self.namespace(timestamp.node) != Some(XADES141_NS);
        for obj in self.children_named(signature.node, DSIG_NS, "Object") {
            let holds_properties = self
                .child_elements(obj)
                .into_iter()
                .any(|c| self.local_name(c) == "QualifyingProperties");
            let referenced = v132
                && self.attribute(obj, "Id").is_some_and(|id| {
                    signature
                        .references
                        .iter()
                        .any(|r| r.uri.as_deref().and_then(|u| u.strip_prefix('#')) == Some(id))
                });
            if !holds_properties && !referenced {
                c14n(obj, out)?;
            }
        }
        Ok(())
    }
}

impl Document<'_> {
    /// The octets an AllDataObjectsTimeStamp's imprint covers (EN 319 132-1 §5.2.8.1): the
    /// octets of every SignedInfo reference except the one to the SignedProperties, in
    /// order.
    pub fn all_data_objects_octets_to(
        &self,
        signature: &Signature,
        properties: &QualifyingProperties,
        content: &dyn crate::ContentResolver,
        limits: &crate::Limits,
        out: &mut dyn std::io::Write,
    ) -> Result<(), XmlError> {
        let sp_uri = properties
            .signed_properties_id
            .as_deref()
            .map(|id| format!("#{id}"));
        for r in &signature.references {
            let to_properties = r.type_uri.as_deref() == Some(SIGNED_PROPERTIES_TYPE)
                || (sp_uri.is_some() && r.uri == sp_uri);
            if !to_properties {
                self.reference_octets_to(signature.node, r, content, limits, out)?;
            }
        }
        Ok(())
    }
}
