//! Parsing with budgets: DOCTYPE refused, depth, size and node counts bounded, UTF-8 only.

use std::borrow::Cow;
use std::collections::HashMap;

use uppsala::{NodeId, NodeKind};

use crate::XmlError;

/// The hard cap on nesting, whatever [`Limits::max_depth`] says.
const MAX_DEPTH_CAP: u32 = 1024;

/// The budgets a parse runs under; every hostile document is refused within them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest input accepted, in bytes (default 512 MiB).
    pub max_bytes: usize,
    /// Deepest element nesting accepted (default 256; values above 1024 act as 1024, so
    /// that no caller can ask for a depth the stack cannot hold).
    pub max_depth: u32,
    /// Most nodes (elements, texts, comments, processing instructions) accepted
    /// (default 20 million).
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 512 << 20,
            max_depth: 256,
            max_nodes: 20_000_000,
        }
    }
}

impl Limits {
    /// The default budgets.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the largest input accepted, in bytes.
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }
    /// Sets the deepest element nesting accepted.
    pub fn with_max_depth(mut self, max_depth: u32) -> Self {
        self.max_depth = max_depth;
        self
    }
    /// Sets the most nodes accepted.
    pub fn with_max_nodes(mut self, max_nodes: usize) -> Self {
        self.max_nodes = max_nodes;
        self
    }
}

/// A parsed XML document borrowing its input, with its ID table.
///
/// The ID table holds every value of an unqualified `Id`, `ID` or `id` attribute (the
/// attribute names XMLDSig and XAdES documents use) and the element carrying it; a value
/// carried twice is remembered as ambiguous, and a reference to it is refused
/// ([`XmlError::DuplicateId`]) so that a wrapped copy can never be picked instead of the
/// original.
pub struct Document<'a> {
    pub(crate) doc: uppsala::Document<'a>,
    ids: HashMap<Cow<'a, str>, Option<NodeId>>,
    pub(crate) text: &'a str,
    /// Length of a leading UTF-8 byte-order mark left out of `text` (0 or 3).
    pub(crate) bom_len: usize,
}

impl std::fmt::Debug for Document<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("bytes", &self.text.len())
            .field("ids", &self.ids.len())
            .finish()
    }
}

/// Returns true when `input` looks like an XML document (after an optional BOM and
/// whitespace it starts with `<?xml` or `<` followed by a name character).
pub fn looks_like_xml(input: &[u8]) -> bool {
    let s = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let s = &s[start..];
    s.starts_with(b"<?xml")
        || (s.first() == Some(&b'<')
            && s.get(1)
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_' || *b == b'!'))
}

/// Checks the byte-order mark and the declared encoding and returns the UTF-8 text
/// (without a UTF-8 BOM).
fn decode(input: &[u8]) -> Result<&str, XmlError> {
    if input.starts_with(&[0xFF, 0xFE])
        || input.starts_with(&[0xFE, 0xFF])
        || input.starts_with(&[0, b'<'])
        || input.starts_with(&[b'<', 0])
    {
        return Err(XmlError::UnsupportedEncoding("UTF-16".into()));
    }
    let body = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    if let Some(decl) = body.strip_prefix(b"<?xml") {
        let end = memfind(decl, b"?>").unwrap_or(decl.len().min(200));
        let decl = &decl[..end];
        if let Some(pos) = memfind(decl, b"encoding") {
            let rest = &decl[pos + 8..];
            let rest: Vec<u8> = rest
                .iter()
                .copied()
                .skip_while(|b| b.is_ascii_whitespace() || *b == b'=')
                .collect();
            if let Some((&q, tail)) = rest.split_first()
                && (q == b'"' || q == b'\'')
            {
                let name: Vec<u8> = tail.iter().copied().take_while(|b| *b != q).collect();
                let name = String::from_utf8_lossy(&name).into_owned();
                let lower = name.to_ascii_lowercase();
                if !matches!(lower.as_str(), "utf-8" | "utf8" | "us-ascii" | "ascii") {
                    return Err(XmlError::UnsupportedEncoding(name));
                }
            }
        }
    }
    std::str::from_utf8(body)
        .map_err(|e| XmlError::NotUtf8(e.valid_up_to() + (input.len() - body.len())))
}

fn memfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn map_error(e: uppsala::XmlError, limits: &Limits) -> XmlError {
    let text = e.to_string();
    if text.contains("DOCTYPE") {
        XmlError::Doctype
    } else if text.contains("maximum depth") {
        XmlError::TooDeep(limits.max_depth.min(MAX_DEPTH_CAP))
    } else {
        XmlError::Malformed(text)
    }
}

/// Every node of a freshly parsed document but the document node, in document order:
/// its arena holds exactly its nodes, the document node at index 0 and then each node as
/// the parser met it. A linear scan, without the list of all nodes `descendants` builds.
fn arena_nodes<'d, 'a>(
    doc: &'d uppsala::Document<'a>,
) -> impl Iterator<Item = (NodeId, &'d NodeKind<'a>)> + 'd {
    (1..).map_while(move |i| {
        let id = NodeId::new(i);
        doc.node_kind(id).map(|k| (id, k))
    })
}

impl<'a> Document<'a> {
    /// Parses `input` under `limits`. DOCTYPE declarations (and with them every entity
    /// declaration) are refused, only UTF-8 is read.
    pub fn parse(input: &'a [u8], limits: &Limits) -> Result<Self, XmlError> {
        if input.len() > limits.max_bytes {
            return Err(XmlError::TooLarge {
                size: input.len(),
                limit: limits.max_bytes,
            });
        }
        let text = decode(input)?;
        let doc = uppsala::Parser::new()
            .with_forbid_dtd(true)
            .with_max_depth(limits.max_depth.min(MAX_DEPTH_CAP))
            .with_max_entity_expansion(0)
            .parse(text)
            .map_err(|e| map_error(e, limits))?;
        let mut ids: HashMap<Cow<'a, str>, Option<NodeId>> = HashMap::new();
        let mut count = 0usize;
        for (n, kind) in arena_nodes(&doc) {
            count += 1;
            if count > limits.max_nodes {
                return Err(XmlError::TooManyNodes(limits.max_nodes));
            }
            let NodeKind::Element(el) = kind else {
                continue;
            };
            for a in &el.attributes {
                if a.name.namespace_uri.is_none()
                    && matches!(&*a.name.local_name, "Id" | "ID" | "id")
                {
                    ids.entry(a.value.clone())
                        .and_modify(|e| {
                            if *e != Some(n) {
                                *e = None;
                            }
                        })
                        .or_insert(Some(n));
                }
            }
        }
        let bom_len = input.len() - text.len();
        Ok(Document {
            doc,
            ids,
            text,
            bom_len,
        })
    }

    /// The element carrying the ID `id`, refusing a value carried more than once.
    pub(crate) fn element_by_id(&self, id: &str) -> Result<NodeId, XmlError> {
        match self.ids.get(id) {
            Some(Some(n)) => Ok(*n),
            Some(None) => Err(XmlError::DuplicateId(id.to_string())),
            None => Err(XmlError::UnknownId(id.to_string())),
        }
    }

    /// The document element.
    pub(crate) fn root_element(&self) -> Result<NodeId, XmlError> {
        self.doc
            .document_element()
            .ok_or(XmlError::Missing("document"))
    }

    /// Every node but the document node, in document order (the parsed tree is never
    /// changed, so its arena is still in document order).
    pub(crate) fn nodes(&self) -> impl Iterator<Item = (NodeId, &NodeKind<'a>)> + '_ {
        arena_nodes(&self.doc)
    }

    /// The underlying input text.
    pub fn text(&self) -> &'a str {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::{Document, Limits};

    #[test]
    fn the_arena_scan_is_the_tree_in_document_order() {
        let input = "<?xml version='1.0'?><!--a--><?pi x?><r xmlns='urn:r'><a Id='1'>t<b/><![CDATA[c]]>&amp;<!--d--></a>\n<c id='2'><?q?></c></r><!--e-->";
        let doc = Document::parse(input.as_bytes(), &Limits::default()).unwrap();
        let scanned: Vec<_> = doc.nodes().map(|(n, _)| n).collect();
        assert_eq!(scanned, doc.doc.descendants(doc.doc.root()));
        assert!(scanned.len() > 10);
        assert!(doc.element_by_id("1").is_ok() && doc.element_by_id("2").is_ok());
    }
}
