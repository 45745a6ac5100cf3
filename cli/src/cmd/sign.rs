//! `kenpo-sign sign DOC (--cert PEM --key PEM | --pkcs12 FILE | --pkcs11-module SO --token LABEL
//! --key-label LABEL) [--chain PEM]... [--tsa URL]... [--level b-b|b-t|b-lt|b-lta] [--attached]
//! [--profile hpki|accredited|any] [--trust PEM]... [--format cades|pades|xades]
//! [--pdf-subfilter etsi|adbe] [--xml-form enveloped|detached] [--yes] [-o OUT | --force]`
//!
//! On a terminal, the signer, roles, policies, document SHA-256 and level are shown and
//! confirmed first (rule 27's explicit confirmation step); `--yes` skips the question.
//! Secrets come from `KENPO_PASSWORD` / `KENPO_PIN` or a prompt, never from argv.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use kenpo_core::alg::{DigestAlgorithm, SignatureAlgorithm};
use kenpo_sign::cades::{self, SignOptions};
use kenpo_sign::signer::{
    PASSWORD_ENV, PIN_ENV, Pkcs11Signer, SignerError, SoftwareSigner, secret_from_env_or_prompt,
};
use kenpo_sign::{Level, Profile, Signer};
use kenpo_tsa::AnchorChain;
use kenpo_tsa::client::ClientConfig;
use kenpo_verify::lt::{ExtendOptions, Target};

use crate::exit::{self, CliError};
use crate::files;

/// Signature level names of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LevelArg {
    /// B-B.
    #[value(name = "b-b")]
    Bb,
    /// B-T.
    #[value(name = "b-t")]
    Bt,
    /// B-LT.
    #[value(name = "b-lt")]
    Blt,
    /// B-LTA.
    #[value(name = "b-lta")]
    Blta,
}

/// Profile names of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProfileArg {
    /// HPKI signature certificates only.
    Hpki,
    /// Accredited certification businesses.
    Accredited,
    /// Any certificate.
    Any,
}

impl From<ProfileArg> for Profile {
    fn from(p: ProfileArg) -> Self {
        match p {
            ProfileArg::Hpki => Profile::Hpki,
            ProfileArg::Accredited => Profile::Accredited,
            ProfileArg::Any => Profile::Any,
        }
    }
}

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The document to sign.
    pub doc: PathBuf,
    /// Signer certificate (with `--key`).
    #[arg(long, requires = "key", conflicts_with_all = ["pkcs12", "pkcs11_module"])]
    pub cert: Option<PathBuf>,
    /// Private key, PKCS#8 PEM or DER (with `--cert`).
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// PKCS#12 file (.p12/.pfx); password from KENPO_PASSWORD or a prompt.
    #[arg(long, conflicts_with = "pkcs11_module")]
    pub pkcs12: Option<PathBuf>,
    /// PKCS#11 module (HPKI card middleware, HSM); PIN from KENPO_PIN or a prompt.
    #[arg(long, requires_all = ["token", "key_label"])]
    pub pkcs11_module: Option<PathBuf>,
    /// PKCS#11 token label.
    #[arg(long)]
    pub token: Option<String>,
    /// PKCS#11 key label.
    #[arg(long)]
    pub key_label: Option<String>,
    /// Chain certificates to embed (repeatable).
    #[arg(long)]
    pub chain: Vec<PathBuf>,
    /// TSA URL for B-T (repeatable: failover in order).
    #[arg(long)]
    pub tsa: Vec<String>,
    /// Level; default b-t with a --tsa, else b-b. b-lt/b-lta sign B-T and extend it as
    /// `extend` does (CAdES, PDF and XML alike), writing only the result.
    #[arg(long, value_enum)]
    pub level: Option<LevelArg>,
    /// Put the document inside the signature (default: detached).
    #[arg(long)]
    pub attached: bool,
    /// Certificate profile the signer must satisfy.
    #[arg(long, value_enum, default_value_t = ProfileArg::Any)]
    pub profile: ProfileArg,
    /// Trust anchors (file or directory; repeatable): the TSA certificate's chain must end
    /// at one; with --level b-lt/b-lta the signature is also validated against them before
    /// its validation data is embedded (required there).
    #[arg(long)]
    pub trust: Vec<PathBuf>,
    /// CRLs to check the signer against at genTime (repeatable).
    #[arg(long)]
    pub crl: Vec<PathBuf>,
    /// Never fetch revocation data over the network.
    #[arg(long)]
    pub offline: bool,
    /// Fetch revocation data and issuer certificates only from HOST (its default port)
    /// or HOST:PORT (repeatable; default: wherever the certificates point). Redirects never
    /// leave the host and port first asked either way.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub fetch_allow: Vec<kenpo_revocation::fetch::AllowedOrigin>,
    /// Also time-stamp the document before signing (content-time-stamp).
    #[arg(long)]
    pub content_timestamp: bool,
    /// Use RSASSA-PSS (SHA-256, salt 32) instead of PKCS#1 v1.5 for RSA keys.
    #[arg(long)]
    pub pss: bool,
    /// Append one JSON line per signing to this file (default: $KENPO_AUDIT_LOG).
    #[arg(long, env = "KENPO_AUDIT_LOG")]
    pub audit_log: Option<PathBuf>,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Output file, written atomically (default: DOC.p7s, or DOC.p7m with --attached; for
    /// a PDF DOC.signed.pdf, for XML DOC.signed.xml or DOC.sig.xml with --xml-form detached
    /// (DOC without its extension); it must not exist unless --force).
    #[arg(short = 'o', long = "out")]
    pub out: Option<PathBuf>,
    /// Replace the default output (DOC.p7s / DOC.p7m, DOC.signed.pdf, DOC.signed.xml or
    /// DOC.sig.xml) when it exists.
    #[arg(long)]
    pub force: bool,
    /// Signature form: cades (a .p7s/.p7m), pades (inside the PDF, an incremental update)
    /// or xades (XML signature); default: pades for a PDF (`%PDF-`), xades for an XML
    /// document (`<?xml` or an element first), else cades.
    #[arg(long, value_enum)]
    pub format: Option<crate::cmd::sign_pdf::FormatArg>,
    /// PDF signature /SubFilter: etsi (ETSI.CAdES.detached, PAdES baseline; the default)
    /// or adbe (adbe.pkcs7.detached). PDF only.
    #[arg(long, value_enum)]
    pub pdf_subfilter: Option<crate::cmd::sign_pdf::SubFilterArg>,
    /// XML signature form: enveloped (the default: ds:Signature as the last child of the
    /// document element, every input byte before it kept; output DOC.signed.xml) or
    /// detached (a separate signature file referencing DOC by its file name; output
    /// DOC.sig.xml; verify it with `verify OUT --content DOC`). XML only; every --level
    /// applies (b-lt/b-lta: signed B-T, then extended as `extend OUT.xml` does).
    #[arg(long, value_enum)]
    pub xml_form: Option<crate::cmd::sign_xml::XmlFormArg>,
    /// Size limit of the input files held in memory.
    #[command(flatten)]
    pub limit: files::InputLimit,
}

fn level_arg_name(level: Option<LevelArg>) -> &'static str {
    match level {
        Some(LevelArg::Bb) => "b-b",
        Some(LevelArg::Blt) => "b-lt",
        Some(LevelArg::Blta) => "b-lta",
        Some(LevelArg::Bt) | None => "b-t",
    }
}

/// The B-T intermediate of a B-LT/B-LTA signature: a locked temporary file beside the
/// output, named in the pattern of [`kenpo_core::atomic`] so that one left by a killed run
/// is removed by the next writer in that directory; removed when dropped.
pub(crate) fn staging_file(out: &std::path::Path) -> Result<kenpo_core::atomic::Staged, CliError> {
    kenpo_core::atomic::AtomicWriter::new()
        .stage(out)
        .map_err(|e| CliError::op(format!("cannot write beside {}", out.display()), e))
}

/// Reads the B-T signature just renamed onto `path` under a lock of its own (the rename
/// replaced the staging file locked by [`staging_file`]): once open, its bytes are ours
/// even if another run's sweep removes the name.
pub(crate) fn read_staged(
    path: &std::path::Path,
    limit: files::InputLimit,
) -> Result<Vec<u8>, CliError> {
    let f = std::fs::File::open(path)
        .map_err(|e| CliError::op(format!("cannot read {}", path.display()), e))?;
    // Without locks (some network filesystems) there is nothing to hold: read anyway.
    let _ = f.lock_shared();
    files::read_open(&f, path, limit)
}

fn signer_error(e: SignerError) -> CliError {
    if e.is_refusal() {
        CliError::Refused(e.to_string())
    } else {
        CliError::Operational(e.to_string())
    }
}

fn load_signer(args: &Args) -> Result<Box<dyn Signer>, CliError> {
    let backend = kenpo_core::crypto::default_backend();
    let extra = files::certificates_limited(&args.chain, args.limit)?;
    let with_extra = |mut chain: Vec<Vec<u8>>| {
        for c in &extra {
            if !chain.contains(c) {
                chain.push(c.clone());
            }
        }
        chain
    };
    if let (Some(cert), Some(key)) = (&args.cert, &args.key) {
        // Read within --max-input-bytes; the reader's own error (naming file, limit and
        // flag) is the one reported.
        let mut refused = None;
        let mut read = |p: &std::path::Path| {
            files::read_limited(p, args.limit).map_err(|e| {
                let source = std::io::Error::other(e.to_string());
                refused = Some(e);
                SignerError::Read {
                    path: p.to_path_buf(),
                    source,
                }
            })
        };
        let s = SoftwareSigner::from_pem_files_with(cert, key, &[], backend, &mut read);
        if let Some(e) = refused {
            return Err(e);
        }
        let s = s.map_err(signer_error)?;
        let chain = with_extra(s.chain().to_vec());
        return Ok(Box::new(s.with_chain(chain)));
    }
    if let Some(p12) = &args.pkcs12 {
        let data = files::read_limited(p12, args.limit)?;
        let pw =
            secret_from_env_or_prompt(PASSWORD_ENV, "PKCS#12 password: ").map_err(signer_error)?;
        let s = SoftwareSigner::from_pkcs12(&data, &pw, backend)
            .map_err(|e| match e {
                SignerError::Pkcs12(m) => SignerError::Pkcs12(format!("{}: {m}", p12.display())),
                other => other,
            })
            .map_err(signer_error)?;
        let chain = with_extra(s.chain().to_vec());
        return Ok(Box::new(s.with_chain(chain)));
    }
    if let (Some(module), Some(token), Some(label)) =
        (&args.pkcs11_module, &args.token, &args.key_label)
    {
        let pin = secret_from_env_or_prompt(PIN_ENV, &format!("PIN for token {token}: "))
            .map_err(signer_error)?;
        let s = Pkcs11Signer::open(module, token, label, &pin).map_err(signer_error)?;
        let chain = with_extra(s.chain().to_vec());
        return Ok(Box::new(s.with_chain(chain)));
    }
    Err(CliError::Usage(
        "give --cert and --key, --pkcs12, or --pkcs11-module with --token and --key-label".into(),
    ))
}

fn options(args: &Args) -> Result<SignOptions, CliError> {
    let level = match args.level {
        Some(LevelArg::Bb) => Level::BB,
        Some(LevelArg::Bt) => Level::BT,
        None if args.tsa.is_empty() => Level::BB,
        None => Level::BT,
        // Signed as B-T, then extended (see `run`).
        Some(LevelArg::Blt | LevelArg::Blta) => Level::BT,
    };
    if level == Level::BT && args.tsa.is_empty() {
        return Err(CliError::Usage(format!(
            "--level {} needs at least one --tsa URL",
            level_arg_name(args.level)
        )));
    }
    if matches!(args.level, Some(LevelArg::Blt | LevelArg::Blta)) && args.trust.is_empty() {
        return Err(CliError::Usage(format!(
            "--level {} needs --trust (the anchors the signature is validated against before its validation data is embedded)",
            level_arg_name(args.level)
        )));
    }
    let anchors = files::certificates_limited(&args.trust, args.limit)?;
    let tsa = (!args.tsa.is_empty()).then(|| {
        ClientConfig::new(args.tsa.clone()).with_validator(
            (!anchors.is_empty()).then(|| Arc::new(AnchorChain::new(anchors.clone())) as _),
        )
    });
    let mut crls = Vec::new();
    for c in &args.crl {
        crls.push(files::der_or_pem_limited(c, args.limit)?);
    }
    let checker = kenpo_revocation::Checker::new()
        .with_crls(crls)
        .offline(args.offline)
        .with_fetch_allow(args.fetch_allow.clone());
    let audit = match &args.audit_log {
        Some(p) => Some(Arc::new(
            kenpo_sign::audit::AuditLog::open(p).map_err(|e| CliError::op("audit log", e))?,
        )),
        None => None,
    };
    Ok(SignOptions::default()
        .with_level(level)
        .with_attached(args.attached)
        .with_algorithm(args.pss.then_some(SignatureAlgorithm::RsaPss {
            digest: DigestAlgorithm::Sha256,
            salt_len: 32,
        }))
        .with_profile(args.profile.into())
        .with_tsa(tsa)
        .with_content_timestamp(args.content_timestamp)
        .with_revocation(Some(Arc::new(checker)))
        .with_audit(audit)
        .with_now(None))
}

fn sign_error(e: cades::SignError) -> CliError {
    if e.is_refusal() {
        CliError::Refused(e.to_string())
    } else {
        CliError::Operational(e.to_string())
    }
}

/// Shows what is about to be signed and asks; `Ok(false)` when the user declines.
fn confirm(
    args: &Args,
    summary: &kenpo_sign::profile::SignerInfoSummary,
    opts: &SignOptions,
) -> Result<bool, CliError> {
    let digest = files::hash_file(&args.doc, DigestAlgorithm::Sha256)?;
    let none = "(なし / none)".to_string();
    let mut err = std::io::stderr();
    let _ = writeln!(err, "署名者 / signer:     {}", summary.subject);
    let roles = if summary.hc_roles.is_empty() {
        none.clone()
    } else {
        summary.hc_roles.join(", ")
    };
    let _ = writeln!(err, "資格 / roles:        {roles}");
    let policies = if summary.policy_oids.is_empty() {
        none
    } else {
        summary.policy_oids.join(", ")
    };
    let _ = writeln!(err, "ポリシー / policy:   {policies}");
    let _ = writeln!(
        err,
        "文書 / document:     {} (SHA-256 {})",
        args.doc.display(),
        digest.to_hex()
    );
    let _ = writeln!(
        err,
        "レベル / level:      {}",
        cades::level_name(opts.level)
    );
    let _ = write!(err, "この内容で署名しますか / sign this document? [y/N] ");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::op("confirmation", e))?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes" | "はい"
    ))
}

/// The extension options for `sign --level b-lt|b-lta` (the B-T signature just made is
/// extended as `extend` would).
fn long_term_options(args: &Args, to: Target) -> Result<ExtendOptions, CliError> {
    let anchors = files::certificates_limited(&args.trust, args.limit)?;
    Ok(ExtendOptions::new(
        to,
        crate::cmd::extend::tsa_config(&args.tsa, &anchors),
        anchors,
    )
    .with_crls(files::der_files_limited(&args.crl, args.limit)?)
    .with_profile(args.profile.into())
    .with_offline(args.offline)
    .with_fetch_allow(args.fetch_allow.clone()))
}

/// Runs the command.
pub fn run(args: &Args) -> Result<u8, CliError> {
    let xades = crate::cmd::sign_xml::is_xades(args.format, &args.doc);
    let pades = !xades && crate::cmd::sign_pdf::is_pades(args.format, &args.doc)?;
    let ext = if args.attached { "p7m" } else { "p7s" };
    if args.xml_form.is_some() && !xades {
        return Err(CliError::Usage(format!(
            "--xml-form applies to XML documents only; {} is not signed as XAdES (give --format xades to sign it as XML)",
            args.doc.display()
        )));
    }
    let xml_form = args.xml_form.unwrap_or_default();
    let out = if xades {
        crate::cmd::sign_xml::check_args(args.attached, args.pdf_subfilter.is_some())?;
        crate::cmd::sign_xml::output(args.out.as_deref(), &args.doc, xml_form, args.force)?
    } else if pades {
        crate::cmd::sign_pdf::check_args(args.attached)?;
        crate::cmd::sign_pdf::output(args.out.as_deref(), &args.doc, args.force)?
    } else {
        files::default_output(args.out.as_deref(), &args.doc, ext, args.force)?
    };
    let opts = options(args)?;
    let signer = load_signer(args)?;
    let summary = cades::preflight(signer.as_ref(), &opts).map_err(sign_error)?;
    if !args.yes && std::io::stdin().is_terminal() && !confirm(args, &summary, &opts)? {
        return Err(CliError::Refused(
            "signing cancelled by the user; nothing written".into(),
        ));
    }
    let target = match args.level {
        Some(LevelArg::Blt) => Some(Target::BLt),
        Some(LevelArg::Blta) => Some(Target::BLta),
        _ => None,
    };
    let x_opts = target.map(|to| long_term_options(args, to)).transpose()?;
    if xades {
        return crate::cmd::sign_xml::run(
            signer.as_ref(),
            &args.doc,
            &out,
            &opts,
            xml_form,
            args.limit,
            x_opts.as_ref(),
        );
    }
    if pades {
        return crate::cmd::sign_pdf::run(
            signer.as_ref(),
            &args.doc,
            &out,
            &opts,
            args.pdf_subfilter.unwrap_or_default(),
            x_opts.as_ref().map(|x| (x, args.limit)),
        );
    }
    // B-LT / B-LTA: sign B-T into a temporary file beside the output, extend, then write the
    // output atomically; on any failure nothing is written.
    let staging = match target {
        Some(_) => Some(staging_file(&out)?),
        None => None,
    };
    let bt_path = staging
        .as_ref()
        .map_or(out.as_path(), kenpo_core::atomic::Staged::temp_path);
    let signed =
        cades::sign_file_to(signer.as_ref(), &args.doc, bt_path, &opts).map_err(sign_error)?;
    if let (Some(x_opts), Some(_)) = (&x_opts, &staging) {
        let bt = read_staged(bt_path, args.limit)?;
        let content = (!args.attached).then_some(args.doc.as_path());
        let extended = kenpo_verify::lt::extend(&bt, content, x_opts)
            .map_err(crate::cmd::extend::extend_error)?;
        files::write_atomic(&out, &extended.der)?;
        outln!("signed:  {}", out.display());
        crate::cmd::extend::print_summary(&out, &extended);
        return Ok(exit::OK);
    }
    outln!("signed:  {}", out.display());
    print_signed(&signed);
    Ok(exit::OK)
}

/// Prints what a signing gave: signer, roles, level, document digest, genTime and the
/// revocation status at genTime (CAdES, PAdES and XAdES alike).
pub(crate) fn print_signed(signed: &kenpo_sign::cades::Signed) {
    outln!("signer:  {}", signed.signer_summary.subject);
    if !signed.signer_summary.hc_roles.is_empty() {
        outln!("roles:   {}", signed.signer_summary.hc_roles.join(", "));
    }
    outln!("level:   {}", cades::level_name(signed.level));
    if let Some(d) = signed.document_sha256 {
        outln!("sha256:  {}", d.to_hex());
    }
    if let Some(t) = signed.timestamp_gen_time {
        outln!("genTime: {}", kenpo_core::timefmt::rfc3339(t));
    }
    if let Some(r) = &signed.revocation {
        outln!("revocation at genTime: {r}");
    }
}
