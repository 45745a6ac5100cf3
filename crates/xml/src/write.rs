//! Writing a new XAdES signature (EN 319 132-1 baseline, the shape Japanese
//! e-prescriptions use): the `ds:Signature` text, enveloped as the last child of a
//! document's element (every other input byte kept in place) or standalone beside a
//! detached content. No crypto: the caller fills in the digest and signature values
//! ([`XadesValues`]) step by step, reparsing the output to compute each value with the
//! same functions a verifier uses ([`Document::reference_octets_to`],
//! [`Document::signed_info_octets`], [`Document::signature_timestamp_octets`]).

use base64::Engine;

use crate::{C14nMethod, DSIG_NS, Document, Limits, SIGNED_PROPERTIES_TYPE, XADES_NS, XmlError};

/// The enveloped-signature transform.
pub const ENVELOPED_SIGNATURE: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// The SHA-256 DigestMethod of every reference and of the signing certificate digest.
pub const SHA256_URI: &str = "http://www.w3.org/2001/04/xmlenc#sha256";

/// What the signature's first reference covers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignedContent {
    /// The document the signature is enveloped in: `URI=""`, the enveloped-signature
    /// transform, then exclusive C14N.
    Enveloped,
    /// A content beside the signature, named by `uri` (a relative URI, usually its file
    /// name), whose raw bytes are digested.
    Detached {
        /// The reference URI (escaped here for the attribute, not percent-encoded).
        uri: String,
    },
}

/// Everything of a new signature that is known before its digests: how the content is
/// referenced, the SignatureMethod, the certificates for `KeyInfo` and the signed
/// properties.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct XadesTemplate {
    /// What the first reference covers.
    pub content: SignedContent,
    /// The SignatureMethod algorithm URI.
    pub signature_method: String,
    /// `KeyInfo/X509Data` certificates (DER): the signer's first, then its chain.
    pub certificates: Vec<Vec<u8>>,
    /// SigningTime (xsd:dateTime).
    pub signing_time: String,
    /// SHA-256 of the signer certificate (SigningCertificateV2 CertDigest).
    pub signing_certificate_sha256: Vec<u8>,
    /// The DER of the signer certificate's RFC 5035 IssuerSerial (IssuerSerialV2).
    pub issuer_serial_v2: Option<Vec<u8>>,
    /// The base of the `Id` attributes written (`base`, `base-KeyInfo`, …); a suffix is
    /// added when the document already carries one of them.
    pub id_base: String,
}

impl XadesTemplate {
    /// A template with the given parts, no IssuerSerialV2, and the Id base `id-kenpo`.
    pub fn new(
        content: SignedContent,
        signature_method: impl Into<String>,
        certificates: Vec<Vec<u8>>,
        signing_time: impl Into<String>,
        signing_certificate_sha256: Vec<u8>,
    ) -> Self {
        XadesTemplate {
            content,
            signature_method: signature_method.into(),
            certificates,
            signing_time: signing_time.into(),
            signing_certificate_sha256,
            issuer_serial_v2: None,
            id_base: "id-kenpo".into(),
        }
    }
    /// Sets [`XadesTemplate::issuer_serial_v2`].
    #[must_use]
    pub fn with_issuer_serial_v2(mut self, der: Option<Vec<u8>>) -> Self {
        self.issuer_serial_v2 = der;
        self
    }
    /// Sets [`XadesTemplate::id_base`].
    #[must_use]
    pub fn with_id_base(mut self, base: impl Into<String>) -> Self {
        self.id_base = base.into();
        self
    }
}

/// The values filled in as signing proceeds; empty values are written as empty elements
/// (placeholders), `None` time-stamps are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct XadesValues {
    /// The DigestValues of the three references (content, KeyInfo, SignedProperties).
    pub digests: [Vec<u8>; 3],
    /// The SignatureValue (ECDSA: r‖s).
    pub signature_value: Vec<u8>,
    /// The AllDataObjectsTimeStamp token (a signed property), if any.
    pub content_timestamp: Option<Vec<u8>>,
    /// The SignatureTimeStamp token (B-T), if any.
    pub signature_timestamp: Option<Vec<u8>>,
}

impl XadesValues {
    /// Empty values: placeholders, no time-stamps.
    pub fn new() -> Self {
        Self::default()
    }
}

/// The `Id`s written (unique in the output).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignatureIds {
    /// `ds:Signature`.
    pub signature: String,
    /// `ds:SignatureValue`.
    pub signature_value: String,
    /// `ds:KeyInfo` (referenced).
    pub key_info: String,
    /// `xades:SignedProperties` (referenced).
    pub signed_properties: String,
    /// `xades:SignatureTimeStamp`.
    pub signature_timestamp: String,
    /// `xades:AllDataObjectsTimeStamp`.
    pub content_timestamp: String,
}

impl SignatureIds {
    fn with_base(base: &str) -> Self {
        SignatureIds {
            signature: base.to_string(),
            signature_value: format!("{base}-SignatureValue"),
            key_info: format!("{base}-KeyInfo"),
            signed_properties: format!("{base}-SignedProperties"),
            signature_timestamp: format!("{base}-SignatureTimeStamp"),
            content_timestamp: format!("{base}-AllDataObjectsTimeStamp"),
        }
    }
    fn all(&self) -> [&str; 6] {
        [
            &self.signature,
            &self.signature_value,
            &self.key_info,
            &self.signed_properties,
            &self.signature_timestamp,
            &self.content_timestamp,
        ]
    }
}

/// Where the signature text goes in an enveloping document.
#[derive(Debug, Clone)]
struct Insertion {
    /// Offset in the input where the signature text is inserted.
    at: usize,
    /// For a document element written as an empty-element tag (`<r/>`): the offset of its
    /// `/>` and its qualified name; the tag is closed as `<r …>SIGNATURE</r>`.
    empty_root: Option<(usize, String)>,
}

/// Writes a new signature; see the module docs.
#[derive(Debug, Clone)]
pub struct SignatureWriter<'a> {
    input: &'a [u8],
    insertion: Option<Insertion>,
    template: XadesTemplate,
    ids: SignatureIds,
}

impl<'a> SignatureWriter<'a> {
    /// A signature enveloped in `document` (UTF-8, a BOM allowed), as the last child of
    /// its document element. The template's content must be [`SignedContent::Enveloped`].
    pub fn enveloped(
        document: &'a [u8],
        template: XadesTemplate,
        limits: &Limits,
    ) -> Result<Self, XmlError> {
        if template.content != SignedContent::Enveloped {
            return Err(XmlError::Invalid {
                element: "Reference",
                reason: "an enveloped signature references its document (URI=\"\")".into(),
            });
        }
        let doc = Document::parse(document, limits)?;
        let root = doc.document_element()?;
        let range = doc.byte_range(root).ok_or(XmlError::Missing("document"))?;
        let insertion = match doc.end_tag_start(root) {
            Some(at) => Insertion {
                at,
                empty_root: None,
            },
            None => {
                let raw = document.get(range.clone()).unwrap_or_default();
                let name_len = raw
                    .iter()
                    .skip(1)
                    .position(|b| b.is_ascii_whitespace() || *b == b'/' || *b == b'>')
                    .unwrap_or(0);
                let name = String::from_utf8_lossy(raw.get(1..1 + name_len).unwrap_or_default())
                    .into_owned();
                if name.is_empty() || !raw.ends_with(b"/>") {
                    return Err(XmlError::Malformed(
                        "cannot find where the document element ends".into(),
                    ));
                }
                Insertion {
                    at: range.end,
                    empty_root: Some((range.end - 2, name)),
                }
            }
        };
        let ids = unique_ids(&template.id_base, |id| {
            matches!(doc.element_with_id(id), Err(XmlError::UnknownId(_)))
        });
        Ok(SignatureWriter {
            input: document,
            insertion: Some(insertion),
            template,
            ids,
        })
    }

    /// A standalone signature document referencing a detached content. The template's
    /// content must be [`SignedContent::Detached`].
    pub fn detached(template: XadesTemplate) -> Result<Self, XmlError> {
        if !matches!(template.content, SignedContent::Detached { .. }) {
            return Err(XmlError::Invalid {
                element: "Reference",
                reason: "a detached signature references its content by URI".into(),
            });
        }
        let ids = SignatureIds::with_base(&template.id_base);
        Ok(SignatureWriter {
            input: b"",
            insertion: None,
            template,
            ids,
        })
    }

    /// The `Id`s the signature carries.
    pub fn ids(&self) -> &SignatureIds {
        &self.ids
    }

    /// The offset in the output where the `ds:Signature` element starts (enveloped: every
    /// input byte before it is in place; after it come `</r>` and the input's tail).
    pub fn signature_offset(&self) -> usize {
        match &self.insertion {
            Some(Insertion {
                empty_root: Some((slash, _)),
                ..
            }) => slash + 1,
            Some(Insertion { at, .. }) => *at,
            None => DECLARATION.len(),
        }
    }

    /// The whole output with `values`: the input with the signature inserted (enveloped),
    /// or the standalone signature document (detached).
    pub fn write(&self, values: &XadesValues) -> Vec<u8> {
        let sig = self.signature_text(values);
        match &self.insertion {
            None => {
                let mut out = Vec::with_capacity(DECLARATION.len() + sig.len() + 1);
                out.extend_from_slice(DECLARATION.as_bytes());
                out.extend_from_slice(sig.as_bytes());
                out.push(b'\n');
                out
            }
            Some(ins) => {
                let mut out = Vec::with_capacity(self.input.len() + sig.len() + 64);
                match &ins.empty_root {
                    Some((slash, name)) => {
                        out.extend_from_slice(self.input.get(..*slash).unwrap_or_default());
                        out.push(b'>');
                        out.extend_from_slice(sig.as_bytes());
                        out.extend_from_slice(format!("</{name}>").as_bytes());
                    }
                    None => {
                        out.extend_from_slice(self.input.get(..ins.at).unwrap_or_default());
                        out.extend_from_slice(sig.as_bytes());
                    }
                }
                out.extend_from_slice(self.input.get(ins.at..).unwrap_or_default());
                out
            }
        }
    }

    fn signature_text(&self, v: &XadesValues) -> String {
        let t = &self.template;
        let ids = &self.ids;
        let exc = C14nMethod::Exclusive.uri();
        let mut s = String::with_capacity(4096);
        s.push_str(&format!(
            "<ds:Signature xmlns:ds=\"{DSIG_NS}\" Id=\"{}\">",
            attr(&ids.signature)
        ));
        s.push_str("<ds:SignedInfo>");
        s.push_str(&format!(
            "<ds:CanonicalizationMethod Algorithm=\"{exc}\"/><ds:SignatureMethod Algorithm=\"{}\"/>",
            attr(&t.signature_method)
        ));
        let [d_content, d_key_info, d_properties] = &v.digests;
        match &t.content {
            SignedContent::Enveloped => s.push_str(&format!(
                "<ds:Reference URI=\"\"><ds:Transforms><ds:Transform Algorithm=\"{ENVELOPED_SIGNATURE}\"/><ds:Transform Algorithm=\"{exc}\"/></ds:Transforms>{}</ds:Reference>",
                digest(d_content)
            )),
            SignedContent::Detached { uri } => s.push_str(&format!(
                "<ds:Reference URI=\"{}\">{}</ds:Reference>",
                attr(uri),
                digest(d_content)
            )),
        }
        s.push_str(&format!(
            "<ds:Reference URI=\"#{}\"><ds:Transforms><ds:Transform Algorithm=\"{exc}\"/></ds:Transforms>{}</ds:Reference>",
            attr(&ids.key_info),
            digest(d_key_info)
        ));
        s.push_str(&format!(
            "<ds:Reference Type=\"{SIGNED_PROPERTIES_TYPE}\" URI=\"#{}\"><ds:Transforms><ds:Transform Algorithm=\"{exc}\"/></ds:Transforms>{}</ds:Reference>",
            attr(&ids.signed_properties),
            digest(d_properties)
        ));
        s.push_str("</ds:SignedInfo>");
        s.push_str(&format!(
            "<ds:SignatureValue Id=\"{}\">{}</ds:SignatureValue>",
            attr(&ids.signature_value),
            b64(&v.signature_value)
        ));
        s.push_str(&format!(
            "<ds:KeyInfo Id=\"{}\"><ds:X509Data>",
            attr(&ids.key_info)
        ));
        for c in &t.certificates {
            s.push_str(&format!(
                "<ds:X509Certificate>{}</ds:X509Certificate>",
                b64(c)
            ));
        }
        s.push_str("</ds:X509Data></ds:KeyInfo>");
        s.push_str(&format!(
            "<ds:Object><xades:QualifyingProperties xmlns:xades=\"{XADES_NS}\" Target=\"#{}\">",
            attr(&ids.signature)
        ));
        s.push_str(&format!(
            "<xades:SignedProperties Id=\"{}\"><xades:SignedSignatureProperties>",
            attr(&ids.signed_properties)
        ));
        s.push_str(&format!(
            "<xades:SigningTime>{}</xades:SigningTime>",
            text(&t.signing_time)
        ));
        s.push_str(&format!(
            "<xades:SigningCertificateV2><xades:Cert><xades:CertDigest>{}</xades:CertDigest>",
            digest(&t.signing_certificate_sha256)
        ));
        if let Some(is) = &t.issuer_serial_v2 {
            s.push_str(&format!(
                "<xades:IssuerSerialV2>{}</xades:IssuerSerialV2>",
                b64(is)
            ));
        }
        s.push_str("</xades:Cert></xades:SigningCertificateV2></xades:SignedSignatureProperties>");
        if let Some(token) = &v.content_timestamp {
            s.push_str("<xades:SignedDataObjectProperties>");
            s.push_str(&timestamp(
                "AllDataObjectsTimeStamp",
                &ids.content_timestamp,
                token,
            ));
            s.push_str("</xades:SignedDataObjectProperties>");
        }
        s.push_str("</xades:SignedProperties>");
        if let Some(token) = &v.signature_timestamp {
            s.push_str("<xades:UnsignedProperties><xades:UnsignedSignatureProperties>");
            s.push_str(&timestamp(
                "SignatureTimeStamp",
                &ids.signature_timestamp,
                token,
            ));
            s.push_str("</xades:UnsignedSignatureProperties></xades:UnsignedProperties>");
        }
        s.push_str("</xades:QualifyingProperties></ds:Object></ds:Signature>");
        s
    }
}

/// The XML declaration of a standalone signature document.
const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Ids from `base` (then `base-2`, `base-3`, …) of which none is taken.
fn unique_ids(base: &str, free: impl Fn(&str) -> bool) -> SignatureIds {
    let mut n = 1u32;
    loop {
        let candidate = if n == 1 {
            base.to_string()
        } else {
            format!("{base}-{n}")
        };
        let ids = SignatureIds::with_base(&candidate);
        if ids.all().iter().all(|id| free(id)) || n == u32::MAX {
            return ids;
        }
        n += 1;
    }
}

fn timestamp(local: &str, id: &str, token: &[u8]) -> String {
    format!(
        "<xades:{local} Id=\"{}\"><ds:CanonicalizationMethod Algorithm=\"{}\"/><xades:EncapsulatedTimeStamp>{}</xades:EncapsulatedTimeStamp></xades:{local}>",
        attr(id),
        C14nMethod::Exclusive.uri(),
        b64(token)
    )
}

fn digest(value: &[u8]) -> String {
    format!(
        "<ds:DigestMethod Algorithm=\"{SHA256_URI}\"/><ds:DigestValue>{}</ds:DigestValue>",
        b64(value)
    )
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Escapes an attribute value (double-quoted): `&`, `<`, `"` and the white space that
/// attribute-value normalisation would change.
pub fn escape_attribute(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes character data: `&`, `<`, `>` and carriage returns.
pub fn escape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

fn attr(v: &str) -> String {
    escape_attribute(v)
}

fn text(v: &str) -> String {
    escape_text(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NoContent, XmlError};

    fn template(content: SignedContent) -> XadesTemplate {
        XadesTemplate::new(
            content,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            vec![vec![1, 2, 3]],
            "2026-12-08T00:00:00Z",
            vec![0; 32],
        )
    }

    fn parse_ok(out: &[u8]) -> crate::Signature {
        let doc = Document::parse(out, &Limits::default()).unwrap();
        let node = doc.signatures()[0];
        let sig = doc.read_signature(node).unwrap();
        assert_eq!(sig.references.len(), 3);
        let qp = doc.qualifying_properties(&sig).unwrap().unwrap();
        assert!(qp.signed_properties.is_some());
        sig
    }

    #[test]
    fn enveloped_keeps_every_input_byte_around_the_signature() {
        let input = "\u{feff}<?xml version=\"1.0\"?>\n<p:r xmlns:p=\"urn:x\" Id=\"id-kenpo\"><p:e>a &amp; b</p:e></p:r  >\n<!-- tail -->\n";
        let w = SignatureWriter::enveloped(
            input.as_bytes(),
            template(SignedContent::Enveloped),
            &Limits::default(),
        )
        .unwrap();
        // The document's own Id is not reused.
        assert_eq!(w.ids().signature, "id-kenpo-2");
        let out = w.write(&XadesValues::new());
        let at = w.signature_offset();
        assert_eq!(&out[..at], &input.as_bytes()[..at]);
        assert!(out[at..].starts_with(b"<ds:Signature "));
        assert!(out.ends_with(b"</ds:Signature></p:r  >\n<!-- tail -->\n"));
        let sig = parse_ok(&out);
        let doc = Document::parse(&out, &Limits::default()).unwrap();
        // The enveloped reference's octets are the document without the signature.
        let octets = doc
            .reference_octets(sig.node, &sig.references[0], &NoContent, &Limits::default())
            .unwrap();
        assert_eq!(
            String::from_utf8(octets).unwrap(),
            "<p:r xmlns:p=\"urn:x\" Id=\"id-kenpo\"><p:e>a &amp; b</p:e></p:r>"
        );
    }

    #[test]
    fn an_empty_document_element_is_opened_and_closed() {
        let input = b"<x:r xmlns:x=\"urn:x\" a=\"1\" />";
        let w = SignatureWriter::enveloped(
            input,
            template(SignedContent::Enveloped),
            &Limits::default(),
        )
        .unwrap();
        let out = w.write(&XadesValues::new());
        let at = w.signature_offset();
        assert_eq!(&out[..at], b"<x:r xmlns:x=\"urn:x\" a=\"1\" >");
        assert!(out.ends_with(b"</ds:Signature></x:r>"));
        parse_ok(&out);
    }

    #[test]
    fn detached_is_a_standalone_document_with_an_escaped_uri() {
        let w = SignatureWriter::detached(template(SignedContent::Detached {
            uri: "a&b \"c\".xml".into(),
        }))
        .unwrap();
        let mut v = XadesValues::new();
        v.signature_timestamp = Some(vec![0x30, 0]);
        v.content_timestamp = Some(vec![0x30, 0]);
        let out = w.write(&v);
        let sig = parse_ok(&out);
        assert_eq!(sig.references[0].uri.as_deref(), Some("a&b \"c\".xml"));
        assert!(sig.references[0].transforms.is_empty());
        let doc = Document::parse(&out, &Limits::default()).unwrap();
        let qp = doc.qualifying_properties(&sig).unwrap().unwrap();
        assert_eq!(qp.signature_timestamps[0].tokens, vec![vec![0x30, 0]]);
        assert_eq!(qp.all_data_objects_timestamps.len(), 1);
        assert_eq!(qp.signing_certificate_v2[0].digest_value, vec![0; 32]);
        assert_eq!(qp.signing_time.as_deref(), Some("2026-12-08T00:00:00Z"));
    }

    #[test]
    fn mismatched_forms_are_refused() {
        assert!(matches!(
            SignatureWriter::detached(template(SignedContent::Enveloped)),
            Err(XmlError::Invalid { .. })
        ));
        assert!(matches!(
            SignatureWriter::enveloped(
                b"<r/>",
                template(SignedContent::Detached { uri: "a".into() }),
                &Limits::default()
            ),
            Err(XmlError::Invalid { .. })
        ));
    }
}
