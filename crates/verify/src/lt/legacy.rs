//! The legacy validation-data attributes of ETSI TS 101 733 (CAdES-X-Long, as JIS X 5092
//! era receivers expect): certificate-values (`1.2.840.113549.1.9.16.2.23`) and
//! revocation-values (`1.2.840.113549.1.9.16.2.24`), added as unsigned attributes in
//! addition to the SignedData fields (optional, [`super::ExtendOptions::legacy_values`]).

use kenpo_core::cms::build::attribute;
use kenpo_core::der_span::{parse_one, tag, tlv};
use kenpo_core::oid;

use super::ExtendError;
use super::gather::Gathered;

/// The BasicOCSPResponse inside an OCSPResponse (`responseBytes.response` contents).
fn basic_of(ocsp_response: &[u8]) -> Option<&[u8]> {
    let mut r = parse_one(ocsp_response).ok()?.reader();
    let _status = r.read().ok()?;
    let explicit = r.read().ok()?;
    let response_bytes = parse_one(explicit.value).ok()?;
    let mut rb = response_bytes.reader();
    let _type = rb.read().ok()?;
    let octets = rb.read().ok()?;
    (octets.tag == tag::OCTET_STRING).then_some(octets.value)
}

/// `certificate-values` and `revocation-values` attributes for `g`.
pub(super) fn attributes(g: &Gathered) -> Result<Vec<Vec<u8>>, ExtendError> {
    let certs: Vec<&[u8]> = g.certs.iter().map(Vec::as_slice).collect();
    let cert_values = attribute(oid::ATTR_CERTIFICATE_VALUES, &[&tlv(tag::SEQUENCE, &certs)])?;
    let crls: Vec<&[u8]> = g.crls.iter().map(Vec::as_slice).collect();
    let basics: Vec<&[u8]> = g.ocsp.iter().filter_map(|o| basic_of(o)).collect();
    let mut fields: Vec<Vec<u8>> = Vec::new();
    if !crls.is_empty() {
        fields.push(tlv(tag::context(0), &[&tlv(tag::SEQUENCE, &crls)]));
    }
    if !basics.is_empty() {
        fields.push(tlv(tag::context(1), &[&tlv(tag::SEQUENCE, &basics)]));
    }
    let fields: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
    let rev_values = attribute(oid::ATTR_REVOCATION_VALUES, &[&tlv(tag::SEQUENCE, &fields)])?;
    Ok(vec![cert_values, rev_values])
}
