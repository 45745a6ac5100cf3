//! Object identifiers used across kenpo-sign, in one place.
//!
//! Standard OIDs come from [`const_oid::db`] where it has them; CAdES, RFC 3161 and HPKI
//! (保健医療福祉分野PKI) identifiers that it lacks are defined here.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use const_oid::ObjectIdentifier as Oid;

// ---- digests -------------------------------------------------------------------------
/// SHA-1 (verification of legacy material only).
pub const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
/// SHA-256.
pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
/// SHA-384.
pub const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
/// SHA-512.
pub const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");

// ---- public keys and signatures ------------------------------------------------------
/// rsaEncryption (RSA public key; also seen as a signature algorithm in CMS).
pub const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
/// sha1WithRSAEncryption.
pub const SHA1_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.5");
/// sha256WithRSAEncryption.
pub const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
/// sha384WithRSAEncryption.
pub const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
/// sha512WithRSAEncryption.
pub const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
/// id-RSASSA-PSS.
pub const RSASSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");
/// id-mgf1.
pub const MGF1: Oid = Oid::new_unwrap("1.2.840.113549.1.1.8");
/// id-ecPublicKey.
pub const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
/// NIST P-256 (secp256r1).
pub const SECP256R1: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
/// NIST P-384 (secp384r1).
pub const SECP384R1: Oid = Oid::new_unwrap("1.3.132.0.34");
/// ecdsa-with-SHA1.
pub const ECDSA_WITH_SHA1: Oid = Oid::new_unwrap("1.2.840.10045.4.1");
/// ecdsa-with-SHA256.
pub const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
/// ecdsa-with-SHA384.
pub const ECDSA_WITH_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
/// ecdsa-with-SHA512.
pub const ECDSA_WITH_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
/// SHA3-224 (FIPS 202; NIST arc 2.16.840.1.101.3.4.2).
pub const SHA3_224: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.7");
/// SHA3-256.
pub const SHA3_256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.8");
/// SHA3-384.
pub const SHA3_384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.9");
/// SHA3-512.
pub const SHA3_512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.10");
/// id-ecdsa-with-sha3-224 (NIST arc 2.16.840.1.101.3.4.3, RFC 8702 context).
pub const ECDSA_WITH_SHA3_224: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.9");
/// id-ecdsa-with-sha3-256.
pub const ECDSA_WITH_SHA3_256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.10");
/// id-ecdsa-with-sha3-384.
pub const ECDSA_WITH_SHA3_384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.11");
/// id-ecdsa-with-sha3-512.
pub const ECDSA_WITH_SHA3_512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.12");
/// id-rsassa-pkcs1-v1_5-with-sha3-224.
pub const SHA3_224_WITH_RSA: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.13");
/// id-rsassa-pkcs1-v1_5-with-sha3-256.
pub const SHA3_256_WITH_RSA: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.14");
/// id-rsassa-pkcs1-v1_5-with-sha3-384.
pub const SHA3_384_WITH_RSA: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.15");
/// id-rsassa-pkcs1-v1_5-with-sha3-512.
pub const SHA3_512_WITH_RSA: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.16");

// ---- CMS (RFC 5652) and ESS (RFC 2634 / 5035) ------------------------------------------
/// id-data.
pub const ID_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
/// id-signedData.
pub const ID_SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
/// id-contentType attribute.
pub const ATTR_CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
/// id-messageDigest attribute.
pub const ATTR_MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
/// id-signingTime attribute.
pub const ATTR_SIGNING_TIME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.5");
/// id-countersignature attribute.
pub const ATTR_COUNTER_SIGNATURE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.6");
/// id-aa-signingCertificate (ESSCertID, SHA-1).
pub const ATTR_SIGNING_CERTIFICATE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.12");
/// id-aa-signingCertificateV2 (ESSCertIDv2).
pub const ATTR_SIGNING_CERTIFICATE_V2: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.47");

// ---- RFC 3161 ----------------------------------------------------------------------------
/// id-ct-TSTInfo: the eContentType of a time-stamp token.
pub const ID_CT_TST_INFO: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// id-kp-timeStamping extended key usage.
pub const KP_TIME_STAMPING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.8");
/// id-kp-OCSPSigning extended key usage.
pub const KP_OCSP_SIGNING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.9");
/// id-pkix-ocsp-nocheck extension.
pub const OCSP_NOCHECK: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.5");

// ---- CAdES (ETSI EN 319 122-1) -------------------------------------------------------------
/// id-aa-signatureTimeStampToken.
pub const ATTR_SIGNATURE_TIME_STAMP: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// id-aa-ets-contentTimestamp.
pub const ATTR_CONTENT_TIME_STAMP: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.20");
/// id-aa-ets-archiveTimestampV2 (TS 101 733, legacy).
pub const ATTR_ARCHIVE_TIME_STAMP_V2: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.48");
/// id-aa-ets-archiveTimestampV3.
pub const ATTR_ARCHIVE_TIME_STAMP_V3: Oid = Oid::new_unwrap("0.4.0.1733.2.4");
/// id-aa-ATSHashIndex-v3.
pub const ATTR_ATS_HASH_INDEX_V3: Oid = Oid::new_unwrap("0.4.0.19122.1.5");
/// id-aa-ets-certValues: certificate-values (TS 101 733 CAdES-X-Long).
pub const ATTR_CERTIFICATE_VALUES: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.23");
/// id-aa-ets-revocationValues: revocation-values (TS 101 733 CAdES-X-Long).
pub const ATTR_REVOCATION_VALUES: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.24");
/// id-ri-ocsp-response (RevocationInfoChoice other format).
pub const RI_OCSP_RESPONSE: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.16.2");

// ---- HPKI (保健医療福祉分野PKI) and ISO/TS 17090 ---------------------------------------------
/// Arc of HPKI *signature* certificate policies (`1.2.392.100495.1.5.1.1.`).
pub const HPKI_SIGNATURE_POLICY_ARC: &str = "1.2.392.100495.1.5.1.1.";
/// Arc of HPKI *authentication* certificate policies (`1.2.392.100495.1.5.1.2.`).
pub const HPKI_AUTH_POLICY_ARC: &str = "1.2.392.100495.1.5.1.2.";
/// Policy asserted by HPKI signing CAs (as the MEDIS sign CA 2 does).
pub const HPKI_SIGN_CA_POLICY: Oid = Oid::new_unwrap("1.2.392.100495.1.5.1.1.3.1");
/// Policy of HPKI signer end-entity certificates (as the MEDIS test signer carries).
pub const HPKI_SIGNER_POLICY: Oid = Oid::new_unwrap("1.2.392.100495.1.5.1.1.0.1");
/// Policy asserted by HPKI authentication CAs.
pub const HPKI_AUTH_CA_POLICY: Oid = Oid::new_unwrap("1.2.392.100495.1.5.1.2.3.1");
/// Policy of HPKI authentication end-entity certificates.
pub const HPKI_AUTH_POLICY: Oid = Oid::new_unwrap("1.2.392.100495.1.5.1.2.0.1");
/// hcRole attribute type (ISO/TS 17090), carried in subjectDirectoryAttributes.
pub const HC_ROLE: Oid = Oid::new_unwrap("1.0.17090.0.1");
/// Coding scheme of HPKI hcRole codes.
pub const HPKI_HC_ROLE_SCHEME: Oid = Oid::new_unwrap("1.2.392.100495.1.6.1.1");

/// True when `oid` is an HPKI signature policy (under [`HPKI_SIGNATURE_POLICY_ARC`]).
pub fn is_hpki_signature_policy(oid: &Oid) -> bool {
    matches_dotted(oid, HPKI_SIGNATURE_POLICY_ARC)
}

/// True when `oid` is an HPKI authentication policy (under [`HPKI_AUTH_POLICY_ARC`]).
pub fn is_hpki_auth_policy(oid: &Oid) -> bool {
    matches_dotted(oid, HPKI_AUTH_POLICY_ARC)
}

/// Whether `oid` matches the dotted-decimal `pattern`: equal to it, or, when `pattern`
/// ends with a dot (`"1.2.392."`), strictly under that arc. The same answer as comparing
/// `oid.to_string()` with `pattern` as text, without formatting the OID.
pub fn matches_dotted(oid: &Oid, pattern: &str) -> bool {
    let (body, under) = match pattern.strip_suffix('.') {
        Some(b) => (b, true),
        None => (pattern, false),
    };
    let mut arcs = oid.arcs();
    for part in body.split('.') {
        // The text of an arc is canonical decimal: no sign, no leading zero.
        let canonical = !part.is_empty()
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part == "0" || !part.starts_with('0'));
        let Some(n) = canonical.then(|| part.parse::<u32>().ok()).flatten() else {
            return false;
        };
        if arcs.next() != Some(n) {
            return false;
        }
    }
    arcs.next().is_some() == under
}

/// OIDs met in nearly every signature, certificate and token, so that
/// [`from_content`] matches them by their encoding instead of decoding arc by arc.
const COMMON: &[Oid] = {
    use const_oid::db::rfc5280 as ids;
    &[
        SHA256,
        SHA384,
        SHA512,
        SHA1,
        RSA_ENCRYPTION,
        SHA256_WITH_RSA,
        SHA384_WITH_RSA,
        SHA512_WITH_RSA,
        SHA1_WITH_RSA,
        RSASSA_PSS,
        EC_PUBLIC_KEY,
        ECDSA_WITH_SHA256,
        ECDSA_WITH_SHA384,
        ID_DATA,
        ID_SIGNED_DATA,
        ID_CT_TST_INFO,
        ATTR_CONTENT_TYPE,
        ATTR_MESSAGE_DIGEST,
        ATTR_SIGNING_TIME,
        ATTR_SIGNING_CERTIFICATE,
        ATTR_SIGNING_CERTIFICATE_V2,
        ATTR_SIGNATURE_TIME_STAMP,
        ATTR_CERTIFICATE_VALUES,
        ATTR_REVOCATION_VALUES,
        ATTR_ARCHIVE_TIME_STAMP_V3,
        ATTR_ATS_HASH_INDEX_V3,
        ids::ID_CE_SUBJECT_KEY_IDENTIFIER,
        ids::ID_CE_AUTHORITY_KEY_IDENTIFIER,
        ids::ID_CE_KEY_USAGE,
        ids::ID_CE_BASIC_CONSTRAINTS,
        ids::ID_CE_CERTIFICATE_POLICIES,
        ids::ID_CE_CRL_DISTRIBUTION_POINTS,
        ids::ID_CE_EXT_KEY_USAGE,
        ids::ID_CE_SUBJECT_ALT_NAME,
        ids::ID_CE_ISSUER_ALT_NAME,
        ids::ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES,
        ids::ID_CE_NAME_CONSTRAINTS,
        ids::ID_CE_POLICY_CONSTRAINTS,
        ids::ID_PE_AUTHORITY_INFO_ACCESS,
    ]
};

/// The dotted form of `o` as a report text: borrowed for the content types every
/// signature names (id-data, id-signedData, id-ct-TSTInfo), written out ([`dotted`]) for
/// any other OID.
pub fn dotted_text(o: &Oid) -> Cow<'static, str> {
    match *o {
        ID_DATA => Cow::Borrowed("1.2.840.113549.1.7.1"),
        ID_SIGNED_DATA => Cow::Borrowed("1.2.840.113549.1.7.2"),
        ID_CT_TST_INFO => Cow::Borrowed("1.2.840.113549.1.9.16.1.4"),
        _ => Cow::Owned(dotted(o)),
    }
}

/// The dotted form of `o` (`1.2.840.113549.1.7.1`), written into one allocation.
pub fn dotted(o: &Oid) -> String {
    use std::fmt::Write;
    // Each content octet gives at most three digits and a dot.
    let mut s = String::with_capacity(4 * o.as_bytes().len() + 4);
    let _ = write!(s, "{o}");
    s
}

/// Whether `raw` is the DER encoding (tag, length, contents) of `oid`: what decoding it
/// and comparing tells, without decoding (DER has one encoding per OID).
pub fn der_is(raw: &[u8], oid: &Oid) -> bool {
    // At most 39 content octets (const-oid's limit): the length is always one octet.
    let content = oid.as_bytes();
    match raw {
        [0x06, len, rest @ ..] => usize::from(*len) == content.len() && rest == content,
        _ => false,
    }
}

/// The OID whose DER contents (the octets after tag and length) are `content`; the usual
/// ones are matched by their encoding, any other is decoded and checked.
pub fn from_content(content: &[u8]) -> Result<Oid, const_oid::Error> {
    // The OIDs of every certificate extension and every CMS attribute: by their last arc,
    // no hashing (see `arc_slot`).
    if let Some((family, arc)) = arc_slot(content)
        && let Some(o) = arc_index()[family][arc].and_then(|i| COMMON.get(usize::from(i)))
    {
        return Ok(*o);
    }
    match common_index().get(content) {
        Some(o) => Ok(*o),
        None => Oid::from_bytes(content),
    }
}

/// 1.2.840.113549.1 (pkcs), encoded.
const RSADSI: [u8; 7] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01];

/// Families of [`arc_index`]: id-ce (2.5.29), then under [`RSADSI`] pkcs-1, pkcs-7,
/// pkcs-9, id-ct (pkcs-9.16.1) and id-aa (pkcs-9.16.2).
const ARC_FAMILIES: usize = 6;

/// Where an OID encoding sits in [`arc_index`]: its family and its last arc (one octet,
/// below 0x80); `None` for any other shape.
fn arc_slot(content: &[u8]) -> Option<(usize, usize)> {
    let (family, arc) = match *content {
        [0x55, 0x1d, n] => (0, n),
        _ => match *content.strip_prefix(&RSADSI)? {
            [1, n] => (1, n),
            [7, n] => (2, n),
            [9, n] => (3, n),
            [9, 0x10, 1, n] => (4, n),
            [9, 0x10, 2, n] => (5, n),
            _ => return None,
        },
    };
    (arc < 0x80).then_some((family, usize::from(arc)))
}

/// The [`COMMON`] OIDs that have an [`arc_slot`], as indexes into it.
fn arc_index() -> &'static [[Option<u8>; 128]; ARC_FAMILIES] {
    static INDEX: OnceLock<[[Option<u8>; 128]; ARC_FAMILIES]> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut t = [[None; 128]; ARC_FAMILIES];
        for (i, o) in COMMON.iter().enumerate() {
            if let Some((family, arc)) = arc_slot(o.as_bytes()) {
                t[family][arc] = u8::try_from(i).ok();
            }
        }
        t
    })
}

/// [`COMMON`] by encoding, hashed with FNV-1a: the keys are a few octets, and the table
/// is fixed, so input cannot make it degrade.
fn common_index() -> &'static HashMap<&'static [u8], Oid, BuildHasherDefault<Fnv>> {
    static INDEX: OnceLock<HashMap<&'static [u8], Oid, BuildHasherDefault<Fnv>>> = OnceLock::new();
    INDEX.get_or_init(|| COMMON.iter().map(|o| (o.as_bytes(), *o)).collect())
}

/// FNV-1a, for the short keys of [`common_index`].
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_texts_are_the_written_forms() {
        for o in COMMON.iter().chain([&HPKI_SIGNER_POLICY]) {
            assert_eq!(dotted_text(o), dotted(o));
        }
        for o in [ID_DATA, ID_SIGNED_DATA, ID_CT_TST_INFO] {
            assert!(matches!(dotted_text(&o), Cow::Borrowed(_)), "{o}");
        }
        assert!(matches!(dotted_text(&SHA256), Cow::Owned(_)));
    }

    #[test]
    fn der_is_says_what_decoding_says() {
        use der::{Decode, Encode};
        for o in COMMON.iter().chain([&HPKI_SIGNER_POLICY, &ID_CT_TST_INFO]) {
            let der = o.to_der().unwrap_or_default();
            let mut inputs = vec![der.clone(), der[..der.len() - 1].to_vec()];
            for i in 0..der.len() {
                for bit in [0x01, 0x80] {
                    let mut m = der.clone();
                    m[i] ^= bit;
                    inputs.push(m);
                }
            }
            let mut long_len = vec![0x06, 0x81];
            long_len.extend_from_slice(&der[1..]);
            inputs.push(long_len);
            let mut padded = der.clone();
            padded[1] += 1;
            padded.insert(2, 0x80);
            inputs.push(padded);
            for raw in &inputs {
                let decoded = Oid::from_der(raw).ok() == Some(*o);
                assert_eq!(der_is(raw, o), decoded, "{o} {raw:02x?}");
            }
            assert!(der_is(&der, o));
        }
    }

    #[test]
    fn every_encoding_decodes_as_the_decoder_does() {
        // id-ce by index, other common ones by table, the rest decoded.
        let mut inputs: Vec<Vec<u8>> = (0..=255u8).map(|a| vec![0x55, 0x1d, a]).collect();
        inputs.extend(COMMON.iter().map(|o| o.as_bytes().to_vec()));
        // Every slot of the RSADSI index, and its neighbours.
        for suffix in [
            &[1u8][..],
            &[7],
            &[9],
            &[9, 0x10, 1],
            &[9, 0x10, 2],
            &[9, 0x10, 3],
        ] {
            for n in 0..=255u8 {
                let mut c = RSADSI.to_vec();
                c.extend_from_slice(suffix);
                c.push(n);
                inputs.push(c);
            }
        }
        inputs.extend([
            vec![0x55, 0x1d],
            vec![0x55, 0x1d, 0x81, 0x00],
            vec![0x2a, 0x03],
            RSADSI.to_vec(),
            [&RSADSI[..], &[9, 0x10]].concat(),
            [&RSADSI[..], &[9, 0x10, 2, 0x81, 0x01]].concat(),
        ]);
        for c in inputs {
            assert_eq!(from_content(&c).ok(), Oid::from_bytes(&c).ok(), "{c:02x?}");
        }
    }

    #[test]
    fn dotted_is_display() {
        for o in COMMON
            .iter()
            .chain([&HPKI_SIGNER_POLICY, &HPKI_HC_ROLE_SCHEME])
        {
            assert_eq!(dotted(o), o.to_string());
        }
    }

    #[test]
    fn dotted_patterns_match_like_text() {
        let oids = [
            HPKI_SIGNER_POLICY,
            HPKI_SIGN_CA_POLICY,
            HPKI_AUTH_POLICY,
            HPKI_HC_ROLE_SCHEME,
            Oid::new_unwrap("1.2.392.100495.1.5.1.1"),
            Oid::new_unwrap("1.2.392.100495.1.5.1.10.1"),
            Oid::new_unwrap("1.2.392.100495.1.5.1.1.268435455"),
            Oid::new_unwrap("2.5.29.32.0"),
            Oid::new_unwrap("0.0.1"),
        ];
        let patterns = [
            HPKI_SIGNATURE_POLICY_ARC,
            HPKI_AUTH_POLICY_ARC,
            "1.2.392.100495.1.5.1.1",
            "1.2.392.100495.1.5.1.1.0.1",
            "1.2.392.100495.1.5.1.",
            "1.2.392.100495.1.5.1.1.0.",
            "1.2.392.100495.1.5.1.01.",
            "1.2.392.100495.1.5.1.1.4294967296",
            "1.2.392.100495.1.5.1.1.268435455",
            "1.2.392.100495.1.5.1.1..",
            "1.2.392.100495.1.5.1.+1.",
            "2.5.29.32.0",
            "2.5.",
            "2.",
            "0.0.1",
            "0.0.",
            "0.",
            "0.00.",
            "",
            ".",
            "1.2.392.100495.1.5.1.1.x",
        ];
        for o in &oids {
            let text = o.to_string();
            for p in patterns {
                let reference = if p.ends_with('.') {
                    text.starts_with(p)
                } else {
                    text == p
                };
                assert_eq!(matches_dotted(o, p), reference, "{text} vs {p:?}");
            }
        }
    }

    #[test]
    fn common_oids_match_their_decoding() {
        for o in COMMON {
            assert_eq!(from_content(o.as_bytes()), Oid::from_bytes(o.as_bytes()));
        }
        let other = Oid::new_unwrap("1.2.392.200001.99.1");
        assert_eq!(from_content(other.as_bytes()), Ok(other));
        assert!(from_content(&[0x80]).is_err());
        assert!(from_content(&[]).is_err());
    }

    #[test]
    fn hpki_arcs_classify_policies() {
        assert!(is_hpki_signature_policy(&HPKI_SIGNER_POLICY));
        assert!(is_hpki_signature_policy(&HPKI_SIGN_CA_POLICY));
        assert!(!is_hpki_signature_policy(&HPKI_AUTH_POLICY));
        assert!(is_hpki_auth_policy(&HPKI_AUTH_POLICY));
        // A prefix of the arc without the dot must not match (1.2.392.100495.1.5.1.10...).
        let near = Oid::new_unwrap("1.2.392.100495.1.5.1.10.1");
        assert!(!is_hpki_signature_policy(&near));
    }
}
