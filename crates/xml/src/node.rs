//! Element handles and the few navigation helpers the signature readers need.

use uppsala::{NodeId, NodeKind};

use crate::{Document, XmlError};

/// A handle to an element of a [`Document`] (valid for that document only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Node(pub(crate) NodeId);

impl<'a> Document<'a> {
    /// The document element.
    pub fn document_element(&self) -> Result<Node, XmlError> {
        self.root_element().map(Node)
    }

    /// The first element (in document order) named `{namespace}local`.
    pub fn first_element(&self, namespace: &str, local: &str) -> Option<Node> {
        self.doc
            .descendants(self.doc.root())
            .into_iter()
            .find(|&n| self.is(Node(n), namespace, local))
            .map(Node)
    }

    /// Every element (in document order) named `{namespace}local`.
    pub fn elements(&self, namespace: &str, local: &str) -> Vec<Node> {
        self.doc
            .descendants(self.doc.root())
            .into_iter()
            .filter(|&n| self.is(Node(n), namespace, local))
            .map(Node)
            .collect()
    }

    /// The element whose `Id`/`ID`/`id` attribute is `id`; refused when the value is
    /// carried by more than one element ([`XmlError::DuplicateId`]).
    pub fn element_with_id(&self, id: &str) -> Result<Node, XmlError> {
        self.element_by_id(id).map(Node)
    }

    /// The byte range of `node` in the parsed input (the bytes given to
    /// [`Document::parse`], a UTF-8 byte-order mark included): from its start tag's `<` to
    /// the `>` of its end tag. Writers use it to insert after or inside an element while
    /// keeping every other input byte in place.
    pub fn byte_range(&self, node: Node) -> Option<std::ops::Range<usize>> {
        let r = self.doc.node_range(node.0)?;
        let base = self.bom_len;
        Some(r.start + base..r.end + base)
    }

    /// The byte offset (in the parsed input) of the `<` of `node`'s end tag, where content
    /// appended as its last child goes; `None` for an empty-element tag (`<e/>`).
    pub fn end_tag_start(&self, node: Node) -> Option<usize> {
        let r = self.byte_range(node)?;
        let raw = self
            .text
            .as_bytes()
            .get(r.start - self.bom_len..r.end - self.bom_len)?;
        if raw.ends_with(b"/>") {
            return None;
        }
        let pos = raw.iter().rposition(|&b| b == b'<')?;
        (raw.get(pos + 1) == Some(&b'/')).then_some(r.start + pos)
    }

    /// Whether `node` is the element `{namespace}local`.
    pub fn is(&self, node: Node, namespace: &str, local: &str) -> bool {
        match self.doc.node_kind(node.0) {
            Some(NodeKind::Element(e)) => {
                e.name.namespace_uri.as_deref() == Some(namespace) && e.name.local_name == local
            }
            _ => false,
        }
    }

    /// The local name of an element (empty for a node that is not an element).
    pub fn local_name(&self, node: Node) -> &str {
        match self.doc.node_kind(node.0) {
            Some(NodeKind::Element(e)) => &e.name.local_name,
            _ => "",
        }
    }

    /// The namespace URI of an element.
    pub fn namespace(&self, node: Node) -> Option<&str> {
        match self.doc.node_kind(node.0) {
            Some(NodeKind::Element(e)) => e.name.namespace_uri.as_deref(),
            _ => None,
        }
    }

    /// The value of the unqualified attribute `name` of `node`.
    pub fn attribute(&self, node: Node, name: &str) -> Option<&str> {
        match self.doc.node_kind(node.0) {
            Some(NodeKind::Element(e)) => e
                .attributes
                .iter()
                .find(|a| a.name.namespace_uri.is_none() && a.name.local_name == name)
                .map(|a| &*a.value),
            _ => None,
        }
    }

    /// The element children of `node`, in order.
    pub fn child_elements(&self, node: Node) -> Vec<Node> {
        self.doc
            .children_iter(node.0)
            .filter(|&c| matches!(self.doc.node_kind(c), Some(NodeKind::Element(_))))
            .map(Node)
            .collect()
    }

    /// The element children of `node` named `{namespace}local`.
    pub fn children_named(&self, node: Node, namespace: &str, local: &str) -> Vec<Node> {
        self.child_elements(node)
            .into_iter()
            .filter(|&c| self.is(c, namespace, local))
            .collect()
    }

    /// The first element child of `node` named `{namespace}local`.
    pub fn child(&self, node: Node, namespace: &str, local: &str) -> Option<Node> {
        self.doc
            .children_iter(node.0)
            .map(Node)
            .find(|&c| self.is(c, namespace, local))
    }

    /// The concatenated text (and CDATA) of `node` and its descendants.
    pub fn text_content(&self, node: Node) -> String {
        let mut s = String::new();
        for n in self.doc.descendants(node.0) {
            match self.doc.node_kind(n) {
                Some(NodeKind::Text(t)) | Some(NodeKind::CData(t)) => s.push_str(t),
                _ => {}
            }
        }
        s
    }

    /// The parent element of `node`, if any.
    pub fn parent_element(&self, node: Node) -> Option<Node> {
        self.doc
            .parent(node.0)
            .filter(|&p| matches!(self.doc.node_kind(p), Some(NodeKind::Element(_))))
            .map(Node)
    }

    /// The namespace `prefix` is bound to at `node` (declared there or on an ancestor).
    pub fn lookup_namespace(&self, node: Node, prefix: &str) -> Option<&str> {
        let mut cur = Some(node.0);
        while let Some(c) = cur {
            if let Some(NodeKind::Element(e)) = self.doc.node_kind(c)
                && let Some((_, uri)) = e.namespace_declarations.iter().find(|(p, _)| p == prefix)
            {
                return Some(uri);
            }
            cur = self.doc.parent(c);
        }
        None
    }

    /// Whether `inner` is `outer` or lies inside it.
    pub fn is_inside(&self, inner: Node, outer: Node) -> bool {
        let mut cur = Some(inner.0);
        while let Some(c) = cur {
            if c == outer.0 {
                return true;
            }
            cur = self.doc.parent(c);
        }
        false
    }
}

/// Decodes base64 text as XML carries it (line breaks and other whitespace ignored).
pub(crate) fn decode_base64(text: &str, what: &'static str) -> Result<Vec<u8>, XmlError> {
    use base64::Engine;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| XmlError::Base64(what))
}

#[cfg(test)]
mod tests {
    use crate::{DSIG_NS, Document, Limits};

    #[test]
    fn byte_ranges_are_offsets_into_the_input_bom_included() {
        let input = "\u{feff}<r><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><x/></ds:Signature  ><e/></r >";
        let doc = Document::parse(input.as_bytes(), &Limits::default()).unwrap();
        let sig = doc.first_element(DSIG_NS, "Signature").unwrap();
        let r = doc.byte_range(sig).unwrap();
        assert!(input.as_bytes()[r.clone()].starts_with(b"<ds:Signature "));
        assert!(input.as_bytes()[r.clone()].ends_with(b"</ds:Signature  >"));
        let end = doc.end_tag_start(sig).unwrap();
        assert_eq!(&input.as_bytes()[end..r.end], b"</ds:Signature  >");
        let root = doc.document_element().unwrap();
        let end = doc.end_tag_start(root).unwrap();
        assert_eq!(&input.as_bytes()[end..], b"</r >");
        let e = doc.child_elements(root)[1];
        assert_eq!(doc.end_tag_start(e), None);
    }
}
