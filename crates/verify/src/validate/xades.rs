//! The XAdES / XMLDSig adapter: every `ds:Signature` of an XML document read with
//! `kenpo_xml` (which knows no crypto), its references hashed, its SignatureValue
//! verified, its XAdES properties (signing certificate, signing time, signature
//! time-stamps, embedded validation data) turned into format-neutral
//! [`SignatureEvidence`] for the same verdict as CAdES.

use std::borrow::Cow;
use std::io::Read;
use std::sync::Arc;

use kenpo_core::alg::{DigestAlgorithm, SignatureAlgorithm};
use kenpo_core::cms::SignedDataView;
use kenpo_core::crypto::CryptoBackend;
use kenpo_core::shared_cert::SharedCert;
use kenpo_revocation::RevocationCheck;
use kenpo_sign::Profile;
use kenpo_tsa::TsaCertValidator;
use kenpo_xml::{ContentResolver, Document, Limits, QualifyingProperties, Signature, XmlError};
use time::OffsetDateTime;

use super::embedded::Embedded;
use super::evidence::{
    DataIntegrity, EmbeddedData, SignatureEvidence, SignatureValue, TimestampEvidence,
    TimestampKind, TsaPathCheck,
};
use super::tsa_time::ControlTimeValidator;
use super::verdict::SigCtx;
use super::verifier::{Detached, Verifier};
use super::xades_manifest;
use super::{POLICY_NAME, VerifyError, format_failure, path_options};
use crate::Indication;
use crate::path::PathValidator;
use crate::report::{
    CheckKind, CheckReport, ImprintScope, Outcome, Report, SCHEMA_VERSION, SignatureReport,
    TimestampFinding, TokenOutcome,
};

/// The detached contents given (`--content`), resolved by file name: a reference URI
/// names a content by its last path segment; a reference without URI, or when only one
/// content is given and no name matches, takes the single content. Also what
/// `lt::extend_xml` resolves the archive time-stamp's imprint with.
pub(crate) struct Contents<'a> {
    pub(crate) items: &'a [Detached<'a>],
}

impl Contents<'_> {
    fn read(d: &Detached<'_>) -> Option<Vec<u8>> {
        match d {
            Detached::Bytes(b) => Some(b.to_vec()),
            Detached::File(p) => {
                let mut v = Vec::new();
                std::fs::File::open(p).ok()?.read_to_end(&mut v).ok()?;
                Some(v)
            }
        }
    }
}

impl ContentResolver for Contents<'_> {
    fn resolve(&self, uri: Option<&str>) -> Option<Cow<'_, [u8]>> {
        let by_name = uri.and_then(|u| {
            let name = u.rsplit('/').next().unwrap_or(u).replace("%20", " ");
            self.items.iter().find(|d| match d {
                Detached::File(p) => p.file_name().and_then(|n| n.to_str()) == Some(name.as_str()),
                Detached::Bytes(_) => false,
            })
        });
        let item = by_name.or(if self.items.len() == 1 {
            self.items.first()
        } else {
            None
        })?;
        Self::read(item).map(Cow::Owned)
    }
}

/// The digest algorithm an XMLDSig DigestMethod URI names.
fn digest_of_uri(uri: &str) -> Option<DigestAlgorithm> {
    Some(match uri {
        "http://www.w3.org/2000/09/xmldsig#sha1" => DigestAlgorithm::Sha1,
        "http://www.w3.org/2001/04/xmlenc#sha256" => DigestAlgorithm::Sha256,
        "http://www.w3.org/2001/04/xmldsig-more#sha384" => DigestAlgorithm::Sha384,
        "http://www.w3.org/2001/04/xmlenc#sha512" => DigestAlgorithm::Sha512,
        _ => return None,
    })
}

/// The signature algorithm an XMLDSig SignatureMethod URI names.
fn signature_of_uri(uri: &str) -> Option<SignatureAlgorithm> {
    use DigestAlgorithm::{Sha1, Sha256, Sha384, Sha512};
    use SignatureAlgorithm::{Ecdsa, RsaPkcs1, RsaPss};
    Some(match uri {
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1" => RsaPkcs1(Sha1),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => RsaPkcs1(Sha256),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => RsaPkcs1(Sha384),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => RsaPkcs1(Sha512),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1" => Ecdsa(Sha1),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" => Ecdsa(Sha256),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384" => Ecdsa(Sha384),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512" => Ecdsa(Sha512),
        "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1" => RsaPss {
            digest: Sha256,
            salt_len: 32,
        },
        "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1" => RsaPss {
            digest: Sha384,
            salt_len: 48,
        },
        "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1" => RsaPss {
            digest: Sha512,
            salt_len: 64,
        },
        _ => return None,
    })
}

/// An XMLDSig ECDSA value (r‖s, each half the length) as a DER `Ecdsa-Sig-Value`.
fn ecdsa_raw_to_der(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.is_empty() || !raw.len().is_multiple_of(2) || raw.len() > 264 {
        return None;
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let int = |v: &[u8]| {
        let v = &v[v
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(v.len().saturating_sub(1))..];
        let mut out = vec![0x02];
        let pad = v.first().is_some_and(|b| b & 0x80 != 0);
        out.push((v.len() + usize::from(pad)) as u8);
        if pad {
            out.push(0);
        }
        out.extend_from_slice(v);
        out
    };
    let body: Vec<u8> = [int(r), int(s)].concat();
    let mut out = vec![0x30];
    match body.len() {
        n @ 0..0x80 => out.push(n as u8),
        n @ 0x80..0x100 => out.extend_from_slice(&[0x81, n as u8]),
        n => out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(&body);
    Some(out)
}

/// An xsd:dateTime with a zone (XAdES SigningTime).
fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339).ok()
}

/// Most signatures of one document verified.
const MAX_SIGNATURES: usize = 64;

/// What one signature's document reading gave, before the verdict.
struct Read1 {
    sig: Signature,
    qp: Option<QualifyingProperties>,
    findings: Vec<CheckReport>,
    format_failure: bool,
}

/// Reads the signature `node` and its XAdES properties (a property that cannot be read is
/// a format failure of that signature, not an error of the document).
fn read1(doc: &Document<'_>, node: kenpo_xml::Node) -> Result<Read1, XmlError> {
    let mut one = Read1 {
        sig: doc.read_signature(node)?,
        qp: None,
        findings: Vec::new(),
        format_failure: false,
    };
    match doc.qualifying_properties(&one.sig) {
        Ok(qp) => one.qp = qp,
        Err(e) => {
            one.format_failure = true;
            one.findings.push(CheckReport::new(
                CheckKind::Format,
                false,
                format!("XAdES: {e}"),
            ));
        }
    }
    Ok(one)
}

/// Verifies every signature of the XML document `input` (see the module docs).
pub(super) fn verify(
    v: &Verifier,
    input: &[u8],
    contents: &[Detached<'_>],
    at: OffsetDateTime,
) -> Result<Report, VerifyError> {
    let limits = Limits::default();
    let xml_failure = |detail: String| {
        let mut r = format_failure(at, detail);
        for s in &mut r.signatures {
            s.format = "XMLDSig";
        }
        r
    };
    let utf8 = match kenpo_xml::to_utf8(input) {
        Ok(u) => u,
        Err(e) => return Ok(xml_failure(format!("XML: {e}"))),
    };
    let doc = match Document::parse(&utf8, &limits) {
        Ok(d) => d,
        Err(e) => return Ok(xml_failure(format!("XML: {e}"))),
    };
    let nodes = doc.signatures();
    if nodes.is_empty() {
        return Ok(xml_failure(
            "the XML document has no ds:Signature element".into(),
        ));
    }
    let resolver = Contents { items: contents };
    let mut signatures = Vec::new();
    // As many signatures as a CMS SignedData may have SignerInfos; the rest are counted.
    let skipped = nodes.len().saturating_sub(MAX_SIGNATURES);
    for node in nodes.into_iter().take(MAX_SIGNATURES) {
        match read1(&doc, node) {
            Ok(one) => signatures.push(signature(v, &doc, one, &resolver, &limits, at, 0)),
            Err(e) => signatures.extend(xml_failure(format!("XMLDSig: {e}")).signatures),
        }
    }
    if skipped > 0 {
        for s in &mut signatures {
            s.checks.push(CheckReport::new(
                CheckKind::Budget,
                false,
                Outcome::Budget { skipped },
            ));
        }
    }
    let worst = signatures
        .iter()
        .max_by_key(|s| s.indication.severity())
        .map(|s| (s.indication, s.sub_indication));
    let (indication, sub_indication) = worst.unwrap_or((Indication::TotalFailed, None));
    Ok(Report {
        indication,
        sub_indication,
        signatures,
        policy: POLICY_NAME.into(),
        validation_time: at,
        schema_version: SCHEMA_VERSION,
    })
}

/// The report of one signature; `depth`: how deep a countersignature it is (0 for a
/// signature of the document).
fn signature(
    v: &Verifier,
    doc: &Document<'_>,
    mut one: Read1,
    resolver: &Contents<'_>,
    limits: &Limits,
    at: OffsetDateTime,
    depth: usize,
) -> SignatureReport {
    let sig = &one.sig;
    let qp = one.qp.as_ref();
    let mut findings = std::mem::take(&mut one.findings);
    let mut format_failure = one.format_failure;
    let mut unsupported: Option<String> = None;

    // What the signature embeds: KeyInfo, CertificateValues, TimeStampValidationData.
    let mut certs: Vec<Vec<u8>> = sig.certificates.clone();
    let (mut crls, mut ocsps) = (Vec::new(), Vec::new());
    let mut validation_data = false;
    if let Some(p) = qp {
        for vals in [
            &p.certificate_values,
            &p.revocation_values,
            &p.timestamp_validation_data,
        ] {
            certs.extend(vals.certificates.iter().cloned());
            crls.extend(vals.crls.iter().cloned());
            ocsps.extend(vals.ocsps.iter().cloned());
        }
        validation_data =
            !p.revocation_values.crls.is_empty() || !p.revocation_values.ocsps.is_empty();
    }
    let cert_refs: Vec<&[u8]> = certs.iter().map(Vec::as_slice).collect();

    // Signing certificate identification: a KeyInfo certificate, preferring the one the
    // SigningCertificate(V2) digest names; else a CertificateValues certificate it names.
    let cert_refs_xades: Vec<&kenpo_xml::CertRef> = qp
        .map(|p| {
            p.signing_certificate_v2
                .iter()
                .chain(&p.signing_certificate)
                .collect()
        })
        .unwrap_or_default();
    let names = |der: &[u8]| {
        cert_refs_xades.iter().any(|r| {
            digest_of_uri(&r.digest_method)
                .is_some_and(|a| a.digest(der).as_bytes() == r.digest_value.as_slice())
        })
    };
    let signer_der: Option<&[u8]> = sig
        .certificates
        .iter()
        .find(|c| names(c))
        .or_else(|| certs.iter().find(|c| names(c)))
        .or(sig.certificates.first())
        .map(Vec::as_slice);
    let signer_cert: Option<Arc<SharedCert>> = signer_der.and_then(|d| v.ctx.certs().cert(d).ok());
    match &signer_cert {
        Some(c) => findings.push(CheckReport::new(
            CheckKind::SignerCertificate,
            true,
            Outcome::SignerCertificate(c.clone()),
        )),
        None => findings.push(CheckReport::new(
            CheckKind::SignerCertificate,
            false,
            Outcome::NoSignerCertificate(
                "no readable certificate in KeyInfo/X509Data or CertificateValues".into(),
            ),
        )),
    }
    let signing_cert_bound = match (&signer_cert, cert_refs_xades.is_empty()) {
        (Some(c), false) => {
            let v2 = qp.is_some_and(|p| !p.signing_certificate_v2.is_empty());
            let bound = names(c.der());
            findings.push(CheckReport::new(
                CheckKind::SigningCertificate { v2 },
                bound,
                if bound {
                    Outcome::NamesSigner
                } else {
                    Outcome::DoesNotNameSigner
                },
            ));
            Some(bound)
        }
        _ => None,
    };

    // XAdES: SignedProperties must be signed.
    let mut unsigned_properties = false;
    if let Some(p) = qp {
        let id = p.signed_properties_id.as_deref();
        let referenced = id.is_some_and(|id| {
            sig.references
                .iter()
                .any(|r| r.uri.as_deref().and_then(|u| u.strip_prefix('#')) == Some(id))
        });
        // The signed properties are not among the signed data (removed, or a wrapped
        // copy signed instead): SIGNED_DATA_NOT_FOUND, as DSS reports it.
        if p.signed_properties.is_some() && !referenced {
            unsigned_properties = true;
            findings.push(CheckReport::new(
                CheckKind::SignedData,
                false,
                "XAdES: no Reference covers SignedProperties",
            ));
        }
    }

    // Data integrity: every reference's octets hash to its DigestValue.
    let mut data = if unsigned_properties {
        DataIntegrity::ContentMissing
    } else {
        DataIntegrity::Intact
    };
    let worse = |d: &mut DataIntegrity, new: DataIntegrity| {
        if xades_manifest::rank(&new) > xades_manifest::rank(d) {
            *d = new;
        }
    };
    for r in &sig.references {
        let Some(alg) = digest_of_uri(&r.digest_method) else {
            unsupported.get_or_insert_with(|| format!("DigestMethod {}", r.digest_method));
            worse(&mut data, DataIntegrity::NotCheckable);
            continue;
        };
        let mut hasher = alg.hasher();
        let uri = r.uri.as_deref().unwrap_or("(no URI)");
        match doc.reference_octets_to(sig.node, r, resolver, limits, &mut hasher) {
            Ok(()) => {
                let got = hasher.finalize();
                if got.as_bytes() == r.digest_value.as_slice() {
                    findings.push(CheckReport::new(
                        CheckKind::MessageDigest,
                        true,
                        format!("reference {uri}: {} digest matches", alg.name()),
                    ));
                } else {
                    worse(&mut data, DataIntegrity::Broken);
                    findings.push(CheckReport::new(
                        CheckKind::MessageDigest,
                        false,
                        Outcome::DigestMismatch {
                            algorithm: alg,
                            signed: hex::encode(&r.digest_value).into(),
                            content: got.to_hex().into(),
                        },
                    ));
                }
            }
            // A same-document ID no element carries, or carried twice (wrapping): the
            // signed data cannot be found (SIGNED_DATA_NOT_FOUND, as DSS reports it).
            Err(e @ (XmlError::UnknownId(_) | XmlError::DuplicateId(_))) => {
                worse(&mut data, DataIntegrity::ContentMissing);
                findings.push(CheckReport::new(
                    CheckKind::SignedData,
                    false,
                    format!("reference {uri}: {e}"),
                ));
            }
            Err(XmlError::Unresolved(u)) => {
                worse(&mut data, DataIntegrity::ContentMissing);
                findings.push(CheckReport::new(
                    CheckKind::SignedData,
                    false,
                    format!("reference {u:?}: content not given (--content FILE)"),
                ));
            }
            Err(XmlError::UnsupportedAlgorithm(a)) => {
                unsupported.get_or_insert_with(|| format!("Transform {a}"));
                worse(&mut data, DataIntegrity::NotCheckable);
            }
            Err(e) => {
                worse(&mut data, DataIntegrity::Broken);
                findings.push(CheckReport::new(
                    CheckKind::MessageDigest,
                    false,
                    format!("reference {uri}: {e}"),
                ));
            }
        }
    }

    // The entries of the Manifests SignedInfo covers (e-Gov attachments), checked likewise.
    let manifest = xades_manifest::check(doc, sig, resolver, limits, digest_of_uri);
    if let Some(u) = manifest.unsupported {
        unsupported.get_or_insert(u);
    }
    worse(&mut data, manifest.data);
    findings.extend(manifest.findings);

    // The signature value over the canonical SignedInfo.
    let mut signature_value = SignatureValue::NotCheckable;
    match (signature_of_uri(&sig.signature_method), &signer_cert) {
        (None, _) => {
            unsupported.get_or_insert_with(|| format!("SignatureMethod {}", sig.signature_method));
        }
        (Some(_), None) => {}
        (Some(alg), Some(cert)) => match doc.signed_info_octets(sig) {
            Err(e) => {
                format_failure = true;
                findings.push(CheckReport::new(
                    CheckKind::Format,
                    false,
                    format!("SignedInfo: {e}"),
                ));
            }
            Ok(octets) => {
                let value = match alg {
                    SignatureAlgorithm::Ecdsa(_) => ecdsa_raw_to_der(&sig.signature_value),
                    _ => Some(sig.signature_value.clone()),
                };
                let backend: &dyn CryptoBackend = v.ctx.keys();
                let ok = value.is_some_and(|val| {
                    backend.verify(cert.cert().spki, alg, &octets, &val).is_ok()
                });
                signature_value = if ok {
                    SignatureValue::Intact
                } else {
                    SignatureValue::Broken
                };
                findings.push(if ok {
                    CheckReport::new(
                        CheckKind::SignatureValue,
                        true,
                        Outcome::SignatureVerified {
                            algorithm: alg,
                            backend: backend.name(),
                            resorted: false,
                        },
                    )
                } else {
                    CheckReport::new(
                        CheckKind::SignatureValue,
                        false,
                        format!("{} does not verify over SignedInfo", alg.name()),
                    )
                });
            }
        },
    }

    let signing_time = qp
        .and_then(|p| p.signing_time.as_deref())
        .and_then(parse_time);

    // Revocation: the caller's sources plus what the signature embeds.
    let emb = Embedded {
        crls: crls.clone(),
        ocsp: ocsps.clone(),
        ..Embedded::default()
    };
    let checker: Arc<dyn RevocationCheck> = if crls.is_empty() && ocsps.is_empty() {
        v.shared.clone()
    } else {
        let candidates: Vec<Vec<u8>> = v
            .store
            .iter()
            .cloned()
            .chain(certs.iter().cloned())
            .collect();
        Arc::new(v.checker(&emb, &candidates))
    };
    let mode = v.opts.revocation.path_mode();
    let no_source = v.opts.crls.is_empty()
        && v.opts.ocsp_responses.is_empty()
        && crls.is_empty()
        && ocsps.is_empty()
        && v.opts.revocation_cache.is_none()
        && v.opts.offline;

    // Time-stamps: SignatureTimeStamp over the canonicalised SignatureValue; archive
    // time-stamps over what EN 319 132-1 §5.5.2 lists (kenpo_xml::Document::archive_timestamp_octets_to).
    let tsa_path =
        PathValidator::with_shared_anchors(v.anchors.clone(), path_options(Profile::Any, at, mode))
            .with_shared_intermediates(v.store.clone())
            .with_context(v.ctx.clone())
            .with_revocation(checker.clone());
    let tsa_path = super::online(tsa_path, v.opts.offline, &v.opts.fetch_allow);
    let validator = ControlTimeValidator::new(tsa_path, &cert_refs, checker.clone(), at, &[], &[])
        .with_sunset(&v.opts.policy.sunset);
    let mut timestamps = Vec::new();
    if let Some(p) = qp {
        for ts in &p.signature_timestamps {
            let octets = doc.signature_timestamp_octets(sig, ts);
            for token in &ts.tokens {
                let expected = |a: DigestAlgorithm| octets.as_ref().ok().map(|o| a.digest(o));
                timestamps.push(check_token(
                    v,
                    &validator,
                    &cert_refs,
                    token,
                    TimestampKind::Signature,
                    expected,
                ));
            }
        }
        // Content time-stamps over every signed data object.
        let mut all_data = Vec::new();
        let all_data = doc
            .all_data_objects_octets_to(sig, p, resolver, limits, &mut all_data)
            .map(|()| all_data);
        for ts in &p.all_data_objects_timestamps {
            for token in &ts.tokens {
                let expected = |a: DigestAlgorithm| all_data.as_ref().ok().map(|o| a.digest(o));
                timestamps.push(check_token(
                    v,
                    &validator,
                    &cert_refs,
                    token,
                    TimestampKind::Content,
                    expected,
                ));
            }
        }
        for ts in &p.individual_data_objects_timestamps {
            for token in &ts.tokens {
                timestamps.push(check_token(
                    v,
                    &validator,
                    &cert_refs,
                    token,
                    TimestampKind::Content,
                    |_| None,
                ));
            }
        }
        for ts in &p.archive_timestamps {
            // What the archive time-stamp covers, collected once for its tokens.
            let mut covered = Vec::new();
            let covered = doc
                .archive_timestamp_octets_to(sig, ts, resolver, limits, &mut covered)
                .map(|()| covered);
            for token in &ts.tokens {
                let expected = |a: DigestAlgorithm| covered.as_ref().ok().map(|o| a.digest(o));
                timestamps.push(check_token(
                    v,
                    &validator,
                    &cert_refs,
                    token,
                    TimestampKind::Archive,
                    expected,
                ));
            }
        }
    }

    let evidence = SignatureEvidence {
        signer_cert,
        signing_cert_bound,
        data,
        signature_value,
        unsupported_algorithm: unsupported,
        format_failure,
        signing_time,
        timestamps,
        embedded: EmbeddedData {
            certificates: &cert_refs,
            crls: &crls,
            ocsp_responses: &ocsps,
            validation_data,
        },
        findings,
    };
    let ctx = SigCtx {
        opts: &v.opts,
        at,
        anchors: &v.anchors,
        store: &v.store,
        checker: &checker,
        mode,
        no_source,
        ctx: &v.ctx,
    };
    let mut report = ctx.signature(evidence);
    report.format = if qp.is_some() { "XAdES" } else { "XMLDSig" };
    if let Some(p) = qp {
        let nested = Nested {
            v,
            doc,
            resolver,
            limits,
            at,
        };
        nested.countersignatures(sig, p, depth, &mut report.checks);
    }
    report
}

/// Most countersignatures of one signature verified.
const MAX_COUNTERSIGNATURES: usize = 8;

/// What verifying a countersignature needs of its parent's call.
struct Nested<'n, 'd> {
    v: &'n Verifier,
    doc: &'n Document<'d>,
    resolver: &'n Contents<'n>,
    limits: &'n Limits,
    at: OffsetDateTime,
}

impl Nested<'_, '_> {
    /// Verifies each `xades:CounterSignature` of `parent` as a signature of its own and
    /// reports it on the parent (a [`CheckKind::CounterSignature`] check that passes when
    /// it is TOTAL_PASSED and covers the parent's SignatureValue); nested at most
    /// [`crate::signature::MAX_COUNTER_DEPTH`] deep, as for CAdES.
    fn countersignatures(
        &self,
        parent: &Signature,
        p: &QualifyingProperties,
        depth: usize,
        checks: &mut Vec<CheckReport>,
    ) {
        let target = self
            .doc
            .attribute(parent.signature_value_node, "Id")
            .map(|id| format!("#{id}"));
        let nodes = &p.counter_signatures;
        let allowed = if depth >= crate::signature::MAX_COUNTER_DEPTH {
            0
        } else {
            MAX_COUNTERSIGNATURES
        };
        for &node in nodes.iter().take(allowed) {
            let one = match read1(self.doc, node) {
                Ok(one) => one,
                Err(e) => {
                    checks.push(CheckReport::new(
                        CheckKind::CounterSignature,
                        false,
                        format!("XMLDSig: {e}"),
                    ));
                    continue;
                }
            };
            let covers_parent = target.as_deref().is_some_and(|t| {
                one.sig
                    .references
                    .iter()
                    .any(|r| r.uri.as_deref() == Some(t))
            });
            let r = signature(
                self.v,
                self.doc,
                one,
                self.resolver,
                self.limits,
                self.at,
                depth + 1,
            );
            checks.push(CheckReport::new(
                CheckKind::CounterSignature,
                r.indication == Indication::TotalPassed && covers_parent,
                Outcome::Countersignature {
                    signer: r.signer.subject.clone(),
                    indication: r.indication,
                    sub_indication: r.sub_indication,
                    covers_parent,
                },
            ));
        }
        let skipped = nodes.len().saturating_sub(allowed);
        if skipped > 0 {
            checks.push(CheckReport::new(
                CheckKind::Budget,
                false,
                Outcome::Budget { skipped },
            ));
        }
    }
}

/// Verifies one time-stamp token; `expected` gives the digest its imprint must equal.
fn check_token(
    v: &Verifier,
    validator: &ControlTimeValidator<'_>,
    more_certs: &[&[u8]],
    token: &[u8],
    kind: TimestampKind,
    expected: impl Fn(DigestAlgorithm) -> Option<kenpo_core::alg::Digest>,
) -> TimestampEvidence {
    let opts = kenpo_tsa::VerifyOptions::default()
        .with_extra_certs(&v.store)
        .with_more_certs(more_certs)
        .with_validator(Some(validator))
        .with_keep_path(true)
        .with_backend(v.ctx.keys())
        .with_cert_cache(Some(v.ctx.certs()));
    let verified = SignedDataView::parse(token)
        .map_err(|e| kenpo_tsa::TokenError::Structure(e.to_string()))
        .and_then(|view| {
            kenpo_tsa::check_token_view(&view, &opts).map(|t| (t.tst_info, t.tsa, t.path))
        });
    let tst_unverified = || {
        SignedDataView::parse(token)
            .ok()
            .and_then(|v| v.econtent.and_then(|e| kenpo_tsa::TstInfo::parse(e).ok()))
    };
    let tsa_path = match &verified {
        Ok((tst, tsa, _)) => validator
            .checked_until(tsa.der(), tst.gen_time)
            .map(|c| (c, true)),
        Err(kenpo_tsa::TokenError::Untrusted { tsa_cert, .. }) => tst_unverified()
            .and_then(|t| validator.checked_until(tsa_cert, t.gen_time))
            .map(|c| (c, false)),
        Err(_) => None,
    }
    .map(|(checked_until, passed)| TsaPathCheck {
        checked_until,
        passed,
    });
    let unverified;
    let tst = match &verified {
        Ok((t, _, _)) => Some(t),
        Err(_) => {
            unverified = tst_unverified();
            unverified.as_ref()
        }
    };
    let gen_time = tst.map(|t| t.gen_time);
    let imprint_intact = tst.and_then(|t| expected(t.imprint.algorithm()).map(|e| e == t.imprint));
    let token_intact = verified.is_ok();
    let tsa_anchor_sha256 = verified
        .as_ref()
        .ok()
        .and_then(|(_, _, path)| path.last())
        .map(|a| {
            let mut out = [0u8; 32];
            out.copy_from_slice(DigestAlgorithm::Sha256.digest(a).as_bytes());
            out
        });
    let detail = TimestampFinding {
        tst_readable: tst.is_some(),
        token: match verified {
            Ok((_, tsa, _)) => TokenOutcome::Verifies(tsa),
            Err(e) => TokenOutcome::Fails(e.to_string()),
        },
        imprint: imprint_intact,
        scope: ImprintScope::Direct,
    };
    TimestampEvidence {
        kind,
        gen_time,
        intact: token_intact && imprint_intact == Some(true),
        token_intact,
        imprint_intact,
        hash_index_valid: None,
        tsa_path,
        tsa_anchor_sha256,
        detail,
    }
}

impl Verifier {
    /// Validates every signature of an XML document (XAdES or plain XMLDSig) whose
    /// detached references are resolved among `contents` (by file name; a single content
    /// serves a reference that names no given file), under the options' validation policy.
    /// [`Verifier::verify`] takes XML too, with at most one content.
    pub fn verify_xml(
        &self,
        document: &[u8],
        contents: &[Detached<'_>],
    ) -> Result<Report, VerifyError> {
        let at = self.opts.at.unwrap_or_else(super::now);
        let mut report = verify(self, document, contents, at)?;
        crate::policy::apply(&self.opts.policy, &mut report);
        Ok(report)
    }
}
