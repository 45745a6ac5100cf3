//! What [`crate::signature::verify`] prepares once per SignedData to check its ATSv2
//! time-stamps: the covered fields (as DER and, for BER input, as received) and one content
//! hasher per (fields, algorithm), fed with the detached content in the same pass that
//! computes the message digests.

use kenpo_core::alg::{DigestAlgorithm, Hasher};
use kenpo_core::cms::{SignedDataView, SignerInfoView};

use super::v2::{V2Parts, check_ats_v2};
use super::{ArchiveError, ber_span};

/// ATSv2 inputs of one verification.
#[derive(Debug, Default)]
pub(crate) struct V2State<'a> {
    parts: Vec<V2Parts<'a>>,
    /// For each hasher, its index in `parts`.
    owners: Vec<usize>,
    /// Content hashers (empty until [`V2State::with_content`], or when no content).
    hashers: Vec<Hasher>,
}

impl<'a> V2State<'a> {
    /// The covered fields of `sd` (DER) and, when `input` needed BER normalisation, of
    /// `input` as received, with one hasher per (fields, algorithm in `algs`) fed with
    /// encapContentInfo. The hashers are returned for the caller to continue with the
    /// detached content, then handed back to [`V2State::with_content`].
    pub(crate) fn prepare(
        sd: &SignedDataView<'a>,
        input: &'a [u8],
        ber: bool,
        algs: &[DigestAlgorithm],
    ) -> (Self, Vec<Hasher>) {
        let mut parts = vec![V2Parts::of(sd)];
        if ber {
            parts.extend(ber_span::received_parts(input));
            parts.dedup();
        }
        let mut owners = Vec::new();
        let mut hashers = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            for a in algs {
                let mut h = a.hasher();
                h.update(p.encap_content_info);
                owners.push(i);
                hashers.push(h);
            }
        }
        let state = Self {
            parts,
            owners,
            hashers: Vec::new(),
        };
        (state, hashers)
    }

    /// Takes back the hashers of [`V2State::prepare`] after the content was fed (an empty
    /// list: the content is not available).
    pub(crate) fn with_content(mut self, fed: Vec<Hasher>) -> Self {
        if fed.len() == self.owners.len() {
            self.hashers = fed;
        }
        self
    }

    /// Checks the ATSv2 `token` at unsigned attribute `position` of `si`: `Some(true)` and
    /// the variant (and encoding) that matched, `Some(false)` when none does, `None` when
    /// the content is not available for the token's algorithm.
    pub(crate) fn check(
        &self,
        si: &SignerInfoView<'_>,
        position: usize,
        token: &[u8],
    ) -> Result<(Option<bool>, String), ArchiveError> {
        let alg = super::v2::token_info(token)?.imprint.algorithm();
        let mut tried = false;
        let pairs = self.owners.iter().zip(&self.hashers);
        for (i, h) in pairs.filter(|(_, h)| h.algorithm() == alg) {
            let Some(parts) = self.parts.get(*i) else {
                continue;
            };
            tried = true;
            if let Some(v) = check_ats_v2(parts, si, position, token, h)? {
                let encoding = if *i == 0 {
                    ""
                } else {
                    "; BER fields as received"
                };
                return Ok((Some(true), format!("{}{encoding}", v.name())));
            }
        }
        Ok(if tried {
            (Some(false), "no TS 101 733 variant matches".to_owned())
        } else {
            (None, "content not available".to_owned())
        })
    }
}
