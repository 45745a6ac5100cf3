//! XAdES signature creation (ETSI EN 319 132-1): baseline B-B and B-T, in the shape
//! Japanese e-prescriptions use.
//!
//! The signature is a `ds:Signature` with exclusive C14N for SignedInfo, SHA-256 digests,
//! the key's signature method (RSA PKCS#1 v1.5 or PSS, ECDSA) and three references: the
//! document (enveloped: `URI=""`, enveloped-signature transform and exclusive C14N;
//! detached: the content's URI and raw bytes), the `ds:KeyInfo` holding the signer
//! certificate and its chain, and the `xades:SignedProperties` with SigningTime and
//! SigningCertificateV2 (SHA-256 digest and IssuerSerialV2) and, on request, an
//! AllDataObjectsTimeStamp (the content time-stamp). B-T adds a SignatureTimeStamp over
//! the canonicalised `ds:SignatureValue` element.
//!
//! The text is written by [`kenpo_xml::SignatureWriter`], never by re-serialising the
//! input: enveloped, the output is the input with the signature inserted as the last
//! child of the document element. Every value is computed on the reparsed output with the
//! same `kenpo_xml` functions the verifier uses (reference octets, SignedInfo, the
//! time-stamped octets), so what is signed is what a verifier recomputes.
//!
//! Everything the CAdES path checks applies unchanged ([`crate::cades`]): the profile,
//! validity, key match and algorithm before the key is used ([`crate::cades::preflight`]),
//! rule 27-1(3) at genTime for B-T, the audit log. Only the digest of SignedInfo goes to
//! the [`Signer`]: PKCS#11, PKCS#12 and external signers all work.

use std::borrow::Cow;
use std::path::Path;

use der::{Decode, Encode};
use kenpo_core::alg::{Digest, DigestAlgorithm, PublicKeyKind, SignatureAlgorithm};
use kenpo_core::cms::CmsError;
use kenpo_core::ess::EssCertIdV2;
use kenpo_xml::{
    ContentResolver, Document, Limits, SignatureWriter, SignedContent, XadesTemplate, XadesValues,
    XmlError,
};

use crate::cades::digest::DocumentHasher;
use crate::cades::engine::{self, Prepared, Trail};
use crate::cades::{SignError, SignOptions, Signed, output, record, rule27};
use crate::{Level, Signer};

/// Where the signature goes (`--xml-form`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum XmlForm {
    /// Inside the document, as the last child of its document element (default).
    #[default]
    Enveloped,
    /// A standalone signature document referencing the content by `uri` (usually its
    /// file name), whose raw bytes are signed.
    Detached {
        /// The reference URI.
        uri: String,
    },
}

/// The XML-specific choices of a XAdES signature.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct XadesOptions {
    /// Enveloped (default) or detached.
    pub form: XmlForm,
    /// The base of the `Id`s written; `None` derives one from the document, the signer
    /// certificate and the signing time. A suffix is added when the document already has
    /// one of them.
    pub id_base: Option<String>,
    /// Parsing budgets for the document and the output.
    pub limits: Limits,
}

impl XadesOptions {
    /// Enveloped, derived Ids, default budgets.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets [`XadesOptions::form`].
    #[must_use]
    pub fn with_form(mut self, form: XmlForm) -> Self {
        self.form = form;
        self
    }
    /// Sets [`XadesOptions::id_base`].
    #[must_use]
    pub fn with_id_base(mut self, id_base: Option<String>) -> Self {
        self.id_base = id_base;
        self
    }
    /// Sets [`XadesOptions::limits`].
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// The detached content, for the reference's octets.
struct Content<'a>(&'a [u8]);

impl ContentResolver for Content<'_> {
    fn resolve(&self, _uri: Option<&str>) -> Option<Cow<'_, [u8]>> {
        Some(Cow::Borrowed(self.0))
    }
}

/// Signs the document `input` as XAdES. Enveloped: `input` is an XML document (UTF-8)
/// and [`Signed::der`] is the document with the signature inside; detached: `input` is
/// the content's bytes and [`Signed::der`] the standalone signature document.
pub fn sign_xml(
    signer: &dyn Signer,
    input: &[u8],
    opts: &SignOptions,
    xml: &XadesOptions,
) -> Result<Signed, SignError> {
    let mut trail = Trail::default();
    let result = sign_inner(signer, input, opts, xml, &mut trail);
    let log = |outcome: String| match &opts.audit {
        Some(log) => log.append(&record(opts, &trail, None, None, outcome)),
        None => Ok(()),
    };
    match result {
        Ok(signed) => {
            log("signed".into())?;
            Ok(signed)
        }
        Err(e) => {
            let _ = log(format!("refused: {e}"));
            Err(e)
        }
    }
}

/// [`sign_xml`] over `input` (the bytes of the file `doc`), the output written to `out`
/// atomically (nothing is written on error); the audit record names both files.
pub fn sign_xml_to(
    signer: &dyn Signer,
    input: &[u8],
    doc: &Path,
    out: &Path,
    opts: &SignOptions,
    xml: &XadesOptions,
) -> Result<Signed, SignError> {
    let mut trail = Trail::default();
    let result = sign_inner(signer, input, opts, xml, &mut trail)
        .and_then(|signed| output::write_bytes(out, &signed.der).map(|p| (signed, p)));
    crate::cades::audited_commit(opts, &trail, doc, out, result)
}

/// The XMLDSig SignatureMethod URI of `alg`.
pub fn signature_method_uri(alg: SignatureAlgorithm) -> Option<&'static str> {
    use DigestAlgorithm::{Sha256, Sha384, Sha512};
    use SignatureAlgorithm::{Ecdsa, RsaPkcs1, RsaPss};
    Some(match alg {
        RsaPkcs1(Sha256) => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        RsaPkcs1(Sha384) => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
        RsaPkcs1(Sha512) => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
        Ecdsa(Sha256) => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
        Ecdsa(Sha384) => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
        Ecdsa(Sha512) => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
        RsaPss {
            digest: Sha256,
            salt_len: 32,
        } => "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1",
        RsaPss {
            digest: Sha384,
            salt_len: 48,
        } => "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1",
        RsaPss {
            digest: Sha512,
            salt_len: 64,
        } => "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1",
        _ => return None,
    })
}

/// A DER `Ecdsa-Sig-Value` as XMLDSig carries it: r‖s, each `len` bytes.
fn ecdsa_der_to_raw(der: &[u8], len: usize) -> Option<Vec<u8>> {
    #[derive(der::Sequence)]
    struct EcdsaSig<'a> {
        r: der::asn1::UintRef<'a>,
        s: der::asn1::UintRef<'a>,
    }
    let sig = EcdsaSig::from_der(der).ok()?;
    let mut out = Vec::with_capacity(2 * len);
    for v in [sig.r.as_bytes(), sig.s.as_bytes()] {
        if v.len() > len {
            return None;
        }
        out.extend(std::iter::repeat_n(0, len - v.len()));
        out.extend_from_slice(v);
    }
    Some(out)
}

fn xml_err(e: XmlError) -> SignError {
    SignError::Xml(e)
}

fn build_err(what: impl Into<String>) -> SignError {
    SignError::Cms(CmsError::Build(what.into()))
}

fn sign_inner(
    signer: &dyn Signer,
    input: &[u8],
    opts: &SignOptions,
    xml: &XadesOptions,
    trail: &mut Trail,
) -> Result<Signed, SignError> {
    if opts.attached {
        return Err(SignError::Xml(XmlError::Invalid {
            element: "Signature",
            reason: "an XML signature is enveloped in the document or detached beside it; attached (CMS) output does not apply".into(),
        }));
    }
    let p = engine::prepare(signer, opts, trail)?;
    let method = signature_method_uri(p.alg).ok_or_else(|| SignError::Algorithm {
        algorithm: p.alg.name().to_owned(),
        reason: "has no XMLDSig SignatureMethod".into(),
    })?;
    let mut h = DocumentHasher::new(p.alg.digest());
    h.update(input);
    let digests = h.finalize();
    trail.document_sha256 = Some(digests.sha256.to_hex());

    let template = template(&p, input, xml, method)?;
    let writer = match &xml.form {
        XmlForm::Enveloped => SignatureWriter::enveloped(input, template, &xml.limits),
        XmlForm::Detached { .. } => SignatureWriter::detached(template),
    }
    .map_err(xml_err)?;
    let sig_id = writer.ids().signature.as_str();
    let content = Content(input);
    let limits = &xml.limits;
    let mut values = XadesValues::new();
    values.signature_timestamp = (opts.level == Level::BT).then(Vec::new);

    // The content time-stamp (a signed property) over every data object but the
    // SignedProperties, obtained before anything is signed.
    let mut content_gen_time = None;
    if opts.content_timestamp {
        let stamper = p.stamper.as_ref().ok_or(SignError::NoTsa)?;
        values.content_timestamp = Some(Vec::new());
        let out = writer.write(&values);
        let doc = Document::parse(&out, limits).map_err(xml_err)?;
        let sig = read(&doc, sig_id)?;
        let qp = doc
            .qualifying_properties(&sig)
            .map_err(xml_err)?
            .ok_or(XmlError::Missing("QualifyingProperties"))
            .map_err(xml_err)?;
        let mut hasher = stamper.digest_algorithm().hasher();
        doc.all_data_objects_octets_to(&sig, &qp, &content, limits, &mut hasher)
            .map_err(xml_err)?;
        let ts = stamper.stamp_digest(&hasher.finalize())?;
        content_gen_time = Some(ts.gen_time());
        values.content_timestamp = Some(ts.token_der);
    }

    // The three reference digests, on the output as it will be.
    let out = writer.write(&values);
    let doc = Document::parse(&out, limits).map_err(xml_err)?;
    let sig = read(&doc, sig_id)?;
    for (i, r) in sig.references.iter().enumerate().take(3) {
        let mut hasher = DigestAlgorithm::Sha256.hasher();
        doc.reference_octets_to(sig.node, r, &content, limits, &mut hasher)
            .map_err(xml_err)?;
        if let Some(slot) = values.digests.get_mut(i) {
            *slot = hasher.finalize().as_bytes().to_vec();
        }
    }

    // SignedInfo, canonicalised as the verifier does, signed once.
    let out = writer.write(&values);
    let doc = Document::parse(&out, limits).map_err(xml_err)?;
    let sig = read(&doc, sig_id)?;
    let octets = doc.signed_info_octets(&sig).map_err(xml_err)?;
    let digest: Digest = p.alg.digest().digest(&octets);
    let value = p
        .signer
        .key()
        .sign_digest(p.alg, &digest)
        .map_err(|e| SignError::Cms(CmsError::Crypto(e)))?;
    values.signature_value = match (p.alg, signer.key().kind()) {
        (SignatureAlgorithm::Ecdsa(_), PublicKeyKind::P256) => ecdsa_der_to_raw(&value, 32)
            .ok_or_else(|| build_err("the key returned a malformed ECDSA signature"))?,
        (SignatureAlgorithm::Ecdsa(_), PublicKeyKind::P384) => ecdsa_der_to_raw(&value, 48)
            .ok_or_else(|| build_err("the key returned a malformed ECDSA signature"))?,
        _ => value,
    };

    // B-T: the signature time-stamp over the canonicalised SignatureValue element.
    let mut stamped = None;
    if opts.level == Level::BT {
        let stamper = p.stamper.as_ref().ok_or(SignError::NoTsa)?;
        let out = writer.write(&values);
        let doc = Document::parse(&out, limits).map_err(xml_err)?;
        let sig = read(&doc, sig_id)?;
        let qp = doc
            .qualifying_properties(&sig)
            .map_err(xml_err)?
            .ok_or(XmlError::Missing("QualifyingProperties"))
            .map_err(xml_err)?;
        let ts_prop = qp
            .signature_timestamps
            .first()
            .ok_or(XmlError::Missing("SignatureTimeStamp"))
            .map_err(xml_err)?;
        let octets = doc
            .signature_timestamp_octets(&sig, ts_prop)
            .map_err(xml_err)?;
        let ts = stamper.stamp_digest(&stamper.digest_algorithm().digest(&octets))?;
        let gen_time = ts.gen_time();
        trail.gen_time = Some(gen_time);
        trail.tsa_url = Some(ts.url.clone());
        stamped = Some(ts);
    }
    let mut revocation = p.revocation_now.clone();
    if let Some(ts) = &stamped {
        let gen_time = ts.gen_time();
        // Rule 27-1(3): valid, and not revoked, at genTime.
        rule27::check_validity_at_gen_time(&p.cert, gen_time)?;
        if let Some(checker) = &opts.revocation {
            let status = rule27::status_at(checker.as_ref(), &p.cert, p.signer.chain(), gen_time);
            trail.revocation = Some(rule27::describe_status(&status));
            rule27::check_status_at_gen_time(&status, gen_time)?;
            revocation = Some(status);
        }
        values.signature_timestamp = Some(ts.token_der.clone());
    }
    let der = writer.write(&values);
    Ok(Signed {
        output_len: der.len() as u64,
        der,
        signer_summary: p.summary.clone(),
        document_digest: digests.signed,
        document_sha256: Some(digests.sha256),
        document_len: Some(digests.len),
        signature_algorithm: p.alg,
        signature_value: values.signature_value,
        signing_time: p.now,
        level: opts.level,
        attached: false,
        timestamp_token: stamped.as_ref().map(|t| t.token_der.clone()),
        timestamp_gen_time: stamped.as_ref().map(|t| t.gen_time()),
        tsa_url: stamped.map(|t| t.url),
        content_timestamp_gen_time: content_gen_time,
        revocation,
    })
}

/// The signature just written (the one carrying the writer's Id, unique in the output).
fn read(doc: &Document<'_>, id: &str) -> Result<kenpo_xml::Signature, SignError> {
    let node = doc.element_with_id(id).map_err(xml_err)?;
    let sig = doc.read_signature(node).map_err(xml_err)?;
    if sig.references.len() != 3 {
        return Err(build_err(
            "the written signature does not have three references",
        ));
    }
    Ok(sig)
}

fn template(
    p: &Prepared<'_>,
    input: &[u8],
    xml: &XadesOptions,
    method: &str,
) -> Result<XadesTemplate, SignError> {
    let cert_der = p.signer.certificate();
    let certificates: Vec<Vec<u8>> = engine::certificates(p.signer)
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    let issuer_serial = EssCertIdV2::for_cert(&p.cert, DigestAlgorithm::Sha256)
        .map_err(|e| SignError::Certificate(e.to_string()))?
        .issuer_serial
        .map(|is| is.to_der())
        .transpose()
        .map_err(|e| SignError::Certificate(e.to_string()))?;
    let now = p.now.replace_nanosecond(0).unwrap_or(p.now);
    let id_base = match &xml.id_base {
        Some(b) => b.clone(),
        None => {
            let mut h = DigestAlgorithm::Sha256.hasher();
            h.update(input);
            h.update(cert_der);
            h.update(kenpo_core::timefmt::rfc3339(p.now).as_bytes());
            let d = h.finalize();
            format!("id-{}", d.to_hex().get(..16).unwrap_or("kenpo"))
        }
    };
    let content = match &xml.form {
        XmlForm::Enveloped => SignedContent::Enveloped,
        XmlForm::Detached { uri } => SignedContent::Detached { uri: uri.clone() },
    };
    Ok(XadesTemplate::new(
        content,
        method,
        certificates,
        kenpo_core::timefmt::rfc3339(now),
        DigestAlgorithm::Sha256.digest(cert_der).as_bytes().to_vec(),
    )
    .with_issuer_serial_v2(issuer_serial)
    .with_id_base(id_base))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdsa_values_are_padded_to_the_field_size() {
        // SEQUENCE { INTEGER 0x00ff (positive, padded), INTEGER 0x01 }
        let der = [0x30, 0x07, 0x02, 0x02, 0x00, 0xff, 0x02, 0x01, 0x01];
        let raw = ecdsa_der_to_raw(&der, 4).unwrap();
        assert_eq!(raw, [0, 0, 0, 0xff, 0, 0, 0, 1]);
        assert!(ecdsa_der_to_raw(&der, 0).is_none());
        assert!(ecdsa_der_to_raw(b"junk", 32).is_none());
    }

    #[test]
    fn every_default_algorithm_has_a_method() {
        for kind in [
            PublicKeyKind::Rsa { bits: 2048 },
            PublicKeyKind::P256,
            PublicKeyKind::P384,
        ] {
            assert!(signature_method_uri(kind.default_signature_algorithm()).is_some());
        }
        assert!(
            signature_method_uri(SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha1)).is_none()
        );
    }
}
