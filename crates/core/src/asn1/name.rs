//! Names as text, for reports and messages.

use der::Decode;

use crate::der_span::{parse_one, tag};

/// A DER `Name` as an RFC 4514 string (as x509-cert formats it), or `<name HEX>` when it
/// does not decode (the encoding is then shown rather than lost).
pub fn name_string(name_der: &[u8]) -> String {
    match x509_cert::name::Name::from_der(name_der) {
        Ok(n) => n.to_string(),
        Err(_) => format!("<name {}>", hex::encode_upper(name_der)),
    }
}

/// A `GeneralName` encoding (e.g. TSTInfo `tsa`) as text: a directoryName as
/// [`name_string`], any other choice as upper-case hex of its encoding.
pub fn general_name_string(gn: &[u8]) -> String {
    match parse_one(gn) {
        Ok(t) if t.tag == tag::context(4) => name_string(t.value),
        _ => hex::encode_upper(gn),
    }
}
