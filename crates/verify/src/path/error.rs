//! Why a certification path could not be built or validated.

use kenpo_core::timefmt::rfc3339;
use time::OffsetDateTime;

/// A path-building or path-validation failure, naming the cause and the certificate.
///
/// `index` counts from the leaf (0) towards the trust anchor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// A certificate could not be parsed.
    #[error("certificate {index} is malformed: {reason}")]
    Malformed {
        /// Position in the path (0 = leaf).
        index: usize,
        /// Parser message.
        reason: String,
    },
    /// No path from the leaf to a caller-supplied trust anchor was found.
    #[error("no certificate chain to a trust anchor: {reason}")]
    NoChain {
        /// What was tried.
        reason: String,
    },
    /// The signature-check budget or the depth limit was exhausted while building.
    #[error("path building stopped: {reason}")]
    Budget {
        /// Which limit.
        reason: String,
    },
    /// A certificate had expired at the validation time.
    #[error("certificate {index} expired at {}", rfc3339(*not_after))]
    Expired {
        /// Position in the path.
        index: usize,
        /// notAfter.
        not_after: OffsetDateTime,
    },
    /// A certificate was not yet valid at the validation time.
    #[error("certificate {index} is not valid before {}", rfc3339(*not_before))]
    NotYetValid {
        /// Position in the path.
        index: usize,
        /// notBefore.
        not_before: OffsetDateTime,
    },
    /// A certificate's signature does not verify with its issuer's key.
    #[error("signature of certificate {index} does not verify: {reason}")]
    BadSignature {
        /// Position in the path.
        index: usize,
        /// Backend message.
        reason: String,
    },
    /// An algorithm or key size is not acceptable at the validation time.
    #[error("certificate {index}: {reason}")]
    Algorithm {
        /// Position in the path.
        index: usize,
        /// Which algorithm rule failed.
        reason: String,
    },
    /// An RFC 5280 chain constraint failed (basicConstraints, pathLen, keyUsage of a CA,
    /// unknown critical extension, name constraints, policies, name chaining).
    #[error("certificate {index}: {reason}")]
    Constraint {
        /// Position in the path.
        index: usize,
        /// Which constraint.
        reason: String,
    },
    /// The leaf does not allow the use asked for (keyUsage / extendedKeyUsage).
    #[error("leaf certificate: {reason}")]
    LeafUsage {
        /// What is missing.
        reason: String,
    },
    /// A certificate on the path is revoked.
    #[error("certificate {index} revoked at {} ({source_name})", rfc3339(*time))]
    Revoked {
        /// Position in the path.
        index: usize,
        /// revocationDate.
        time: OffsetDateTime,
        /// CRLReason code.
        reason: Option<u8>,
        /// Where the answer came from.
        source_name: String,
    },
    /// Revocation status could not be determined and the mode requires it.
    #[error("revocation status of certificate {index} unknown: {reason}")]
    RevocationUnknown {
        /// Position in the path.
        index: usize,
        /// Why.
        reason: String,
    },
}

impl PathError {
    /// The EN 319 102-1 sub-indication this failure maps to.
    pub fn sub_indication(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "CERTIFICATE_CHAIN_GENERAL_FAILURE",
            Self::NoChain { .. } => "NO_CERTIFICATE_CHAIN_FOUND",
            Self::Budget { .. } => "NO_CERTIFICATE_CHAIN_FOUND",
            Self::Expired { .. } => "EXPIRED",
            Self::NotYetValid { .. } => "NOT_YET_VALID",
            Self::BadSignature { .. } => "CERTIFICATE_CHAIN_GENERAL_FAILURE",
            Self::Algorithm { .. } => "CRYPTO_CONSTRAINTS_FAILURE",
            Self::Constraint { .. } => "CHAIN_CONSTRAINTS_FAILURE",
            Self::LeafUsage { .. } => "SIG_CONSTRAINTS_FAILURE",
            Self::Revoked { .. } => "REVOKED",
            Self::RevocationUnknown { .. } => "TRY_LATER",
        }
    }

    /// The typed sub-indication of [`PathError::sub_indication`].
    pub fn sub_indication_enum(&self) -> crate::SubIndication {
        use crate::SubIndication as S;
        match self.sub_indication() {
            "NO_CERTIFICATE_CHAIN_FOUND" => S::NO_CERTIFICATE_CHAIN_FOUND,
            "EXPIRED" => S::EXPIRED,
            "NOT_YET_VALID" => S::NOT_YET_VALID,
            "CRYPTO_CONSTRAINTS_FAILURE" => S::CRYPTO_CONSTRAINTS_FAILURE,
            "CHAIN_CONSTRAINTS_FAILURE" => S::CHAIN_CONSTRAINTS_FAILURE,
            "SIG_CONSTRAINTS_FAILURE" => S::SIG_CONSTRAINTS_FAILURE,
            "REVOKED" => S::REVOKED,
            "TRY_LATER" => S::TRY_LATER,
            _ => S::CERTIFICATE_CHAIN_GENERAL_FAILURE,
        }
    }

    /// How far validation got before this failure (used to pick the most relevant error
    /// among several candidate paths: later failures win).
    pub(crate) fn rank(&self) -> u8 {
        match self {
            Self::NoChain { .. } | Self::Budget { .. } => 0,
            Self::Malformed { .. } | Self::BadSignature { .. } => 1,
            Self::Algorithm { .. } | Self::Expired { .. } | Self::NotYetValid { .. } => 3,
            Self::Constraint { .. } | Self::LeafUsage { .. } => 2,
            Self::Revoked { .. } | Self::RevocationUnknown { .. } => 4,
        }
    }
}
