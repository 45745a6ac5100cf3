//! ISO/TS 17090 `hcRole` in `subjectDirectoryAttributes`, as carried by HPKI certificates.
//!
//! ```text
//! SubjectDirectoryAttributes ::= SEQUENCE SIZE (1..MAX) OF Attribute   -- 2.5.29.9
//! Attribute ::= SEQUENCE { type OBJECT IDENTIFIER,                      -- hcRole 1.0.17090.0.1
//!                          values SET OF HCActorData }
//! HCActorData ::= SET OF HCActor
//! HCActor ::= SEQUENCE { codedData [0] EXPLICIT CodedData }
//! CodedData ::= SET {
//!     codingSchemeReference [0] EXPLICIT OBJECT IDENTIFIER,     -- 1.2.392.100495.1.6.1.1
//!     codeDataFreeText      [2] EXPLICIT DirectoryString OPTIONAL }  -- "Medical Doctor"
//! ```
//!
//! Only the components observed in real HPKI certificates (the MEDIS test signer) are
//! modelled; other `CodedData` components are skipped when decoding.

use der::asn1::{Any, ContextSpecific, ContextSpecificRef, ObjectIdentifier, SetOfVec};
use der::{
    Decode, DecodeValue, Encode, EncodeValue, FixedTag, Header, Length, Reader, Sequence, Tag,
    TagMode, TagNumber, ValueOrd, Writer,
};
use kenpo_core::oid;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::DirectoryString;

use crate::Error;

/// `SubjectDirectoryAttributes ::= SEQUENCE SIZE (1..MAX) OF Attribute` (RFC 5280 §4.2.1.8).
///
/// (x509-cert 0.2.5's own type uses `AttributeTypeAndValue`, which is not the RFC 5280
/// structure, hence this alias.)
pub type SubjectDirectoryAttributes = Vec<Attribute>;

/// `HCActorData ::= SET OF HCActor` — one value of the `hcRole` attribute.
pub type HcActorData = SetOfVec<HcActor>;

/// `HCActor ::= SEQUENCE { codedData [0] EXPLICIT CodedData }` — one qualification.
#[derive(Clone, Debug, Eq, PartialEq, Sequence, ValueOrd)]
pub struct HcActor {
    /// The coded qualification.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub coded_data: CodedData,
}

/// `CodedData ::= SET { codingSchemeReference [0] EXPLICIT OBJECT IDENTIFIER,
/// codeDataFreeText [2] EXPLICIT DirectoryString OPTIONAL }`.
///
/// A `SET`, so it is encoded by hand (the `der` derives only produce `SEQUENCE`s); DER
/// puts the components in tag order, which is the order given here.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct CodedData {
    /// Coding scheme of the code, [`oid::HPKI_HC_ROLE_SCHEME`] in HPKI.
    pub coding_scheme_reference: ObjectIdentifier,
    /// The qualification as free text, e.g. `Medical Doctor`.
    pub code_data_free_text: Option<DirectoryString>,
}

impl CodedData {
    fn scheme_field(&self) -> ContextSpecificRef<'_, ObjectIdentifier> {
        ContextSpecificRef {
            tag_number: TagNumber::N0,
            tag_mode: TagMode::Explicit,
            value: &self.coding_scheme_reference,
        }
    }

    fn free_text_field(&self) -> Option<ContextSpecificRef<'_, DirectoryString>> {
        self.code_data_free_text
            .as_ref()
            .map(|value| ContextSpecificRef {
                tag_number: TagNumber::N2,
                tag_mode: TagMode::Explicit,
                value,
            })
    }
}

impl FixedTag for CodedData {
    const TAG: Tag = Tag::Set;
}

impl EncodeValue for CodedData {
    fn value_len(&self) -> der::Result<Length> {
        self.scheme_field().encoded_len()? + self.free_text_field().encoded_len()?
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        self.scheme_field().encode(writer)?;
        self.free_text_field().encode(writer)
    }
}

impl<'a> DecodeValue<'a> for CodedData {
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        reader.read_nested(header.length, |r| {
            let scheme = ContextSpecific::<ObjectIdentifier>::decode_explicit(r, TagNumber::N0)?
                .ok_or_else(|| {
                    Tag::ContextSpecific {
                        constructed: true,
                        number: TagNumber::N0,
                    }
                    .value_error()
                })?;
            let free_text = ContextSpecific::<DirectoryString>::decode_explicit(r, TagNumber::N2)?;
            // Skip any later components we do not model.
            while !r.is_finished() {
                Any::decode(r)?;
            }
            Ok(Self {
                coding_scheme_reference: scheme.value,
                code_data_free_text: free_text.map(|f| f.value),
            })
        })
    }
}

impl ValueOrd for CodedData {
    fn value_cmp(&self, other: &Self) -> der::Result<core::cmp::Ordering> {
        let mut a = Vec::new();
        let mut b = Vec::new();
        self.encode_value(&mut a)?;
        other.encode_value(&mut b)?;
        Ok(a.cmp(&b))
    }
}

impl HcActor {
    /// An HPKI qualification (`codingSchemeReference` = [`oid::HPKI_HC_ROLE_SCHEME`]) with
    /// the given free text in a UTF8String.
    pub fn hpki(free_text: &str) -> Self {
        Self {
            coded_data: CodedData {
                coding_scheme_reference: oid::HPKI_HC_ROLE_SCHEME,
                code_data_free_text: Some(DirectoryString::Utf8String(free_text.to_owned())),
            },
        }
    }

    /// The free text of the qualification when it is a UTF8String or PrintableString.
    pub fn free_text(&self) -> Option<&str> {
        match self.coded_data.code_data_free_text.as_ref()? {
            DirectoryString::Utf8String(s) => Some(s),
            DirectoryString::PrintableString(s) => Some(s.as_str()),
            DirectoryString::TeletexString(s) => Some(s.as_str()),
        }
    }
}

/// The `hcRole` attribute holding one `HCActorData` with one HPKI `HCActor` per role.
pub fn hc_role_attribute(roles: &[&str]) -> Result<Attribute, Error> {
    let data: HcActorData =
        SetOfVec::try_from(roles.iter().map(|r| HcActor::hpki(r)).collect::<Vec<_>>())?;
    Ok(Attribute {
        oid: oid::HC_ROLE,
        values: SetOfVec::try_from(vec![Any::encode_from(&data)?])?,
    })
}

/// DER of a `subjectDirectoryAttributes` extension value carrying `hcRole` with `roles`.
pub fn sda_with_hc_roles(roles: &[&str]) -> Result<Vec<u8>, Error> {
    let sda: SubjectDirectoryAttributes = vec![hc_role_attribute(roles)?];
    Ok(sda.to_der()?)
}

/// The free texts of all `hcRole` qualifications in a `subjectDirectoryAttributes` value.
pub fn hc_roles_from_sda(sda_der: &[u8]) -> Result<Vec<String>, Error> {
    let sda = SubjectDirectoryAttributes::from_der(sda_der)?;
    let mut roles = Vec::new();
    for attr in sda.iter().filter(|a| a.oid == oid::HC_ROLE) {
        for value in attr.values.iter() {
            let data: HcActorData = value.decode_as()?;
            roles.extend(data.iter().filter_map(|a| a.free_text().map(str::to_owned)));
        }
    }
    Ok(roles)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The subjectDirectoryAttributes extension value of the real MEDIS test signer
    /// certificate (/work/shared/hpki-real/medis-test-signer-ee.cer).
    const MEDIS_SDA: &str = "303430320606288185420001312831263024a0223120a00c060a2a830886910f\
                             01060101a2100c0e4d65646963616c20446f63746f72";

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .filter_map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
            .collect()
    }

    #[test]
    fn encodes_exactly_like_medis() -> Result<(), Error> {
        assert_eq!(sda_with_hc_roles(&["Medical Doctor"])?, unhex(MEDIS_SDA));
        Ok(())
    }

    #[test]
    fn decodes_medis_and_round_trips() -> Result<(), Error> {
        assert_eq!(hc_roles_from_sda(&unhex(MEDIS_SDA))?, ["Medical Doctor"]);
        let two = sda_with_hc_roles(&["Medical Doctor", "Pharmacist"])?;
        let mut roles = hc_roles_from_sda(&two)?;
        roles.sort();
        assert_eq!(roles, ["Medical Doctor", "Pharmacist"]);
        let actor = HcActor::hpki("Pharmacist");
        assert_eq!(HcActor::from_der(&actor.to_der()?)?, actor);
        Ok(())
    }
}
