//! [`Found`]: a path that validated, built afresh or replayed from the [`super::PathMemo`]
//! without copying what the memo keeps.

use std::sync::Arc;

use super::{Check, ValidatedPath};
use crate::report::CheckReport;

/// A path that validated (see the module docs).
#[derive(Debug)]
pub(crate) enum Found {
    /// Built and validated by this call.
    Fresh(ValidatedPath),
    /// A remembered path (its checks made when it was first validated, revocation
    /// excluded) and the revocation checks made now, which come after them.
    Replayed {
        base: Arc<ValidatedPath>,
        /// `base`'s checks as report checks, their texts shared ([`Check::report`]).
        reported: Arc<[CheckReport]>,
        revocation: Vec<Check>,
        /// The anchor's subject as text ([`subject_text`]), made when it was remembered.
        anchor_subject: Arc<str>,
    },
}

/// The subject of `cert` (DER) as text, empty when unreadable.
pub(crate) fn subject_text(cert: &[u8]) -> String {
    kenpo_core::cert::CertRef::subject_of(cert)
        .map(kenpo_core::asn1::name::name_string)
        .unwrap_or_default()
}

impl Found {
    /// DER certificates, leaf first, trust anchor last.
    pub(crate) fn certs(&self) -> &[Vec<u8>] {
        match self {
            Self::Fresh(p) => &p.certs,
            Self::Replayed { base, .. } => &base.certs,
        }
    }

    /// The trust anchor's subject as text (empty when unreadable).
    pub(crate) fn anchor_subject(&self) -> String {
        match self {
            Self::Fresh(p) => p.certs.last().map(|a| subject_text(a)).unwrap_or_default(),
            Self::Replayed { anchor_subject, .. } => anchor_subject.to_string(),
        }
    }

    /// The certificates, owned.
    pub(crate) fn into_certs(self) -> Vec<Vec<u8>> {
        match self {
            Self::Fresh(p) => p.certs,
            Self::Replayed { base, .. } => base.certs.clone(),
        }
    }

    /// The path as [`ValidatedPath`], its checks in the order they were made.
    pub(crate) fn into_path(self) -> ValidatedPath {
        match self {
            Self::Fresh(p) => p,
            Self::Replayed {
                base, revocation, ..
            } => {
                let mut p = ValidatedPath::clone(&base);
                p.checks.extend(revocation);
                p
            }
        }
    }
}
