//! Why an extension did not happen.

use kenpo_core::cms::CmsError;
use kenpo_tsa::client::ClientError;

use crate::{Indication, SubIndication};

/// Why [`super::extend`] wrote nothing. The original signature is never modified.
#[derive(Debug, thiserror::Error)]
pub enum ExtendError {
    /// The input is not a CMS SignedData.
    #[error("not a CMS signature: {0}")]
    Format(String),
    /// The PDF cannot be extended as it is (no signature, or a signature without
    /// signature time-stamp, which a PDF signature cannot gain after signing).
    #[error("the PDF cannot be extended: {0}")]
    Pdf(String),
    /// The XML document cannot be extended as it is (not UTF-8, not one XAdES 1.3.2
    /// signature, or properties that cannot gain children without rewriting them).
    #[error("the XML signature cannot be extended: {0}")]
    Xml(String),
    /// The signature is not valid now, so it cannot be preserved (rule 27-2: extend while
    /// the signature is still valid).
    #[error("the signature is not valid ({indication}{}): {reason}", sub_indication.map(|s| format!("/{s}")).unwrap_or_default())]
    NotValid {
        /// The verdict.
        indication: Indication,
        /// Its sub-indication.
        sub_indication: Option<SubIndication>,
        /// The failed checks.
        reason: String,
    },
    /// No revocation data issued after the time-stamp exists yet (EN 319 102-1
    /// TRY_LATER): extending now would embed stale data.
    #[error("TRY_LATER: {0}")]
    TryLater(String),
    /// Revocation data could not be obtained at all (responder or CRL server unreachable,
    /// offline without data).
    #[error("revocation data unavailable: {0}")]
    RevocationUnavailable(String),
    /// The detached content is needed (B-LTA covers it) but was not given.
    #[error("the signature is detached: its content is needed (--content)")]
    NeedsContent,
    /// An archive time-stamp v2 (legacy ES-A) is present: adding validation data would break
    /// its imprint, so such files are only read, not renewed.
    #[error(
        "the signature carries a legacy archive-time-stamp v2; renewal of ATSv2 archives is not supported (it would invalidate the existing archive time-stamp)"
    )]
    LegacyArchive,
    /// `--to b-lt` on a signature that already has archive time-stamps.
    #[error("the signature is already B-LTA; extend it with --to b-lta (renewal)")]
    AlreadyArchived,
    /// A TSA is needed (B-LTA, or a B-B signature without signature time-stamp).
    #[error("a TSA URL is needed to {0}")]
    NoTsa(&'static str),
    /// The TSA did not issue a valid token.
    #[error("time-stamping failed: {0}")]
    Tsa(#[from] ClientError),
    /// The content file could not be read.
    #[error("cannot read the content: {0}")]
    Content(#[source] std::io::Error),
    /// Building the extended structure failed.
    #[error("cannot build the extended signature: {0}")]
    Build(String),
    /// The signature (or the result of the extension) does not meet the validation policy
    /// required (`--policy`), so it is not preserved under it.
    #[error("the signature does not meet the validation policy {policy}: {unmet}")]
    Policy {
        /// The policy's name.
        policy: String,
        /// The unmet requirements.
        unmet: String,
    },
    /// Internal guard: the result does not preserve the original bytes or does not verify.
    #[error("refusing to write the result: {0}")]
    Guard(String),
}

impl From<CmsError> for ExtendError {
    fn from(e: CmsError) -> Self {
        Self::Build(e.to_string())
    }
}

impl ExtendError {
    /// Whether this is a refusal for a stated reason (exit code 1) rather than an
    /// operational failure (exit code 4: unreachable services, unreadable files).
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            Self::RevocationUnavailable(_) | Self::Tsa(_) | Self::Content(_) | Self::Guard(_)
        )
    }
}
