//! What to sign and how.

use std::sync::Arc;

use kenpo_core::alg::SignatureAlgorithm;
use kenpo_revocation::RevocationCheck;
use kenpo_tsa::client::ClientConfig;
use time::OffsetDateTime;

use crate::audit::AuditLog;
use crate::{Level, Profile};

/// Signing options. Start from [`SignOptions::default`] (B-B, detached, the key's default
/// algorithm, profile `any`) and change what is needed:
///
/// ```
/// use kenpo_sign::{Level, Profile, cades::SignOptions};
/// use kenpo_tsa::client::ClientConfig;
/// let opts = SignOptions::default()
///     .with_level(Level::BT)
///     .with_profile(Profile::Hpki)
///     .with_tsa(Some(ClientConfig::new(["https://tsa.invalid/", "https://backup.invalid/"])));
/// assert!(!opts.attached);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct SignOptions {
    /// B-B or B-T (B-LT and B-LTA are made by extending a B-T signature).
    pub level: Level,
    /// Attach the content (`.p7m`) instead of a detached signature (`.p7s`, default).
    pub attached: bool,
    /// Signature algorithm; `None` uses the key's default (RSA: PKCS#1 v1.5 SHA-256,
    /// P-256: ECDSA SHA-256, P-384: ECDSA SHA-384). The document is hashed with its digest.
    pub algorithm: Option<SignatureAlgorithm>,
    /// Which certificates may sign ([`crate::profile::check_profile`]).
    pub profile: Profile,
    /// The TSAs for B-T and the content time-stamp, tried in order (failover). Set its
    /// `validator` to check the TSA certificate's chain at genTime.
    pub tsa: Option<ClientConfig>,
    /// Add a content time-stamp (id-aa-ets-contentTimestamp, a signed attribute over the
    /// document digest) obtained before signing.
    pub content_timestamp: bool,
    /// Revocation status source for the signer certificate: checked at the signature
    /// time-stamp's genTime for B-T (rule 27-1(3)), at the signing time for B-B.
    pub revocation: Option<Arc<dyn RevocationCheck>>,
    /// The audit log every attempt is appended to.
    pub audit: Option<Arc<AuditLog>>,
    /// The signing time (for tests and reproducible output); `None` is the current time.
    pub now: Option<OffsetDateTime>,
}

impl Default for SignOptions {
    fn default() -> Self {
        Self {
            level: Level::BB,
            attached: false,
            algorithm: None,
            profile: Profile::Any,
            tsa: None,
            content_timestamp: false,
            revocation: None,
            audit: None,
            now: None,
        }
    }
}

impl std::fmt::Debug for SignOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignOptions")
            .field("level", &self.level)
            .field("attached", &self.attached)
            .field("algorithm", &self.algorithm)
            .field("profile", &self.profile)
            .field("tsa", &self.tsa)
            .field("content_timestamp", &self.content_timestamp)
            .field("revocation", &self.revocation.is_some())
            .field(
                "audit",
                &self.audit.as_ref().map(|a| a.path().to_path_buf()),
            )
            .field("now", &self.now)
            .finish()
    }
}

/// `with_FIELD(value)` setters for the public fields of an options struct, so callers
/// outside the crate build it with a constructor and chained setters (the struct is
/// `#[non_exhaustive]`).
macro_rules! setters {
    ($($with:ident => $field:ident: $ty:ty),* $(,)?) => {
        $(
            #[doc = concat!("Sets [`", stringify!($field), "`](Self::", stringify!($field), ").")]
            #[must_use]
            pub fn $with(mut self, $field: $ty) -> Self {
                self.$field = $field;
                self
            }
        )*
    };
}

impl SignOptions {
    setters! {
        with_level => level: Level,
        with_attached => attached: bool,
        with_algorithm => algorithm: Option<SignatureAlgorithm>,
        with_profile => profile: Profile,
        with_tsa => tsa: Option<ClientConfig>,
        with_content_timestamp => content_timestamp: bool,
        with_revocation => revocation: Option<Arc<dyn RevocationCheck>>,
        with_audit => audit: Option<Arc<AuditLog>>,
        with_now => now: Option<OffsetDateTime>,
    }
}
