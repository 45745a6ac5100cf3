//! RFC 5280 §6.1 validation of one candidate path.

use const_oid::ObjectIdentifier as Oid;
use const_oid::db::rfc5280 as ids;
use der::Decode;
use kenpo_core::alg::{DigestAlgorithm, PublicKeyKind, SignatureAlgorithm};
use kenpo_core::cert::CertRef;
use kenpo_revocation::names::names_equal;
use kenpo_revocation::{Budget, RevocationCheck, RevocationStatus};
use time::OffsetDateTime;
use x509_cert::ext::pkix::{
    BasicConstraints, CertificatePolicies, ExtendedKeyUsage, InhibitAnyPolicy, KeyUsage,
    NameConstraints, PolicyConstraints, PolicyMappings,
};

use super::names::{self, CertNames};
use super::policy::{CertPolicies, PolicyState};
use super::{Check, PathError, PathStep, RevocationMode, ValidatedPath, ValidationOptions};
use crate::report::Outcome;

/// anyExtendedKeyUsage.
const ANY_EKU: Oid = Oid::new_unwrap("2.5.29.37.0");
/// subjectDirectoryAttributes (HPKI hcRole; harmless when critical).
const SUBJECT_DIRECTORY_ATTRIBUTES: Oid = Oid::new_unwrap("2.5.29.9");

/// Extensions this validator processes (so they may be critical).
const KNOWN_CRITICAL: &[Oid] = &[
    ids::ID_CE_BASIC_CONSTRAINTS,
    ids::ID_CE_KEY_USAGE,
    ids::ID_CE_EXT_KEY_USAGE,
    ids::ID_CE_CERTIFICATE_POLICIES,
    ids::ID_CE_POLICY_MAPPINGS,
    ids::ID_CE_POLICY_CONSTRAINTS,
    ids::ID_CE_INHIBIT_ANY_POLICY,
    ids::ID_CE_NAME_CONSTRAINTS,
    ids::ID_CE_SUBJECT_ALT_NAME,
    ids::ID_CE_ISSUER_ALT_NAME,
    ids::ID_CE_CRL_DISTRIBUTION_POINTS,
    ids::ID_CE_FRESHEST_CRL,
    SUBJECT_DIRECTORY_ATTRIBUTES,
];

/// One DER header: (tag, header length, content length).
fn tlv(b: &[u8]) -> Result<(u8, usize, usize), String> {
    let bad = || "truncated DER in tbsCertificate".to_string();
    let tag = *b.first().ok_or_else(bad)?;
    let l0 = *b.get(1).ok_or_else(bad)?;
    let (hdr, len) = if l0 < 0x80 {
        (2, usize::from(l0))
    } else {
        let n = usize::from(l0 & 0x7f);
        if n == 0 || n > 4 {
            return Err("bad DER length in tbsCertificate".into());
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*b.get(2 + i).ok_or_else(bad)?);
        }
        (2 + n, len)
    };
    if b.len() < hdr + len {
        return Err(bad());
    }
    Ok((tag, hdr, len))
}

/// Version number (0 = v1, 2 = v3) and the inner signature AlgorithmIdentifier's encoding,
/// read from the tbsCertificate encoding without decoding the rest (x509-cert refuses some
/// legal encodings, e.g. UTCTime years before 1970).
fn tbs_head(tbs: &[u8]) -> Result<(u8, &[u8]), String> {
    let (_, hdr, _) = tlv(tbs)?;
    let mut rest = &tbs[hdr..];
    let mut version = 0;
    let (tag, h, len) = tlv(rest)?;
    if tag == 0xa0 {
        let inner = &rest[h..h + len];
        let (t2, h2, l2) = tlv(inner)?;
        if t2 != 0x02 || l2 != 1 {
            return Err("bad version in tbsCertificate".into());
        }
        version = inner[h2];
        rest = &rest[h + len..];
    }
    let (_, h, len) = tlv(rest)?;
    rest = &rest[h + len..];
    let (tag, h, len) = tlv(rest)?;
    if tag != 0x30 {
        return Err("tbsCertificate signature is not an AlgorithmIdentifier".into());
    }
    Ok((version, &rest[..h + len]))
}

/// The outer signatureAlgorithm's encoding: the element after the tbsCertificate.
fn outer_algorithm(cert: &[u8]) -> Result<&[u8], String> {
    let (_, h, _) = tlv(cert)?;
    let rest = &cert[h..];
    let (_, h, len) = tlv(rest)?;
    let rest = &rest[h + len..];
    let (_, h, len) = tlv(rest)?;
    Ok(&rest[..h + len])
}

/// Decoded extensions of one certificate.
struct Info<'a> {
    bc: Option<BasicConstraints>,
    ku: Option<KeyUsage>,
    eku: Option<Vec<Oid>>,
    nc: Option<NameConstraints>,
    cp: CertPolicies,
    san: Option<&'a [u8]>,
    self_issued: bool,
    v3: bool,
    /// Whether the subject is an empty sequence.
    empty_subject: bool,
    /// Whether subjectAltName is critical.
    san_critical: bool,
    /// Whether basicConstraints is critical.
    bc_critical: bool,
    /// Whether policyConstraints (when present) is critical.
    pc_critical: bool,
    /// authorityKeyIdentifier present.
    has_aki: bool,
    /// subjectKeyIdentifier present.
    has_ski: bool,
    /// Serial number is a positive INTEGER.
    serial_ok: bool,
}

fn decode<T: for<'b> Decode<'b>>(v: &[u8], what: &str, index: usize) -> Result<T, PathError> {
    T::from_der(v).map_err(|e| PathError::Constraint {
        index,
        reason: format!("malformed {what} extension: {e}"),
    })
}

fn info<'a>(c: &CertRef<'a>, index: usize) -> Result<Info<'a>, PathError> {
    let mut out = Info {
        bc: None,
        ku: None,
        eku: None,
        nc: None,
        cp: CertPolicies::default(),
        san: None,
        self_issued: names_equal(c.subject, c.issuer),
        v3: false,
        empty_subject: c.subject.len() <= 2,
        san_critical: false,
        bc_critical: false,
        pc_critical: true,
        has_aki: c.extension(ids::ID_CE_AUTHORITY_KEY_IDENTIFIER).is_some(),
        has_ski: c.extension(ids::ID_CE_SUBJECT_KEY_IDENTIFIER).is_some(),
        serial_ok: c.serial.first().is_some_and(|b| b & 0x80 == 0)
            && c.serial.iter().any(|b| *b != 0)
            && (c.serial.len() <= 20 || (c.serial.len() == 21 && c.serial[0] == 0)),
    };
    let malformed = |reason| PathError::Malformed { index, reason };
    let (version, tbs_alg) = tbs_head(c.tbs).map_err(malformed)?;
    out.v3 = version == 2;
    // The two fields must be the same value (RFC 5280 §4.1.1.2); the outer one decoded as
    // DER, whose encodings are unique, so the same value is the same octets.
    if tbs_alg != outer_algorithm(c.raw).map_err(malformed)? {
        return Err(PathError::Malformed {
            index,
            reason: "signature algorithm differs from the one inside tbsCertificate".into(),
        });
    }
    let mut seen: Vec<Oid> = Vec::new();
    for e in &c.extensions {
        if seen.contains(&e.oid) {
            return Err(PathError::Constraint {
                index,
                reason: format!("duplicate extension {}", e.oid),
            });
        }
        seen.push(e.oid);
        match e.oid {
            ids::ID_CE_BASIC_CONSTRAINTS => {
                out.bc_critical = e.critical;
                out.bc = Some(decode(e.value, "basicConstraints", index)?)
            }
            ids::ID_CE_KEY_USAGE => out.ku = Some(decode(e.value, "keyUsage", index)?),
            ids::ID_CE_EXT_KEY_USAGE => {
                let eku = decode::<ExtendedKeyUsage>(e.value, "extKeyUsage", index)?.0;
                if eku.is_empty() {
                    return Err(PathError::Malformed {
                        index,
                        reason: "empty extendedKeyUsage".into(),
                    });
                }
                out.eku = Some(eku);
            }
            ids::ID_CE_NAME_CONSTRAINTS => {
                let nc: NameConstraints = decode(e.value, "nameConstraints", index)?;
                let empty = |s: &Option<Vec<_>>| s.as_ref().is_none_or(Vec::is_empty);
                if !e.critical || (empty(&nc.permitted_subtrees) && empty(&nc.excluded_subtrees)) {
                    return Err(PathError::Constraint {
                        index,
                        reason: "nameConstraints must be critical and not empty".into(),
                    });
                }
                out.nc = Some(nc);
            }
            ids::ID_CE_SUBJECT_ALT_NAME => {
                out.san = Some(e.value);
                out.san_critical = e.critical;
            }
            ids::ID_CE_CERTIFICATE_POLICIES => {
                let cp: CertificatePolicies = decode(e.value, "certificatePolicies", index)?;
                let mut v: Vec<Oid> = Vec::new();
                for p in cp.0 {
                    if v.contains(&p.policy_identifier) {
                        return Err(PathError::Constraint {
                            index,
                            reason: "duplicate policy in certificatePolicies".into(),
                        });
                    }
                    v.push(p.policy_identifier);
                }
                out.cp.policies = Some(v);
            }
            ids::ID_CE_POLICY_MAPPINGS => {
                let pm: PolicyMappings = decode(e.value, "policyMappings", index)?;
                out.cp.mappings =
                    pm.0.into_iter()
                        .map(|m| (m.issuer_domain_policy, m.subject_domain_policy))
                        .collect();
            }
            ids::ID_CE_POLICY_CONSTRAINTS => {
                let pc: PolicyConstraints = decode(e.value, "policyConstraints", index)?;
                out.pc_critical = e.critical;
                if pc.require_explicit_policy.is_none() && pc.inhibit_policy_mapping.is_none() {
                    return Err(PathError::Constraint {
                        index,
                        reason: "empty policyConstraints".into(),
                    });
                }
                out.cp.require_explicit = pc.require_explicit_policy;
                out.cp.inhibit_mapping = pc.inhibit_policy_mapping;
            }
            ids::ID_CE_INHIBIT_ANY_POLICY => {
                out.cp.inhibit_any =
                    Some(decode::<InhibitAnyPolicy>(e.value, "inhibitAnyPolicy", index)?.0)
            }
            _ => {}
        }
        if e.critical && !KNOWN_CRITICAL.contains(&e.oid) {
            return Err(PathError::Constraint {
                index,
                reason: format!("unsupported critical extension {}", e.oid),
            });
        }
    }
    Ok(out)
}

/// Consistency rules RFC 5280 sets for conforming certificates.
fn structural(out: &Info<'_>, index: usize, anchor: bool) -> Result<(), PathError> {
    // Real roots with negative serial numbers exist: tolerated in anchors.
    if !out.serial_ok && !anchor {
        return Err(PathError::Malformed {
            index,
            reason: "serial number is not a positive integer of at most 20 octets".into(),
        });
    }
    if let Some(v) = out.san {
        use x509_cert::ext::pkix::name::GeneralName as G;
        let san = x509_cert::ext::pkix::SubjectAltName::from_der(v).map_err(|e| {
            PathError::Malformed {
                index,
                reason: format!("subjectAltName: {e}"),
            }
        })?;
        if san.0.is_empty() {
            return Err(PathError::Malformed {
                index,
                reason: "empty subjectAltName".into(),
            });
        }
        for n in &san.0 {
            let ok = match n {
                G::DnsName(d) => names::valid_dns_name(d.as_str(), true),
                G::Rfc822Name(m) => names::valid_email(m.as_str()),
                G::IpAddress(ip) => matches!(ip.as_bytes().len(), 4 | 16),
                _ => true,
            };
            if !ok {
                return Err(PathError::Malformed {
                    index,
                    reason: "invalid name in subjectAltName".into(),
                });
            }
        }
    }
    let is_ca = out.bc.as_ref().is_some_and(|b| b.ca);
    if out.ku.as_ref().is_some_and(|k| k.key_cert_sign()) && !is_ca {
        return Err(PathError::Constraint {
            index,
            reason: "keyUsage keyCertSign without basicConstraints cA".into(),
        });
    }
    if out.nc.is_some() && !is_ca {
        return Err(PathError::Constraint {
            index,
            reason: "nameConstraints in a certificate that is not a CA".into(),
        });
    }
    if out.empty_subject && !(out.san.is_some() && out.san_critical) {
        return Err(PathError::Constraint {
            index,
            reason: "empty subject without a critical subjectAltName".into(),
        });
    }
    Ok(())
}

/// Algorithm policy for the signature on `c` (made with `issuer_spki`).
fn check_algorithms(
    opts: &ValidationOptions,
    c: &CertRef<'_>,
    issuer_spki: &[u8],
    index: usize,
) -> Result<String, PathError> {
    let bad = |reason: String| PathError::Algorithm { index, reason };
    let alg = SignatureAlgorithm::from_algorithm_identifier(&c.signature_algorithm, None)
        .map_err(|e| bad(format!("signature algorithm not accepted: {e}")))?;
    if sha1_refused(opts, alg.digest()) {
        return Err(bad("SHA-1 signature after its sunset date".into()));
    }
    let key = PublicKeyKind::from_spki_der(issuer_spki)
        .map_err(|e| bad(format!("issuer key not accepted: {e}")))?;
    check_key(opts, key).map_err(bad)?;
    Ok(format!("{} with {}", alg.name(), key.name()))
}

/// Key-size policy at the validation time (floor, then the weak-RSA sunset).
pub(super) fn check_key(opts: &ValidationOptions, key: PublicKeyKind) -> Result<(), String> {
    if let PublicKeyKind::Rsa { bits } = key {
        if bits < opts.algorithms.floor_rsa_bits {
            return Err(format!("RSA-{bits} key is too short"));
        }
        if bits < opts.algorithms.min_rsa_bits
            && opts
                .algorithms
                .weak_rsa_sunset
                .is_some_and(|s| opts.time >= s)
        {
            return Err(format!("RSA-{bits} key after its sunset date"));
        }
    }
    Ok(())
}

/// `time` without its fraction: RFC 5280 validity has whole seconds, so it is compared at
/// that granularity.
pub(super) fn whole_seconds(time: OffsetDateTime) -> OffsetDateTime {
    time - time::Duration::nanoseconds(i64::from(time.nanosecond()))
}

/// Whether the SHA-1 sunset forbids a certificate signature with `digest` at the time.
pub(super) fn sha1_refused(opts: &ValidationOptions, digest: DigestAlgorithm) -> bool {
    digest == DigestAlgorithm::Sha1 && opts.algorithms.sha1_sunset.is_some_and(|s| opts.time >= s)
}

fn check_validity(
    opts: &ValidationOptions,
    c: &CertRef<'_>,
    index: usize,
    checks: &mut Vec<Check>,
) -> Result<(), PathError> {
    let t = whole_seconds(opts.time);
    if t < c.not_before {
        return Err(PathError::NotYetValid {
            index,
            not_before: c.not_before,
        });
    }
    if t > c.not_after {
        return Err(PathError::Expired {
            index,
            not_after: c.not_after,
        });
    }
    checks.push(Check::new(
        PathStep::Validity(index),
        true,
        Outcome::Validity {
            not_before: c.not_before,
            not_after: c.not_after,
        },
    ));
    Ok(())
}

fn policy_matches(oid: &Oid, prefixes: &[String]) -> bool {
    prefixes
        .iter()
        .any(|p| kenpo_core::oid::matches_dotted(oid, p))
}

/// Validates the path `certs` (leaf first, without the anchor) under `anchor`.
/// Certificate signatures were verified while building.
pub(crate) fn validate_path(
    opts: &ValidationOptions,
    certs: &[&CertRef<'_>],
    anchor: &CertRef<'_>,
    revocation: Option<&dyn RevocationCheck>,
    budget: &mut Budget,
) -> Result<ValidatedPath, PathError> {
    let mut p = validate_without_revocation(opts, certs, anchor)?;
    check_revocation(opts, certs, anchor, revocation, budget, &mut p.checks)?;
    Ok(p)
}

/// [`validate_path`] without its last step, revocation: its checks are those of a path
/// whose revocation is still to be asked with [`check_revocation`].
pub(crate) fn validate_without_revocation(
    opts: &ValidationOptions,
    certs: &[&CertRef<'_>],
    anchor: &CertRef<'_>,
) -> Result<ValidatedPath, PathError> {
    let n = certs.len();
    let mut checks = Vec::new();
    let anchor_index = n;
    if opts.check_anchor_validity {
        check_validity(opts, anchor, anchor_index, &mut checks)?;
    }
    check_key(
        opts,
        PublicKeyKind::from_spki_der(anchor.spki).map_err(|e| PathError::Algorithm {
            index: anchor_index,
            reason: format!("anchor key not accepted: {e}"),
        })?,
    )
    .map_err(|reason| PathError::Algorithm {
        index: anchor_index,
        reason,
    })?;
    let infos = certs
        .iter()
        .enumerate()
        .map(|(k, c)| info(c, k))
        .collect::<Result<Vec<_>, _>>()?;
    let mut ps = PolicyState::new(
        n,
        opts.explicit_policy,
        opts.inhibit_policy_mapping,
        opts.inhibit_any_policy,
    );
    let mut max_path_len = n;
    let mut constraints: Vec<&NameConstraints> = Vec::new();
    let anchor_info = if n > 0 {
        Some(check_anchor(opts, anchor, anchor_index)?)
    } else {
        None
    };
    if let Some(nc) = anchor_info.as_ref().and_then(|a| a.nc.as_ref()) {
        constraints.push(nc);
    }
    for k in (0..n).rev() {
        let i = n - k;
        let c = certs[k];
        let inf = &infos[k];
        let issuer = if k + 1 < n { certs[k + 1] } else { anchor };
        let detail = check_algorithms(opts, c, issuer.spki, k)?;
        checks.push(Check::new(PathStep::Signature(k), true, detail.into()));
        check_validity(opts, c, k, &mut checks)?;
        structural(inf, k, false)?;
        if opts.strict_conformance && !inf.pc_critical {
            return Err(PathError::Constraint {
                index: k,
                reason: "policyConstraints must be critical".into(),
            });
        }
        if inf.v3 && !inf.has_aki && !(inf.self_issued && c.spki == issuer.spki) {
            return Err(PathError::Constraint {
                index: k,
                reason: "authorityKeyIdentifier missing".into(),
            });
        }
        if !names_equal(c.issuer, issuer.subject) {
            return Err(PathError::Constraint {
                index: k,
                reason: "issuer name does not match the issuer's subject".into(),
            });
        }
        if (k == 0 || !inf.self_issued) && !constraints.is_empty() {
            let subject =
                x509_cert::name::Name::from_der(c.subject).map_err(|e| PathError::Malformed {
                    index: k,
                    reason: format!("subject: {e}"),
                })?;
            let names = CertNames::of(&subject, inf.san)
                .map_err(|reason| PathError::Constraint { index: k, reason })?;
            for nc in &constraints {
                names::check(nc, &names)
                    .map_err(|reason| PathError::Constraint { index: k, reason })?;
            }
            checks.push(Check::new(
                PathStep::NameConstraints(k),
                true,
                Outcome::NamesChecked(names.names.len()),
            ));
        }
        ps.process(i, n, inf.self_issued, &inf.cp)
            .map_err(|reason| PathError::Constraint { index: k, reason })?;
        if k > 0 {
            ps.prepare(i, inf.self_issued, &inf.cp)
                .map_err(|reason| PathError::Constraint { index: k, reason })?;
            if let Some(nc) = &inf.nc {
                constraints.push(nc);
            }
            let ca = inf.v3 && inf.bc.as_ref().is_some_and(|b| b.ca);
            if !ca
                || inf.empty_subject
                || !inf.has_ski
                || (opts.strict_conformance && !inf.bc_critical)
            {
                return Err(PathError::Constraint {
                    index: k,
                    reason: "intermediate certificate is not a CA (basicConstraints cA \
                             critical, subjectKeyIdentifier, subject)"
                        .into(),
                });
            }
            if !inf.self_issued {
                if max_path_len == 0 {
                    return Err(PathError::Constraint {
                        index: k,
                        reason: "path exceeds the maximum path length".into(),
                    });
                }
                max_path_len -= 1;
            }
            if let Some(pl) = inf.bc.as_ref().and_then(|b| b.path_len_constraint) {
                max_path_len = max_path_len.min(pl as usize);
            }
            if opts.ca_eku_nesting
                && let (Some(want), Some(list)) = (&opts.required_eku, &inf.eku)
                && !list.contains(want)
                && !list.contains(&ANY_EKU)
            {
                return Err(PathError::Constraint {
                    index: k,
                    reason: format!("CA extendedKeyUsage does not allow {want}"),
                });
            }
            if let Some(ku) = &inf.ku
                && !ku.key_cert_sign()
            {
                return Err(PathError::Constraint {
                    index: k,
                    reason: "CA keyUsage lacks keyCertSign".into(),
                });
            }
            checks.push(Check::new(
                PathStep::Ca(k),
                true,
                Outcome::CaRemaining(max_path_len),
            ));
        }
    }
    let policies = if n == 0 {
        vec![super::ANY_POLICY]
    } else {
        ps.finish(n, &infos[0].cp, opts.initial_policy_set.as_deref())
            .map_err(|reason| PathError::Constraint { index: 0, reason })?
    };
    checks.push(Check::new(
        PathStep::Policies,
        true,
        Outcome::Policies(policies.as_slice().into()),
    ));
    let leaf = certs.first().copied().unwrap_or(anchor);
    let self_info;
    let leaf_info = match infos.first() {
        Some(i) => i,
        None => {
            self_info = info(anchor, 0)?;
            structural(&self_info, 0, false)?;
            &self_info
        }
    };
    check_leaf(opts, leaf, leaf_info, &mut checks)?;
    let mut out: Vec<Vec<u8>> = certs.iter().map(|c| c.raw.to_vec()).collect();
    out.push(anchor.raw.to_vec());
    Ok(ValidatedPath {
        certs: out,
        policies,
        checks,
    })
}

/// Revocation of every non-anchor certificate of `certs` (DER, leaf first, without the
/// anchor), top down, per [`ValidationOptions::revocation_mode`]; adds a check per
/// certificate to `checks`.
pub(crate) fn check_revocation(
    opts: &ValidationOptions,
    certs: &[&CertRef<'_>],
    anchor: &CertRef<'_>,
    revocation: Option<&dyn RevocationCheck>,
    budget: &mut Budget,
    checks: &mut Vec<Check>,
) -> Result<(), PathError> {
    let n = certs.len();
    if opts.revocation_mode != RevocationMode::Off {
        for k in (0..n).rev() {
            let issuer = if k + 1 < n { certs[k + 1] } else { anchor };
            let status = match revocation {
                Some(r) => r.status_on_path_parsed(certs[k], issuer, anchor.raw, opts.time, budget),
                None => RevocationStatus::Unknown {
                    reason: "no revocation checker configured".into(),
                },
            };
            match status {
                RevocationStatus::Good { source } => checks.push(Check::new(
                    PathStep::Revocation(k),
                    true,
                    Outcome::RevocationGood(source.into()),
                )),
                RevocationStatus::Revoked {
                    time,
                    reason,
                    source,
                } => {
                    return Err(PathError::Revoked {
                        index: k,
                        time,
                        reason,
                        source_name: source,
                    });
                }
                RevocationStatus::Unknown { reason } => {
                    if opts.revocation_mode == RevocationMode::Hard {
                        return Err(PathError::RevocationUnknown { index: k, reason });
                    }
                    checks.push(Check::new(
                        PathStep::Revocation(k),
                        false,
                        Outcome::RevocationUnknownSoft(reason.into()),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// RFC 5280 leaves the trust anchor's own extensions to the relying party; this
/// validator applies the anchor's name constraints and refuses anchors whose extensions
/// say they are not CAs (cA false, keyUsage without keyCertSign, unknown critical
/// extensions); with [`ValidationOptions::strict_conformance`] it also requires a critical
/// basicConstraints cA and a subjectKeyIdentifier.
fn check_anchor<'a>(
    opts: &ValidationOptions,
    anchor: &CertRef<'a>,
    index: usize,
) -> Result<Info<'a>, PathError> {
    let inf = info(anchor, index)?;
    if inf.bc.as_ref().is_some_and(|b| !b.ca) {
        return Err(PathError::Constraint {
            index,
            reason: "trust anchor has basicConstraints cA false".into(),
        });
    }
    if inf.ku.as_ref().is_some_and(|k| !k.key_cert_sign()) {
        return Err(PathError::Constraint {
            index,
            reason: "trust anchor keyUsage lacks keyCertSign".into(),
        });
    }
    if opts.strict_conformance {
        structural(&inf, index, true)?;
        if (!inf.self_issued && !inf.has_aki)
            || !inf.bc.as_ref().is_some_and(|b| b.ca)
            || !inf.bc_critical
            || !inf.has_ski
            || inf.empty_subject
        {
            return Err(PathError::Constraint {
                index,
                reason: "trust anchor is not a conforming CA certificate".into(),
            });
        }
    }
    Ok(inf)
}

fn check_leaf(
    opts: &ValidationOptions,
    leaf: &CertRef<'_>,
    inf: &Info<'_>,
    checks: &mut Vec<Check>,
) -> Result<(), PathError> {
    let key = PublicKeyKind::from_spki_der(leaf.spki).map_err(|e| PathError::Algorithm {
        index: 0,
        reason: format!("leaf key not accepted: {e}"),
    })?;
    check_key(opts, key).map_err(|reason| PathError::Algorithm { index: 0, reason })?;
    if let Some(ku) = &inf.ku {
        for bit in &opts.required_key_usage {
            if !ku.0.contains(*bit) {
                return Err(PathError::LeafUsage {
                    reason: format!("keyUsage lacks {bit:?}"),
                });
            }
        }
    }
    if let Some(want) = &opts.required_eku {
        match &inf.eku {
            Some(list)
                if !list.contains(want)
                    && (opts.eku_must_be_present || !list.contains(&ANY_EKU)) =>
            {
                return Err(PathError::LeafUsage {
                    reason: format!("extendedKeyUsage lacks {want}"),
                });
            }
            Some(_) => {}
            None if opts.eku_must_be_present => {
                return Err(PathError::LeafUsage {
                    reason: format!("no extendedKeyUsage extension (needs {want})"),
                });
            }
            None => {}
        }
    }
    if !opts.leaf_policy_prefixes.is_empty() || !opts.forbidden_leaf_policy_prefixes.is_empty() {
        let pols = inf.cp.policies.clone().unwrap_or_default();
        if let Some(p) = pols
            .iter()
            .find(|p| policy_matches(p, &opts.forbidden_leaf_policy_prefixes))
        {
            return Err(PathError::LeafUsage {
                reason: format!("leaf policy {p} is refused by the trust profile"),
            });
        }
        if !opts.leaf_policy_prefixes.is_empty()
            && !pols
                .iter()
                .any(|p| policy_matches(p, &opts.leaf_policy_prefixes))
        {
            return Err(PathError::LeafUsage {
                reason: "no leaf policy accepted by the trust profile".into(),
            });
        }
    }
    checks.push(Check::new(PathStep::LeafUsage, true, Outcome::LeafUsage));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::PathStep;

    #[test]
    fn indexed_names_read_as_formatted() {
        for k in [0, 1, 9, 10, 42, 999, usize::MAX] {
            assert_eq!(PathStep::Revocation(k).name(), format!("revocation[{k}]"));
            assert_eq!(PathStep::Validity(k).name(), format!("validity[{k}]"));
        }
        assert_eq!(PathStep::Policies.name(), "policies");
    }

    /// The outer signatureAlgorithm must be the tbsCertificate's, octet for octet.
    #[test]
    fn outer_and_inner_signature_algorithms_must_agree() {
        use kenpo_core::cert::CertRef;

        let pki = kenpo_testpki::generate(&kenpo_testpki::Config::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let der = pki
            .entity("hpki-signer")
            .map(|e| e.cert_der.clone())
            .unwrap_or_else(|e| panic!("{e}"));
        let info_of = |der: &[u8]| {
            let c = CertRef::parse(der).unwrap_or_else(|e| panic!("{e}"));
            super::info(&c, 0).map(|_| ())
        };
        assert!(info_of(&der).is_ok());
        // sha256WithRSAEncryption (…1.11) outside; make it sha384WithRSAEncryption (…1.12),
        // then sha512WithRSAEncryption (…1.13): the tbsCertificate still says sha256.
        let sha256_rsa = [
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
        ];
        let outer = der
            .windows(sha256_rsa.len())
            .rposition(|w| w == sha256_rsa)
            .unwrap_or_else(|| panic!("no sha256WithRSAEncryption"));
        let inner = der
            .windows(sha256_rsa.len())
            .position(|w| w == sha256_rsa)
            .unwrap_or_else(|| panic!("no sha256WithRSAEncryption"));
        assert!(inner < outer);
        for last in [0x0c, 0x0d] {
            let mut other = der.clone();
            other[outer + sha256_rsa.len() - 1] = last;
            match info_of(&other) {
                Err(super::PathError::Malformed { index: 0, reason }) => {
                    assert!(reason.contains("differs"), "{reason}");
                }
                r => panic!("expected a mismatch, got {r:?}"),
            }
        }
    }
}
