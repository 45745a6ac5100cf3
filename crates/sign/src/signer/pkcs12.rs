//! PKCS#12 (`.p12` / `.pfx`) files, read with `p12-keystore`.

use std::path::Path;

use kenpo_core::crypto::CryptoBackend;
use p12_keystore::KeyStore;
use p12_keystore::error::Error as P12Error;

use super::software::read_file;
use super::{SignerError, SoftwareSigner};

fn map_p12_error(e: P12Error) -> SignerError {
    match e {
        // The MAC is keyed with the password: a mismatch means a wrong password (or a
        // corrupted file, which is far rarer).
        P12Error::MacError(_) => SignerError::WrongPassword,
        // Files without a MAC: decryption with a wrong password fails at the padding.
        P12Error::UnpadError => SignerError::WrongPassword,
        P12Error::Pkcs5Error(msg) if msg.to_ascii_lowercase().contains("decrypt") => {
            SignerError::WrongPassword
        }
        P12Error::DerError(e) => SignerError::Pkcs12(format!("not a PKCS#12 file: {e}")),
        P12Error::UnsupportedEncryptionScheme => SignerError::Pkcs12(
            "unsupported encryption scheme (re-export with `openssl pkcs12 -export`, which uses \
             AES-256 by default)"
                .into(),
        ),
        other => SignerError::Pkcs12(other.to_string()),
    }
}

impl SoftwareSigner {
    /// Reads a PKCS#12 file: its private key (loaded with `backend`), the certificate that
    /// belongs to the key (same localKeyId) and the issuers found in the file as chain
    /// (signer's issuer first).
    ///
    /// Both the OpenSSL 3 default (PBES2: PBKDF2-HMAC-SHA256 + AES-256-CBC, HMAC-SHA256 MAC)
    /// and the legacy encryption of older tools and `openssl pkcs12 -legacy`
    /// (pbeWithSHAAnd3-KeyTripleDES-CBC for the key, 40-bit RC2 or 3DES for the
    /// certificates, HMAC-SHA1 MAC) are read. Keys must be in PKCS#8 shrouded key bags (as
    /// every common tool writes them).
    ///
    /// A wrong password gives [`SignerError::WrongPassword`]; a file without a private key
    /// paired with its certificate gives [`SignerError::Key`].
    pub fn from_pkcs12(
        data: &[u8],
        password: &str,
        backend: &'static dyn CryptoBackend,
    ) -> Result<Self, SignerError> {
        let store = KeyStore::from_pkcs12(data, password).map_err(map_p12_error)?;
        let (_alias, key_chain) = store.private_key_chain().ok_or_else(|| {
            SignerError::Key(
                "the PKCS#12 file holds no private key together with its certificate".into(),
            )
        })?;
        let mut certs = key_chain.chain().iter().map(|c| c.as_der().to_vec());
        let cert = certs.next().ok_or_else(|| {
            SignerError::Certificate("the PKCS#12 file holds no certificate for its key".into())
        })?;
        let chain: Vec<Vec<u8>> = certs.collect();
        // Certificate problems before the key is parsed (the key may be weak, e.g. RSA-1024,
        // which some backends refuse to load at all).
        super::check_certificate(&cert, time::OffsetDateTime::now_utc())?;
        let key = backend
            .load_pkcs8(key_chain.key())
            .map_err(|e| SignerError::Key(format!("PKCS#12 private key: {e}")))?;
        Self::from_parts(key, cert, chain)
    }

    /// [`from_pkcs12`](Self::from_pkcs12) on a file.
    pub fn from_pkcs12_file(
        path: &Path,
        password: &str,
        backend: &'static dyn CryptoBackend,
    ) -> Result<Self, SignerError> {
        let data = read_file(path)?;
        Self::from_pkcs12(&data, password, backend).map_err(|e| match e {
            SignerError::Pkcs12(m) => SignerError::Pkcs12(format!("{}: {m}", path.display())),
            other => other,
        })
    }
}
