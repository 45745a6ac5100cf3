//! Names of the signer beyond its subject: the directoryNames of its subjectAltName, where
//! HPKI certificates carry the holder's name and organisation in kanji (UTF8String), e.g.
//! `CN=神楽坂　三十四` and `O=医療情報大学病院` in the MEDIS test signer.

use der::{Decode, Encode};
use kenpo_core::asn1::string::directory_string;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;

/// One directoryName of the signer's subjectAltName.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AltName {
    /// The whole name (RFC 4514).
    pub text: String,
    /// Its commonName (the holder's name), when it has one.
    pub common_name: Option<String>,
    /// Its organizationName, when it has one.
    pub organization: Option<String>,
}

/// The directoryNames of `cert`'s subjectAltName (empty when it has none or it is
/// unreadable: the names are shown, never judged).
pub fn alt_names(cert: &[u8]) -> Vec<AltName> {
    let Ok(c) = kenpo_core::cert::CertRef::parse(cert) else {
        return Vec::new();
    };
    let Some(ext) = c.extension(const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME) else {
        return Vec::new();
    };
    let Ok(san) = SubjectAltName::from_der(ext.value) else {
        return Vec::new();
    };
    san.0
        .iter()
        .filter_map(|g| match g {
            GeneralName::DirectoryName(n) => Some(alt_name(n)),
            _ => None,
        })
        .collect()
}

fn alt_name(n: &Name) -> AltName {
    let mut a = AltName {
        text: kenpo_core::asn1::name::name_text(n),
        ..AltName::default()
    };
    for atv in n.0.iter().flat_map(|rdn| rdn.0.iter()) {
        let slot = match atv.oid {
            const_oid::db::rfc4519::CN => &mut a.common_name,
            const_oid::db::rfc4519::O => &mut a.organization,
            _ => continue,
        };
        if slot.is_none() {
            *slot = text_of(&atv.value);
        }
    }
    a
}

fn text_of(v: &der::Any) -> Option<String> {
    let der = v.to_der().ok()?;
    let t = kenpo_core::der_span::parse_one(&der).ok()?;
    directory_string(t).ok().map(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_medis_signer_has_its_kanji_name_in_subject_alt_name() {
        // The real MEDIS test signer, beside the workspace (`../shared/hpki-real`);
        // skipped with a message where it is not.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/hpki-real/medis-test-signer-ee.cer"
        );
        let Ok(der) = std::fs::read(path) else {
            eprintln!("skipped: {path} not found");
            return;
        };
        let names = alt_names(&der);
        assert_eq!(names.len(), 1, "{names:?}");
        assert_eq!(
            names[0].common_name.as_deref(),
            Some("神楽坂\u{3000}三十四")
        );
        assert_eq!(names[0].organization.as_deref(), Some("医療情報大学病院"));
        assert!(
            names[0].text.contains("医療情報大学病院"),
            "{}",
            names[0].text
        );
    }

    #[test]
    fn no_certificate_no_names() {
        assert!(alt_names(b"junk").is_empty());
    }
}
