//! RFC 5280 §4.2.1.10 name constraints: matching subject names and subjectAltNames
//! against permitted and excluded subtrees.

use der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{NameConstraints, SubjectAltName};
use x509_cert::name::{Name, RdnSequence};

/// emailAddress attribute (PKCS #9), constrained as an rfc822Name.
const EMAIL_ADDRESS: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.1");

/// Upper bound on name × constraint comparisons per certificate (hostile inputs).
pub(crate) const MAX_NAME_CHECKS: usize = 1 << 16;

/// The names of one certificate that name constraints apply to.
#[derive(Debug, Default)]
pub(crate) struct CertNames {
    pub(crate) names: Vec<GeneralName>,
}

impl CertNames {
    /// Collects the subject DN (when not empty), emailAddress attributes and SAN entries.
    pub(crate) fn of(subject: &Name, san: Option<&[u8]>) -> Result<Self, String> {
        let mut names = Vec::new();
        if !subject.0.is_empty() {
            names.push(GeneralName::DirectoryName(subject.clone()));
        }
        for rdn in subject.0.iter() {
            for atv in rdn.0.iter() {
                if atv.oid == EMAIL_ADDRESS
                    && let Ok(s) = atv.value.decode_as::<der::asn1::Ia5String>()
                {
                    names.push(GeneralName::Rfc822Name(s));
                }
            }
        }
        if let Some(v) = san {
            let san = SubjectAltName::from_der(v).map_err(|e| format!("subjectAltName: {e}"))?;
            names.extend(san.0);
        }
        Ok(Self { names })
    }
}

fn kind(n: &GeneralName) -> u8 {
    match n {
        GeneralName::OtherName(_) => 0,
        GeneralName::Rfc822Name(_) => 1,
        GeneralName::DnsName(_) => 2,
        GeneralName::DirectoryName(_) => 4,
        GeneralName::EdiPartyName(_) => 5,
        GeneralName::UniformResourceIdentifier(_) => 6,
        GeneralName::IpAddress(_) => 7,
        GeneralName::RegisteredId(_) => 8,
    }
}

/// Outcome of matching one name against one subtree base.
enum Match {
    Yes,
    No,
    /// Same type, but this implementation cannot decide (unsupported form).
    Unsupported,
}

fn dns_match(name: &str, base: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let base = base.to_ascii_lowercase();
    if base.is_empty() {
        return true;
    }
    if let Some(stripped) = base.strip_prefix('.') {
        return name.ends_with(&base) && name.len() > stripped.len() + 1;
    }
    name == base || name.ends_with(&format!(".{base}"))
}

/// A syntactically valid DNS name (LDH labels), optionally with a `*.` wildcard label.
pub(crate) fn valid_dns_name(s: &str, allow_wildcard: bool) -> bool {
    let s = match s.strip_prefix("*.") {
        Some(rest) if allow_wildcard => rest,
        _ => s,
    };
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A syntactically plausible rfc822Name (`local@domain`).
pub(crate) fn valid_email(s: &str) -> bool {
    match s.rsplit_once('@') {
        Some((local, host)) => {
            !local.is_empty() && !local.contains('@') && valid_dns_name(host, false)
        }
        None => false,
    }
}

/// Whether the wildcard name `*.base` could stand for a name inside `excluded`.
fn wildcard_hits(name: &str, excluded: &str) -> bool {
    let Some(base) = name.strip_prefix("*.") else {
        return false;
    };
    let (ex, base) = (excluded.to_ascii_lowercase(), base.to_ascii_lowercase());
    ex.strip_suffix(&format!(".{base}"))
        .is_some_and(|label| !label.is_empty() && !label.contains('.'))
}

fn email_match(name: &str, base: &str) -> bool {
    let Some((local, host)) = name.rsplit_once('@') else {
        return false;
    };
    if base.contains('@') {
        let Some((blocal, bhost)) = base.rsplit_once('@') else {
            return false;
        };
        return local == blocal && host.eq_ignore_ascii_case(bhost);
    }
    if base.starts_with('.') {
        return host
            .to_ascii_lowercase()
            .ends_with(&base.to_ascii_lowercase());
    }
    host.eq_ignore_ascii_case(base)
}

fn uri_host(uri: &str) -> Option<&str> {
    let (_, rest) = uri.split_once("://")?;
    let auth = rest.split(['/', '?', '#']).next()?;
    let auth = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
    if auth.starts_with('[') {
        return None;
    }
    let host = auth.split(':').next()?;
    if host.is_empty() { None } else { Some(host) }
}

fn uri_match(name: &str, base: &str) -> Match {
    let Some(host) = uri_host(name) else {
        return Match::Unsupported;
    };
    let (host, base) = (host.to_ascii_lowercase(), base.to_ascii_lowercase());
    let ok = if base.starts_with('.') {
        host.ends_with(&base)
    } else {
        host == base
    };
    if ok { Match::Yes } else { Match::No }
}

fn ip_match(name: &[u8], base: &[u8]) -> Match {
    if base.len() != 2 * name.len() || !(name.len() == 4 || name.len() == 16) {
        return if base.len() == 8 || base.len() == 32 {
            Match::No
        } else {
            Match::Unsupported
        };
    }
    let (addr, mask) = base.split_at(name.len());
    let ok = name
        .iter()
        .zip(addr)
        .zip(mask)
        .all(|((n, a), m)| n & m == a & m);
    if ok { Match::Yes } else { Match::No }
}

fn dn_match(name: &Name, base: &Name) -> Match {
    if base.0.len() > name.0.len() {
        return Match::No;
    }
    let prefix = RdnSequence(name.0[..base.0.len()].to_vec());
    match (prefix.to_der(), base.to_der()) {
        (Ok(a), Ok(b)) => {
            if kenpo_revocation::names::names_equal(&a, &b) {
                Match::Yes
            } else {
                Match::No
            }
        }
        _ => Match::Unsupported,
    }
}

fn matches(name: &GeneralName, base: &GeneralName) -> Match {
    use GeneralName as G;
    let b = |x: bool| if x { Match::Yes } else { Match::No };
    match (name, base) {
        (G::DnsName(n), G::DnsName(c)) => b(dns_match(n.as_str(), c.as_str())),
        (G::Rfc822Name(n), G::Rfc822Name(c)) => b(email_match(n.as_str(), c.as_str())),
        (G::UniformResourceIdentifier(n), G::UniformResourceIdentifier(c)) => {
            uri_match(n.as_str(), c.as_str())
        }
        (G::IpAddress(n), G::IpAddress(c)) => ip_match(n.as_bytes(), c.as_bytes()),
        (G::DirectoryName(n), G::DirectoryName(c)) => dn_match(n, c),
        (G::OtherName(n), G::OtherName(c)) => {
            if n.type_id != c.type_id {
                Match::No
            } else {
                Match::Unsupported
            }
        }
        (G::RegisteredId(n), G::RegisteredId(c)) => b(n == c),
        _ => Match::Unsupported,
    }
}

/// Checks `names` against one CA's name constraints. `Err` says which rule failed.
pub(crate) fn check(nc: &NameConstraints, names: &CertNames) -> Result<(), String> {
    let permitted = nc.permitted_subtrees.as_deref().unwrap_or(&[]);
    let excluded = nc.excluded_subtrees.as_deref().unwrap_or(&[]);
    if (permitted.len() + excluded.len()).saturating_mul(names.names.len()) > MAX_NAME_CHECKS {
        return Err("name constraints too large to check".into());
    }
    for st in permitted.iter().chain(excluded) {
        if st.minimum != 0 || st.maximum.is_some() {
            return Err("name constraint with minimum/maximum (not allowed by RFC 5280)".into());
        }
        match &st.base {
            GeneralName::DnsName(d)
                if !d.as_str().is_empty() && !valid_dns_name(d.as_str(), false) =>
            {
                return Err(format!("invalid dNSName constraint {:?}", d.as_str()));
            }
            GeneralName::IpAddress(ip) if ip.as_bytes().len() != 8 && ip.as_bytes().len() != 32 => {
                return Err("invalid iPAddress constraint".into());
            }
            GeneralName::Rfc822Name(m) => {
                let m = m.as_str();
                let host = m
                    .rsplit_once('@')
                    .map_or(m.trim_start_matches('.'), |(_, h)| h);
                if !m.is_empty() && !valid_dns_name(host, false) {
                    return Err(format!("invalid rfc822Name constraint {m:?}"));
                }
            }
            _ => {}
        }
    }
    for name in &names.names {
        let k = kind(name);
        for st in excluded.iter().filter(|s| kind(&s.base) == k) {
            if let (GeneralName::DnsName(n), GeneralName::DnsName(c)) = (name, &st.base)
                && wildcard_hits(n.as_str(), c.as_str())
            {
                return Err(format!("wildcard name {} may be excluded", show(name)));
            }
            match matches(name, &st.base) {
                Match::Yes => return Err(format!("name {} is excluded", show(name))),
                Match::Unsupported => {
                    return Err(format!(
                        "cannot check name {} against exclusions",
                        show(name)
                    ));
                }
                Match::No => {}
            }
        }
        let of_kind: Vec<_> = permitted.iter().filter(|s| kind(&s.base) == k).collect();
        if of_kind.is_empty() {
            continue;
        }
        let mut ok = false;
        for st in of_kind {
            match matches(name, &st.base) {
                Match::Yes => {
                    ok = true;
                    break;
                }
                Match::Unsupported => {
                    return Err(format!(
                        "cannot check name {} against permissions",
                        show(name)
                    ));
                }
                Match::No => {}
            }
        }
        if !ok {
            return Err(format!(
                "name {} is not in the permitted subtrees",
                show(name)
            ));
        }
    }
    Ok(())
}

fn show(n: &GeneralName) -> String {
    match n {
        GeneralName::DnsName(s) => format!("DNS:{}", s.as_str()),
        GeneralName::Rfc822Name(s) => format!("email:{}", s.as_str()),
        GeneralName::UniformResourceIdentifier(s) => format!("URI:{}", s.as_str()),
        GeneralName::IpAddress(s) => format!("IP:{}", hex::encode(s.as_bytes())),
        GeneralName::DirectoryName(d) => format!("DN:{d}"),
        _ => "(other name)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_and_email_rules() {
        assert!(dns_match("a.example.com", "example.com"));
        assert!(dns_match("example.com", "example.com"));
        assert!(!dns_match("badexample.com", "example.com"));
        assert!(!dns_match("example.com", ".example.com"));
        assert!(dns_match("x.example.com", ".example.com"));
        assert!(email_match("a@example.com", "example.com"));
        assert!(email_match("a@x.example.com", ".example.com"));
        assert!(email_match("a@example.com", "a@EXAMPLE.com"));
        assert!(!email_match("b@example.com", "a@example.com"));
        assert!(matches!(
            ip_match(&[10, 1, 2, 3], &[10, 0, 0, 0, 255, 0, 0, 0]),
            Match::Yes
        ));
        assert_eq!(uri_host("http://u@host.example:80/x"), Some("host.example"));
    }
}
