//! Hostile material for `hostile_verify.rs`, built directly as DER and signed with test PKI
//! keys: junk and look-alike certificates, a loop of cross-signed CAs, a 100 MB CRL.

use der::Encode;
use kenpo_core::cert::CertRef;
use kenpo_core::cms::SignedDataView;
use kenpo_core::cms::build::signed_data;
use kenpo_core::crypto::{SigningKey, default_backend};
use kenpo_core::der_span::{tag, tlv};
use kenpo_testpki::TestPki;
use time::OffsetDateTime;

use super::common::test_pki;

/// xorshift64*: reproducible junk.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

pub fn utc(t: OffsetDateTime) -> Vec<u8> {
    let s = format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    tlv(tag::UTC_TIME, &[s.as_bytes()])
}

/// A CA certificate `subject` ← `issuer` with public key `spki`, signed by `key`.
pub fn ca_cert(
    serial: u32,
    issuer: &[u8],
    subject: &[u8],
    spki: &[u8],
    key: &dyn SigningKey,
) -> Vec<u8> {
    let now = test_pki().now();
    let alg = key.default_algorithm();
    let alg_der = alg.algorithm_identifier().unwrap().to_der().unwrap();
    let bc = tlv(
        tag::SEQUENCE,
        &[
            &[0x06, 0x03, 0x55, 0x1d, 0x13],
            &[0x01, 0x01, 0xff],
            &tlv(tag::OCTET_STRING, &[&[0x30, 0x03, 0x01, 0x01, 0xff]]),
        ],
    );
    let ku = tlv(
        tag::SEQUENCE,
        &[
            &[0x06, 0x03, 0x55, 0x1d, 0x0f],
            &[0x01, 0x01, 0xff],
            &tlv(tag::OCTET_STRING, &[&[0x03, 0x02, 0x01, 0x06]]),
        ],
    );
    let serial = serial.to_be_bytes();
    let tbs = tlv(
        tag::SEQUENCE,
        &[
            &[0xa0, 0x03, 0x02, 0x01, 0x02],
            &tlv(tag::INTEGER, &[&[0x01], &serial]),
            &alg_der,
            issuer,
            &tlv(
                tag::SEQUENCE,
                &[
                    &utc(now - time::Duration::days(30)),
                    &utc(now + time::Duration::days(365)),
                ],
            ),
            subject,
            spki,
            &tlv(tag::context(3), &[&tlv(tag::SEQUENCE, &[&bc, &ku])]),
        ],
    );
    let sig = key.sign_digest(alg, &alg.digest().digest(&tbs)).unwrap();
    tlv(
        tag::SEQUENCE,
        &[&tbs, &alg_der, &tlv(tag::BIT_STRING, &[&[0], &sig])],
    )
}

/// 5,000 certificates: 2,000 junk blobs, 2,000 look-alikes of hpki-sign-ca (serial
/// changed, so the leaf's signature verifies with them but theirs does not), and 1,000
/// cross-signed CAs A_k (subject = hpki-sign-ca's, key = hpki-sign-ca's, issuer Y) and
/// B_k (subject Y, issuer hpki-sign-ca): leaf → A → B → A → … all signatures valid.
pub fn hostile_certs() -> Vec<Vec<u8>> {
    let p = test_pki();
    let ca_der = p.entity("hpki-sign-ca").unwrap().cert_der.clone();
    let ca = CertRef::parse(&ca_der).unwrap();
    let x_key = default_backend()
        .load_pkcs8(&p.entity("hpki-sign-ca").unwrap().key_pkcs8_der)
        .unwrap();
    let y_key = default_backend()
        .load_pkcs8(&p.entity("accredited-ca").unwrap().key_pkcs8_der)
        .unwrap();
    let y_name = tlv(
        tag::SEQUENCE,
        &[&tlv(
            tag::SET,
            &[&tlv(
                tag::SEQUENCE,
                &[
                    &[0x06, 0x03, 0x55, 0x04, 0x03],
                    &tlv(tag::UTF8_STRING, &[b"Loop CA Y"]),
                ],
            )],
        )],
    );
    let mut rng = Rng(0x5eed);
    let mut out = Vec::with_capacity(5000);
    for _ in 0..2000 {
        // Well-formed TLVs (so the SignedData stays valid BER), not certificates.
        let n = 100 + (rng.next() % 400) as usize;
        let tbs = tlv(
            tag::SEQUENCE,
            &[
                &tlv(tag::INTEGER, &[&[0x01], &rng.bytes(8)]),
                &tlv(tag::OCTET_STRING, &[&rng.bytes(n)]),
            ],
        );
        let bits = tlv(tag::BIT_STRING, &[&[0], &rng.bytes(64)]);
        out.push(tlv(tag::SEQUENCE, &[&tbs, &tlv(tag::SEQUENCE, &[]), &bits]));
    }
    let serial_at = ca.serial.as_ptr() as usize - ca_der.as_ptr() as usize;
    for i in 0..2000u32 {
        let mut c = ca_der.clone();
        c[serial_at..serial_at + 4].copy_from_slice(&i.to_be_bytes());
        out.push(c);
    }
    for k in 0..500u32 {
        out.push(ca_cert(2 * k, &y_name, ca.subject, ca.spki, y_key.as_ref()));
        out.push(ca_cert(
            2 * k + 1,
            ca.subject,
            &y_name,
            y_key.public_key_spki(),
            x_key.as_ref(),
        ));
    }
    out
}

/// `sig` with `extra` certificates in front of its own.
pub fn with_certs(sig: &[u8], extra: &[Vec<u8>]) -> Vec<u8> {
    let sd = SignedDataView::parse(sig).unwrap();
    let mut certs: Vec<&[u8]> = extra.iter().map(Vec::as_slice).collect();
    certs.extend(sd.certificates.iter().map(|c| c.raw));
    let si = &sd.signer_infos[0];
    signed_data(
        sd.econtent_type,
        sd.econtent,
        &[si.digest_alg().unwrap()],
        &certs,
        &[],
        &[si.raw],
    )
    .unwrap()
}

/// A CRL of hpki-sign-ca of at least `bytes`, listing generated serials and, last, the
/// serials in `revoked` (revoked at `pki.now() - 1 d`); built directly, signed once.
pub fn big_crl(pki: &TestPki, bytes: usize, revoked: &[&[u8]]) -> Vec<u8> {
    let now = pki.now();
    let ca_der = pki.entity("hpki-sign-ca").unwrap().cert_der.clone();
    let issuer = CertRef::parse(&ca_der).unwrap().subject.to_vec();
    let key = default_backend()
        .load_pkcs8(&pki.entity("hpki-sign-ca").unwrap().key_pkcs8_der)
        .unwrap();
    let alg = key.default_algorithm();
    let alg_der = alg.algorithm_identifier().unwrap().to_der().unwrap();
    let date = utc(now - time::Duration::days(1));
    let mut list = Vec::with_capacity(bytes + 64);
    let mut i: u32 = 0;
    while list.len() < bytes {
        // SEQUENCE { INTEGER 0x11 <i>, UTCTime }: 24 octets.
        list.extend([0x30, 22, 0x02, 0x05, 0x11]);
        list.extend(i.to_be_bytes());
        list.extend(&date);
        i += 1;
    }
    for s in revoked {
        list.extend(tlv(tag::SEQUENCE, &[&tlv(tag::INTEGER, &[s]), &date]));
    }
    let tbs = tlv(
        tag::SEQUENCE,
        &[
            &[0x02, 0x01, 0x01],
            &alg_der,
            &issuer,
            &utc(now - time::Duration::hours(1)),
            &utc(now + time::Duration::days(7)),
            &tlv(tag::SEQUENCE, &[&list]),
        ],
    );
    drop(list);
    let sig = key.sign_digest(alg, &alg.digest().digest(&tbs)).unwrap();
    tlv(
        tag::SEQUENCE,
        &[&tbs, &alg_der, &tlv(tag::BIT_STRING, &[&[0], &sig])],
    )
}
