//! Reference resolution and transforms: the octets a reference's digest is computed over.

use std::borrow::Cow;

use crate::node::decode_base64;
use crate::{C14nMethod, C14nOptions, Document, Limits, Node, Reference, Transform, XmlError};

/// Supplies the data of references that are not in the document (detached content, e-Gov
/// attachments): given the reference URI (`None` when the reference has no `URI`), the
/// content's bytes, or `None` when it is unknown.
pub trait ContentResolver {
    /// The bytes of the content `uri` names.
    fn resolve(&self, uri: Option<&str>) -> Option<Cow<'_, [u8]>>;
}

/// A resolver that knows no detached content.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoContent;

impl ContentResolver for NoContent {
    fn resolve(&self, _uri: Option<&str>) -> Option<Cow<'_, [u8]>> {
        None
    }
}

/// The data between transforms.
enum Data<'r> {
    /// A node-set: a subtree (or the whole document), less an optional subtree, with or
    /// without comments.
    Nodes {
        subtree: Option<Node>,
        exclude: Vec<Node>,
        comments: bool,
    },
    Octets(Cow<'r, [u8]>),
}

impl<'a> Document<'a> {
    /// Resolves `reference` (of the signature `signature`, which the enveloped transform
    /// leaves out), applies its transforms and writes the octets its digest covers into
    /// `out`. Same-document references are found by their unique ID only.
    pub fn reference_octets_to(
        &self,
        signature: Node,
        reference: &Reference,
        content: &dyn ContentResolver,
        limits: &Limits,
        out: &mut dyn std::io::Write,
    ) -> Result<(), XmlError> {
        let mut data = match reference.uri.as_deref() {
            Some("") => Data::Nodes {
                subtree: None,
                exclude: Vec::new(),
                comments: false,
            },
            Some("#xpointer(/)") => Data::Nodes {
                subtree: None,
                exclude: Vec::new(),
                comments: true,
            },
            Some(u) if u.starts_with("#xpointer(id(") => {
                let inner = u.trim_start_matches("#xpointer(id(").trim_end_matches("))");
                let id = inner.trim_matches(|c| c == '\'' || c == '"');
                Data::Nodes {
                    subtree: Some(self.element_with_id(id)?),
                    exclude: Vec::new(),
                    comments: true,
                }
            }
            Some(u) if u.starts_with('#') => Data::Nodes {
                subtree: Some(self.element_with_id(&u[1..])?),
                exclude: Vec::new(),
                comments: false,
            },
            other => Data::Octets(
                content
                    .resolve(other)
                    .ok_or_else(|| XmlError::Unresolved(other.unwrap_or("").to_string()))?,
            ),
        };
        for t in &reference.transforms {
            data = match (t, data) {
                (
                    Transform::Enveloped,
                    Data::Nodes {
                        subtree,
                        mut exclude,
                        comments,
                    },
                ) => {
                    exclude.push(signature);
                    Data::Nodes {
                        subtree,
                        exclude,
                        comments,
                    }
                }
                // XPath `not(ancestor-or-self::ds:Signature)`: every signature left out.
                (
                    Transform::ExcludeSignatures,
                    Data::Nodes {
                        subtree,
                        mut exclude,
                        comments,
                    },
                ) => {
                    exclude.extend(self.elements(crate::DSIG_NS, "Signature"));
                    Data::Nodes {
                        subtree,
                        exclude,
                        comments,
                    }
                }
                (Transform::Enveloped | Transform::ExcludeSignatures, Data::Octets(_)) => {
                    return Err(XmlError::Invalid {
                        element: "Transform",
                        reason: "the enveloped-signature transform applies to the signature's own document only".into(),
                    });
                }
                (Transform::C14n { method, prefixes }, data) => {
                    let octets = self.data_c14n(data, *method, prefixes, limits)?;
                    Data::Octets(Cow::Owned(octets))
                }
                (Transform::Base64, Data::Nodes { subtree, .. }) => {
                    let text = match subtree {
                        Some(n) => self.text_content(n),
                        None => self.document_element().map(|n| self.text_content(n))?,
                    };
                    Data::Octets(Cow::Owned(decode_base64(&text, "base64 transform input")?))
                }
                (Transform::Base64, Data::Octets(o)) => {
                    let text =
                        std::str::from_utf8(&o).map_err(|e| XmlError::NotUtf8(e.valid_up_to()))?;
                    Data::Octets(Cow::Owned(decode_base64(text, "base64 transform input")?))
                }
                (Transform::Other(uri), _) => {
                    return Err(XmlError::UnsupportedAlgorithm(uri.clone()));
                }
            };
        }
        match data {
            Data::Octets(o) => out
                .write_all(&o)
                .map_err(|e| XmlError::Write(e.to_string())),
            Data::Nodes {
                subtree,
                exclude,
                comments,
            } => {
                let method = if comments {
                    C14nMethod::Inclusive10WithComments
                } else {
                    C14nMethod::Inclusive10
                };
                self.canonicalize_to(
                    method,
                    &C14nOptions {
                        subtree,
                        exclude,
                        inclusive_prefixes: Vec::new(),
                    },
                    out,
                )
            }
        }
    }

    /// [`Document::reference_octets_to`] collected into a vector.
    pub fn reference_octets(
        &self,
        signature: Node,
        reference: &Reference,
        content: &dyn ContentResolver,
        limits: &Limits,
    ) -> Result<Vec<u8>, XmlError> {
        let mut out = Vec::new();
        self.reference_octets_to(signature, reference, content, limits, &mut out)?;
        Ok(out)
    }

    fn data_c14n(
        &self,
        data: Data<'_>,
        method: C14nMethod,
        prefixes: &[String],
        limits: &Limits,
    ) -> Result<Vec<u8>, XmlError> {
        match data {
            Data::Nodes {
                subtree,
                exclude,
                comments,
            } => {
                // A same-document URI without xpointer has dropped comments already.
                let method = if comments {
                    method
                } else {
                    without_comments(method)
                };
                self.canonicalize(
                    method,
                    &C14nOptions {
                        subtree,
                        exclude,
                        inclusive_prefixes: prefixes.to_vec(),
                    },
                )
            }
            Data::Octets(o) => {
                let utf8 = crate::to_utf8(&o)?;
                let doc = Document::parse(&utf8, limits)?;
                doc.canonicalize(
                    method,
                    &C14nOptions::new().inclusive_prefixes(prefixes.to_vec()),
                )
            }
        }
    }
}

fn without_comments(method: C14nMethod) -> C14nMethod {
    match method {
        C14nMethod::Inclusive10WithComments => C14nMethod::Inclusive10,
        C14nMethod::Inclusive11WithComments => C14nMethod::Inclusive11,
        C14nMethod::ExclusiveWithComments => C14nMethod::Exclusive,
        m => m,
    }
}
