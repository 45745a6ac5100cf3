//! [`ProfileMemo`]: profile checks of signer certificates, remembered by a verifier (the
//! check is a pure function of the profile and the certificate, and a batch meets the
//! same signers in file after file).

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use kenpo_sign::Profile;
use kenpo_sign::profile::{ProfileError, SignerInfoSummary, check_profile};

/// Answers kept at most (then the memo starts afresh).
const MAX_ENTRIES: usize = 1024;

type Answer = Result<SignerInfoSummary, ProfileError>;

/// One remembered answer: the profile, the certificate (DER) and what the check said.
type Remembered = (Profile, Vec<u8>, Answer);

/// Profile answers per (profile, certificate DER), by [`crate::tail_hash`] of the
/// certificate (entries compare the whole certificate).
#[derive(Debug, Default)]
pub(super) struct ProfileMemo {
    answers: RwLock<HashMap<u64, Vec<Remembered>>>,
    hasher: std::hash::RandomState,
}

impl ProfileMemo {
    /// [`check_profile`] of `cert` under `profile`, computed once per verifier.
    pub(super) fn check(&self, profile: Profile, cert: &[u8]) -> Answer {
        let key = crate::tail_hash(&self.hasher, cert);
        let same = |(p, c, _): &&Remembered| *p == profile && c == cert;
        if let Some((_, _, a)) = self
            .answers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .and_then(|list| list.iter().find(same))
        {
            return a.clone();
        }
        let answer = check_profile(profile, cert);
        let mut w = self.answers.write().unwrap_or_else(PoisonError::into_inner);
        if w.values().map(Vec::len).sum::<usize>() >= MAX_ENTRIES {
            w.clear();
        }
        let list = w.entry(key).or_default();
        if !list.iter().any(|e| same(&e)) {
            list.push((profile, cert.to_vec(), answer.clone()));
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_equal_fresh_checks_and_stay_bounded() {
        let memo = ProfileMemo::default();
        let pki = kenpo_testpki::generate(&kenpo_testpki::Config::default())
            .unwrap_or_else(|e| panic!("{e}"));
        for name in ["hpki-signer", "hpki-auth", "accredited-signer"] {
            let cert = pki
                .entity(name)
                .map(|e| e.cert_der.clone())
                .unwrap_or_default();
            for profile in [Profile::Any, Profile::Hpki, Profile::Accredited] {
                for _ in 0..2 {
                    assert_eq!(memo.check(profile, &cert), check_profile(profile, &cert));
                }
            }
        }
        assert!(
            memo.check(
                Profile::Hpki,
                &pki.entity("hpki-signer")
                    .map(|e| e.cert_der.clone())
                    .unwrap_or_default()
            )
            .is_ok()
        );
        assert!(
            memo.check(
                Profile::Hpki,
                &pki.entity("hpki-auth")
                    .map(|e| e.cert_der.clone())
                    .unwrap_or_default()
            )
            .is_err()
        );
        let junk = b"not a certificate".to_vec();
        for profile in [Profile::Any, Profile::Hpki] {
            assert_eq!(memo.check(profile, &junk), check_profile(profile, &junk));
            assert_eq!(memo.check(profile, &junk), check_profile(profile, &junk));
        }
        for i in 0..MAX_ENTRIES + 10 {
            let _ = memo.check(Profile::Any, &i.to_be_bytes());
        }
        let len: usize = memo
            .answers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(Vec::len)
            .sum();
        assert!(len <= MAX_ENTRIES, "{len}");
    }
}
