//! Appending XAdES unsigned signature properties to a signed document while keeping every
//! input byte in place (EN 319 132-1 B-LT / B-LTA extension): where the properties go,
//! and the properties serialised with prefixes that are bound where they are written.
//! No crypto: the caller brings certificates, revocation data and time-stamp tokens.
//!
//! Every element is written with the prefix the document already binds to its namespace
//! at the insertion point, or declares a fresh prefix on itself, so the inserted text
//! means the same under inclusive and exclusive canonicalisation. Base64 is wrapped at
//! 76 characters.

use std::fmt::Write as _;
use std::ops::Range;

use uppsala::NodeKind;

use crate::dsig::DSIG_NS;
use crate::xades::{XADES_NS, XADES141_NS};
use crate::{C14nMethod, Document, Node, Signature, XmlError};

/// A prefix to write elements of one namespace with: `p:` (or empty for the default
/// namespace), and the declaration to put on the outermost element when the prefix is
/// not bound at the insertion point.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Prefix {
    qualifier: String,
    declaration: String,
}

impl Prefix {
    fn bound(prefix: &str) -> Self {
        Self {
            qualifier: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}:")
            },
            declaration: String::new(),
        }
    }
}

/// Where a signature's new unsigned signature properties go and how they are written;
/// from [`Document::unsigned_properties_insertion`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnsignedInsertion {
    /// Input byte offset the text goes to.
    offset: usize,
    /// The opening and closing of the UnsignedProperties / UnsignedSignatureProperties
    /// the signature does not have yet (empty when it has them).
    open: String,
    close: String,
    xades: Prefix,
    xades141: Prefix,
    ds: Prefix,
}

impl Document<'_> {
    /// Where unsigned signature properties are appended to `signature`'s XAdES 1.3.2
    /// QualifyingProperties: before the end tag of its UnsignedSignatureProperties; at
    /// the start of UnsignedProperties when that has none; after SignedProperties (or at
    /// the end of QualifyingProperties) inside new UnsignedProperties otherwise.
    pub fn unsigned_properties_insertion(
        &self,
        signature: &Signature,
    ) -> Result<UnsignedInsertion, XmlError> {
        let invalid = |reason: &str| XmlError::Invalid {
            element: "QualifyingProperties",
            reason: reason.into(),
        };
        let qp = self
            .children_named(signature.node, DSIG_NS, "Object")
            .into_iter()
            .flat_map(|o| self.child_elements(o))
            .find(|&c| self.local_name(c) == "QualifyingProperties")
            .ok_or(XmlError::Missing("QualifyingProperties"))?;
        if self.namespace(qp) != Some(XADES_NS) {
            return Err(invalid(
                "only XAdES 1.3.2 (http://uri.etsi.org/01903/v1.3.2#) properties are extended",
            ));
        }
        let up = self.child(qp, XADES_NS, "UnsignedProperties");
        let usp = up.and_then(|u| self.child(u, XADES_NS, "UnsignedSignatureProperties"));
        let empty_tag = |what: &str| {
            invalid(&format!(
                "{what} is an empty-element tag (<…/>); it cannot gain children without rewriting it"
            ))
        };
        // The element the new text's namespaces are looked up at.
        let (scope, offset, wrappers) = match (up, usp) {
            (_, Some(usp)) => (
                usp,
                self.end_tag_start(usp)
                    .ok_or_else(|| empty_tag("UnsignedSignatureProperties"))?,
                0,
            ),
            (Some(up), None) => (
                up,
                self.start_tag_end(up)
                    .ok_or_else(|| empty_tag("UnsignedProperties"))?,
                1,
            ),
            (None, None) => {
                let after = match self.child(qp, XADES_NS, "SignedProperties") {
                    Some(sp) => self.byte_range(sp).map(|r| r.end),
                    None => self.end_tag_start(qp),
                };
                (
                    qp,
                    after.ok_or_else(|| empty_tag("QualifyingProperties"))?,
                    2,
                )
            }
        };
        let xades = self
            .prefix_for(scope, XADES_NS)
            .map(|p| Prefix::bound(&p))
            .ok_or_else(|| invalid("no prefix is bound to the XAdES namespace"))?;
        let fresh = |ns: &str, base: &str| {
            self.prefix_for(scope, ns)
                .map(|p| Prefix::bound(&p))
                .unwrap_or_else(|| {
                    let name = (0..)
                        .map(|i| {
                            if i == 0 {
                                base.to_string()
                            } else {
                                format!("{base}{i}")
                            }
                        })
                        .find(|p| self.lookup_namespace(scope, p).is_none())
                        .unwrap_or_else(|| base.to_string());
                    Prefix {
                        qualifier: format!("{name}:"),
                        declaration: format!(" xmlns:{name}=\"{ns}\""),
                    }
                })
        };
        let (xades141, ds) = (fresh(XADES141_NS, "xades141"), fresh(DSIG_NS, "ds"));
        let x = &xades.qualifier;
        let (open, close) = match wrappers {
            0 => (String::new(), String::new()),
            1 => (
                format!("<{x}UnsignedSignatureProperties>"),
                format!("</{x}UnsignedSignatureProperties>"),
            ),
            _ => (
                format!("<{x}UnsignedProperties><{x}UnsignedSignatureProperties>"),
                format!("</{x}UnsignedSignatureProperties></{x}UnsignedProperties>"),
            ),
        };
        Ok(UnsignedInsertion {
            offset,
            open,
            close,
            xades,
            xades141,
            ds,
        })
    }

    /// A prefix (`""` for the default namespace) bound to `ns` at `node` and not
    /// rebound to anything else below its declaration.
    fn prefix_for(&self, node: Node, ns: &str) -> Option<String> {
        let mut cur = Some(node.0);
        while let Some(c) = cur {
            if let Some(NodeKind::Element(e)) = self.doc.node_kind(c) {
                for (p, uri) in &e.namespace_declarations {
                    if uri == ns && self.lookup_namespace(node, p) == Some(ns) {
                        return Some(p.to_string());
                    }
                }
            }
            cur = self.doc.parent(c);
        }
        None
    }

    /// The input offset just after the `>` of `node`'s start tag; `None` for an
    /// empty-element tag.
    fn start_tag_end(&self, node: Node) -> Option<usize> {
        let r = self.byte_range(node)?;
        let raw = self
            .text
            .as_bytes()
            .get(r.start - self.bom_len..r.end - self.bom_len)?;
        let mut quote = None;
        for (i, &b) in raw.iter().enumerate() {
            match (quote, b) {
                (Some(q), _) if b == q => quote = None,
                (Some(_), _) => {}
                (None, b'"' | b'\'') => quote = Some(b),
                (None, b'>') => {
                    return (raw.get(i.wrapping_sub(1)) != Some(&b'/')).then_some(r.start + i + 1);
                }
                _ => {}
            }
        }
        None
    }
}

/// `der` in base64, lines of 76 characters separated by `\n`.
fn base64_lines(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(76)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    lines.join("\n")
}

impl UnsignedInsertion {
    /// The input byte offset the properties are inserted at.
    pub fn offset(&self) -> usize {
        self.offset
    }

    fn encapsulated(&self, out: &mut String, local: &str, values: &[Vec<u8>]) {
        let x = &self.xades.qualifier;
        for v in values {
            let _ = write!(out, "<{x}{local}>{}</{x}{local}>", base64_lines(v));
        }
    }

    fn values(&self, certs: &[Vec<u8>], crls: &[Vec<u8>], ocsps: &[Vec<u8>]) -> String {
        let x = &self.xades.qualifier;
        let mut s = String::new();
        if !certs.is_empty() {
            let _ = write!(s, "<{x}CertificateValues>");
            self.encapsulated(&mut s, "EncapsulatedX509Certificate", certs);
            let _ = write!(s, "</{x}CertificateValues>");
        }
        if !crls.is_empty() || !ocsps.is_empty() {
            let _ = write!(s, "<{x}RevocationValues>");
            if !crls.is_empty() {
                let _ = write!(s, "<{x}CRLValues>");
                self.encapsulated(&mut s, "EncapsulatedCRLValue", crls);
                let _ = write!(s, "</{x}CRLValues>");
            }
            if !ocsps.is_empty() {
                let _ = write!(s, "<{x}OCSPValues>");
                self.encapsulated(&mut s, "EncapsulatedOCSPValue", ocsps);
                let _ = write!(s, "</{x}OCSPValues>");
            }
            let _ = write!(s, "</{x}RevocationValues>");
        }
        s
    }

    /// `xades:CertificateValues` (certificates, DER) then `xades:RevocationValues`
    /// (CRLs, DER `CertificateList`; OCSP, DER `OCSPResponse`), each left out when it
    /// would be empty: the B-LT properties.
    pub fn validation_values(
        &self,
        certs: &[Vec<u8>],
        crls: &[Vec<u8>],
        ocsps: &[Vec<u8>],
    ) -> String {
        self.values(certs, crls, ocsps)
    }

    /// `xades141:TimeStampValidationData` holding the same (validation data of a
    /// time-stamp); empty when there is nothing to hold.
    pub fn timestamp_validation_data(
        &self,
        certs: &[Vec<u8>],
        crls: &[Vec<u8>],
        ocsps: &[Vec<u8>],
    ) -> String {
        let inner = self.values(certs, crls, ocsps);
        if inner.is_empty() {
            return inner;
        }
        let Prefix {
            qualifier: q,
            declaration: d,
        } = &self.xades141;
        format!("<{q}TimeStampValidationData{d}>{inner}</{q}TimeStampValidationData>")
    }

    fn timestamp(
        &self,
        element: &str,
        ns: &Prefix,
        id: &str,
        c14n: C14nMethod,
        token: &[u8],
    ) -> String {
        let (q, d) = (&ns.qualifier, &ns.declaration);
        let (dq, dd) = (&self.ds.qualifier, &self.ds.declaration);
        let x = &self.xades.qualifier;
        format!(
            "<{q}{element}{d} Id=\"{id}\"><{dq}CanonicalizationMethod{dd} Algorithm=\"{}\"/><{x}EncapsulatedTimeStamp>{}</{x}EncapsulatedTimeStamp></{q}{element}>",
            c14n.uri(),
            base64_lines(token)
        )
    }

    /// `xades:SignatureTimeStamp` with `token` (DER), whose imprint covers the
    /// SignatureValue canonicalised with `c14n`.
    pub fn signature_timestamp(&self, id: &str, c14n: C14nMethod, token: &[u8]) -> String {
        self.timestamp("SignatureTimeStamp", &self.xades, id, c14n, token)
    }

    /// `xades141:ArchiveTimeStamp` with `token` (DER), whose imprint covers
    /// [`Document::archive_timestamp_octets_to`] with `c14n`.
    pub fn archive_timestamp(&self, id: &str, c14n: C14nMethod, token: &[u8]) -> String {
        self.timestamp("ArchiveTimeStamp", &self.xades141, id, c14n, token)
    }

    /// `input` (the bytes the document was parsed from) with `properties` appended to the
    /// unsigned signature properties, inside new wrappers where needed; every input byte
    /// kept, in place before the offset and shifted after it.
    pub fn apply(&self, input: &[u8], properties: &str) -> Vec<u8> {
        let at = self.offset.min(input.len());
        let mut out = Vec::with_capacity(input.len() + properties.len() + self.open.len() * 2);
        out.extend_from_slice(&input[..at]);
        out.extend_from_slice(self.open.as_bytes());
        out.extend_from_slice(properties.as_bytes());
        out.extend_from_slice(self.close.as_bytes());
        out.extend_from_slice(&input[at..]);
        out
    }
}

/// The range of `result` that was inserted into `original` when `result` is `original`
/// with one run of bytes inserted at `at` (every other byte in place); `None` otherwise.
pub fn inserted_range(original: &[u8], result: &[u8], at: usize) -> Option<Range<usize>> {
    let added = result.len().checked_sub(original.len())?;
    let (head, tail) = (original.get(..at)?, original.get(at..)?);
    (result.starts_with(head) && result.ends_with(tail)).then_some(at..at + added)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;

    const SIG: &str = r##"<r xmlns:x="http://uri.etsi.org/01903/v1.3.2#"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="s"><ds:SignedInfo/><ds:SignatureValue>AA==</ds:SignatureValue><ds:Object><x:QualifyingProperties Target="#s"><x:SignedProperties Id="p" a=">"></x:SignedProperties>TAIL</x:QualifyingProperties></ds:Object></ds:Signature></r>"##;

    /// `xml` with each `<P:SignedInfo/>` (P = `ds` or `d`) made a readable SignedInfo.
    fn signed(xml: &str) -> String {
        let si = |p: &str| {
            format!(
                "<{p}:SignedInfo><{p}:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><{p}:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/><{p}:Reference URI=\"\"><{p}:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><{p}:DigestValue>AA==</{p}:DigestValue></{p}:Reference></{p}:SignedInfo>"
            )
        };
        xml.replace("<ds:SignedInfo/>", &si("ds"))
            .replace("<d:SignedInfo/>", &si("d"))
    }

    fn insertion(xml: &str) -> (Document<'_>, UnsignedInsertion) {
        let doc = Document::parse(xml.as_bytes(), &Limits::default()).unwrap();
        let node = doc.signatures()[0];
        let sig = doc.read_signature(node).unwrap();
        let ins = doc.unsigned_properties_insertion(&sig).unwrap();
        (doc, ins)
    }

    #[test]
    fn creates_the_wrappers_after_signed_properties_with_the_bound_prefixes() {
        let input = signed(SIG);
        let (_, ins) = insertion(&input);
        let text = ins.validation_values(&[vec![1, 2, 3]], &[], &[vec![4]])
            + &ins.archive_timestamp("a1", C14nMethod::Exclusive, &[0u8; 100]);
        let out = ins.apply(input.as_bytes(), &text);
        let s = String::from_utf8(out.clone()).unwrap();
        assert!(s.contains("</x:SignedProperties><x:UnsignedProperties><x:UnsignedSignatureProperties><x:CertificateValues><x:EncapsulatedX509Certificate>AQID</x:EncapsulatedX509Certificate></x:CertificateValues><x:RevocationValues><x:OCSPValues><x:EncapsulatedOCSPValue>BA==</x:EncapsulatedOCSPValue></x:OCSPValues></x:RevocationValues><xades141:ArchiveTimeStamp xmlns:xades141=\"http://uri.etsi.org/01903/v1.4.1#\" Id=\"a1\"><ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><x:EncapsulatedTimeStamp>"), "{s}");
        assert!(s.contains("</x:UnsignedSignatureProperties></x:UnsignedProperties>TAIL"));
        // 100 octets: 136 base64 characters, one line break.
        assert!(s.contains(&format!("{}\n{}==<", "A".repeat(76), "A".repeat(58))));
        let r = inserted_range(input.as_bytes(), &out, ins.offset()).unwrap();
        let mut back = out.clone();
        back.drain(r);
        assert_eq!(back, input.as_bytes());
        // The result reads back: the properties are where a verifier looks.
        let doc = Document::parse(&out, &Limits::default()).unwrap();
        let sig = doc.read_signature(doc.signatures()[0]).unwrap();
        let qp = doc.qualifying_properties(&sig).unwrap().unwrap();
        assert_eq!(qp.certificate_values.certificates, [vec![1, 2, 3]]);
        assert_eq!(qp.revocation_values.ocsps, [vec![4]]);
        assert_eq!(qp.archive_timestamps[0].tokens, [vec![0u8; 100]]);
        assert_eq!(qp.archive_timestamps[0].c14n, C14nMethod::Exclusive);
        // Appending again goes at the end of the new UnsignedSignatureProperties.
        let ins2 = doc.unsigned_properties_insertion(&sig).unwrap();
        let tsvd = ins2.timestamp_validation_data(&[vec![9]], &[vec![8]], &[]);
        let out2 = ins2.apply(&out, &tsvd);
        assert!(String::from_utf8_lossy(&out2).contains("</x:EncapsulatedTimeStamp></xades141:ArchiveTimeStamp><xades141:TimeStampValidationData xmlns:xades141="));
        assert!(inserted_range(&out, &out2, ins2.offset()).is_some());
        assert!(inserted_range(input.as_bytes(), &out2, ins.offset()).is_some());
    }

    #[test]
    fn default_namespaces_and_existing_wrappers() {
        // XAdES is the default namespace at the properties, ds bound as "d"; an
        // UnsignedProperties without UnsignedSignatureProperties.
        let xml = r##"<d:Signature xmlns:d="http://www.w3.org/2000/09/xmldsig#"><d:SignedInfo/><d:SignatureValue>AA==</d:SignatureValue><d:Object><QualifyingProperties xmlns="http://uri.etsi.org/01903/v1.3.2#" xmlns:xades141="http://uri.etsi.org/01903/v1.4.1#"><SignedProperties/><UnsignedProperties b="/>"><UnsignedDataObjectProperties/></UnsignedProperties></QualifyingProperties></d:Object></d:Signature>"##;
        let xml = &signed(xml);
        let (_, ins) = insertion(xml);
        let ats = ins.archive_timestamp("a", C14nMethod::Exclusive, &[1]);
        assert_eq!(
            ats,
            "<xades141:ArchiveTimeStamp Id=\"a\"><d:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><EncapsulatedTimeStamp>AQ==</EncapsulatedTimeStamp></xades141:ArchiveTimeStamp>"
        );
        let out = String::from_utf8(ins.apply(xml.as_bytes(), &ats)).unwrap();
        assert!(out.contains("<UnsignedProperties b=\"/>\"><UnsignedSignatureProperties><xades141:ArchiveTimeStamp"), "{out}");
        assert!(out.contains("</UnsignedSignatureProperties><UnsignedDataObjectProperties/>"));
        let doc = Document::parse(out.as_bytes(), &Limits::default()).unwrap();
        let sig = doc.read_signature(doc.signatures()[0]).unwrap();
        let qp = doc.qualifying_properties(&sig).unwrap().unwrap();
        assert_eq!(qp.archive_timestamps[0].tokens, [vec![1]]);
    }

    #[test]
    fn an_empty_element_unsigned_signature_properties_is_refused() {
        let xml = r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/><ds:SignatureValue/><ds:Object><x:QualifyingProperties xmlns:x="http://uri.etsi.org/01903/v1.3.2#"><x:UnsignedProperties><x:UnsignedSignatureProperties/></x:UnsignedProperties></x:QualifyingProperties></ds:Object></ds:Signature>"##;
        let xml = signed(xml);
        let doc = Document::parse(xml.as_bytes(), &Limits::default()).unwrap();
        let sig = doc.read_signature(doc.signatures()[0]).unwrap();
        let e = doc.unsigned_properties_insertion(&sig).unwrap_err();
        assert!(e.to_string().contains("empty-element"), "{e}");
    }
}
