//! XML for signatures, without crypto: parsing that refuses DTDs and entities and keeps to
//! caller-given budgets ([`Limits`]), Canonical XML 1.0/1.1/Exclusive ([`C14nMethod`]),
//! the XMLDSig structure ([`Signature`], [`Reference`]) and the octets each reference's
//! digest covers ([`Document::reference_octets_to`]), and the XAdES qualifying properties
//! ([`QualifyingProperties`]), and the text of new XAdES signatures ([`SignatureWriter`]).
//! The caller hashes, signs and verifies; see docs/XML.md.
//!
//! ```
//! use kenpo_xml::{C14nMethod, C14nOptions, Document, Limits};
//! let doc = Document::parse(b"<a b='1'   c=\"2\"><!-- x --><e/></a>", &Limits::default())?;
//! let out = doc.canonicalize(C14nMethod::Inclusive10, &C14nOptions::new())?;
//! assert_eq!(out, b"<a b=\"1\" c=\"2\"><e></e></a>");
//! # Ok::<(), kenpo_xml::XmlError>(())
//! ```

mod c14n;
mod dsig;
mod encoding;
mod error;
mod insert;
mod node;
mod parse;
mod reference;
mod write;
mod xades;

pub use c14n::{C14nMethod, C14nOptions};
pub use dsig::{
    DSIG_NS, DSIG11_NS, MANIFEST_TYPE, MAX_REFERENCES, Reference, Signature, Transform,
};
pub use encoding::to_utf8;
pub use error::XmlError;
pub use insert::{UnsignedInsertion, inserted_range};
pub use node::Node;
pub use parse::{Document, Limits, looks_like_xml};
pub use reference::{ContentResolver, NoContent};
pub use write::{
    ENVELOPED_SIGNATURE, SHA256_URI, SignatureIds, SignatureWriter, SignedContent, XadesTemplate,
    XadesValues, escape_attribute, escape_text,
};
pub use xades::{
    CertRef, QualifyingProperties, SIGNED_PROPERTIES_TYPE, ValidationValues, XADES_NS, XADES111_NS,
    XADES141_NS, XadesTimeStamp,
};
