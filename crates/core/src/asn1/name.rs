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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::der_span::tlv;

    #[test]
    fn names_and_general_names() {
        // SEQUENCE { SET { SEQUENCE { OID cn, UTF8String "Kenpo CA" } } }
        let cn = tlv(tag::UTF8_STRING, &[b"Kenpo CA"]);
        let atv = tlv(tag::SEQUENCE, &[&[0x06, 0x03, 0x55, 0x04, 0x03], &cn]);
        let name = tlv(tag::SEQUENCE, &[&tlv(tag::SET, &[&atv])]);
        assert_eq!(name_string(&name), "CN=Kenpo CA");
        assert_eq!(
            general_name_string(&tlv(tag::context(4), &[&name])),
            "CN=Kenpo CA"
        );
        // An undecodable name is shown as its encoding, not as empty text.
        assert_eq!(name_string(&[0x30, 0x01]), "<name 3001>");
        // rfc822Name [1]: hex of the whole GeneralName.
        assert_eq!(general_name_string(&[0x81, 0x01, b'a']), "810161");
    }
}
