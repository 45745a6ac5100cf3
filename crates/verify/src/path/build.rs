//! Depth-first path building with loop detection, a depth limit and a signature budget.

use std::collections::HashMap;

use kenpo_core::alg::SignatureAlgorithm;
use kenpo_core::cert::CertRef;
use kenpo_core::crypto::CryptoBackend;
use kenpo_revocation::RevocationCheck;
use kenpo_revocation::names::names_equal;

use super::validate::{check_revocation, validate_path, validate_without_revocation};
use super::{Budget, Found, PathError, PathValidator, ValidatedPath, ValidationOptions};
use crate::Context;

/// One certificate of the pool.
pub(crate) struct Node<'a> {
    pub(crate) cert: &'a CertRef<'a>,
    pub(crate) anchor: bool,
}

struct Ctx<'a, 'o> {
    opts: &'o ValidationOptions,
    revocation: Option<&'o dyn RevocationCheck>,
    pool: Vec<Node<'a>>,
    /// issuer index lists per subject index (lazy).
    issuers: HashMap<usize, Vec<usize>>,
    sig_cache: HashMap<(usize, usize), Result<(), String>>,
    ctx: &'o Context,
    budget: &'o mut Budget,
    best: Option<PathError>,
    exhausted: bool,
}

impl Ctx<'_, '_> {
    fn record(&mut self, e: PathError) {
        let replace = match &self.best {
            None => true,
            Some(b) => e.rank() > b.rank(),
        };
        if replace {
            self.best = Some(e);
        }
    }

    fn issuers_of(&mut self, k: usize) -> Vec<usize> {
        if let Some(v) = self.issuers.get(&k) {
            return v.clone();
        }
        let cert = self.pool[k].cert;
        let t = self.opts.time;
        let mut v: Vec<usize> = (0..self.pool.len())
            .filter(|&j| j != k || self.pool[j].anchor)
            .filter(|&j| names_equal(self.pool[j].cert.subject, cert.issuer))
            .collect();
        // Anchors first, then certificates valid at the time.
        v.sort_by_key(|&j| (!self.pool[j].anchor, !self.pool[j].cert.valid_at(t)));
        self.issuers.insert(k, v.clone());
        v
    }

    fn signature(&mut self, child: usize, issuer: usize) -> Option<Result<(), String>> {
        if let Some(r) = self.sig_cache.get(&(child, issuer)) {
            return Some(r.clone());
        }
        let c = self.pool[child].cert;
        let i = self.pool[issuer].cert;
        // Every link examined is charged, verified before or not: the budget bounds the
        // search, not only the crypto (many certificates may share one issuer key).
        if self.budget.signature_checks == 0 {
            return None;
        }
        self.budget.signature_checks -= 1;
        if self.ctx.links().contains(c.raw, i.spki) {
            self.sig_cache.insert((child, issuer), Ok(()));
            return Some(Ok(()));
        }
        let r = match SignatureAlgorithm::from_algorithm_identifier(&c.signature_algorithm, None) {
            Ok(alg) => self
                .ctx
                .keys()
                .verify(i.spki, alg, c.tbs, c.signature)
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if r.is_ok() {
            self.ctx.links().insert(c.raw, i.spki);
        }
        self.sig_cache.insert((child, issuer), r.clone());
        Some(r)
    }

    /// Certificate already on the path.
    fn looped(&self, path: &[usize], j: usize) -> bool {
        path.contains(&j)
    }

    /// Logical intermediates on `path` plus `j`: self-issued certificates (same subject
    /// as their issuer) do not count, as for pathLenConstraint.
    fn depth_with(&self, path: &[usize], j: usize) -> usize {
        path.iter()
            .skip(1)
            .chain(std::iter::once(&j))
            .filter(|&&p| !names_equal(self.pool[p].cert.subject, self.pool[p].cert.issuer))
            .count()
    }

    /// Validates the candidate `path` under the anchor `j` (remembering it in the memo
    /// when it validates but for revocation).
    fn validate(&mut self, path: &[usize], j: usize) -> Result<ValidatedPath, PathError> {
        let certs: Vec<&CertRef<'_>> = path.iter().map(|&p| self.pool[p].cert).collect();
        let anchor = self.pool[j].cert;
        let mut p = validate_without_revocation(self.opts, &certs, anchor)?;
        if let Some(memo) = self.ctx.paths() {
            memo.remember(self.ctx, self.opts, &p, &certs, anchor);
        }
        let (opts, revocation) = (self.opts, self.revocation);
        check_revocation(opts, &certs, anchor, revocation, self.budget, &mut p.checks)?;
        Ok(p)
    }

    fn dfs(&mut self, path: &mut Vec<usize>) -> Option<ValidatedPath> {
        let &cur = path.last()?;
        for j in self.issuers_of(cur) {
            if self.exhausted {
                return None;
            }
            let anchor = self.pool[j].anchor;
            if !anchor && self.looped(path, j) {
                continue;
            }
            // Intermediates so far = path.len() - 1; adding j as one more.
            if !anchor
                && (self.depth_with(path, j) > self.opts.max_depth
                    || path.len() > 2 * self.opts.max_depth + 2)
            {
                self.record(PathError::Budget {
                    reason: format!("depth limit {} reached", self.opts.max_depth),
                });
                continue;
            }
            match self.signature(cur, j) {
                None => {
                    // The search is incomplete: whatever failed so far (say, look-alike
                    // issuers with bad signatures) says nothing about the paths not tried.
                    self.exhausted = true;
                    let so_far = self
                        .best
                        .take()
                        .map(|e| format!("; before that: {e}"))
                        .unwrap_or_default();
                    self.best = Some(PathError::Budget {
                        reason: format!(
                            "signature-check budget {} exhausted{so_far}",
                            self.opts.max_signature_checks
                        ),
                    });
                    return None;
                }
                Some(Err(reason)) => {
                    self.record(PathError::BadSignature {
                        index: path.len() - 1,
                        reason,
                    });
                    continue;
                }
                Some(Ok(())) => {}
            }
            if anchor {
                match self.validate(path, j) {
                    Ok(p) => return Some(p),
                    Err(e) => self.record(e),
                }
            } else {
                path.push(j);
                let r = self.dfs(path);
                path.pop();
                if r.is_some() {
                    return r;
                }
            }
        }
        None
    }
}

/// Builds candidate paths for `leaf` and returns the first that validates (a path replayed
/// from the memo left uncopied), or the most relevant failure; signature checks are spent
/// from `budget`.
pub(crate) fn build_and_validate(
    v: &PathValidator,
    opts: &ValidationOptions,
    leaf: &[u8],
    extra: &[&[u8]],
    revocation: Option<&dyn RevocationCheck>,
    budget: &mut Budget,
) -> Result<Found, PathError> {
    let ctx: &Context = &v.ctx;
    let leaf_shared = match ctx.cert(leaf) {
        Ok(c) => c,
        Err(e) => {
            return Err(PathError::Malformed {
                index: 0,
                reason: e.to_string(),
            });
        }
    };
    let leaf_cert = leaf_shared.cert();
    // The leaf is itself a trust anchor: nothing to build.
    if v.anchors.iter().any(|a| a.as_slice() == leaf) {
        return validate_path(opts, &[], leaf_cert, revocation, budget).map(Found::Fresh);
    }
    if let Some(memo) = ctx.paths() {
        let mut candidates = v
            .intermediates
            .iter()
            .map(Vec::as_slice)
            .chain(extra.iter().copied());
        let found = memo.replay(
            opts,
            leaf_cert,
            &v.anchors,
            &mut candidates,
            revocation,
            budget,
        );
        if let Some(found) = found {
            return Ok(found);
        }
    }
    let fetched: Vec<Vec<u8>> = match &v.ca_issuers {
        Some(fetcher) => {
            let known: Vec<&[u8]> = v
                .anchors
                .iter()
                .chain(v.intermediates.iter())
                .map(Vec::as_slice)
                .chain(extra.iter().copied())
                .collect();
            super::aia::chase(ctx, fetcher, leaf, &known, opts.max_depth)
        }
        None => Vec::new(),
    };
    // The pool: anchors, then intermediates, the caller's and fetched certificates, each
    // encoding once and parsed once (shared parses; unreadable ones are left out).
    let mut seen: Vec<&[u8]> = vec![leaf];
    let mut parsed = Vec::new();
    let others = v
        .intermediates
        .iter()
        .map(Vec::as_slice)
        .chain(extra.iter().copied())
        .chain(fetched.iter().map(Vec::as_slice));
    for (c, anchor) in v
        .anchors
        .iter()
        .map(|a| (a.as_slice(), true))
        .chain(others.map(|c| (c, false)))
    {
        // Anchors are all taken (an anchor repeated among the others is seen already).
        if !anchor && seen.contains(&c) {
            continue;
        }
        if let Ok(cert) = ctx.cert(c) {
            seen.push(c);
            parsed.push((cert, anchor));
        }
    }
    let mut pool = vec![Node {
        cert: leaf_cert,
        anchor: false,
    }];
    pool.extend(parsed.iter().map(|(c, anchor)| Node {
        cert: c.cert(),
        anchor: *anchor,
    }));
    let mut search = Ctx {
        opts,
        revocation,
        pool,
        issuers: HashMap::new(),
        sig_cache: HashMap::new(),
        ctx,
        budget,
        best: None,
        exhausted: false,
    };
    let mut path = vec![0];
    if let Some(p) = search.dfs(&mut path) {
        return Ok(Found::Fresh(p));
    }
    Err(search.best.take().unwrap_or_else(|| PathError::NoChain {
        reason: format!(
            "no issuer of \"{}\" leads to a trust anchor",
            search.pool[0].cert.issuer_string()
        ),
    }))
}
