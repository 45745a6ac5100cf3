//! `ds:Manifest` entries of an XML signature (XMLDSig §5.1): a SignedInfo reference covers
//! the Manifest element, and the Manifest's own references cover further data — for e-Gov
//! style applications, the attached files. XMLDSig leaves their checking to the
//! application; here every entry is checked like a SignedInfo reference, so that a changed
//! or missing attachment is never reported as a passed signature.

use kenpo_xml::{ContentResolver, DSIG_NS, Document, Limits, Node, Signature, XmlError};

use super::evidence::DataIntegrity;
use crate::report::{CheckKind, CheckReport, Outcome};

/// At most this many Manifests are followed per signature.
const MAX_MANIFESTS: usize = 16;

/// What checking the Manifest entries gave: the worst integrity, and one finding per entry.
pub(super) struct ManifestCheck {
    /// The worst integrity of any entry (`Intact` when there is no Manifest).
    pub data: DataIntegrity,
    /// An algorithm this build does not implement, if any entry uses one.
    pub unsupported: Option<String>,
    /// One finding per entry.
    pub findings: Vec<CheckReport>,
}

/// The rank of an integrity outcome, worst highest.
pub(super) fn rank(d: &DataIntegrity) -> u8 {
    match d {
        DataIntegrity::Intact => 0,
        DataIntegrity::ContentMissing => 1,
        DataIntegrity::NotCheckable => 2,
        DataIntegrity::Broken => 3,
    }
}

/// The `ds:Manifest` elements that `sig`'s SignedInfo references point at by a
/// same-document `#id` (each once; the ID must be unique, as for any reference).
fn manifests(doc: &Document<'_>, sig: &Signature) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::new();
    for r in &sig.references {
        let Some(id) = r.uri.as_deref().and_then(|u| u.strip_prefix('#')) else {
            continue;
        };
        if let Ok(n) = doc.element_with_id(id)
            && doc.is(n, DSIG_NS, "Manifest")
            && !out.contains(&n)
        {
            out.push(n);
        }
    }
    out.truncate(MAX_MANIFESTS);
    out
}

/// Checks every entry of every Manifest `sig` signs; `digest_of` maps a DigestMethod URI
/// to an algorithm this build implements.
pub(super) fn check(
    doc: &Document<'_>,
    sig: &Signature,
    resolver: &dyn ContentResolver,
    limits: &Limits,
    digest_of: fn(&str) -> Option<kenpo_core::alg::DigestAlgorithm>,
) -> ManifestCheck {
    let mut out = ManifestCheck {
        data: DataIntegrity::Intact,
        unsupported: None,
        findings: Vec::new(),
    };
    let worse = |out: &mut ManifestCheck, d: DataIntegrity| {
        if rank(&d) > rank(&out.data) {
            out.data = d;
        }
    };
    for m in manifests(doc, sig) {
        let entries = match doc.read_references(m) {
            Ok(e) => e,
            Err(e) => {
                worse(&mut out, DataIntegrity::Broken);
                out.findings.push(CheckReport::new(
                    CheckKind::Format,
                    false,
                    format!("Manifest: {e}"),
                ));
                continue;
            }
        };
        for r in &entries {
            let uri = r.uri.as_deref().unwrap_or("(no URI)");
            let Some(alg) = digest_of(&r.digest_method) else {
                out.unsupported
                    .get_or_insert_with(|| format!("DigestMethod {}", r.digest_method));
                worse(&mut out, DataIntegrity::NotCheckable);
                continue;
            };
            let mut hasher = alg.hasher();
            match doc.reference_octets_to(sig.node, r, resolver, limits, &mut hasher) {
                Ok(()) => {
                    let got = hasher.finalize();
                    if got.as_bytes() == r.digest_value.as_slice() {
                        out.findings.push(CheckReport::new(
                            CheckKind::MessageDigest,
                            true,
                            format!("manifest entry {uri}: {} digest matches", alg.name()),
                        ));
                    } else {
                        worse(&mut out, DataIntegrity::Broken);
                        out.findings.push(CheckReport::new(
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
                Err(XmlError::Unresolved(u)) => {
                    worse(&mut out, DataIntegrity::ContentMissing);
                    out.findings.push(CheckReport::new(
                        CheckKind::SignedData,
                        false,
                        format!("manifest entry {u:?}: content not given (--content FILE)"),
                    ));
                }
                Err(e @ (XmlError::UnknownId(_) | XmlError::DuplicateId(_))) => {
                    worse(&mut out, DataIntegrity::ContentMissing);
                    out.findings.push(CheckReport::new(
                        CheckKind::SignedData,
                        false,
                        format!("manifest entry {uri}: {e}"),
                    ));
                }
                Err(XmlError::UnsupportedAlgorithm(a)) => {
                    out.unsupported
                        .get_or_insert_with(|| format!("Transform {a}"));
                    worse(&mut out, DataIntegrity::NotCheckable);
                }
                Err(e) => {
                    worse(&mut out, DataIntegrity::Broken);
                    out.findings.push(CheckReport::new(
                        CheckKind::MessageDigest,
                        false,
                        format!("manifest entry {uri}: {e}"),
                    ));
                }
            }
        }
    }
    out
}
