//! The XMLDSig structure: `Signature`, `SignedInfo`, `Reference`s, `SignatureValue`,
//! `KeyInfo/X509Data`, and `Manifest` references.

use crate::node::decode_base64;
use crate::{C14nMethod, Document, Node, XmlError};

/// The XMLDSig namespace.
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// The XMLDSig 1.1 namespace.
pub const DSIG11_NS: &str = "http://www.w3.org/2009/xmldsig11#";
/// The `Type` of a reference to a `Manifest`.
pub const MANIFEST_TYPE: &str = "http://www.w3.org/2000/09/xmldsig#Manifest";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const BASE64: &str = "http://www.w3.org/2000/09/xmldsig#base64";
/// Most references read from one SignedInfo or Manifest (each may canonicalise the whole
/// document: the bound keeps a crafted signature's cost linear in the document).
pub const MAX_REFERENCES: usize = 1000;
const XPATH: &str = "http://www.w3.org/TR/1999/REC-xpath-19991116";

/// One transform of a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transform {
    /// The enveloped-signature transform: the signature containing the reference is left out.
    Enveloped,
    /// A canonicalisation, with its InclusiveNamespaces PrefixList (exclusive only).
    C14n {
        /// The method.
        method: C14nMethod,
        /// The PrefixList (empty when absent).
        prefixes: Vec<String>,
    },
    /// The base64 decoding transform.
    Base64,
    /// The XPath transform with the one expression signatures use instead of the
    /// enveloped transform, `not(ancestor-or-self::ds:Signature)` (its prefix bound to the
    /// XMLDSig namespace): every `ds:Signature` is left out.
    ExcludeSignatures,
    /// Any other transform (XPath, XPath Filter 2.0, XSLT): not implemented, refused when used.
    Other(String),
}

/// A `Reference` of `SignedInfo` or of a `Manifest`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reference {
    /// The `Id` attribute.
    pub id: Option<String>,
    /// The `URI` attribute (`None` when absent: the application supplies the data).
    pub uri: Option<String>,
    /// The `Type` attribute.
    pub type_uri: Option<String>,
    /// The transforms in order.
    pub transforms: Vec<Transform>,
    /// The DigestMethod algorithm URI.
    pub digest_method: String,
    /// The DigestValue octets.
    pub digest_value: Vec<u8>,
}

/// A `ds:Signature` element read into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Signature {
    /// The `Signature` element.
    pub node: Node,
    /// Its `Id` attribute.
    pub id: Option<String>,
    /// The `SignedInfo` element.
    pub signed_info: Node,
    /// SignedInfo's CanonicalizationMethod.
    pub c14n: C14nMethod,
    /// The CanonicalizationMethod's InclusiveNamespaces PrefixList.
    pub c14n_prefixes: Vec<String>,
    /// The SignatureMethod algorithm URI.
    pub signature_method: String,
    /// The references of SignedInfo.
    pub references: Vec<Reference>,
    /// The `SignatureValue` element.
    pub signature_value_node: Node,
    /// The SignatureValue octets (for ECDSA: r‖s, not DER).
    pub signature_value: Vec<u8>,
    /// The `KeyInfo` element, if any.
    pub key_info: Option<Node>,
    /// The certificates of `KeyInfo/X509Data/X509Certificate`, DER.
    pub certificates: Vec<Vec<u8>>,
}

fn required(doc: &Document<'_>, parent: Node, local: &'static str) -> Result<Node, XmlError> {
    doc.child(parent, DSIG_NS, local)
        .ok_or(XmlError::Missing(local))
}

fn algorithm(doc: &Document<'_>, node: Node, element: &'static str) -> Result<String, XmlError> {
    doc.attribute(node, "Algorithm")
        .map(str::to_string)
        .ok_or(XmlError::Invalid {
            element,
            reason: "no Algorithm attribute".into(),
        })
}

fn prefix_list(doc: &Document<'_>, node: Node) -> Vec<String> {
    doc.child_elements(node)
        .into_iter()
        .find(|&c| doc.local_name(c) == "InclusiveNamespaces")
        .and_then(|c| doc.attribute(c, "PrefixList"))
        .map(|p| p.split_ascii_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

impl Document<'_> {
    /// The outermost `ds:Signature` elements (signatures nested in another signature,
    /// such as XAdES counter-signatures, are not listed).
    pub fn signatures(&self) -> Vec<Node> {
        // Linear in the document (times its bounded depth): an ancestor walk per signature.
        self.elements(DSIG_NS, "Signature")
            .into_iter()
            .filter(|&s| {
                let mut up = self.parent_element(s);
                while let Some(p) = up {
                    if self.is(p, DSIG_NS, "Signature") {
                        return false;
                    }
                    up = self.parent_element(p);
                }
                true
            })
            .collect()
    }

    /// Reads the `ds:Signature` element `node`.
    pub fn read_signature(&self, node: Node) -> Result<Signature, XmlError> {
        if !self.is(node, DSIG_NS, "Signature") {
            return Err(XmlError::Missing("Signature"));
        }
        let signed_info = required(self, node, "SignedInfo")?;
        let cm = required(self, signed_info, "CanonicalizationMethod")?;
        let cm_uri = algorithm(self, cm, "CanonicalizationMethod")?;
        let c14n = C14nMethod::from_uri(&cm_uri).ok_or(XmlError::UnsupportedAlgorithm(cm_uri))?;
        let sm = required(self, signed_info, "SignatureMethod")?;
        let signature_method = algorithm(self, sm, "SignatureMethod")?;
        let references = self.read_references(signed_info)?;
        if references.is_empty() {
            return Err(XmlError::Missing("Reference"));
        }
        let signature_value_node = required(self, node, "SignatureValue")?;
        let signature_value =
            decode_base64(&self.text_content(signature_value_node), "SignatureValue")?;
        let key_info = self.child(node, DSIG_NS, "KeyInfo");
        let mut certificates = Vec::new();
        if let Some(ki) = key_info {
            for x in self.children_named(ki, DSIG_NS, "X509Data") {
                for c in self.children_named(x, DSIG_NS, "X509Certificate") {
                    certificates.push(decode_base64(&self.text_content(c), "X509Certificate")?);
                }
            }
        }
        Ok(Signature {
            node,
            id: self.attribute(node, "Id").map(str::to_string),
            signed_info,
            c14n,
            c14n_prefixes: prefix_list(self, cm),
            signature_method,
            references,
            signature_value_node,
            signature_value,
            key_info,
            certificates,
        })
    }

    /// The references of a `SignedInfo` or `Manifest` element.
    pub fn read_references(&self, parent: Node) -> Result<Vec<Reference>, XmlError> {
        let mut out = Vec::new();
        let refs = self.children_named(parent, DSIG_NS, "Reference");
        if refs.len() > MAX_REFERENCES {
            return Err(XmlError::Invalid {
                element: "SignedInfo",
                reason: format!("{} references, more than {MAX_REFERENCES}", refs.len()),
            });
        }
        for r in refs {
            let mut transforms = Vec::new();
            if let Some(ts) = self.child(r, DSIG_NS, "Transforms") {
                for t in self.children_named(ts, DSIG_NS, "Transform") {
                    let uri = algorithm(self, t, "Transform")?;
                    transforms.push(match uri.as_str() {
                        ENVELOPED => Transform::Enveloped,
                        BASE64 => Transform::Base64,
                        XPATH if self.excludes_signatures(t) => Transform::ExcludeSignatures,
                        u => match C14nMethod::from_uri(u) {
                            Some(method) => Transform::C14n {
                                method,
                                prefixes: prefix_list(self, t),
                            },
                            None => Transform::Other(uri),
                        },
                    });
                }
            }
            let dm = required(self, r, "DigestMethod")?;
            let dv = required(self, r, "DigestValue")?;
            out.push(Reference {
                id: self.attribute(r, "Id").map(str::to_string),
                uri: self.attribute(r, "URI").map(str::to_string),
                type_uri: self.attribute(r, "Type").map(str::to_string),
                transforms,
                digest_method: algorithm(self, dm, "DigestMethod")?,
                digest_value: decode_base64(&self.text_content(dv), "DigestValue")?,
            });
        }
        Ok(out)
    }

    /// Whether the XPath transform `t` holds exactly `not(ancestor-or-self::P:Signature)`
    /// with `P` bound to the XMLDSig namespace where the expression is.
    fn excludes_signatures(&self, t: Node) -> bool {
        let Some(xpath) = self
            .child_elements(t)
            .into_iter()
            .find(|&c| self.local_name(c) == "XPath")
        else {
            return false;
        };
        let text: String = self.text_content(xpath).split_whitespace().collect();
        let Some(prefix) = text
            .strip_prefix("not(ancestor-or-self::")
            .and_then(|r| r.strip_suffix(":Signature)"))
        else {
            return false;
        };
        self.lookup_namespace(xpath, prefix) == Some(DSIG_NS)
    }

    /// The canonical octets of `SignedInfo`: what the signature value signs.
    pub fn signed_info_octets(&self, signature: &Signature) -> Result<Vec<u8>, XmlError> {
        self.canonicalize(
            signature.c14n,
            &crate::C14nOptions::new()
                .subtree(signature.signed_info)
                .inclusive_prefixes(signature.c14n_prefixes.clone()),
        )
    }
}
