//! RFC 5280 §6.1 certificate-policy processing: the valid_policy_tree.

use const_oid::ObjectIdentifier as Oid;

/// anyPolicy (2.5.29.32.0).
pub const ANY_POLICY: Oid = Oid::new_unwrap("2.5.29.32.0");

/// Upper bound on tree nodes (policy-mapping explosions in hostile inputs).
const MAX_NODES: usize = 10_000;

#[derive(Debug, Clone)]
struct Node {
    depth: usize,
    policy: Oid,
    expected: Vec<Oid>,
    parent: Option<usize>,
    live: bool,
}

/// The valid_policy_tree plus the state variables of §6.1.2.
#[derive(Debug, Clone)]
pub(crate) struct PolicyState {
    nodes: Vec<Node>,
    null: bool,
    pub(crate) explicit_policy: usize,
    pub(crate) policy_mapping: usize,
    pub(crate) inhibit_any: usize,
}

/// Policy information read from one certificate.
#[derive(Debug, Default, Clone)]
pub(crate) struct CertPolicies {
    /// certificatePolicies OIDs (None when the extension is absent).
    pub(crate) policies: Option<Vec<Oid>>,
    /// policyMappings (issuerDomain, subjectDomain).
    pub(crate) mappings: Vec<(Oid, Oid)>,
    /// policyConstraints requireExplicitPolicy.
    pub(crate) require_explicit: Option<u32>,
    /// policyConstraints inhibitPolicyMapping.
    pub(crate) inhibit_mapping: Option<u32>,
    /// inhibitAnyPolicy.
    pub(crate) inhibit_any: Option<u32>,
}

impl PolicyState {
    /// Initial state for a path of `n` certificates.
    pub(crate) fn new(n: usize, explicit: bool, inhibit_mapping: bool, inhibit_any: bool) -> Self {
        let init = |flag: bool| if flag { 0 } else { n + 1 };
        Self {
            nodes: vec![Node {
                depth: 0,
                policy: ANY_POLICY,
                expected: vec![ANY_POLICY],
                parent: None,
                live: true,
            }],
            null: false,
            explicit_policy: init(explicit),
            policy_mapping: init(inhibit_mapping),
            inhibit_any: init(inhibit_any),
        }
    }

    fn at(&self, depth: usize) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].live && self.nodes[i].depth == depth)
            .collect()
    }

    fn push(&mut self, node: Node) -> Result<(), String> {
        if self.nodes.len() >= MAX_NODES {
            return Err("policy tree too large".into());
        }
        self.nodes.push(node);
        Ok(())
    }

    fn prune(&mut self, below: usize) {
        for d in (0..below).rev() {
            for i in self.at(d) {
                let has_child = self.nodes.iter().any(|c| c.live && c.parent == Some(i));
                if !has_child {
                    self.nodes[i].live = false;
                }
            }
        }
        if self.at(0).is_empty() {
            self.null = true;
        }
    }

    /// Steps (d)–(f) for certificate `i` (1-based) of `n`.
    pub(crate) fn process(
        &mut self,
        i: usize,
        n: usize,
        self_issued: bool,
        cp: &CertPolicies,
    ) -> Result<(), String> {
        match &cp.policies {
            Some(pols) if !self.null => {
                let parents = self.at(i - 1);
                for p in pols.iter().filter(|p| **p != ANY_POLICY) {
                    let mut matched = false;
                    for &par in &parents {
                        if self.nodes[par].expected.contains(p) {
                            matched = true;
                            self.push(Node {
                                depth: i,
                                policy: *p,
                                expected: vec![*p],
                                parent: Some(par),
                                live: true,
                            })?;
                        }
                    }
                    if !matched {
                        for &par in &parents {
                            if self.nodes[par].policy == ANY_POLICY {
                                self.push(Node {
                                    depth: i,
                                    policy: *p,
                                    expected: vec![*p],
                                    parent: Some(par),
                                    live: true,
                                })?;
                            }
                        }
                    }
                }
                if pols.contains(&ANY_POLICY) && (self.inhibit_any > 0 || (i < n && self_issued)) {
                    for &par in &parents {
                        for e in self.nodes[par].expected.clone() {
                            let exists = self
                                .nodes
                                .iter()
                                .any(|c| c.live && c.parent == Some(par) && c.policy == e);
                            if !exists {
                                self.push(Node {
                                    depth: i,
                                    policy: e,
                                    expected: vec![e],
                                    parent: Some(par),
                                    live: true,
                                })?;
                            }
                        }
                    }
                }
                self.prune(i);
            }
            Some(_) => {}
            None => self.null = true,
        }
        if self.explicit_policy == 0 && self.null {
            return Err("no valid policy (explicit policy required)".into());
        }
        Ok(())
    }

    /// Preparation for the next certificate (§6.1.4 (a), (b), (h)–(j)).
    pub(crate) fn prepare(
        &mut self,
        i: usize,
        self_issued: bool,
        cp: &CertPolicies,
    ) -> Result<(), String> {
        for (a, b) in &cp.mappings {
            if *a == ANY_POLICY || *b == ANY_POLICY {
                return Err("policy mapping to or from anyPolicy".into());
            }
        }
        if !self.null && !cp.mappings.is_empty() {
            let mut issuer_pols: Vec<Oid> = cp.mappings.iter().map(|m| m.0).collect();
            issuer_pols.dedup();
            for idp in issuer_pols {
                let sdps: Vec<Oid> = cp
                    .mappings
                    .iter()
                    .filter(|m| m.0 == idp)
                    .map(|m| m.1)
                    .collect();
                let nodes = self.at(i);
                if self.policy_mapping > 0 {
                    let mut found = false;
                    for &k in &nodes {
                        if self.nodes[k].policy == idp {
                            self.nodes[k].expected = sdps.clone();
                            found = true;
                        }
                    }
                    if !found
                        && let Some(&any) =
                            nodes.iter().find(|&&k| self.nodes[k].policy == ANY_POLICY)
                    {
                        let parent = self.nodes[any].parent;
                        self.push(Node {
                            depth: i,
                            policy: idp,
                            expected: sdps.clone(),
                            parent,
                            live: true,
                        })?;
                    }
                } else {
                    for &k in &nodes {
                        if self.nodes[k].policy == idp {
                            self.nodes[k].live = false;
                        }
                    }
                    self.prune(i);
                    if self.at(i).is_empty() {
                        self.null = true;
                    }
                }
            }
        }
        if !self_issued {
            self.explicit_policy = self.explicit_policy.saturating_sub(1);
            self.policy_mapping = self.policy_mapping.saturating_sub(1);
            self.inhibit_any = self.inhibit_any.saturating_sub(1);
        }
        if let Some(r) = cp.require_explicit {
            self.explicit_policy = self.explicit_policy.min(r as usize);
        }
        if let Some(r) = cp.inhibit_mapping {
            self.policy_mapping = self.policy_mapping.min(r as usize);
        }
        if let Some(r) = cp.inhibit_any {
            self.inhibit_any = self.inhibit_any.min(r as usize);
        }
        Ok(())
    }

    /// Wrap-up (§6.1.5 (a), (b), (g)); returns the authorities-constrained policies of
    /// the leaf intersected with `initial` (`None` = any-policy).
    pub(crate) fn finish(
        &mut self,
        n: usize,
        leaf: &CertPolicies,
        initial: Option<&[Oid]>,
    ) -> Result<Vec<Oid>, String> {
        self.explicit_policy = self.explicit_policy.saturating_sub(1);
        if leaf.require_explicit == Some(0) {
            self.explicit_policy = 0;
        }
        if !self.null
            && let Some(init) = initial.filter(|s| !s.contains(&ANY_POLICY))
        {
            // valid_policy_node_set: nodes whose parent is an anyPolicy node.
            let set: Vec<usize> = (0..self.nodes.len())
                .filter(|&k| {
                    let nd = &self.nodes[k];
                    nd.live
                        && nd.depth > 0
                        && nd
                            .parent
                            .is_some_and(|p| self.nodes[p].policy == ANY_POLICY)
                })
                .collect();
            for &k in &set {
                let p = self.nodes[k].policy;
                if p != ANY_POLICY && !init.contains(&p) {
                    self.kill_subtree(k);
                }
            }
            let leaf_any: Vec<usize> = self
                .at(n)
                .into_iter()
                .filter(|&k| self.nodes[k].policy == ANY_POLICY)
                .collect();
            for k in leaf_any {
                let parent = self.nodes[k].parent;
                for p in init {
                    let exists = set
                        .iter()
                        .any(|&s| self.nodes[s].live && self.nodes[s].policy == *p);
                    if !exists {
                        self.push(Node {
                            depth: n,
                            policy: *p,
                            expected: vec![*p],
                            parent,
                            live: true,
                        })?;
                    }
                }
                self.nodes[k].live = false;
            }
            self.prune(n);
        }
        let leaves: Vec<Oid> = if self.null {
            Vec::new()
        } else {
            self.at(n)
                .into_iter()
                .map(|k| self.nodes[k].policy)
                .collect()
        };
        if self.explicit_policy == 0 && leaves.is_empty() {
            return Err("no valid set of policies for the end-entity certificate".into());
        }
        Ok(leaves)
    }

    fn kill_subtree(&mut self, k: usize) {
        self.nodes[k].live = false;
        let kids: Vec<usize> = (0..self.nodes.len())
            .filter(|&c| self.nodes[c].live && self.nodes[c].parent == Some(k))
            .collect();
        for c in kids {
            self.kill_subtree(c);
        }
    }
}
