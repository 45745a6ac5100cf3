//! PKCS#11 tokens through `cryptoki` (see [`Pkcs11Signer`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::{AuthPin, Ulong};
use der::{Decode, Encode};
use kenpo_core::alg::{Digest, DigestAlgorithm, PublicKeyKind, SignatureAlgorithm};
use kenpo_core::cert::CertRef;
use kenpo_core::crypto::{CryptoError, SigningKey};
use time::OffsetDateTime;

use super::{
    SignerError, Validity, check_key_against, ec_field_len, ecdsa_raw_to_der, guard_sign,
    verify_own_signature,
};
use crate::Signer;

// ---------------------------------------------------------------------------------------
// Module contexts, shared per process and module path.

/// A loaded and initialised PKCS#11 module.
struct Module {
    ctx: Pkcs11,
    key: PathBuf,
    /// Whether this process's `C_Initialize` came from here (then `C_Finalize` on drop).
    finalize: std::sync::atomic::AtomicBool,
}

type Registry = Mutex<HashMap<PathBuf, Weak<Module>>>;

fn registry() -> &'static Registry {
    static REG: OnceLock<Registry> = OnceLock::new();
    REG.get_or_init(Registry::default)
}

fn module(path: &Path) -> Result<Arc<Module>, SignerError> {
    let fail = |reason: String| SignerError::Module {
        path: path.to_path_buf(),
        reason,
    };
    let key = path
        .canonicalize()
        .map_err(|e| fail(format!("cannot open it ({e})")))?;
    let mut map = registry().lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(m) = map.get(&key).and_then(Weak::upgrade) {
        return Ok(m);
    }
    let ctx = Pkcs11::new(&key).map_err(|e| fail(e.to_string()))?;
    let finalize = match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) => true,
        // Initialised elsewhere in this process: leave finalisation to whoever did it.
        Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => false,
        Err(e) => return Err(fail(format!("C_Initialize: {e}"))),
    };
    let m = Arc::new(Module {
        ctx,
        key: key.clone(),
        finalize: finalize.into(),
    });
    map.insert(key, Arc::downgrade(&m));
    Ok(m)
}

impl Drop for Module {
    fn drop(&mut self) {
        use std::sync::atomic::Ordering;
        let newer = {
            let mut map = registry().lock().unwrap_or_else(PoisonError::into_inner);
            match map.get(&self.key).and_then(Weak::upgrade) {
                // A newer context for the same module was created while this one was being
                // dropped: it inherits the duty to finalise.
                Some(newer) => {
                    if self.finalize.load(Ordering::SeqCst) {
                        newer.finalize.store(true, Ordering::SeqCst);
                    }
                    Some(newer)
                }
                None => {
                    map.remove(&self.key);
                    if self.finalize.load(Ordering::SeqCst) {
                        // Nothing can be done about a failing C_Finalize while dropping.
                        let _ = self.ctx.clone().finalize();
                    }
                    None
                }
            }
        };
        // Dropped outside the registry lock (it may be the last reference).
        drop(newer);
    }
}

// ---------------------------------------------------------------------------------------
// Error mapping.

fn ck(what: &str) -> impl Fn(CkError) -> SignerError + '_ {
    move |e| SignerError::Pkcs11(format!("{what}: {e}"))
}

fn rv_of(e: &CkError) -> Option<RvError> {
    match e {
        CkError::Pkcs11(rv, _) => Some(*rv),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// The signer.

/// A signer whose private key stays on a PKCS#11 token (HPKI card, HSM, SoftHSM2).
///
/// It implements both [`Signer`] and [`SigningKey`]. The token session is kept open (and
/// logged in) for the signer's lifetime and serialised with a mutex.
///
/// # HPKI cards
///
/// An HPKI card (保健医療福祉分野PKI の IC カード) is reached through the PKCS#11 module that
/// the card issuer / card vendor ships with its middleware (a `.so` on Linux, `.dylib` on
/// macOS, `.dll` on Windows). Pass that module's path, the token label the middleware
/// shows for the card and the label of the signature key (`pkcs11-tool --module MODULE
/// --list-objects` lists them). HSMs work the same way with the HSM vendor's module.
///
/// # What the signer does
///
/// [`Pkcs11Signer::open`] loads the module (once per process and module; it is finalised
/// when the last signer using it is dropped), finds the token by label, logs in as user
/// with the PIN, finds the private key by `CKA_LABEL`, the certificate object with the
/// key's `CKA_ID` (else the same label) and the issuers of that certificate among the
/// token's certificate objects (the chain). The public key is read from the public key
/// object (same `CKA_ID` or label) or the private key's RSA attributes and compared with the
/// certificate; when the token exposes no public key value (some EC keys on cards), a test
/// signature is verified with the certificate instead. Then the certificate's validity and
/// strength are checked ([`check_before_use`](super::check_before_use)).
///
/// Signing uses single-part mechanisms over the precomputed digest:
///
/// * RSASSA-PKCS1-v1_5: `CKM_RSA_PKCS` over the DER `DigestInfo` (prefix ‖ digest);
/// * RSASSA-PSS: `CKM_RSA_PKCS_PSS` with `CK_RSA_PKCS_PSS_PARAMS` (hash, MGF1 with the same
///   hash, salt length);
/// * ECDSA: `CKM_ECDSA` over the digest; the token's raw `r ‖ s` is converted to the DER
///   `Ecdsa-Sig-Value` that CMS carries.
///
/// Every signature is verified against the certificate before it is returned.
///
/// Keys marked `CKA_ALWAYS_AUTHENTICATE` (a PIN for every signature): the plain single-part
/// signature is tried first (modules that cache the PIN accept it); when the module answers
/// `CKR_USER_NOT_LOGGED_IN`, the signer runs `C_SignInit`, a context-specific login with the
/// same PIN, then `C_SignUpdate` / `C_SignFinal`, because `cryptoki` 0.12 offers no `C_Sign`
/// without its own `C_SignInit`. Modules that allow no multi-part operation for raw
/// mechanisms (SoftHSM2 among them) refuse that, and the error says so. Untested on real
/// cards.
///
/// A protected authentication path (PIN pad reader) is used when the token has one and the
/// PIN given is empty.
pub struct Pkcs11Signer {
    // Field order is drop order: the session closes before the module is finalised.
    session: Mutex<Session>,
    module: Arc<Module>,
    key: ObjectHandle,
    token_label: String,
    key_label: String,
    spki: Vec<u8>,
    kind: PublicKeyKind,
    cert: Vec<u8>,
    chain: Vec<Vec<u8>>,
    validity: Validity,
    /// Kept only for keys with `CKA_ALWAYS_AUTHENTICATE`.
    context_pin: Option<AuthPin>,
}

impl std::fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Signer")
            .field("module", &self.module.key)
            .field("token", &self.token_label)
            .field("key", &self.key_label)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// What was read from the token about the private key.
struct KeyInfo {
    handle: ObjectHandle,
    id: Vec<u8>,
    key_type: Option<KeyType>,
    modulus: Option<Vec<u8>>,
    exponent: Option<Vec<u8>>,
    ec_params: Option<Vec<u8>>,
    always_authenticate: bool,
}

impl Pkcs11Signer {
    /// Opens the token labelled `token_label` through the PKCS#11 module at `module`, logs
    /// in with `pin` and selects the private key labelled `key_label`; the certificate must
    /// be on the token (same `CKA_ID`, else same label).
    ///
    /// Errors name the cause: [`SignerError::Module`], [`SignerError::TokenNotFound`],
    /// [`SignerError::WrongPin`], [`SignerError::PinLocked`], [`SignerError::KeyNotFound`],
    /// [`SignerError::CertificateNotFound`], [`SignerError::KeyMismatch`],
    /// [`SignerError::Expired`], [`SignerError::WeakKey`], ….
    ///
    /// An empty `pin` on a token with a protected authentication path (PIN pad) lets the
    /// reader ask for the PIN. PKCS#11 login state is per process and token: while another
    /// signer of this process is logged in to the same token, the token does not check the
    /// PIN again.
    pub fn open(
        module: &Path,
        token_label: &str,
        key_label: &str,
        pin: &str,
    ) -> Result<Self, SignerError> {
        Self::open_inner(module, token_label, key_label, pin, None)
    }

    /// Like [`open`](Self::open), for tokens that hold the key but not its certificate:
    /// `certificate` (DER) is used instead of a certificate object, and `chain` (DER,
    /// signer's issuer first) as the chain.
    pub fn open_with_certificate(
        module: &Path,
        token_label: &str,
        key_label: &str,
        pin: &str,
        certificate: Vec<u8>,
        chain: Vec<Vec<u8>>,
    ) -> Result<Self, SignerError> {
        Self::open_inner(
            module,
            token_label,
            key_label,
            pin,
            Some((certificate, chain)),
        )
    }

    /// Replaces the chain of certificates to embed (DER, signer's issuer first).
    #[must_use]
    pub fn with_chain(mut self, chain: Vec<Vec<u8>>) -> Self {
        self.chain = chain;
        self
    }

    /// Label of the token.
    pub fn token_label(&self) -> &str {
        &self.token_label
    }

    /// Label of the private key.
    pub fn key_label(&self) -> &str {
        &self.key_label
    }

    fn open_inner(
        module_path: &Path,
        token_label: &str,
        key_label: &str,
        pin: &str,
        given: Option<(Vec<u8>, Vec<Vec<u8>>)>,
    ) -> Result<Self, SignerError> {
        let module = module(module_path)?;
        let (slot, protected_path) = find_token(&module.ctx, token_label)?;
        let session = module
            .ctx
            .open_ro_session(slot)
            .map_err(ck("C_OpenSession"))?;
        let auth_pin = if pin.is_empty() && protected_path {
            None
        } else {
            Some(AuthPin::from(pin.to_owned()))
        };
        login(&session, auth_pin.as_ref(), token_label)?;

        let info = find_private_key(&session, key_label, token_label)?;
        let (cert, chain) = match given {
            Some(c) => c,
            None => {
                let cert = find_certificate(&session, &info.id, key_label).ok_or_else(|| {
                    SignerError::CertificateNotFound {
                        label: key_label.to_owned(),
                        token: token_label.to_owned(),
                    }
                })?;
                let chain = token_chain(&session, &cert);
                (cert, chain)
            }
        };
        let cert_ref =
            CertRef::parse(&cert).map_err(|e| SignerError::Certificate(e.to_string()))?;
        let cert_spki = cert_ref.spki.to_vec();
        let now = OffsetDateTime::now_utc();
        // Certificate problems first (they do not need the key).
        let (kind, validity) = super::check_certificate(&cert, now)?;

        let token_spki = token_public_key(&session, &info, key_label)?;
        let signer = Self {
            session: Mutex::new(session),
            module,
            key: info.handle,
            token_label: token_label.to_owned(),
            key_label: key_label.to_owned(),
            spki: cert_spki,
            kind,
            cert,
            chain,
            validity,
            context_pin: if info.always_authenticate {
                auth_pin
            } else {
                None
            },
        };
        match token_spki {
            Some(spki) => {
                check_key_against(&spki, &signer.cert, now)?;
            }
            None => signer.probe_signature()?,
        }
        Ok(signer)
    }

    /// Signs a fixed digest and verifies it with the certificate: the key-matches-certificate
    /// check for tokens that do not expose the public key.
    fn probe_signature(&self) -> Result<(), SignerError> {
        let alg = self.kind.default_signature_algorithm();
        let digest = alg
            .digest()
            .digest(b"kenpo-sign: does this token key belong to the certificate?");
        let sig = self
            .token_sign(alg, &digest)
            .map_err(|e| SignerError::Pkcs11(format!("test signature: {e}")))?;
        kenpo_core::crypto::default_backend()
            .verify_digest(&self.spki, alg, &digest, &sig)
            .map_err(|_| SignerError::KeyMismatch)
    }

    /// Signs on the token (no policy checks, no verification).
    fn token_sign(&self, alg: SignatureAlgorithm, digest: &Digest) -> Result<Vec<u8>, CryptoError> {
        let failed = |e: CkError| {
            let hint = match rv_of(&e) {
                Some(RvError::MechanismInvalid | RvError::MechanismParamInvalid) => {
                    format!(" ({} is not supported by this token)", alg.name())
                }
                _ if self.context_pin.is_some() => " (the key needs a PIN for every \
                     signature (CKA_ALWAYS_AUTHENTICATE) and this module refuses the \
                     multi-part signing used for it)"
                    .to_owned(),
                Some(RvError::UserNotLoggedIn | RvError::SessionHandleInvalid) => {
                    " (the token was removed or the session closed)".to_owned()
                }
                _ => String::new(),
            };
            CryptoError::SigningFailed(format!("PKCS#11 token: {e}{hint}"))
        };
        let session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        let (mechanism, data) = match alg {
            SignatureAlgorithm::RsaPkcs1(d) => {
                let mut data = digest_info_prefix(d)?.to_vec();
                data.extend_from_slice(digest.as_bytes());
                (Mechanism::RsaPkcs, data)
            }
            SignatureAlgorithm::RsaPss {
                digest: d,
                salt_len,
            } => {
                let (hash_alg, mgf) = pss_hash(d)?;
                let s_len = Ulong::try_from(usize::from(salt_len))
                    .map_err(|e| CryptoError::SigningFailed(e.to_string()))?;
                (
                    Mechanism::RsaPkcsPss(PkcsPssParams {
                        hash_alg,
                        mgf,
                        s_len,
                    }),
                    digest.as_bytes().to_vec(),
                )
            }
            SignatureAlgorithm::Ecdsa(_) => (Mechanism::Ecdsa, digest.as_bytes().to_vec()),
        };
        let raw = match (session.sign(&mechanism, self.key, &data), &self.context_pin) {
            (Ok(sig), _) => sig,
            // CKA_ALWAYS_AUTHENTICATE: C_SignInit, C_Login(CKU_CONTEXT_SPECIFIC), then the
            // multi-part calls (cryptoki has no C_Sign without C_SignInit).
            (Err(e), Some(pin)) if rv_of(&e) == Some(RvError::UserNotLoggedIn) => {
                session.sign_init(&mechanism, self.key).map_err(failed)?;
                session
                    .login(UserType::ContextSpecific, Some(pin))
                    .map_err(failed)?;
                session.sign_update(&data).map_err(failed)?;
                session.sign_final().map_err(failed)?
            }
            (Err(e), _) => return Err(failed(e)),
        };
        match ec_field_len(self.kind) {
            Some(n) => ecdsa_raw_to_der(&raw, n),
            None => Ok(raw),
        }
    }
}

fn digest_info_prefix(d: DigestAlgorithm) -> Result<&'static [u8], CryptoError> {
    // DER DigestInfo ::= SEQUENCE { AlgorithmIdentifier { oid, NULL }, OCTET STRING digest }
    // without the digest (RFC 8017 §9.2 note 1).
    Ok(match d {
        DigestAlgorithm::Sha256 => &[
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ],
        DigestAlgorithm::Sha384 => &[
            0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x02, 0x05, 0x00, 0x04, 0x30,
        ],
        DigestAlgorithm::Sha512 => &[
            0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x03, 0x05, 0x00, 0x04, 0x40,
        ],
        DigestAlgorithm::Sha1 => {
            return Err(CryptoError::Unsupported {
                backend: "kenpo-sign",
                what: "new signatures with SHA-1".into(),
            });
        }
        other => {
            return Err(CryptoError::Unsupported {
                backend: "kenpo-sign",
                what: format!("{} on a PKCS#11 token", other.name()),
            });
        }
    })
}

fn pss_hash(d: DigestAlgorithm) -> Result<(MechanismType, PkcsMgfType), CryptoError> {
    Ok(match d {
        DigestAlgorithm::Sha256 => (MechanismType::SHA256, PkcsMgfType::MGF1_SHA256),
        DigestAlgorithm::Sha384 => (MechanismType::SHA384, PkcsMgfType::MGF1_SHA384),
        DigestAlgorithm::Sha512 => (MechanismType::SHA512, PkcsMgfType::MGF1_SHA512),
        DigestAlgorithm::Sha1 => {
            return Err(CryptoError::Unsupported {
                backend: "kenpo-sign",
                what: "new signatures with SHA-1".into(),
            });
        }
        other => {
            return Err(CryptoError::Unsupported {
                backend: "kenpo-sign",
                what: format!("{} on a PKCS#11 token", other.name()),
            });
        }
    })
}

fn find_token(ctx: &Pkcs11, label: &str) -> Result<(Slot, bool), SignerError> {
    let slots = ctx.get_slots_with_token().map_err(ck("C_GetSlotList"))?;
    let mut available = Vec::new();
    for slot in slots {
        let Ok(info) = ctx.get_token_info(slot) else {
            continue;
        };
        // Token labels are blank-padded to 32 bytes; cryptoki trims the padding.
        if info.label() == label.trim_end() {
            return Ok((slot, info.protected_authentication_path()));
        }
        available.push(info.label().to_owned());
    }
    Err(SignerError::TokenNotFound {
        label: label.to_owned(),
        available,
    })
}

fn login(session: &Session, pin: Option<&AuthPin>, token: &str) -> Result<(), SignerError> {
    match session.login(UserType::User, pin) {
        Ok(()) => Ok(()),
        Err(e) => match rv_of(&e) {
            // Logged in by another session of this process (login state is per token).
            Some(RvError::UserAlreadyLoggedIn) => Ok(()),
            Some(RvError::PinIncorrect | RvError::PinLenRange | RvError::PinInvalid) => {
                Err(SignerError::WrongPin {
                    token: token.to_owned(),
                })
            }
            Some(RvError::PinLocked) => Err(SignerError::PinLocked {
                token: token.to_owned(),
            }),
            Some(RvError::UserPinNotInitialized) => Err(SignerError::Pkcs11(format!(
                "the user PIN of token {token:?} is not initialised"
            ))),
            _ => Err(SignerError::Pkcs11(format!("C_Login: {e}"))),
        },
    }
}

fn find_private_key(session: &Session, label: &str, token: &str) -> Result<KeyInfo, SignerError> {
    let handles = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(label.as_bytes().to_vec()),
        ])
        .map_err(ck("C_FindObjects"))?;
    let handle = *handles.first().ok_or_else(|| SignerError::KeyNotFound {
        label: label.to_owned(),
        token: token.to_owned(),
    })?;
    let attrs = session
        .get_attributes(
            handle,
            &[
                AttributeType::Id,
                AttributeType::KeyType,
                AttributeType::Modulus,
                AttributeType::PublicExponent,
                AttributeType::EcParams,
                AttributeType::AlwaysAuthenticate,
            ],
        )
        .map_err(ck("C_GetAttributeValue"))?;
    let mut info = KeyInfo {
        handle,
        id: Vec::new(),
        key_type: None,
        modulus: None,
        exponent: None,
        ec_params: None,
        always_authenticate: false,
    };
    for a in attrs {
        match a {
            Attribute::Id(v) => info.id = v,
            Attribute::KeyType(t) => info.key_type = Some(t),
            Attribute::Modulus(v) if !v.is_empty() => info.modulus = Some(v),
            Attribute::PublicExponent(v) if !v.is_empty() => info.exponent = Some(v),
            Attribute::EcParams(v) if !v.is_empty() => info.ec_params = Some(v),
            Attribute::AlwaysAuthenticate(b) => info.always_authenticate = b,
            _ => {}
        }
    }
    Ok(info)
}

/// The value of the first object matching `template` (`CKA_VALUE`).
fn object_values(session: &Session, template: &[Attribute]) -> Vec<Vec<u8>> {
    let Ok(handles) = session.find_objects(template) else {
        return Vec::new();
    };
    handles
        .into_iter()
        .filter_map(|h| {
            session
                .get_attributes(h, &[AttributeType::Value])
                .ok()?
                .into_iter()
                .find_map(|a| match a {
                    Attribute::Value(v) if !v.is_empty() => Some(v),
                    _ => None,
                })
        })
        .collect()
}

fn find_certificate(session: &Session, id: &[u8], label: &str) -> Option<Vec<u8>> {
    let class = Attribute::Class(ObjectClass::CERTIFICATE);
    if !id.is_empty()
        && let Some(c) = object_values(session, &[class.clone(), Attribute::Id(id.to_vec())])
            .into_iter()
            .next()
    {
        return Some(c);
    }
    object_values(
        session,
        &[class, Attribute::Label(label.as_bytes().to_vec())],
    )
    .into_iter()
    .next()
}

/// The issuers of `cert` among the token's certificate objects, issuer first.
fn token_chain(session: &Session, cert: &[u8]) -> Vec<Vec<u8>> {
    let all = object_values(session, &[Attribute::Class(ObjectClass::CERTIFICATE)]);
    let parsed: Vec<CertRef<'_>> = all.iter().filter_map(|c| CertRef::parse(c).ok()).collect();
    let mut chain: Vec<Vec<u8>> = Vec::new();
    let Ok(mut current) = CertRef::parse(cert) else {
        return chain;
    };
    while chain.len() < 8 && current.issuer != current.subject {
        let Some(issuer) = parsed.iter().find(|c| {
            c.subject == current.issuer && c.raw != cert && !chain.iter().any(|x| x == c.raw)
        }) else {
            break;
        };
        chain.push(issuer.raw.to_vec());
        current = issuer.clone();
    }
    chain
}

/// The token's public key as a DER SPKI: from the public key object (same `CKA_ID`, else
/// same label) or the private key's RSA attributes; `None` when the token does not expose it.
fn token_public_key(
    session: &Session,
    info: &KeyInfo,
    label: &str,
) -> Result<Option<Vec<u8>>, SignerError> {
    let wanted = [
        AttributeType::Modulus,
        AttributeType::PublicExponent,
        AttributeType::EcParams,
        AttributeType::EcPoint,
    ];
    let class = Attribute::Class(ObjectClass::PUBLIC_KEY);
    let mut candidates = Vec::new();
    if !info.id.is_empty() {
        candidates.push(vec![class.clone(), Attribute::Id(info.id.clone())]);
    }
    candidates.push(vec![class, Attribute::Label(label.as_bytes().to_vec())]);
    for template in candidates {
        let Ok(handles) = session.find_objects(&template) else {
            continue;
        };
        for h in handles {
            let Ok(attrs) = session.get_attributes(h, &wanted) else {
                continue;
            };
            let (mut n, mut e, mut params, mut point) = (None, None, None, None);
            for a in attrs {
                match a {
                    Attribute::Modulus(v) if !v.is_empty() => n = Some(v),
                    Attribute::PublicExponent(v) if !v.is_empty() => e = Some(v),
                    Attribute::EcParams(v) if !v.is_empty() => params = Some(v),
                    Attribute::EcPoint(v) if !v.is_empty() => point = Some(v),
                    _ => {}
                }
            }
            if let (Some(n), Some(e)) = (&n, &e) {
                return rsa_spki(n, e).map(Some);
            }
            if let (Some(params), Some(point)) = (&params, &point) {
                return ec_spki(params, point).map(Some);
            }
        }
    }
    if info.key_type == Some(KeyType::RSA)
        && let (Some(n), Some(e)) = (&info.modulus, &info.exponent)
    {
        return rsa_spki(n, e).map(Some);
    }
    if info.key_type == Some(KeyType::EC) && info.ec_params.is_some() {
        // Curve known, point not: checked with a test signature.
        return Ok(None);
    }
    match info.key_type {
        Some(t) if t != KeyType::RSA && t != KeyType::EC => Err(SignerError::Key(format!(
            "token key type {t} is not supported (RSA or EC P-256/P-384)"
        ))),
        _ => Ok(None),
    }
}

fn rsa_spki(n: &[u8], e: &[u8]) -> Result<Vec<u8>, SignerError> {
    let bad = |e: der::Error| SignerError::Key(format!("token RSA public key: {e}"));
    let pkcs1 = kenpo_core::alg::RsaPublicKeyRef {
        modulus: der::asn1::UintRef::new(n).map_err(bad)?,
        public_exponent: der::asn1::UintRef::new(e).map_err(bad)?,
    }
    .to_der()
    .map_err(bad)?;
    spki::SubjectPublicKeyInfoOwned {
        algorithm: spki::AlgorithmIdentifierOwned {
            oid: kenpo_core::oid::RSA_ENCRYPTION,
            parameters: Some(der::Any::from(der::asn1::Null)),
        },
        subject_public_key: der::asn1::BitString::from_bytes(&pkcs1).map_err(bad)?,
    }
    .to_der()
    .map_err(bad)
}

fn ec_spki(params: &[u8], point: &[u8]) -> Result<Vec<u8>, SignerError> {
    let bad = |e: der::Error| SignerError::Key(format!("token EC public key: {e}"));
    let curve = der::asn1::ObjectIdentifier::from_der(params).map_err(|e| {
        SignerError::Key(format!(
            "token EC key: CKA_EC_PARAMS is not a named curve ({e})"
        ))
    })?;
    if curve != kenpo_core::oid::SECP256R1 && curve != kenpo_core::oid::SECP384R1 {
        return Err(SignerError::Key(format!(
            "token EC key on curve {curve}: only P-256 and P-384 are supported"
        )));
    }
    // CKA_EC_POINT is a DER OCTET STRING holding the point (PKCS#11 2.40); some tokens
    // return the bare point.
    let raw = match der::asn1::OctetStringRef::from_der(point) {
        Ok(os) if os.as_bytes().first() == Some(&0x04) => os.as_bytes().to_vec(),
        _ => point.to_vec(),
    };
    spki::SubjectPublicKeyInfoOwned {
        algorithm: spki::AlgorithmIdentifierOwned {
            oid: kenpo_core::oid::EC_PUBLIC_KEY,
            parameters: Some(der::Any::from(curve)),
        },
        subject_public_key: der::asn1::BitString::from_bytes(&raw).map_err(bad)?,
    }
    .to_der()
    .map_err(bad)
}

impl SigningKey for Pkcs11Signer {
    fn public_key_spki(&self) -> &[u8] {
        &self.spki
    }

    fn kind(&self) -> PublicKeyKind {
        self.kind
    }

    fn sign_digest(
        &self,
        alg: SignatureAlgorithm,
        digest: &Digest,
    ) -> Result<Vec<u8>, CryptoError> {
        guard_sign(self.kind, &self.validity, alg, digest)?;
        let sig = self.token_sign(alg, digest)?;
        verify_own_signature(&self.spki, alg, digest, &sig, "the PKCS#11 token")?;
        Ok(sig)
    }
}

impl Signer for Pkcs11Signer {
    fn key(&self) -> &dyn SigningKey {
        self
    }

    fn certificate(&self) -> &[u8] {
        &self.cert
    }

    fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }
}
