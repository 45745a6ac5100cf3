//! PEM armour (RFC 7468), read leniently in layout (any line width, CR/LF, RFC 1421 header
//! lines, explanatory text around blocks) and strictly in content (standard base64, the END
//! label equal to the BEGIN label).

use std::borrow::Cow;

/// PEM text that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PemError {
    /// The input is not UTF-8 text.
    #[error("not UTF-8 text")]
    NotText,
    /// A BEGIN line without its END line.
    #[error("unterminated {0}")]
    Unterminated(String),
    /// The body is not standard base64.
    #[error("{label}: {detail}")]
    Base64 {
        /// The block's label.
        label: String,
        /// What the base64 decoder said.
        detail: String,
    },
}

/// Whether `data` is PEM rather than DER: it holds a `-----BEGIN ` line and does not start
/// as a DER SEQUENCE (whose contents may hold any text).
pub fn looks_like_pem(data: &[u8]) -> bool {
    data.first() != Some(&0x30) && memchr::memmem::find(data, b"-----BEGIN ").is_some()
}

/// The decoded blocks labelled `label`, in order (blocks of other labels are skipped).
pub fn blocks(data: &[u8], label: &str) -> Result<Vec<Vec<u8>>, PemError> {
    let text = std::str::from_utf8(data).map_err(|_| PemError::NotText)?;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(b) = rest.find(&begin) {
        // The END marker is looked for after the whole BEGIN marker: the two may share
        // dashes (`-----BEGIN X--------END X-----`), which is no block.
        let body = &rest[b + begin.len()..];
        let e = body
            .find(&end)
            .ok_or_else(|| PemError::Unterminated(label.to_owned()))?;
        out.push(body_of(&body[..e], label)?);
        rest = &body[e + end.len()..];
    }
    Ok(out)
}

/// The first block of any label, decoded; `None` when `data` is not PEM.
pub fn first_block(data: &[u8]) -> Result<Option<Vec<u8>>, PemError> {
    if !looks_like_pem(data) {
        return Ok(None);
    }
    let text = std::str::from_utf8(data).map_err(|_| PemError::NotText)?;
    let label = text
        .find("-----BEGIN ")
        .map(|i| &text[i + 11..])
        .and_then(|l| l.find("-----").map(|j| &l[..j]))
        .filter(|l| !l.contains('\n'))
        .ok_or_else(|| PemError::Unterminated("BEGIN line".into()))?;
    Ok(blocks(data, label)?.into_iter().next())
}

/// `data` as DER: its first PEM block (any label) when it is PEM and reads, else `data`
/// itself, borrowed (an input of any size is never copied).
pub fn der_of(data: &[u8]) -> Cow<'_, [u8]> {
    match first_block(data) {
        Ok(Some(der)) => Cow::Owned(der),
        _ => Cow::Borrowed(data),
    }
}

/// Decodes the base64 body of a PEM block: any line width (OpenSSL writes 64 columns,
/// other tools 72 or 76), CR/LF, and RFC 1421 header lines (`Name: value`) are accepted;
/// the characters must be standard base64.
fn body_of(body: &str, label: &str) -> Result<Vec<u8>, PemError> {
    use base64::Engine;
    let text: String = body
        .lines()
        .filter(|l| !l.contains(':'))
        .flat_map(|l| l.chars().filter(|c| !c.is_ascii_whitespace()))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map_err(|e| PemError::Base64 {
            label: label.to_owned(),
            detail: e.to_string(),
        })
}
