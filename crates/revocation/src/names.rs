//! General names, distribution points and name comparison (RFC 5280 §4.2.1.6, §4.2.1.13,
//! §5.2.5, §7.1), read from spans of the original encoding.
//!
//! Distinguished names are compared first as DER bytes, then attribute by attribute with
//! the string preparation of RFC 5280 §7.1 simplified to what real CAs need: surrounding
//! whitespace removed, inner runs of whitespace collapsed, case folded; the string type
//! (PrintableString, UTF8String, …) does not matter.

use const_oid::db::rfc5280::{
    ID_AD_CA_ISSUERS, ID_AD_OCSP, ID_CE_CRL_DISTRIBUTION_POINTS, ID_CE_FRESHEST_CRL,
    ID_PE_AUTHORITY_INFO_ACCESS,
};
use kenpo_core::asn1::string::directory_string;
use kenpo_core::cert::CertRef;
use kenpo_core::der_span::{Reader, SpanError, Tlv, parse_one, tag, tlv};

use crate::asn1;

/// A malformed name, distribution point or access description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// DER structure error.
    #[error("DER: {0}")]
    Der(#[from] SpanError),
    /// Structure is DER but not what the ASN.1 module says.
    #[error("{0}")]
    Malformed(String),
}

/// One `GeneralName` (RFC 5280 §4.2.1.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GeneralName {
    /// uniformResourceIdentifier `[6]`.
    Uri(String),
    /// directoryName `[4]`: the DER of the `Name` (a SEQUENCE TLV).
    DirectoryName(Vec<u8>),
    /// Any other choice: its whole TLV, compared as bytes.
    Other(Vec<u8>),
}

impl GeneralName {
    /// Reads one GeneralName TLV.
    pub fn from_tlv(t: Tlv<'_>) -> Result<Self, NameError> {
        Ok(match t.tag {
            0x86 => Self::Uri(
                std::str::from_utf8(t.value)
                    .map_err(|_| NameError::Malformed("URI is not ASCII".into()))?
                    .to_owned(),
            ),
            0xa4 => {
                let mut r = t.reader();
                let name = r.expect(tag::SEQUENCE)?;
                r.finish()?;
                Self::DirectoryName(name.raw.to_vec())
            }
            _ => Self::Other(t.raw.to_vec()),
        })
    }

    /// Whether two general names denote the same name: URIs by exact text (scheme and
    /// host case-insensitively), directory names with [`names_equal`], others as DER.
    pub fn matches(&self, other: &GeneralName) -> bool {
        match (self, other) {
            (Self::Uri(a), Self::Uri(b)) => uri_equal(a, b),
            (Self::DirectoryName(a), Self::DirectoryName(b)) => names_equal(a, b),
            (Self::Other(a), Self::Other(b)) => a == b,
            _ => false,
        }
    }
}

impl std::fmt::Display for GeneralName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Uri(u) => write!(f, "URI:{u}"),
            Self::DirectoryName(n) => {
                write!(f, "DirName:{}", kenpo_core::asn1::name::name_string(n))
            }
            Self::Other(raw) => write!(f, "GeneralName:{}", hex::encode_upper(raw)),
        }
    }
}

fn uri_equal(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    // scheme://authority is case-insensitive, the rest is not.
    let split = |s: &str| -> Option<(String, String)> {
        let i = s.find("://")?;
        let rest = &s[i + 3..];
        let j = rest.find('/').map_or(s.len(), |j| i + 3 + j);
        Some((s[..j].to_ascii_lowercase(), s[j..].to_owned()))
    };
    match (split(a), split(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// Reads the contents of a `GeneralNames` (SEQUENCE OF GeneralName, tag already removed).
pub fn general_names(mut r: Reader<'_>) -> Result<Vec<GeneralName>, NameError> {
    let mut out = Vec::new();
    while !r.is_empty() {
        out.push(GeneralName::from_tlv(r.read()?)?);
    }
    if out.is_empty() {
        return Err(NameError::Malformed("empty GeneralNames".into()));
    }
    Ok(out)
}

/// `DistributionPointName` (RFC 5280 §4.2.1.13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DistributionPointName {
    /// fullName `[0]`.
    FullName(Vec<GeneralName>),
    /// nameRelativeToCRLIssuer `[1]`: the RDN as a DER SET TLV.
    RelativeToCrlIssuer(Vec<u8>),
}

impl DistributionPointName {
    /// Reads the `[0]` DistributionPointName field (the explicit wrapper TLV).
    pub(crate) fn from_field(field: Tlv<'_>) -> Result<Self, NameError> {
        let mut r = field.reader();
        let choice = r.read()?;
        r.finish()?;
        match choice.tag {
            0xa0 => Ok(Self::FullName(general_names(choice.reader())?)),
            0xa1 => Ok(Self::RelativeToCrlIssuer(tlv(tag::SET, &[choice.value]))),
            other => Err(NameError::Malformed(format!(
                "DistributionPointName with tag 0x{other:02x}"
            ))),
        }
    }

    /// The names this denotes; a relative name is appended to `base_issuer` (a Name TLV).
    pub fn resolve(&self, base_issuer: &[u8]) -> Vec<GeneralName> {
        match self {
            Self::FullName(names) => names.clone(),
            Self::RelativeToCrlIssuer(rdn) => match parse_one(base_issuer) {
                Ok(issuer) if issuer.tag == tag::SEQUENCE => {
                    vec![GeneralName::DirectoryName(tlv(
                        tag::SEQUENCE,
                        &[issuer.value, rdn],
                    ))]
                }
                _ => Vec::new(),
            },
        }
    }
}

/// CRL reason flags as a bit mask: bit `n` is ReasonFlags bit `n` (1 = keyCompromise …
/// 8 = aACompromise).
pub type ReasonMask = u16;

/// All reasons a CRL can cover (ReasonFlags bits 1–8).
pub const ALL_REASONS: ReasonMask = 0x01fe;

/// Reads a ReasonFlags BIT STRING's contents into a mask.
pub(crate) fn reason_mask(bit_string_value: &[u8]) -> ReasonMask {
    (0..9usize)
        .filter(|&n| asn1::bit_set(bit_string_value, n))
        .fold(0, |m, n| m | (1 << n))
}

/// One `DistributionPoint` of a certificate's cRLDistributionPoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionPoint {
    /// distributionPoint.
    pub name: Option<DistributionPointName>,
    /// reasons (absent = all reasons).
    pub reasons: Option<ReasonMask>,
    /// cRLIssuer (present only for indirect CRLs).
    pub crl_issuer: Option<Vec<GeneralName>>,
}

/// Whether a URL has the http or https scheme (case-insensitively).
pub(crate) fn is_http(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// The certificate's cRLDistributionPoints (empty when the extension is absent).
pub fn crl_distribution_points(cert: &CertRef<'_>) -> Result<Vec<DistributionPoint>, NameError> {
    match cert.extension(ID_CE_CRL_DISTRIBUTION_POINTS) {
        Some(ext) => parse_distribution_points(ext.value),
        None => Ok(Vec::new()),
    }
}

/// The certificate's freshestCRL: where its delta CRLs are (empty when absent).
pub fn freshest_crl_points(cert: &CertRef<'_>) -> Result<Vec<DistributionPoint>, NameError> {
    match cert.extension(ID_CE_FRESHEST_CRL) {
        Some(ext) => parse_distribution_points(ext.value),
        None => Ok(Vec::new()),
    }
}

/// Reads a `CRLDistributionPoints` / `FreshestCRL` value (SEQUENCE OF DistributionPoint).
pub fn parse_distribution_points(value: &[u8]) -> Result<Vec<DistributionPoint>, NameError> {
    let seq = parse_one(value)?.expect(tag::SEQUENCE)?;
    let mut r = seq.reader();
    let mut out = Vec::new();
    while !r.is_empty() {
        let dp = r.expect(tag::SEQUENCE)?;
        let mut d = dp.reader();
        let name = match d.optional(0xa0)? {
            Some(f) => Some(DistributionPointName::from_field(f)?),
            None => None,
        };
        let reasons = d.optional(0x81)?.map(|b| reason_mask(b.value));
        let crl_issuer = match d.optional(0xa2)? {
            Some(f) => Some(general_names(f.reader())?),
            None => None,
        };
        d.finish()?;
        if name.is_none() && crl_issuer.is_none() {
            return Err(NameError::Malformed(
                "DistributionPoint with neither distributionPoint nor cRLIssuer".into(),
            ));
        }
        out.push(DistributionPoint {
            name,
            reasons,
            crl_issuer,
        });
    }
    Ok(out)
}

/// The OCSP responder URLs of the certificate's authorityInfoAccess (any scheme).
pub fn ocsp_urls(cert: &CertRef<'_>) -> Result<Vec<String>, NameError> {
    aia_urls(cert, ID_AD_OCSP)
}

/// The caIssuers URLs of the certificate's authorityInfoAccess (any scheme): where the
/// issuer's certificate (DER, or a certs-only CMS) can be fetched.
pub fn ca_issuers_urls(cert: &CertRef<'_>) -> Result<Vec<String>, NameError> {
    aia_urls(cert, ID_AD_CA_ISSUERS)
}

fn aia_urls(
    cert: &CertRef<'_>,
    wanted: const_oid::ObjectIdentifier,
) -> Result<Vec<String>, NameError> {
    let Some(ext) = cert.extension(ID_PE_AUTHORITY_INFO_ACCESS) else {
        return Ok(Vec::new());
    };
    let seq = parse_one(ext.value)?.expect(tag::SEQUENCE)?;
    let mut r = seq.reader();
    let mut out = Vec::new();
    while !r.is_empty() {
        let ad = r.expect(tag::SEQUENCE)?;
        let mut a = ad.reader();
        let method = asn1::read_oid(a.read()?).map_err(NameError::Malformed)?;
        let location = GeneralName::from_tlv(a.read()?)?;
        a.finish()?;
        if method == wanted
            && let GeneralName::Uri(u) = location
        {
            out.push(u);
        }
    }
    Ok(out)
}

/// Whether two DER `Name`s are equal: byte-identical, or equal attribute by attribute
/// after RFC 5280 §7.1 style string preparation (see the module docs).
pub fn names_equal(a: &[u8], b: &[u8]) -> bool {
    a == b || names_equal_prepared(a, b).unwrap_or(false)
}

fn names_equal_prepared(a: &[u8], b: &[u8]) -> Result<bool, SpanError> {
    let mut ra = parse_one(a)?.expect(tag::SEQUENCE)?.reader();
    let mut rb = parse_one(b)?.expect(tag::SEQUENCE)?.reader();
    // Names of one hierarchy share their leading RDNs (country, organisation) and differ
    // in the last (common name): with both RDN lists on the stack, a different count or
    // a different last RDN answers before any leading one is prepared.
    // Only the encodings are kept (16 octets each), and read again when compared.
    const MAX: usize = 16;
    let (mut xa, mut xb): ([&[u8]; MAX], [&[u8]; MAX]) = ([&[]; MAX], [&[]; MAX]);
    let (mut na, mut nb) = (0, 0);
    while !ra.is_empty() && na < MAX {
        xa[na] = ra.read()?.raw;
        na += 1;
    }
    while !rb.is_empty() && nb < MAX {
        xb[nb] = rb.read()?.raw;
        nb += 1;
    }
    if ra.is_empty() && rb.is_empty() {
        if na != nb {
            return Ok(false);
        }
        for i in (0..na).rev() {
            if xa[i] != xb[i] && !rdn_equal(parse_one(xa[i])?, parse_one(xb[i])?)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    // Over MAX RDNs on either side: in order, without collecting.
    let mut ra = parse_one(a)?.expect(tag::SEQUENCE)?.reader();
    let mut rb = parse_one(b)?.expect(tag::SEQUENCE)?.reader();
    loop {
        match (ra.is_empty(), rb.is_empty()) {
            (true, true) => return Ok(true),
            (false, false) => {
                if !rdn_equal(ra.read()?, rb.read()?)? {
                    return Ok(false);
                }
            }
            _ => return Ok(false),
        }
    }
}

fn rdn_equal(a: Tlv<'_>, b: Tlv<'_>) -> Result<bool, SpanError> {
    let (sa, sb) = (a.expect(tag::SET)?, b.expect(tag::SET)?);
    let (mut ra, mut rb) = (sa.reader(), sb.reader());
    let (fa, fb) = (ra.read()?, rb.read()?);
    if ra.is_empty() && rb.is_empty() {
        // One attribute each: the usual case.
        return atv_equal(fa, fb);
    }
    let xa = sa.reader().all()?;
    let xb = sb.reader().all()?;
    if xa.len() != xb.len() {
        return Ok(false);
    }
    for atv in &xa {
        let mut found = false;
        for other in &xb {
            if atv_equal(*atv, *other)? {
                found = true;
                break;
            }
        }
        if !found {
            return Ok(false);
        }
    }
    Ok(true)
}

fn atv_equal(a: Tlv<'_>, b: Tlv<'_>) -> Result<bool, SpanError> {
    let mut ra = a.expect(tag::SEQUENCE)?.reader();
    let mut rb = b.expect(tag::SEQUENCE)?.reader();
    let (ta, tb) = (ra.expect(tag::OID)?, rb.expect(tag::OID)?);
    if ta.value != tb.value {
        return Ok(false);
    }
    let (va, vb) = (ra.read()?, rb.read()?);
    if va.raw == vb.raw {
        return Ok(true);
    }
    Ok(match (directory_string(va), directory_string(vb)) {
        (Ok(x), Ok(y)) => prepared_eq(&x, &y),
        _ => false,
    })
}

/// Whether `a` and `b` are equal once whitespace is trimmed and collapsed and case folded,
/// compared without building either.
fn prepared_eq(a: &str, b: &str) -> bool {
    fn chars(s: &str) -> impl Iterator<Item = char> + '_ {
        s.split_whitespace()
            .enumerate()
            .flat_map(|(i, w)| (i > 0).then_some(' ').into_iter().chain(w.chars()))
            .flat_map(char::to_lowercase)
    }
    // Printable ASCII with single inner spaces is prepared already: only case can differ.
    // One pass: no octet outside 0x20..0x7f, no space first, last or after a space.
    fn plain(s: &str) -> bool {
        let mut after_space = true;
        for &c in s.as_bytes() {
            if !(0x20..0x7f).contains(&c) || (c == b' ' && after_space) {
                return false;
            }
            after_space = c == b' ';
        }
        !after_space || s.is_empty()
    }
    // Equal but for ASCII case: equal once prepared (the same whitespace, the same
    // non-ASCII characters).
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    if plain(a) && plain(b) {
        return false;
    }
    // str::to_lowercase maps a word-final capital sigma to ς, which char::to_lowercase
    // cannot know: such strings take the allocating way.
    if a.contains('Σ') || b.contains('Σ') {
        let prepare = |s: &str| {
            s.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        };
        return prepare(a) == prepare(b);
    }
    chars(a).eq(chars(b))
}

#[cfg(test)]
mod tests {
    /// The reference preparation: whitespace trimmed and collapsed, case folded.
    fn prepare(s: &str) -> String {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    }

    #[test]
    fn prepared_eq_agrees_with_building_the_strings() {
        let samples = [
            "",
            " ",
            "a",
            "A",
            "a b",
            "a  b",
            " a b ",
            "A\tB",
            "ab",
            "a bc",
            "ab c",
            "İstanbul",
            "i̇stanbul",
            "ΣΑΣ",
            "σας",
            "Kenpo  Test\u{3000}Hospital",
            "kenpo test hospital",
            "健康保険組合",
            "健康保険 組合",
            "ǅ",
            "ǆ",
            "Kenpo Test CA",
            "KENPO TEST CA",
            "kenpo test ca ",
            "Kenpo  Test CA",
            "Kenpo\tTest CA",
            "Kenpo\u{b}Test CA",
            "Kenpo\u{1c}Test CA",
            "Kenpo Test CB",
            "Kenpo~Test_CA",
        ];
        for a in samples {
            for b in samples {
                assert_eq!(
                    super::prepared_eq(a, b),
                    prepare(a) == prepare(b),
                    "{a:?} vs {b:?}"
                );
            }
        }
    }
    use super::*;

    fn name(parts: &[(u8, &[u8])]) -> Vec<u8> {
        // C / CN attribute with the given string tag.
        let rdns: Vec<Vec<u8>> = parts
            .iter()
            .enumerate()
            .map(|(i, (t, v))| {
                let oid: &[u8] = if i == 0 {
                    &[0x06, 0x03, 0x55, 0x04, 0x06]
                } else {
                    &[0x06, 0x03, 0x55, 0x04, 0x03]
                };
                let atv = tlv(tag::SEQUENCE, &[oid, &tlv(*t, &[v])]);
                tlv(tag::SET, &[&atv])
            })
            .collect();
        let refs: Vec<&[u8]> = rdns.iter().map(Vec::as_slice).collect();
        tlv(tag::SEQUENCE, &refs)
    }

    #[test]
    fn name_comparison_prepares_strings() {
        let a = name(&[(0x13, b"JP"), (0x0c, b"MHLW  HPKI Root")]);
        let b = name(&[(0x13, b"JP"), (0x13, b" mhlw hpki root ")]);
        let c = name(&[(0x13, b"JP"), (0x0c, b"MHLW HPKI Root2")]);
        assert!(names_equal(&a, &a));
        assert!(names_equal(&a, &b));
        assert!(!names_equal(&a, &c));
        assert!(!names_equal(&a, &name(&[(0x13, b"JP")])));
        assert!(!names_equal(&a, b"\x30\x84\xff\xff\xff\xff"));
    }

    #[test]
    fn long_names_compare_like_short_ones() {
        // Past the 16 RDNs kept on the stack the comparison goes in order; both ways
        // must agree on equality, case folding and a difference in any one RDN.
        for n in [1usize, 2, 15, 16, 17, 40] {
            let parts = |last: &'static [u8], first: &'static [u8]| -> Vec<(u8, &[u8])> {
                (0..n)
                    .map(|i| match i {
                        0 => (0x13, first),
                        i if i == n - 1 => (0x0c, last),
                        _ => (0x0c, &b"Unit"[..]),
                    })
                    .collect()
            };
            let a = name(&parts(b"Kenpo CA", b"JP"));
            let b = name(&parts(b" kenpo  ca", b"JP"));
            let c = name(&parts(b"Kenpo CA 2", b"JP"));
            assert!(names_equal(&a, &b), "{n} RDNs");
            assert_eq!(names_equal(&a, &c), n == 1, "{n} RDNs");
            if n > 1 {
                let d = name(&parts(b"Kenpo CA", b"US"));
                assert!(!names_equal(&a, &d), "{n} RDNs, first differs");
                let mut e = parts(b"Kenpo CA", b"JP");
                e.pop();
                assert!(!names_equal(&a, &name(&e)), "{n} vs {} RDNs", n - 1);
            }
        }
    }

    #[test]
    fn uris_compare_scheme_and_host_case_insensitively() {
        assert!(uri_equal(
            "HTTP://Example.org/crl/A.crl",
            "http://example.org/crl/A.crl"
        ));
        assert!(!uri_equal(
            "http://example.org/crl/A.crl",
            "http://example.org/crl/a.crl"
        ));
    }

    #[test]
    fn relative_names_resolve_against_the_issuer() {
        let issuer = name(&[(0x13, b"JP")]);
        let rdn = {
            let atv = tlv(
                tag::SEQUENCE,
                &[&[0x06, 0x03, 0x55, 0x04, 0x03], &tlv(0x0c, &[b"SARL"])],
            );
            tlv(tag::SET, &[&atv])
        };
        let dpn = DistributionPointName::RelativeToCrlIssuer(rdn);
        let full = name(&[(0x13, b"JP"), (0x0c, b"SARL")]);
        assert_eq!(dpn.resolve(&issuer), vec![GeneralName::DirectoryName(full)]);
    }
}
