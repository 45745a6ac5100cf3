//! Names as text, for reports and messages.
//!
//! The text is x509-cert's RFC 4514 form, character for character. x509-cert names each
//! attribute type by scanning const-oid's whole database of about a thousand names (to
//! find the shortest), which was most of the work of a verification report beyond the
//! cryptography; the attribute types certificates use are named here from a table that a
//! test checks against that database, and any other attribute is formatted by x509-cert.

use std::fmt::Write;

use const_oid::ObjectIdentifier;
use const_oid::db::{rfc3280, rfc4519};
use der::Decode;
use der::asn1::{Ia5StringRef, PrintableStringRef, TeletexStringRef, Utf8StringRef};
use der::{Tag, Tagged};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::Name;

use crate::der_span::{parse_one, tag};

/// A DER `Name` as an RFC 4514 string (as x509-cert formats it), or `<name HEX>` when it
/// does not decode (the encoding is then shown rather than lost).
pub fn name_string(name_der: &[u8]) -> String {
    match Name::from_der(name_der) {
        Ok(n) => name_text(&n),
        Err(_) => format!("<name {}>", hex::encode_upper(name_der)),
    }
}

/// A decoded `Name` as an RFC 4514 string: the same text as its `Display`
/// (`n.to_string()`), made without scanning the OID database for the common attribute
/// types.
pub fn name_text(name: &Name) -> String {
    let mut out = String::new();
    // RFC 4514 §2.1: the last RDN first.
    for (i, rdn) in name.0.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, atv) in rdn.0.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            push_atv(&mut out, atv);
        }
    }
    out
}

/// The attribute types named without the database: (OID, the upper-case shortest name
/// const-oid's database gives it, which is what x509-cert prints).
const KNOWN: &[(ObjectIdentifier, &str)] = &[
    (rfc4519::CN, "CN"),
    (rfc4519::C, "C"),
    (rfc4519::O, "O"),
    (rfc4519::OU, "OU"),
    (rfc4519::L, "L"),
    (rfc4519::ST, "ST"),
    (rfc4519::STREET, "STREET"),
    (rfc4519::DC, "DC"),
    (rfc4519::UID, "UID"),
    (rfc4519::SN, "SN"),
    (rfc4519::GIVEN_NAME, "GIVENNAME"),
    (rfc4519::SERIAL_NUMBER, "SERIALNUMBER"),
    (rfc4519::TITLE, "TITLE"),
    (rfc3280::EMAIL_ADDRESS, "EMAIL"),
];

fn known_key(oid: &ObjectIdentifier) -> Option<&'static str> {
    KNOWN.iter().find(|(o, _)| o == oid).map(|(_, k)| *k)
}

/// One attribute as x509-cert's `Display` writes it.
fn push_atv(out: &mut String, atv: &AttributeTypeAndValue) {
    let value = match atv.value.tag() {
        Tag::PrintableString => PrintableStringRef::try_from(&atv.value)
            .ok()
            .map(|s| s.as_str()),
        Tag::Utf8String => Utf8StringRef::try_from(&atv.value).ok().map(|s| s.as_str()),
        Tag::Ia5String => Ia5StringRef::try_from(&atv.value).ok().map(|s| s.as_str()),
        Tag::TeletexString => TeletexStringRef::try_from(&atv.value)
            .ok()
            .map(|s| s.as_str()),
        _ => None,
    };
    let (Some(key), Some(value)) = (known_key(&atv.oid), value) else {
        // Another attribute type, or a value that is not text: x509-cert's own form.
        let _ = write!(out, "{atv}");
        return;
    };
    out.push_str(key);
    out.push('=');
    let mut chars = value.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || chars.peek().is_none() => out.push_str("\\ "),
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\x00'..='\x1f' | '\x7f' => {
                let _ = write!(out, "\\{:02x}", c as u8);
            }
            _ => out.push(c),
        }
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
#[allow(clippy::unwrap_used)]
mod tests {
    use der::asn1::{Any, SetOfVec};
    use x509_cert::name::{RdnSequence, RelativeDistinguishedName};

    use super::*;

    /// The shortest name const-oid's database gives `oid` (the first on ties), as
    /// x509-cert picks it.
    fn shortest(oid: &ObjectIdentifier) -> Option<&'static str> {
        let mut best: Option<&'static str> = None;
        for m in const_oid::db::DB.find_names_for_oid(*oid) {
            if best.is_none_or(|b| m.len() < b.len()) {
                best = Some(m);
            }
        }
        best
    }

    #[test]
    fn the_table_names_each_type_as_the_database_does() {
        for (oid, key) in KNOWN {
            let expected = shortest(oid).map(str::to_ascii_uppercase);
            assert_eq!(expected.as_deref(), Some(*key), "{oid}");
        }
    }

    fn atv(oid: ObjectIdentifier, tag: Tag, value: &[u8]) -> AttributeTypeAndValue {
        AttributeTypeAndValue {
            oid,
            value: Any::new(tag, value.to_vec()).unwrap(),
        }
    }

    #[test]
    fn names_read_as_x509_cert_writes_them() {
        let odd = "#a+b,c;d<e>f\\g\"h\u{1}\u{7f} end ";
        let values: [(Tag, &[u8]); 7] = [
            (Tag::Utf8String, "神楽坂\u{3000}三十四".as_bytes()),
            (Tag::Utf8String, odd.as_bytes()),
            (Tag::PrintableString, b" Kenpo CA"),
            (Tag::PrintableString, b"not printable: @"),
            (Tag::Ia5String, b"a@b.jp"),
            (Tag::TeletexString, b"teletex"),
            (Tag::Integer, &[0x01, 0x02]),
        ];
        let oids = KNOWN
            .iter()
            .map(|(o, _)| *o)
            .chain([rfc3280::PSEUDONYM, ObjectIdentifier::new_unwrap("1.2.3.4")]);
        let mut rdns = Vec::new();
        for (k, oid) in oids.enumerate() {
            for (j, (tag, value)) in values.iter().enumerate() {
                let mut set = vec![atv(oid, *tag, value)];
                if (j + k) % 3 == 0 {
                    // A multi-valued RDN (joined with '+').
                    set.push(atv(rfc4519::OU, Tag::Utf8String, b"x"));
                }
                rdns.push(RelativeDistinguishedName(SetOfVec::try_from(set).unwrap()));
            }
        }
        for chunk in rdns.chunks(5) {
            let name = RdnSequence(chunk.to_vec());
            assert_eq!(name_text(&name), name.to_string());
            let der = der::Encode::to_der(&name).unwrap();
            assert_eq!(name_string(&der), name.to_string());
        }
        assert_eq!(name_text(&RdnSequence(Vec::new())), "");
    }
}
