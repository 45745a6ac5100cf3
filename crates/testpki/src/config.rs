//! Generator configuration.

use time::OffsetDateTime;

/// Default `seed`.
pub const DEFAULT_SEED: u64 = 27;
/// Default `crl_base_url`.
pub const DEFAULT_CRL_BASE_URL: &str = "http://127.0.0.1:8480/crl/";
/// Default `ocsp_url`.
pub const DEFAULT_OCSP_URL: &str = "http://127.0.0.1:8480/ocsp";
/// Default `ca_issuers_base_url`.
pub const DEFAULT_CA_ISSUERS_BASE_URL: &str = "http://127.0.0.1:8480/ca/";

/// What to generate: the same `Config` always yields byte-identical output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Seed of every private key (mixed with the entity name). Default 27.
    pub seed: u64,
    /// Reference time: every validity period, CRL time and revocation time is derived
    /// from it. It is truncated to the whole second (and taken in UTC) when used.
    /// Default: the current time truncated to the whole second.
    pub now: OffsetDateTime,
    /// Base of CRL distribution point URLs; a certificate's CRLDP is
    /// `crl_base_url + "<issuer-name>.crl"`. Default `http://127.0.0.1:8480/crl/`.
    pub crl_base_url: String,
    /// OCSP responder URL put in the AIA of the accredited-branch signers.
    /// Default `http://127.0.0.1:8480/ocsp`.
    pub ocsp_url: String,
    /// Base of AIA caIssuers URLs: `ca_issuers_base_url + "<issuer-name>.der"`.
    /// Default `http://127.0.0.1:8480/ca/`.
    pub ca_issuers_base_url: String,
}

impl Default for Config {
    fn default() -> Self {
        let now = OffsetDateTime::now_utc();
        Self {
            seed: DEFAULT_SEED,
            now: now.replace_nanosecond(0).unwrap_or(now),
            crl_base_url: DEFAULT_CRL_BASE_URL.to_owned(),
            ocsp_url: DEFAULT_OCSP_URL.to_owned(),
            ca_issuers_base_url: DEFAULT_CA_ISSUERS_BASE_URL.to_owned(),
        }
    }
}

impl Config {
    /// The default configuration at a fixed reference time (handy for reproducible tests).
    pub fn at(now: OffsetDateTime) -> Self {
        Self {
            now,
            ..Self::default()
        }
    }

    /// CRL distribution point URL of the CRL issued by entity `issuer`.
    pub fn crl_url(&self, issuer: &str) -> String {
        format!("{}{issuer}.crl", self.crl_base_url)
    }

    /// AIA caIssuers URL of the certificate of entity `issuer`.
    pub fn ca_issuers_url(&self, issuer: &str) -> String {
        format!("{}{issuer}.der", self.ca_issuers_base_url)
    }
}
