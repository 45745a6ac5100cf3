//! XAdES extension (ETSI EN 319 132-1): B-B/B-T → B-LT → B-LTA, and B-LTA renewal, of
//! the signature of an XML document, by appending unsigned signature properties only
//! (`kenpo_xml::UnsignedInsertion`): every input byte stays in place.
//!
//! 1. The signature must be valid now (and meet the policy, as for CAdES); one XAdES 1.3.2
//!    signature per document.
//! 2. A `SignatureTimeStamp` (exclusive C14N of SignatureValue) when there is none (B-B).
//! 3. **B-LT** (not yet B-LT): `CertificateValues` and `RevocationValues` with the signer's
//!    path at the earliest signature time-stamp's genTime and every signature time-stamp's
//!    TSA path, revocation issued after that genTime (else TRY_LATER), gathered as for
//!    CAdES ([`super::ctx`]); what the signature already holds is not repeated.
//! 4. **Renewal** (already B-LTA): a `xades141:TimeStampValidationData` with the newest
//!    archive time-stamp's TSA path data, issued after its genTime.
//! 5. **B-LTA**: a `xades141:ArchiveTimeStamp` (exclusive C14N) over
//!    `kenpo_xml::Document::archive_timestamp_octets_to`, then a TimeStampValidationData
//!    with its own TSA path data (a note when it cannot be had yet).
//!
//! The result must be the input with one run of text inserted and verify (TOTAL_PASSED)
//! with the same options, or nothing is returned.

use kenpo_core::alg::DigestAlgorithm;
use kenpo_tsa::client::BlockingTsaClient;
use kenpo_xml::{C14nMethod, C14nOptions, Document, Limits, Signature, inserted_range};
use time::OffsetDateTime;

use super::ctx::{Ctx, gen_time};
use super::gather::Gathered;
use super::{ExtendError, ExtendOptions, Target, require_policy, require_valid};
use crate::policy::Requirement;
use crate::report::{Outcome, Report};
use crate::validate::xades::Contents;
use crate::validate::{Detached, Verifier};

/// An extended XML document.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExtendedXml {
    /// The new document: the input with the new unsigned properties inserted.
    pub xml: Vec<u8>,
    /// `B-LT` or `B-LTA`.
    pub level: &'static str,
    /// Certificates added (CertificateValues, TimeStampValidationData).
    pub added_certificates: usize,
    /// CRLs added.
    pub added_crls: usize,
    /// OCSP responses added.
    pub added_ocsp_responses: usize,
    /// genTime of the signature time-stamp added (B-B input), if any.
    pub signature_time_stamp: Option<OffsetDateTime>,
    /// genTime of the archive time-stamp added, if any.
    pub archive_time_stamp: Option<OffsetDateTime>,
    /// Remarks.
    pub notes: Vec<String>,
    /// The verification of the result.
    pub report: Report,
}

fn xml_err(e: kenpo_xml::XmlError) -> ExtendError {
    ExtendError::Xml(e.to_string())
}

/// The document's one signature and its insertion point.
struct Parsed<'a> {
    doc: Document<'a>,
    sig: Signature,
    qp: kenpo_xml::QualifyingProperties,
    ins: kenpo_xml::UnsignedInsertion,
}

fn parse(xml: &[u8]) -> Result<Parsed<'_>, ExtendError> {
    let doc = Document::parse(xml, &Limits::default()).map_err(xml_err)?;
    let nodes = doc.signatures();
    let [node] = nodes.as_slice() else {
        return Err(ExtendError::Xml(format!(
            "the XML document has {} ds:Signature elements; only a document with one signature is extended",
            nodes.len()
        )));
    };
    let sig = doc.read_signature(*node).map_err(xml_err)?;
    let qp = doc
        .qualifying_properties(&sig)
        .map_err(xml_err)?
        .ok_or_else(|| {
            ExtendError::Xml(
                "it is plain XMLDSig (no XAdES QualifyingProperties); only a XAdES signature gains long-term properties"
                    .into(),
            )
        })?;
    let ins = doc.unsigned_properties_insertion(&sig).map_err(xml_err)?;
    Ok(Parsed { doc, sig, qp, ins })
}

/// An `Id` for a new time-stamp property, from its token.
fn id_for(kind: &str, token: &[u8]) -> String {
    format!(
        "{kind}-{}",
        &DigestAlgorithm::Sha256.digest(token).to_hex()[..16]
    )
}

/// Validation data the signature does not hold yet; counts it.
struct Present {
    certs: Vec<Vec<u8>>,
    crls: Vec<Vec<u8>>,
    ocsps: Vec<Vec<u8>>,
    added: (usize, usize, usize),
}

impl Present {
    fn of(p: &Parsed<'_>) -> Self {
        let mut s = Self {
            certs: p.sig.certificates.clone(),
            crls: Vec::new(),
            ocsps: Vec::new(),
            added: (0, 0, 0),
        };
        for v in [
            &p.qp.certificate_values,
            &p.qp.revocation_values,
            &p.qp.timestamp_validation_data,
        ] {
            s.certs.extend(v.certificates.iter().cloned());
            s.crls.extend(v.crls.iter().cloned());
            s.ocsps.extend(v.ocsps.iter().cloned());
        }
        s
    }

    fn new_of(&mut self, g: Gathered) -> Gathered {
        let keep = |have: &mut Vec<Vec<u8>>, items: Vec<Vec<u8>>| {
            let new: Vec<Vec<u8>> = items.into_iter().filter(|i| !have.contains(i)).collect();
            have.extend(new.iter().cloned());
            new
        };
        let g = Gathered {
            certs: keep(&mut self.certs, g.certs),
            crls: keep(&mut self.crls, g.crls),
            ocsp: keep(&mut self.ocsps, g.ocsp),
        };
        self.added.0 += g.certs.len();
        self.added.1 += g.crls.len();
        self.added.2 += g.ocsp.len();
        g
    }
}

/// Extends the signature of the XML document `xml` — see the module docs. `contents` are
/// the detached contents its references name (as for `Verifier::verify_xml`).
pub fn extend_xml(
    xml: &[u8],
    contents: &[Detached<'_>],
    opts: &ExtendOptions,
) -> Result<ExtendedXml, ExtendError> {
    let p = parse(xml)?;
    let archived = !p.qp.archive_timestamps.is_empty();
    if archived && opts.to == Target::BLt {
        return Err(ExtendError::AlreadyArchived);
    }
    let offset = p.ins.offset();
    drop(p);

    let verifier = Verifier::new(opts.verify_options());
    let before = verifier
        .verify_xml(xml, contents)
        .map_err(super::content_error)?;
    require_valid(&before)?;
    if let Some(policy) = &opts.policy {
        require_policy(policy, &before, |r| {
            !matches!(
                r,
                Requirement::Level { .. }
                    | Requirement::SignatureTimestamp
                    | Requirement::ArchiveTimestamp
            )
        })?;
    }
    let client = match &opts.tsa {
        Some(c) => Some(BlockingTsaClient::new(c.clone())?),
        None => None,
    };
    let ctx = Ctx::new(opts);
    let mut out = xml.to_vec();
    let mut notes = Vec::new();

    // 1. A signature time-stamp when there is none.
    let mut signature_time_stamp = None;
    let p = parse(xml)?;
    if p.qp.signature_timestamps.is_empty() {
        let client = client
            .as_ref()
            .ok_or(ExtendError::NoTsa("add the missing signature time-stamp"))?;
        let c14n = C14nMethod::Exclusive;
        let octets = p
            .doc
            .canonicalize(
                c14n,
                &C14nOptions::new().subtree(p.sig.signature_value_node),
            )
            .map_err(xml_err)?;
        let ts = client.timestamp_digest(&client.config().digest.digest(&octets))?;
        signature_time_stamp = Some(ts.gen_time());
        let text = p.ins.signature_timestamp(
            &id_for("SignatureTimeStamp", &ts.token_der),
            c14n,
            &ts.token_der,
        );
        out = p.ins.apply(xml, &text);
    }
    drop(p);

    // 2. Validation data: B-LT, or the newest archive time-stamp's (renewal).
    let p = parse(&out)?;
    let mut present = Present::of(&p);
    let newest = |stamps: &[kenpo_xml::XadesTimeStamp]| {
        stamps
            .iter()
            .flat_map(|t| t.tokens.iter())
            .filter_map(|t| gen_time(t).map(|g| (g, t.clone())))
            .max_by_key(|(g, _)| *g)
    };
    let already_lt = before.signatures.iter().all(|s| s.level == "B-LT");
    let text = if let Some((g, token)) = newest(&p.qp.archive_timestamps) {
        let data = present.new_of(ctx.token_data(&token, g, Some(g))?);
        p.ins
            .timestamp_validation_data(&data.certs, &data.crls, &data.ocsp)
    } else if already_lt {
        String::new()
    } else {
        let mut all = Gathered::default();
        let stamps: Vec<(OffsetDateTime, &Vec<u8>)> =
            p.qp.signature_timestamps
                .iter()
                .flat_map(|t| t.tokens.iter())
                .filter_map(|t| gen_time(t).map(|g| (g, t)))
                .collect();
        let t0 = stamps.iter().map(|(g, _)| *g).min().ok_or_else(|| {
            ExtendError::Xml("the signature time-stamp has no readable genTime".into())
        })?;
        for (g, token) in &stamps {
            all.merge(ctx.token_data(token, *g, Some(*g))?);
        }
        let signer = signer_of(&before).ok_or_else(|| ExtendError::NotValid {
            indication: crate::Indication::Indeterminate,
            sub_indication: Some(crate::SubIndication::NO_SIGNING_CERTIFICATE_FOUND),
            reason: "the signing certificate is not in the signature".into(),
        })?;
        all.merge(ctx.signer_data(&signer, &present.certs, t0, ctx.profile())?);
        let data = present.new_of(all);
        p.ins.validation_values(&data.certs, &data.crls, &data.ocsp)
    };
    let next = (!text.is_empty()).then(|| p.ins.apply(&out, &text));
    drop(p);
    if let Some(next) = next {
        out = next;
    }

    // 3. Archive time-stamp over everything, then its own validation data.
    let mut archive_time_stamp = None;
    if opts.to == Target::BLta {
        let client = client
            .as_ref()
            .ok_or(ExtendError::NoTsa("add an archive time-stamp"))?;
        let (with_ats, token, g) = archive_time_stamp_of(&out, contents, client)?;
        out = with_ats;
        archive_time_stamp = Some(g);
        match ctx.token_data(&token, g, None) {
            Ok(data) => {
                let p = parse(&out)?;
                let data = present.new_of(data);
                let text = p
                    .ins
                    .timestamp_validation_data(&data.certs, &data.crls, &data.ocsp);
                let next = (!text.is_empty()).then(|| p.ins.apply(&out, &text));
                drop(p);
                if let Some(next) = next {
                    out = next;
                }
            }
            Err(e) => notes.push(format!(
                "validation data for the new archive time-stamp not embedded ({e}); it is gathered at the next renewal"
            )),
        }
    }

    if inserted_range(xml, &out, offset).is_none() {
        return Err(ExtendError::Guard(
            "the extended document is not the original with properties inserted".into(),
        ));
    }
    let report = verifier
        .verify_xml(&out, contents)
        .map_err(super::content_error)?;
    if report.indication != crate::Indication::TotalPassed {
        return Err(ExtendError::Guard(format!(
            "the extended signature does not verify: {}{}",
            report.indication,
            report
                .sub_indication
                .map(|s| format!("/{s}"))
                .unwrap_or_default()
        )));
    }
    if let Some(policy) = &opts.policy {
        require_policy(policy, &report, |_| true)?;
    }
    Ok(ExtendedXml {
        xml: out,
        level: match opts.to {
            Target::BLt => "B-LT",
            Target::BLta => "B-LTA",
        },
        added_certificates: present.added.0,
        added_crls: present.added.1,
        added_ocsp_responses: present.added.2,
        signature_time_stamp,
        archive_time_stamp,
        notes,
        report,
    })
}

/// The signing certificate the verification identified.
fn signer_of(report: &Report) -> Option<Vec<u8>> {
    report
        .signatures
        .first()?
        .checks
        .iter()
        .find_map(|c| match &c.outcome {
            Outcome::SignerCertificate(cert) => Some(cert.der().to_vec()),
            _ => None,
        })
}

/// `xml` with a `xades141:ArchiveTimeStamp` from `client` appended; its token and genTime.
/// The imprint is computed with a placeholder in the time-stamp's place (an archive
/// time-stamp covers the properties before it, not itself).
fn archive_time_stamp_of(
    xml: &[u8],
    contents: &[Detached<'_>],
    client: &BlockingTsaClient,
) -> Result<(Vec<u8>, Vec<u8>, OffsetDateTime), ExtendError> {
    let c14n = C14nMethod::Exclusive;
    let p = parse(xml)?;
    let placeholder = p
        .ins
        .apply(xml, &p.ins.archive_timestamp("placeholder", c14n, &[]));
    let q = parse(&placeholder)?;
    let ts_prop = q.qp.archive_timestamps.last().ok_or_else(|| {
        ExtendError::Build("the archive time-stamp placeholder is not read back".into())
    })?;
    let mut hasher = client.config().digest.hasher();
    q.doc
        .archive_timestamp_octets_to(
            &q.sig,
            ts_prop,
            &Contents { items: contents },
            &Limits::default(),
            &mut hasher,
        )
        .map_err(|e| match e {
            kenpo_xml::XmlError::Unresolved(u) => ExtendError::Xml(format!(
                "the reference {u:?} names a detached content: give it with --content"
            )),
            other => xml_err(other),
        })?;
    let ts = client.timestamp_digest(&hasher.finalize())?;
    let text = p.ins.archive_timestamp(
        &id_for("ArchiveTimeStamp", &ts.token_der),
        c14n,
        &ts.token_der,
    );
    Ok((p.ins.apply(xml, &text), ts.token_der.clone(), ts.gen_time()))
}
