//! [`AttributeValues`]: the value TLVs of one CMS attribute, read as a slice.
//!
//! RFC 5652 attributes are a `SET OF` values, and nearly every attribute carries exactly
//! one (content-type, message-digest, signing-time, a time-stamp token). One value is kept
//! inline, so reading a SignerInfo allocates per attribute list, not per attribute.

use std::ops::Deref;

use crate::der_span::{Reader, SpanError, Tlv};

/// The values of one attribute, in encoding order; dereferences to `[Tlv]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeValues<'a>(Repr<'a>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Repr<'a> {
    One(Tlv<'a>),
    Many(Vec<Tlv<'a>>),
}

impl<'a> AttributeValues<'a> {
    /// Reads every TLV of `r` (the contents of the values `SET`).
    pub fn read(mut r: Reader<'a>) -> Result<Self, SpanError> {
        if r.is_empty() {
            return Ok(Self(Repr::Many(Vec::new())));
        }
        let first = r.read()?;
        if r.is_empty() {
            return Ok(Self(Repr::One(first)));
        }
        let mut all = vec![first];
        while !r.is_empty() {
            all.push(r.read()?);
        }
        Ok(Self(Repr::Many(all)))
    }
}

impl<'a> Deref for AttributeValues<'a> {
    type Target = [Tlv<'a>];

    fn deref(&self) -> &[Tlv<'a>] {
        match &self.0 {
            Repr::One(t) => std::slice::from_ref(t),
            Repr::Many(v) => v,
        }
    }
}

impl<'s, 'a> IntoIterator for &'s AttributeValues<'a> {
    type Item = &'s Tlv<'a>;
    type IntoIter = std::slice::Iter<'s, Tlv<'a>>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn values(set_contents: &[u8]) -> Result<Vec<Tlv<'_>>, SpanError> {
        AttributeValues::read(Reader::new(set_contents)).map(|v| v.to_vec())
    }

    #[test]
    fn none_one_and_several_values_read_in_order() {
        assert!(values(&[]).unwrap().is_empty());
        let one = values(&[0x02, 0x01, 0x07]).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].value, &[0x07]);
        let three = values(&[0x02, 0x01, 0x01, 0x04, 0x00, 0x02, 0x01, 0x03]).unwrap();
        let tags: Vec<u8> = three.iter().map(|t| t.tag).collect();
        assert_eq!(tags, [0x02, 0x04, 0x02]);
        assert_eq!(three[2].value, &[0x03]);
        let v = AttributeValues::read(Reader::new(&[0x02, 0x01, 0x01, 0x02, 0x01, 0x02])).unwrap();
        assert_eq!((&v).into_iter().count(), 2);
    }

    #[test]
    fn a_bad_value_is_an_error() {
        assert!(values(&[0x02, 0x05, 0x01]).is_err());
        assert!(values(&[0x02, 0x01, 0x01, 0x02]).is_err());
    }
}
