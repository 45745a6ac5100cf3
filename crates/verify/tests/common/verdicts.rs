//! Assertions on policy verdicts shared by the policy tests: a policy met, a requirement
//! unmet (in JSON and both texts), and a time-stamp token with one flipped signature octet.

use kenpo_core::cms::SignedDataView;
use kenpo_verify::Indication;
use kenpo_verify::policy::Requirement;
use kenpo_verify::report::{Lang, Report};

/// The failed checks and unmet requirements of `r`, one per line.
pub fn explain(r: &Report) -> String {
    r.signatures
        .iter()
        .flat_map(|s| s.checks.iter())
        .filter(|c| !c.passed)
        .map(|c| format!("{}: {}", c.name(), c.detail()))
        .chain(
            r.signatures
                .iter()
                .flat_map(|s| s.policy_unmet.iter())
                .map(|u| format!("unmet {}", u.text(Lang::En))),
        )
        .collect::<Vec<_>>()
        .join("\n")
}

/// The unmet requirement codes of the first signature.
pub fn codes(r: &Report) -> Vec<&'static str> {
    r.signatures[0]
        .policy_unmet
        .iter()
        .map(Requirement::code)
        .collect()
}

/// `r` was verified under `policy`, which every signature meets: TOTAL_PASSED, exit 0.
pub fn assert_met(r: &Report, policy: &str) {
    assert_eq!(r.policy, policy);
    assert_eq!(r.indication, Indication::TotalPassed, "{}", explain(r));
    assert!(r.signatures[0].policy_unmet.is_empty(), "{}", explain(r));
    assert_eq!(r.exit_code(), 0);
}

/// The report names `code` as unmet, never passes, exits non-zero, and says so in JSON and
/// both texts.
pub fn assert_unmet(r: &Report, policy: &str, code: &str) {
    assert_eq!(r.policy, policy);
    assert!(codes(r).contains(&code), "{code} not in {:?}", codes(r));
    assert_ne!(r.indication, Indication::TotalPassed);
    assert_ne!(r.signatures[0].indication, Indication::TotalPassed);
    assert_ne!(r.exit_code(), 0);
    let json = r.to_json();
    assert_eq!(json["policy"], policy);
    let listed = json["signatures"][0]["policy_unmet"].as_array().unwrap();
    assert!(
        listed.iter().any(
            |u| u["requirement"] == code && u["detail"].as_str().is_some_and(|d| !d.is_empty())
        ),
        "{json}"
    );
    assert!(r.render_text(Lang::En).contains(&format!("[{code}]")));
    assert!(r.render_text(Lang::Ja).contains("検証ポリシーの未充足要件"));
}

/// `der` with one octet flipped in the signature value of its first SignerInfo's first
/// unsigned attribute `attr` (a time-stamp token).
pub fn flip_token_signature(der: &[u8], attr: const_oid::ObjectIdentifier) -> Vec<u8> {
    let offset = |buf: &[u8], part: &[u8]| part.as_ptr() as usize - buf.as_ptr() as usize;
    let sd = SignedDataView::parse(der).unwrap();
    let attrs = sd.signer_infos[0].unsigned_attrs.as_ref().unwrap();
    let token = attrs.all_of(attr).next().unwrap().values[0].raw;
    let tsd = SignedDataView::parse(token).unwrap();
    let value = tsd.signer_infos[0].signature;
    let pos = offset(der, token) + offset(token, value) + value.len() / 2;
    let mut out = der.to_vec();
    out[pos] ^= 0x01;
    out
}
