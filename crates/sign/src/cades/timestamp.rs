//! Time-stamps for CAdES: the signature time-stamp (B-T) and the content time-stamp.
//!
//! Tokens come from [`kenpo_tsa::client::BlockingTsaClient`], which tries the configured
//! TSAs in order and verifies each answer (signature, ESSCertIDv2 of the TSA certificate,
//! timeStamping EKU, genTime within the TSA certificate, imprint, nonce, policy, and the
//! configured chain validator) before returning it. The token is embedded exactly as
//! received.

use kenpo_core::alg::{Digest, DigestAlgorithm};
use kenpo_tsa::client::{BlockingTsaClient, ClientConfig, TimeStamp};

use super::error::SignError;

/// A TSA client for one signing operation.
#[derive(Debug)]
pub(crate) struct Stamper {
    client: BlockingTsaClient,
}

impl Stamper {
    /// Checks the configuration (URLs, no SHA-1) and builds the client: configuration
    /// errors surface before the document is read or the key is used.
    pub(crate) fn new(config: &ClientConfig) -> Result<Self, SignError> {
        Ok(Self {
            client: BlockingTsaClient::new(config.clone()).map_err(SignError::TsaFailed)?,
        })
    }

    /// The digest algorithm of signature time-stamp imprints.
    pub(crate) fn digest_algorithm(&self) -> DigestAlgorithm {
        self.client.config().digest
    }

    /// A verified token over `imprint`.
    pub(crate) fn stamp_digest(&self, imprint: &Digest) -> Result<TimeStamp, SignError> {
        let ts = self
            .client
            .timestamp_digest(imprint)
            .map_err(SignError::TsaFailed)?;
        // The client has verified the token against this imprint; keep the invariant
        // visible here too, as the token is about to be embedded.
        if ts.token.tst_info.imprint != *imprint {
            return Err(SignError::Cms(kenpo_core::cms::CmsError::Build(
                "time-stamp token covers other data".into(),
            )));
        }
        Ok(ts)
    }

    /// The signature time-stamp: imprint = hash of the signature value's octets (the
    /// contents of the SignerInfo `signature` OCTET STRING).
    pub(crate) fn stamp_signature(&self, signature_value: &[u8]) -> Result<TimeStamp, SignError> {
        let imprint = self.digest_algorithm().digest(signature_value);
        self.stamp_digest(&imprint)
    }
}
