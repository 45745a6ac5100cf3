//! A CRL builder for tests of indirect, partitioned and delta CRLs: any entries (with
//! reason and certificateIssuer entry extensions), any CRL extensions, any times, signed
//! with a test PKI key. DER assembled by hand, independent of the crate's parser.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use der::Encode;
use kenpo_core::cert::CertRef;
use kenpo_core::crypto::default_backend;
use kenpo_core::der_span::{tag, tlv};
use kenpo_testpki::TestPki;
use time::{Duration, OffsetDateTime};

use super::bigcrl::{extension, utc_time};

/// cRLNumber.
pub const CRL_NUMBER: &[u8] = &[0x55, 0x1d, 0x14];
/// deltaCRLIndicator.
pub const DELTA: &[u8] = &[0x55, 0x1d, 0x1b];
/// issuingDistributionPoint.
pub const IDP: &[u8] = &[0x55, 0x1d, 0x1c];
/// authorityKeyIdentifier.
pub const AKI: &[u8] = &[0x55, 0x1d, 0x23];
/// freshestCRL.
pub const FRESHEST: &[u8] = &[0x55, 0x1d, 0x2e];

/// One revoked certificate.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Serial contents.
    pub serial: Vec<u8>,
    /// revocationDate.
    pub date: OffsetDateTime,
    /// CRLReason.
    pub reason: Option<u8>,
    /// certificateIssuer: a directoryName (Name DER).
    pub cert_issuer: Option<Vec<u8>>,
}

impl Entry {
    /// An entry with a reason.
    pub fn new(serial: &[u8], date: OffsetDateTime, reason: Option<u8>) -> Self {
        Self {
            serial: serial.to_vec(),
            date,
            reason,
            cert_issuer: None,
        }
    }

    /// With a certificateIssuer entry extension naming `name` (Name DER).
    pub fn issued_by(mut self, name: &[u8]) -> Self {
        self.cert_issuer = Some(name.to_vec());
        self
    }

    fn der(&self) -> Vec<u8> {
        let mut exts = Vec::new();
        if let Some(r) = self.reason {
            exts.push(extension(&[0x55, 0x1d, 0x15], false, &[0x0a, 0x01, r]));
        }
        if let Some(n) = &self.cert_issuer {
            let names = tlv(tag::SEQUENCE, &[&tlv(0xa4, &[n])]);
            exts.push(extension(&[0x55, 0x1d, 0x1d], true, &names));
        }
        let serial = tlv(tag::INTEGER, &[&self.serial]);
        let date = utc_time(self.date);
        if exts.is_empty() {
            return tlv(tag::SEQUENCE, &[&serial, &date]);
        }
        let refs: Vec<&[u8]> = exts.iter().map(Vec::as_slice).collect();
        tlv(tag::SEQUENCE, &[&serial, &date, &tlv(tag::SEQUENCE, &refs)])
    }
}

/// What to put in a CRL.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Entity whose subject is the CRL issuer.
    pub issuer: String,
    /// Entity whose key signs.
    pub signer: String,
    /// thisUpdate.
    pub this_update: OffsetDateTime,
    /// nextUpdate.
    pub next_update: Option<OffsetDateTime>,
    /// Entries.
    pub entries: Vec<Entry>,
    /// CRL extensions (full Extension TLVs).
    pub extensions: Vec<Vec<u8>>,
    /// Encoded entries used instead of `entries` (for malformed ones).
    pub raw_entries: Option<Vec<u8>>,
}

impl Spec {
    /// An empty CRL of `issuer`, signed by it, thisUpdate now − 1 h, nextUpdate now + 7 d.
    pub fn new(pki: &TestPki, issuer: &str) -> Self {
        Self {
            issuer: issuer.into(),
            signer: issuer.into(),
            this_update: pki.now() - Duration::hours(1),
            next_update: Some(pki.now() + Duration::days(7)),
            entries: Vec::new(),
            extensions: Vec::new(),
            raw_entries: None,
        }
    }

    /// Adds an entry.
    pub fn entry(mut self, e: Entry) -> Self {
        self.entries.push(e);
        self
    }

    /// Adds a CRL extension.
    pub fn ext(mut self, oid: &[u8], critical: bool, value: &[u8]) -> Self {
        self.extensions.push(extension(oid, critical, value));
        self
    }

    /// Adds cRLNumber `n`.
    pub fn number(self, n: u8) -> Self {
        self.ext(CRL_NUMBER, false, &[0x02, 0x01, n])
    }

    /// Makes it a delta CRL on BaseCRLNumber `base`.
    pub fn delta_of(self, base: u8) -> Self {
        self.ext(DELTA, true, &[0x02, 0x01, base])
    }

    /// Signs it.
    pub fn build(&self, pki: &TestPki) -> Vec<u8> {
        let issuer_cert = pki.entity(&self.issuer).unwrap().cert_der.clone();
        let issuer_name = CertRef::parse(&issuer_cert).unwrap().subject.to_vec();
        let key = default_backend()
            .load_pkcs8(&pki.entity(&self.signer).unwrap().key_pkcs8_der)
            .unwrap();
        let alg = key.default_algorithm();
        let alg_der = alg.algorithm_identifier().unwrap().to_der().unwrap();
        let mut parts: Vec<Vec<u8>> = vec![
            vec![0x02, 0x01, 0x01],
            alg_der.clone(),
            issuer_name,
            utc_time(self.this_update),
        ];
        if let Some(n) = self.next_update {
            parts.push(utc_time(n));
        }
        if let Some(raw) = &self.raw_entries {
            parts.push(tlv(tag::SEQUENCE, &[raw]));
        } else if !self.entries.is_empty() {
            let list: Vec<u8> = self.entries.iter().flat_map(Entry::der).collect();
            parts.push(tlv(tag::SEQUENCE, &[&list]));
        }
        if !self.extensions.is_empty() {
            let refs: Vec<&[u8]> = self.extensions.iter().map(Vec::as_slice).collect();
            parts.push(tlv(tag::context(0), &[&tlv(tag::SEQUENCE, &refs)]));
        }
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let tbs = tlv(tag::SEQUENCE, &refs);
        let sig = key.sign_digest(alg, &alg.digest().digest(&tbs)).unwrap();
        let mut bits = vec![0u8];
        bits.extend_from_slice(&sig);
        tlv(
            tag::SEQUENCE,
            &[&tbs, &alg_der, &tlv(tag::BIT_STRING, &[&bits])],
        )
    }
}

/// An issuingDistributionPoint value: optional fullName URI, onlySomeReasons (BIT STRING
/// contents), indirectCRL.
pub fn idp(uri: Option<&str>, reasons: Option<&[u8]>, indirect: bool) -> Vec<u8> {
    let mut parts: Vec<Vec<u8>> = Vec::new();
    if let Some(u) = uri {
        let full_name = tlv(0xa0, &[&tlv(0x86, &[u.as_bytes()])]);
        parts.push(tlv(0xa0, &[&full_name]));
    }
    if let Some(r) = reasons {
        parts.push(tlv(0x83, &[r]));
    }
    if indirect {
        parts.push(vec![0x84, 0x01, 0xff]);
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    tlv(tag::SEQUENCE, &refs)
}

/// The subject Name DER of entity `name`.
pub fn subject(pki: &TestPki, name: &str) -> Vec<u8> {
    let der = pki.entity(name).unwrap().cert_der.clone();
    CertRef::parse(&der).unwrap().subject.to_vec()
}

/// The test PKI with its HPKI signer (`ee`), the signer's CA (`ca`) and the signer's serial
/// (INTEGER contents): what the CRL tests revoke and look up.
pub struct Fixture {
    /// The test PKI.
    pub pki: TestPki,
    /// hpki-signer's certificate.
    pub ee: Vec<u8>,
    /// hpki-sign-ca's certificate.
    pub ca: Vec<u8>,
    /// hpki-signer's serial.
    pub serial: Vec<u8>,
}

/// A fresh [`Fixture`].
pub fn fixture() -> Fixture {
    let pki = kenpo_testpki::generate(&kenpo_testpki::Config::default()).unwrap();
    let ee = pki.entity("hpki-signer").unwrap().cert_der.clone();
    let ca = pki.entity("hpki-sign-ca").unwrap().cert_der.clone();
    let serial = CertRef::parse(&ee).unwrap().serial.to_vec();
    Fixture {
        pki,
        ee,
        ca,
        serial,
    }
}
