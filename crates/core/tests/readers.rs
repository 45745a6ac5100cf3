//! Unit tests of the shared readers (kenpo_core::asn1 and kenpo_core::pem), with the edge
//! cases of each copy they replaced.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod time {
    use kenpo_core::asn1::time::*;
    use kenpo_core::der_span::{Tlv, tag};
    use kenpo_core::timefmt::rfc3339;

    fn tlv(tag: u8, value: &[u8]) -> Tlv<'_> {
        Tlv {
            tag,
            value,
            raw: value,
            offset: 0,
        }
    }

    fn x509(tag: u8, v: &[u8]) -> Result<String, TimeReadError> {
        x509_time(tlv(tag, v)).map(rfc3339)
    }

    fn gen_frac(v: &[u8]) -> Result<String, TimeReadError> {
        generalized_time(tlv(tag::GENERALIZED_TIME, v)).map(rfc3339)
    }

    #[test]
    fn utc_time_century_rule_and_strictness() {
        let u = |v: &[u8]| x509(tag::UTC_TIME, v);
        assert_eq!(u(b"220908000000Z").as_deref(), Ok("2022-09-08T00:00:00Z"));
        assert_eq!(u(b"491231235959Z").as_deref(), Ok("2049-12-31T23:59:59Z"));
        assert_eq!(u(b"500101000000Z").as_deref(), Ok("1950-01-01T00:00:00Z"));
        assert_eq!(u(b"990908000000Z").as_deref(), Ok("1999-09-08T00:00:00Z"));
        for bad in [
            &b"9909080000Z"[..],  // no seconds
            b"220908000000",      // no Z
            b"220908000000+0900", // offset, not Z
            b"220908000000.5Z",   // fractions
            b"221308000000Z",     // month 13
            b"220230000000Z",     // 30 February
            b"220908240000Z",     // hour 24
            b"22090800000aZ",     // not a digit
            b"",
        ] {
            assert!(u(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn generalized_time_fractions_only_where_allowed() {
        let g = |v: &[u8]| x509(tag::GENERALIZED_TIME, v);
        assert_eq!(g(b"20500101000000Z").as_deref(), Ok("2050-01-01T00:00:00Z"));
        assert_eq!(g(b"19491231235959Z").as_deref(), Ok("1949-12-31T23:59:59Z"));
        // RFC 5280 §4.1.2.5.2 / RFC 5652 §11.3: no fractional seconds in an X.509 Time.
        assert!(g(b"20261122032500.25Z").is_err());
        assert_eq!(
            gen_frac(b"20261122032500.25Z").as_deref(),
            Ok("2026-11-22T03:25:00.25Z")
        );
        assert_eq!(
            gen_frac(b"20261122032500.123456789Z").as_deref(),
            Ok("2026-11-22T03:25:00.123456789Z")
        );
        for bad in [
            &b"20261122032500.250Z"[..],   // DER: no trailing 0
            b"20261122032500.Z",           // empty fraction
            b"20261122032500,5Z",          // comma
            b"20261122032500.1234567891Z", // finer than nanoseconds
            b"20261322032500Z",            // month 13
            b"2026112203250Z",             // short seconds
            b"202611220325Z",              // no seconds
            b"20261122032500",             // no Z
            b"20261122032500+0900",        // offset
        ] {
            assert!(gen_frac(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
            assert!(g(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn wrong_tags() {
        assert_eq!(
            x509(tag::INTEGER, b"1"),
            Err(TimeReadError::WrongTag {
                expected: "UTCTime or GeneralizedTime",
                found: 2
            })
        );
        assert!(generalized_time(tlv(tag::UTC_TIME, b"220908000000Z")).is_err());
    }
}

mod string {
    use kenpo_core::asn1::string::*;
    use kenpo_core::der_span::Tlv;
    use std::borrow::Cow;

    fn read(tag: u8, value: &[u8]) -> Result<String, StringError> {
        directory_string(Tlv {
            tag,
            value,
            raw: value,
            offset: 0,
        })
        .map(Cow::into_owned)
    }

    #[test]
    fn each_kind() {
        let ok = |tag, v: &[u8], want: &str| assert_eq!(read(tag, v).as_deref(), Ok(want));
        ok(0x0c, "健保".as_bytes(), "健保");
        for tag in [0x13, 0x16, 0x1a, 0x12] {
            ok(tag, b"Kenpo CA 1", "Kenpo CA 1");
        }
        ok(0x14, b"caf\xe9", "café");
        ok(0x1e, &[0x50, 0x65, 0x4f, 0xdd], "健保");
        ok(0x1e, &[0xd8, 0x3d, 0xde, 0x00], "😀");
        ok(0x1c, &[0, 0, 0x50, 0x65, 0, 0x01, 0xf6, 0x00], "健😀");
        ok(0x0c, b"", "");
    }

    #[test]
    fn malformed_values_are_errors() {
        let err = |tag, v: &[u8]| assert!(read(tag, v).is_err(), "{tag:#x} {v:?}");
        err(0x0c, b"\xff");
        // 7-bit strings must be ASCII, even when the octets are valid UTF-8.
        for tag in [0x13, 0x16, 0x1a, 0x12] {
            err(tag, "é".as_bytes());
        }
        err(0x1e, &[0x50]); // odd length
        err(0x1e, &[0xd8, 0x3d]); // lone surrogate
        err(0x1c, &[0, 0, 0x50]); // not a multiple of 4
        err(0x1c, &[0, 0x11, 0, 0]); // beyond U+10FFFF
        assert_eq!(read(0x04, b"x"), Err(StringError::UnexpectedTag(0x04)));
    }
}

mod name {
    use kenpo_core::asn1::name::*;
    use kenpo_core::der_span::{tag, tlv};

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

mod extensions {
    use kenpo_core::asn1::extensions::*;
    use kenpo_core::der_span::{parse_one, tag, tlv};

    const BC: &[u8] = &[0x06, 0x03, 0x55, 0x1d, 0x13];

    fn read(exts: &[&[u8]]) -> Result<Vec<(String, bool, Vec<u8>)>, ExtensionError> {
        let field = tlv(tag::context(3), &[&tlv(tag::SEQUENCE, exts)]);
        let t = parse_one(&field)?;
        let v = explicit_extensions(t)?;
        Ok(v.iter()
            .map(|e| (e.oid.to_string(), e.critical, e.value.to_vec()))
            .collect())
    }

    fn ext(critical: Option<&[u8]>) -> Vec<u8> {
        let b = critical
            .map(|v| tlv(tag::BOOLEAN, &[v]))
            .unwrap_or_default();
        tlv(
            tag::SEQUENCE,
            &[BC, &b, &tlv(tag::OCTET_STRING, &[&[0x30, 0x00]])],
        )
    }

    #[test]
    fn critical_flag() {
        let bc = |c| Ok(vec![("2.5.29.19".to_string(), c, vec![0x30, 0x00])]);
        assert_eq!(read(&[&ext(None)]), bc(false));
        assert_eq!(read(&[&ext(Some(&[0xff]))]), bc(true));
        assert_eq!(read(&[&ext(Some(&[0x00]))]), bc(false));
        // BER's TRUE (any non-zero octet) is no DER BOOLEAN: neither read as non-critical
        // (so that a critical extension is never ignored) nor taken.
        for bad in [&[0x01][..], &[0x80], &[], &[0xff, 0xff]] {
            assert!(matches!(
                read(&[&ext(Some(bad))]),
                Err(ExtensionError::Critical(_))
            ));
        }
    }

    #[test]
    fn structure_errors() {
        assert_eq!(read(&[]), Ok(vec![]));
        let no_value = tlv(tag::SEQUENCE, &[BC]);
        let trailing = [ext(None), vec![0x05, 0x00]].concat();
        let trailing = tlv(tag::SEQUENCE, &[&trailing[2..]]);
        let bad_oid = tlv(
            tag::SEQUENCE,
            &[&[0x06, 0x01, 0x80], &tlv(tag::OCTET_STRING, &[])],
        );
        for bad in [&no_value, &trailing, &bad_oid, &vec![0x02, 0x01, 0x00]] {
            assert!(read(&[bad]).is_err(), "{bad:02x?}");
        }
        let t = tlv(tag::SET, &[]);
        assert!(read_extensions(parse_one(&t).unwrap_or_else(|e| panic!("{e}"))).is_err());
    }
}

mod pem {
    use kenpo_core::pem::*;
    use std::borrow::Cow;

    const CMS: &[u8] = b"-----BEGIN CMS-----\nMAMCAQE=\n-----END CMS-----\n";

    #[test]
    fn blocks_by_label() {
        let two = [CMS, b"junk\r\n", CMS].concat();
        assert_eq!(blocks(&two, "CMS"), Ok(vec![vec![0x30, 3, 2, 1, 1]; 2]));
        assert_eq!(blocks(&two, "X509 CRL"), Ok(vec![]));
        let headers =
            b"-----BEGIN CMS-----\r\nProc-Type: 4\r\n\r\nMAMC\r\nAQE=\r\n-----END CMS-----";
        assert_eq!(blocks(headers, "CMS"), Ok(vec![vec![0x30, 3, 2, 1, 1]]));
        for bad in [
            &b"-----BEGIN CMS-----\nMAMCAQE=\n"[..], // no END
            b"-----BEGIN CMS--------END CMS-----",   // shared dashes
            b"-----BEGIN CMS-----\nMAMCAQE=\n-----END PKCS7-----\n", // other END label
            b"-----BEGIN CMS-----\n!!\n-----END CMS-----\n", // not base64
            b"-----BEGIN CMS-----\nMAMCAQE\n-----END CMS-----\n", // bad padding
            b"-----BEGIN CMS-----\n\xff\n-----END CMS-----\n", // not UTF-8
        ] {
            assert!(
                blocks(bad, "CMS").is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn first_block_of_any_label() {
        let text = [b"explanatory text\n", CMS].concat();
        assert_eq!(first_block(&text), Ok(Some(vec![0x30, 3, 2, 1, 1])));
        assert_eq!(der_of(&text).as_ref(), [0x30, 3, 2, 1, 1]);
        let der = [0x30, 0x03, 0x02, 0x01, 0x01];
        assert!(matches!(der_of(&der), Cow::Borrowed(b) if b.as_ptr() == der.as_ptr()));
        assert_eq!(
            first_block(b"-----BEGIN CMS\n"),
            Err(PemError::Unterminated("BEGIN line".into()))
        );
    }

    #[test]
    fn der_holding_begin_text_is_not_pem() {
        // A DER value whose contents hold the text of a BEGIN line (e.g. in a subject
        // name) is DER: the old test (the text anywhere) took it for PEM and failed it.
        let mut der = vec![0x30, 27, 0x0c, 25];
        der.extend_from_slice(b"-----BEGIN CERTIFICATE---");
        assert!(!looks_like_pem(&der));
        assert_eq!(first_block(&der), Ok(None));
        assert!(looks_like_pem(CMS));
    }
}
