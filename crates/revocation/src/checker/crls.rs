//! CRL processing of RFC 5280 §6.3.3 over the CRLs at hand (supplied, then fetched from
//! the distribution points): for each distribution point of the certificate, the complete
//! CRLs in scope, each combined with an applicable delta CRL, until a CRL says "revoked" or
//! the CRLs used cover every revocation reason.

use std::path::PathBuf;
use std::sync::Arc;

use kenpo_core::cert::CertRef;
use kenpo_core::timefmt::rfc3339;
use time::OffsetDateTime;

use super::scope::Scope;
use super::signer::CrlSigner;
use super::{CheckReport, Checker, Ctx, Evidence};
use crate::crl::Crl;
use crate::names::{self, ALL_REASONS, DistributionPoint, GeneralName, ReasonMask};
use crate::{Finding, RevocationStatus, asn1, cache};

/// A CRL fetched in this run (kept for the checker's lifetime, failures included) or read
/// from the cache directory (reused only while current for the time asked).
#[derive(Clone)]
pub(super) struct HeldCrl {
    crl: Result<Arc<Crl>, String>,
    /// The cache file it was read from.
    from_disk: Option<PathBuf>,
}

/// Whether `crl` may be reused from the cache directory for `at`: its nextUpdate is at or
/// after `at`.
fn current(crl: &Crl, at: OffsetDateTime) -> bool {
    crl.next_update().is_some_and(|n| n >= at)
}

/// A CRL and where it came from.
#[derive(Clone)]
pub(super) struct Sourced {
    crl: Arc<Crl>,
    source: String,
    /// The distribution point URL it was fetched from (or read from the cache for).
    url: Option<String>,
    /// Fetched in this run (not supplied, not read from the cache directory).
    fetched: bool,
    /// The source with the CRL's dates, as reports name it.
    described: String,
}

impl Sourced {
    fn new(crl: Arc<Crl>, source: String, url: Option<String>, fetched: bool) -> Self {
        let described = format!(
            "{} (thisUpdate {}{})",
            source,
            rfc3339(crl.this_update()),
            crl.next_update()
                .map(|n| format!(", nextUpdate {}", rfc3339(n)))
                .unwrap_or_default()
        );
        Self {
            crl,
            source,
            url,
            fetched,
            described,
        }
    }

    /// The CRL.
    pub(super) fn crl(&self) -> &Arc<Crl> {
        &self.crl
    }

    fn evidence(&self) -> Evidence {
        Evidence::Crl {
            crl: Arc::clone(&self.crl),
            source: self.source.clone(),
        }
    }

    fn described(&self) -> String {
        self.described.clone()
    }
}

/// One complete CRL used, with its delta.
struct Used<'s> {
    complete: &'s Sourced,
    delta: Option<&'s Sourced>,
}

impl Used<'_> {
    fn described(&self) -> String {
        match self.delta {
            Some(d) => format!("{} with delta {}", self.complete.described(), d.described()),
            None => self.complete.described(),
        }
    }
}

/// A report naming every CRL used (the first as evidence, the rest as more evidence).
fn report(status: RevocationStatus, used: &[Used<'_>]) -> CheckReport {
    let mut all = used
        .iter()
        .flat_map(|u| std::iter::once(u.complete).chain(u.delta))
        .map(Sourced::evidence);
    CheckReport {
        status,
        evidence: all.next(),
        more_evidence: all.collect(),
        notes: Vec::new(),
    }
}

/// Whether the CRL issuer is the one `dp` expects: its cRLIssuer, else the certificate's
/// issuer (CRLs of other issuers are not worth a remark).
pub(super) fn names_the_issuer(crl: &Crl, cert: &CertRef<'_>, dp: &DistributionPoint) -> bool {
    match &dp.crl_issuer {
        Some(issuers) => issuers.iter().any(
            |n| matches!(n, GeneralName::DirectoryName(d) if names::names_equal(d, crl.issuer())),
        ),
        None => names::names_equal(crl.issuer(), cert.issuer),
    }
}

/// The readable CRLs of `supplied` named for reports (`supplied CRL #n`), and a note per
/// unreadable one.
pub(super) fn named(supplied: &[Result<Arc<Crl>, crate::CrlError>]) -> (Vec<Sourced>, Vec<String>) {
    let mut out = Vec::new();
    let mut unreadable = Vec::new();
    for (i, crl) in supplied.iter().enumerate() {
        let source = format!("supplied CRL #{}", i + 1);
        match crl {
            Ok(c) => out.push(Sourced::new(Arc::clone(c), source, None, false)),
            Err(e) => unreadable.push(format!("{source} unreadable: {e}")),
        }
    }
    (out, unreadable)
}

impl Checker {
    /// RFC 5280 §6.3.3 over `crls`, whose time-independent part for `cert` is `scope`;
    /// `None` (with the reasons in `tried`) unless a CRL says revoked or the CRLs cover
    /// every reason.
    ///
    /// `sole` is set when the answer rests on one complete CRL alone, reached by steps that
    /// do not depend on `at`: the first candidate that counted (those before it were passed
    /// over for time-independent reasons, without a note), signed by the issuer's own key,
    /// without a delta CRL, nothing noted. Asked at another time, the same steps reach the
    /// same CRL, and its finding then decides the answer (see [`super::answers`]).
    #[allow(clippy::too_many_arguments)]
    fn crl_status(
        &self,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
        ctx: &Ctx<'_>,
        crls: &[Sourced],
        scope: &Scope,
        tried: &mut Vec<String>,
        sole: &mut Option<(Arc<Crl>, Finding)>,
    ) -> Option<CheckReport> {
        let dps = match &scope.dps {
            Ok(d) => d,
            Err(e) => {
                tried.push(e.clone());
                return None;
            }
        };
        let deltas: Vec<&Sourced> = crls.iter().filter(|c| c.crl.is_delta()).collect();
        let mut mask: ReasonMask = 0;
        let mut used: Vec<Used<'_>> = Vec::new();
        let mut relevant = false;
        let mut notes = Vec::new();
        // Whether the first CRL used was signed by the issuer's key and had no delta.
        let mut first_direct = false;
        for candidate in &scope.candidates {
            if mask == ALL_REASONS {
                break;
            }
            let (Some(c), Some(dp)) = (crls.get(candidate.crl), dps.get(candidate.dp)) else {
                continue;
            };
            relevant = true;
            let interim = match &candidate.reasons {
                Ok(m) => *m,
                Err(e) => {
                    notes.push(format!(
                        "{}: CRL not in scope for the certificate: {e}",
                        c.source
                    ));
                    continue;
                }
            };
            if interim & !mask == 0 {
                continue;
            }
            let signer = match self.crl_signed(&c.crl, issuer, at, ctx) {
                Ok(s) => s,
                Err(e) => {
                    notes.push(format!("{}: {e}", c.source));
                    continue;
                }
            };
            let delta = self.pick_delta(c, &deltas, cert, issuer, dp, &signer, &mut notes);
            let finding = match delta {
                Some(d) => c.crl.finding_with_delta(&d.crl, cert, at, self.skew),
                None => c.crl.finding_at(cert, at, self.skew),
            };
            let direct = delta.is_none() && matches!(signer, CrlSigner::Issuer);
            let this = Used { complete: c, delta };
            match finding {
                Ok(Finding::Revoked { time, reason }) => {
                    if direct && used.is_empty() && notes.is_empty() {
                        *sole = Some((Arc::clone(&c.crl), Finding::Revoked { time, reason }));
                    }
                    let source = this.described();
                    let status = RevocationStatus::Revoked {
                        time,
                        reason,
                        source,
                    };
                    let mut r = report(status, &[this]);
                    r.notes = notes;
                    return Some(r);
                }
                Ok(Finding::NotRevoked) => {
                    mask |= interim;
                    if used.is_empty() {
                        first_direct = direct;
                    }
                    used.push(this);
                }
                Err(e) => notes.push(format!("{}: {e}", c.source)),
            }
        }
        if mask == ALL_REASONS {
            if let [only] = used.as_slice()
                && first_direct
                && notes.is_empty()
            {
                *sole = Some((Arc::clone(&only.complete.crl), Finding::NotRevoked));
            }
            let source = used
                .iter()
                .map(Used::described)
                .collect::<Vec<_>>()
                .join(" + ");
            let mut r = report(RevocationStatus::Good { source }, &used);
            r.notes = notes;
            return Some(r);
        }
        for d in &deltas {
            if !used
                .iter()
                .any(|u| u.delta.is_some_and(|x| std::ptr::eq(x, *d)))
                && dps.iter().any(|dp| names_the_issuer(&d.crl, cert, dp))
            {
                relevant = true;
                notes.push(format!(
                    "{}: a delta CRL, and no complete CRL it applies to is at hand",
                    d.source
                ));
            }
        }
        tried.append(&mut notes);
        if mask != 0 {
            tried.push(format!(
                "the CRLs found cover only some revocation reasons (0x{mask:03x} of 0x{ALL_REASONS:03x})"
            ));
        } else if !relevant {
            tried.push(format!(
                "{}: none issued by \"{}\"",
                if crls.iter().all(|c| c.source.starts_with("supplied")) {
                    "supplied CRLs"
                } else {
                    "CRLs"
                },
                kenpo_core::asn1::name::name_string(cert.issuer)
            ));
        }
        None
    }

    /// The newest delta CRL that applies to complete CRL `c` (same issuer, scope and key,
    /// RFC 5280 §5.2.4 numbering).
    #[allow(clippy::too_many_arguments)]
    fn pick_delta<'s>(
        &self,
        c: &Sourced,
        deltas: &[&'s Sourced],
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        dp: &DistributionPoint,
        signer: &CrlSigner,
        notes: &mut Vec<String>,
    ) -> Option<&'s Sourced> {
        let mut best: Option<&'s Sourced> = None;
        for d in deltas {
            if !names::names_equal(d.crl.issuer(), c.crl.issuer()) {
                continue;
            }
            let why = if let Err(e) = d.crl.delta_applies_to(&c.crl) {
                e.to_string()
            } else if let Err(e) = d.crl.distribution_point_scope(cert, dp) {
                e.to_string()
            } else if let Err(e) = self.signed_like(&d.crl, issuer, signer) {
                e.to_string()
            } else {
                let newer = best.is_none_or(|b| {
                    let n = |x: &Sourced| {
                        asn1::canonical_int(x.crl.crl_number().unwrap_or_default()).to_vec()
                    };
                    let (a, b) = (n(d), n(b));
                    (a.len(), a) > (b.len(), b)
                });
                if newer {
                    best = Some(d);
                }
                continue;
            };
            notes.push(format!("{} not used with {}: {why}", d.source, c.source));
        }
        best
    }

    pub(super) fn try_supplied_crls(
        &self,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
        ctx: &Ctx<'_>,
        tried: &mut Vec<String>,
    ) -> Option<CheckReport> {
        if self.supplied_crls.is_empty() {
            return None;
        }
        let (crls, unreadable) = &self.supplied_named;
        tried.extend(unreadable.iter().cloned());
        let scope = self.supplied_scopes.scope(cert, crls);
        let mut sole = None;
        let report = self.crl_status(cert, issuer, at, ctx, crls, &scope, tried, &mut sole);
        // Nothing tried before (no supplied OCSP response, no unreadable CRL): the answer is
        // the whole of the check's.
        if let (Some(r), Some((crl, finding))) = (&report, sole)
            && tried.is_empty()
            && self.supplied_ocsp.is_empty()
        {
            self.answers.remember(cert, issuer, crl, finding, r);
        }
        report
    }

    /// The CRL of `url`, its source and whether it was fetched in this run: held in
    /// memory, else from the cache directory if current for `at`, else fetched (unless
    /// offline). Fetched CRLs go to the cache directory only once an answer rests on them
    /// (their signature verified: see [`Checker::keep_on_disk`]).
    fn fetch_crl(
        &self,
        url: &str,
        at: OffsetDateTime,
        tried: &mut Vec<String>,
    ) -> Result<(Arc<Crl>, String, bool), String> {
        let held = self.cache().crls.get(url).cloned();
        let source = |from: &Option<PathBuf>| match from {
            Some(p) => format!("CRL {url} from cache {}", p.display()),
            None => format!("CRL {url}"),
        };
        match held {
            Some(HeldCrl {
                crl: Ok(crl),
                from_disk: Some(p),
            }) if current(&crl, at) => return Ok((crl, source(&Some(p)), false)),
            Some(HeldCrl {
                crl,
                from_disk: None,
            }) => return crl.map(|c| (c, format!("CRL {url}"), true)),
            _ => {}
        }
        let path = self
            .fetch_config
            .cache_dir
            .as_deref()
            .map(|d| cache::crl_path(d, url));
        if let Some(path) = &path
            && let Some(crl) = self.cached_crl(path, at, tried)
        {
            let from = Some(path.clone());
            let src = source(&from);
            self.cache().crls.insert(
                url.to_owned(),
                HeldCrl {
                    crl: Ok(Arc::clone(&crl)),
                    from_disk: from,
                },
            );
            return Ok((crl, src, false));
        }
        if self.fetch_config.offline {
            return Err(format!(
                "CRL {url}: offline, and no current copy in the cache"
            ));
        }
        let r = self
            .fetcher
            .get(url, self.fetch_config.max_crl_bytes)
            .map_err(|e| e.to_string())
            .and_then(|body| {
                let crl = if body.first() == Some(&0x30) {
                    Crl::from_der(body)
                } else {
                    Crl::from_pem_or_der(&body)
                };
                crl.map_err(|e| e.to_string())
            })
            .map(Arc::new)
            .map_err(|e| format!("CRL {url}: {e}"));
        self.cache().crls.insert(
            url.to_owned(),
            HeldCrl {
                crl: r.clone(),
                from_disk: None,
            },
        );
        r.map(|c| (c, format!("CRL {url}"), true))
    }

    /// Writes the CRLs fetched in this run that `report` rests on (so verified and in
    /// scope) to the cache directory, if there is one; failures are notes in `tried`.
    fn keep_on_disk(&self, crls: &[Sourced], report: &CheckReport, tried: &mut Vec<String>) {
        let Some(dir) = self.fetch_config.cache_dir.as_deref() else {
            return;
        };
        for e in report.evidence.iter().chain(&report.more_evidence) {
            let Evidence::Crl { crl, .. } = e else {
                continue;
            };
            let fetched = crls
                .iter()
                .find(|s| s.fetched && Arc::ptr_eq(&s.crl, crl))
                .and_then(|s| s.url.as_deref());
            if let Some(url) = fetched
                && crl.next_update().is_some()
                && let Err(e) = cache::write_atomic(&cache::crl_path(dir, url), crl.der())
            {
                tried.push(e);
            }
        }
    }

    /// The CRL in the cache file `path` if there is one that parses and is current for
    /// `at`; unreadable or corrupt files are noted in `tried` and ignored.
    fn cached_crl(
        &self,
        path: &std::path::Path,
        at: OffsetDateTime,
        tried: &mut Vec<String>,
    ) -> Option<Arc<Crl>> {
        let der = match cache::read(path, self.fetch_config.max_crl_bytes) {
            Ok(d) => d?,
            Err(e) => {
                tried.push(e);
                return None;
            }
        };
        match Crl::from_der(der) {
            Ok(crl) if current(&crl, at) => Some(Arc::new(crl)),
            Ok(_) => None,
            Err(e) => {
                tried.push(format!("cache {}: ignored: {e}", path.display()));
                None
            }
        }
    }

    /// Fetches the http(s) URLs of `dps` (names relative to `base`) not fetched yet into
    /// `got`; other names are reported in `tried`.
    fn fetch_points(
        &self,
        dps: &[DistributionPoint],
        base: &[u8],
        at: OffsetDateTime,
        got: &mut Vec<Sourced>,
        tried: &mut Vec<String>,
    ) {
        for dp in dps {
            let names = dp
                .name
                .as_ref()
                .map(|n| n.resolve(base))
                .unwrap_or_default();
            for name in &names {
                match name {
                    GeneralName::Uri(url) if names::is_http(url) => {
                        if got.iter().any(|g| g.url.as_deref() == Some(url.as_str())) {
                            continue;
                        }
                        match self.fetch_crl(url, at, tried) {
                            Ok((crl, source, fetched)) => {
                                got.push(Sourced::new(crl, source, Some(url.clone()), fetched))
                            }
                            Err(e) => tried.push(e),
                        }
                    }
                    other => tried.push(format!(
                        "CRL distribution point {other} cannot be fetched (only http/https); supply that CRL"
                    )),
                }
            }
        }
    }

    pub(super) fn try_crl_dps(
        &self,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
        ctx: &Ctx<'_>,
        tried: &mut Vec<String>,
    ) -> Option<CheckReport> {
        let dps = match names::crl_distribution_points(cert) {
            Ok(d) => d,
            Err(e) => {
                tried.push(format!("cRLDistributionPoints unreadable: {e}"));
                return None;
            }
        };
        if dps.is_empty() {
            if names::ocsp_urls(cert).map_or(true, |u| u.is_empty()) {
                tried.push(
                    "the certificate names no CRL distribution point and no OCSP responder".into(),
                );
            }
            return None;
        }
        if self.fetch_config.offline && self.fetch_config.cache_dir.is_none() {
            return None;
        }
        let mut scratch = Vec::new();
        let mut crls = self.supplied_named.0.clone();
        let supplied = crls.len();
        let mut last_attempt = Vec::new();
        for dp in &dps {
            self.fetch_points(std::slice::from_ref(dp), cert.issuer, at, &mut crls, tried);
            if crls.len() == supplied {
                continue;
            }
            // Delta CRLs named by the certificate or by the complete CRLs fetched.
            let mut fresh = names::freshest_crl_points(cert).unwrap_or_default();
            for c in &crls[supplied..] {
                fresh.extend(c.crl.freshest_crl().iter().cloned());
            }
            self.fetch_points(&fresh, cert.issuer, at, &mut crls, &mut scratch);
            last_attempt.clear();
            let scope = Scope::of(cert, &crls);
            if let Some(r) = self.crl_status(
                cert,
                issuer,
                at,
                ctx,
                &crls,
                &scope,
                &mut last_attempt,
                &mut None,
            ) {
                self.keep_on_disk(&crls[supplied..], &r, tried);
                return Some(r);
            }
        }
        tried.append(&mut last_attempt);
        None
    }
}
