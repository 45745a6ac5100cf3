//! `Extensions` (RFC 5280 §4.1), read as spans: of certificates, CRLs and their entries,
//! and OCSP responses.

use const_oid::ObjectIdentifier as Oid;

use crate::der_span::{SpanError, Tlv, tag};

/// One extension, as spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtensionRef<'a> {
    /// extnID.
    pub oid: Oid,
    /// critical.
    pub critical: bool,
    /// extnValue's octets (the DER of the extension's value).
    pub value: &'a [u8],
}

/// Extensions that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionError {
    /// DER structure error.
    #[error("extensions: {0}")]
    Span(#[from] SpanError),
    /// extnID is no valid OBJECT IDENTIFIER.
    #[error("extension OID: {0}")]
    Oid(String),
    /// critical is no DER BOOLEAN (one octet, 0x00 or 0xFF; X.690 §11.1).
    #[error("extension {0}: critical is not a DER BOOLEAN")]
    Critical(Oid),
}

/// Reads an `[n] EXPLICIT Extensions` field (certificate `[3]`, OCSP `[1]`/`[2]`).
pub fn explicit_extensions(field: Tlv<'_>) -> Result<Vec<ExtensionRef<'_>>, ExtensionError> {
    let mut outer = field.reader();
    let seq = outer.read()?;
    outer.finish()?;
    read_extensions(seq)
}

/// Reads `Extensions ::= SEQUENCE OF Extension` (the SEQUENCE TLV itself), in order.
pub fn read_extensions(seq: Tlv<'_>) -> Result<Vec<ExtensionRef<'_>>, ExtensionError> {
    let mut out = Vec::with_capacity(10);
    let mut exts = seq.expect(tag::SEQUENCE)?.reader();
    while !exts.is_empty() {
        let mut r = exts.expect(tag::SEQUENCE)?.reader();
        let oid = crate::oid::from_content(r.expect(tag::OID)?.value)
            .map_err(|e| ExtensionError::Oid(e.to_string()))?;
        let critical = match r.optional(tag::BOOLEAN)?.map(|b| b.value) {
            None | Some([0x00]) => false,
            Some([0xff]) => true,
            Some(_) => return Err(ExtensionError::Critical(oid)),
        };
        let value = r.expect(tag::OCTET_STRING)?.value;
        r.finish()?;
        out.push(ExtensionRef {
            oid,
            critical,
            value,
        });
    }
    Ok(out)
}
