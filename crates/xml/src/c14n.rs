//! Canonical XML 1.0, 1.1 and Exclusive 1.0, with and without comments, over a whole
//! document or a subtree, optionally leaving one subtree out (the enveloped-signature
//! transform). Rendering is bergshamra-c14n's; this module chooses the node-set.

use bergshamra_c14n::{C14nMode, C14nSink};
use bergshamra_xml::NodeSet;
use bergshamra_xml::nodeset::{NodeIdSet, NodeSetType};
use uppsala::{NodeId, NodeKind};

use crate::{Document, Node, XmlError};

/// A canonicalisation algorithm, as named by its XMLDSig URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum C14nMethod {
    /// Canonical XML 1.0 (`http://www.w3.org/TR/2001/REC-xml-c14n-20010315`).
    Inclusive10,
    /// Canonical XML 1.0 with comments.
    Inclusive10WithComments,
    /// Canonical XML 1.1 (`http://www.w3.org/2006/12/xml-c14n11`).
    Inclusive11,
    /// Canonical XML 1.1 with comments.
    Inclusive11WithComments,
    /// Exclusive XML Canonicalization 1.0 (`http://www.w3.org/2001/10/xml-exc-c14n#`).
    Exclusive,
    /// Exclusive XML Canonicalization 1.0 with comments.
    ExclusiveWithComments,
}

impl C14nMethod {
    /// The method an algorithm URI names, if it names one.
    pub fn from_uri(uri: &str) -> Option<Self> {
        Some(match uri {
            "http://www.w3.org/TR/2001/REC-xml-c14n-20010315" => Self::Inclusive10,
            "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments" => {
                Self::Inclusive10WithComments
            }
            "http://www.w3.org/2006/12/xml-c14n11" => Self::Inclusive11,
            "http://www.w3.org/2006/12/xml-c14n11#WithComments" => Self::Inclusive11WithComments,
            "http://www.w3.org/2001/10/xml-exc-c14n#" => Self::Exclusive,
            "http://www.w3.org/2001/10/xml-exc-c14n#WithComments" => Self::ExclusiveWithComments,
            _ => return None,
        })
    }

    /// The method's URI.
    pub fn uri(self) -> &'static str {
        match self {
            Self::Inclusive10 => "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
            Self::Inclusive10WithComments => {
                "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
            }
            Self::Inclusive11 => "http://www.w3.org/2006/12/xml-c14n11",
            Self::Inclusive11WithComments => "http://www.w3.org/2006/12/xml-c14n11#WithComments",
            Self::Exclusive => "http://www.w3.org/2001/10/xml-exc-c14n#",
            Self::ExclusiveWithComments => "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
        }
    }

    /// Whether comments are kept.
    pub fn with_comments(self) -> bool {
        matches!(
            self,
            Self::Inclusive10WithComments
                | Self::Inclusive11WithComments
                | Self::ExclusiveWithComments
        )
    }

    /// Whether this is exclusive canonicalisation (which takes an InclusiveNamespaces PrefixList).
    pub fn is_exclusive(self) -> bool {
        matches!(self, Self::Exclusive | Self::ExclusiveWithComments)
    }

    fn mode(self) -> C14nMode {
        match self {
            Self::Inclusive10 => C14nMode::Inclusive,
            Self::Inclusive10WithComments => C14nMode::InclusiveWithComments,
            Self::Inclusive11 => C14nMode::Inclusive11,
            Self::Inclusive11WithComments => C14nMode::Inclusive11WithComments,
            Self::Exclusive => C14nMode::Exclusive,
            Self::ExclusiveWithComments => C14nMode::ExclusiveWithComments,
        }
    }
}

/// What to canonicalise: the node-set of a subtree (or the whole document), less an
/// optional subtree (the enveloped signature).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct C14nOptions {
    /// The subtree's root element; `None` is the whole document.
    pub subtree: Option<Node>,
    /// Subtrees left out (the enveloped-signature transform removes the `Signature`).
    pub exclude: Vec<Node>,
    /// The InclusiveNamespaces PrefixList of exclusive canonicalisation (`#default` is the
    /// default namespace); ignored by the inclusive methods.
    pub inclusive_prefixes: Vec<String>,
}

impl C14nOptions {
    /// The whole document, nothing left out, no prefix list.
    pub fn new() -> Self {
        Self::default()
    }
    /// Canonicalise only the subtree rooted at `node`.
    pub fn subtree(mut self, node: Node) -> Self {
        self.subtree = Some(node);
        self
    }
    /// Leave the subtree rooted at `node` out.
    pub fn exclude(mut self, node: Node) -> Self {
        self.exclude.push(node);
        self
    }
    /// Sets the InclusiveNamespaces PrefixList.
    pub fn inclusive_prefixes(mut self, prefixes: Vec<String>) -> Self {
        self.inclusive_prefixes = prefixes;
        self
    }
}

/// A sink that forwards bergshamra's output to a `std::io::Write`, keeping the first error.
struct WriteSink<'w> {
    out: &'w mut dyn std::io::Write,
    error: Option<std::io::Error>,
}

impl C14nSink for WriteSink<'_> {
    fn write(&mut self, bytes: &[u8]) {
        if self.error.is_none()
            && let Err(e) = self.out.write_all(bytes)
        {
            self.error = Some(e);
        }
    }
}

impl Document<'_> {
    /// Canonicalises the node-set `options` describes with `method` and returns the octets.
    pub fn canonicalize(
        &self,
        method: C14nMethod,
        options: &C14nOptions,
    ) -> Result<Vec<u8>, XmlError> {
        let mut out = Vec::new();
        self.canonicalize_to(method, options, &mut out)?;
        Ok(out)
    }

    /// Canonicalises the node-set `options` describes with `method` into `out`.
    pub fn canonicalize_to(
        &self,
        method: C14nMethod,
        options: &C14nOptions,
        out: &mut dyn std::io::Write,
    ) -> Result<(), XmlError> {
        let set = self.node_set(method.with_comments(), options)?;
        let prefixes: &[String] = if method.is_exclusive() {
            &options.inclusive_prefixes
        } else {
            &[]
        };
        let mut sink = WriteSink { out, error: None };
        bergshamra_c14n::canonicalize_doc_to(
            &self.doc,
            method.mode(),
            set.as_ref(),
            prefixes,
            &mut sink,
        )
        .map_err(|e| XmlError::Canonicalization(e.to_string()))?;
        match sink.error {
            Some(e) => Err(XmlError::Write(e.to_string())),
            None => Ok(()),
        }
    }

    /// The node-set: built iteratively (no recursion on document depth).
    fn node_set(
        &self,
        with_comments: bool,
        options: &C14nOptions,
    ) -> Result<Option<NodeSet>, XmlError> {
        let doc = &self.doc;
        let excluded: NodeIdSet = options
            .exclude
            .iter()
            .flat_map(|&Node(x)| std::iter::once(x).chain(doc.descendants(x)))
            .map(|n| n.index())
            .collect();
        match options.subtree {
            None => {
                if excluded.is_empty() {
                    // The whole document: the renderer drops comments itself when the
                    // method is without comments (no per-node set look-ups).
                    return Ok(None);
                }
                let mut ids = excluded;
                if !with_comments {
                    for (n, kind) in self.nodes() {
                        if matches!(kind, NodeKind::Comment(_)) {
                            ids.insert(n.index());
                        }
                    }
                }
                Ok(Some(NodeSet::from_ids(ids, NodeSetType::Invert)))
            }
            Some(Node(root)) => {
                if !matches!(doc.node_kind(root), Some(NodeKind::Element(_))) {
                    return Err(XmlError::Canonicalization(
                        "the subtree root is not an element".into(),
                    ));
                }
                let mut ids = NodeIdSet::default();
                let mut push = |n: NodeId| {
                    let comment = matches!(doc.node_kind(n), Some(NodeKind::Comment(_)));
                    if (with_comments || !comment) && !excluded.contains(&n.index()) {
                        ids.insert(n.index());
                    }
                };
                push(root);
                for n in doc.descendants(root) {
                    push(n);
                }
                Ok(Some(NodeSet::from_ids(ids, NodeSetType::Normal)))
            }
        }
    }
}
