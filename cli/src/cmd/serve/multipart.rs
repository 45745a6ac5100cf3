//! `multipart/form-data` bodies (RFC 7578 over RFC 2046 §5.1) already held in memory: the
//! parts are slices of the body (no copy), in order. Strict where it costs nothing: CRLF
//! line ends, a closing delimiter, a `Content-Disposition: form-data` with a name on every
//! part; at most [`MAX_PARTS`] parts and [`MAX_PART_HEADER`] octets of headers per part.

use axum::body::Bytes;
use memchr::memmem;

/// Most parts in one form (the API knows four fields).
pub const MAX_PARTS: usize = 16;
/// Largest header block of one part.
pub const MAX_PART_HEADER: usize = 8 * 1024;
/// Longest boundary (RFC 2046 §5.1.1).
const MAX_BOUNDARY: usize = 70;

/// Why a form could not be read; each variant names one cause.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormError {
    /// The Content-Type has no usable `boundary` parameter.
    #[error("the multipart/form-data Content-Type has no boundary parameter of 1 to 70 characters")]
    Boundary,
    /// The first delimiter line is missing.
    #[error("the body does not start a multipart form (no --boundary line)")]
    NoFirstDelimiter,
    /// The closing delimiter (`--boundary--`) is missing: the body was cut short.
    #[error("the form is not closed (no final --boundary-- line): the upload was cut short")]
    Unterminated,
    /// A delimiter is not followed by CRLF or `--`.
    #[error("a boundary line is followed by something other than a line end")]
    BadDelimiter,
    /// A part's header block is not closed by an empty line, or is too long.
    #[error("a part's headers are malformed or longer than {MAX_PART_HEADER} bytes")]
    PartHeader,
    /// A part has no `Content-Disposition: form-data; name="…"`.
    #[error("a part has no Content-Disposition: form-data header with a name")]
    NoName,
    /// More parts than [`MAX_PARTS`].
    #[error("more than {MAX_PARTS} parts in the form")]
    TooManyParts,
}

/// One field of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The field name.
    pub name: String,
    /// Whether the part carried a `filename` parameter (a file field); the name itself is
    /// not kept (uploads are confidential).
    pub is_file: bool,
    /// The field's content.
    pub data: Bytes,
}

/// The `boundary` parameter of a `multipart/form-data` media type, or `None` when the
/// media type is another one.
pub fn boundary(content_type: &str) -> Option<Result<String, FormError>> {
    let params = split_params(content_type);
    let mut params = params.into_iter();
    let media = params.next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let found = params.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| unquote(v.trim()))
    });
    Some(match found {
        Some(b) if (1..=MAX_BOUNDARY).contains(&b.len()) => Ok(b),
        _ => Err(FormError::Boundary),
    })
}

/// The parts of `body`, a form delimited by `boundary`.
pub fn parse(body: &Bytes, boundary: &str) -> Result<Vec<Part>, FormError> {
    let dash = format!("--{boundary}");
    // A delimiter inside the body is always preceded by CRLF.
    let next = format!("\r\n--{boundary}");
    let finder = memmem::Finder::new(next.as_bytes());
    // The first delimiter: at the very start, or after a preamble.
    let mut at = if body.starts_with(dash.as_bytes()) {
        dash.len()
    } else {
        finder
            .find(body)
            .map(|i| i + next.len())
            .ok_or(FormError::NoFirstDelimiter)?
    };
    let mut parts = Vec::new();
    loop {
        let rest = body.get(at..).unwrap_or_default();
        if rest.starts_with(b"--") {
            return Ok(parts); // the epilogue, if any, is ignored
        }
        // Transport padding (spaces, tabs) may follow a delimiter, then CRLF.
        let pad = rest
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        let rest = rest.get(pad..).unwrap_or_default();
        if rest.is_empty() {
            return Err(FormError::Unterminated);
        }
        if !rest.starts_with(b"\r\n") {
            return Err(FormError::BadDelimiter);
        }
        let start = at + pad + 2;
        if parts.len() == MAX_PARTS {
            return Err(FormError::TooManyParts);
        }
        let part_and_more = body.get(start..).unwrap_or_default();
        let end = finder.find(part_and_more).ok_or(FormError::Unterminated)?;
        let (name, is_file, header_len) =
            part_header(part_and_more.get(..end).unwrap_or_default())?;
        parts.push(Part {
            name,
            is_file,
            data: body.slice(start + header_len..start + end),
        });
        at = start + end + next.len();
    }
}

/// The name and file flag of a part and the length of its header block (with the empty
/// line that closes it).
fn part_header(part: &[u8]) -> Result<(String, bool, usize), FormError> {
    let header_end = if part.starts_with(b"\r\n") {
        0 // no header fields at all
    } else {
        memmem::find(part, b"\r\n\r\n")
            .map(|i| i + 2)
            .ok_or(FormError::PartHeader)?
    };
    if header_end > MAX_PART_HEADER {
        return Err(FormError::PartHeader);
    }
    let head = std::str::from_utf8(part.get(..header_end).unwrap_or_default())
        .map_err(|_| FormError::PartHeader)?;
    let mut found = None;
    for line in head.split("\r\n").filter(|l| !l.is_empty()) {
        let (field, value) = line.split_once(':').ok_or(FormError::PartHeader)?;
        if field.trim().eq_ignore_ascii_case("content-disposition") {
            found = Some(disposition(value).ok_or(FormError::NoName)?);
        }
    }
    let (name, is_file) = found.ok_or(FormError::NoName)?;
    Ok((name, is_file, header_end + 2))
}

/// `form-data; name="x"; filename="y"` → the name and whether a filename is given.
fn disposition(value: &str) -> Option<(String, bool)> {
    let params = split_params(value);
    let (kind, rest) = params.split_first()?;
    if !kind.trim().eq_ignore_ascii_case("form-data") {
        return None;
    }
    let mut name = None;
    let mut is_file = false;
    for p in rest {
        let Some((k, v)) = p.split_once('=') else {
            continue;
        };
        match k.trim().to_ascii_lowercase().as_str() {
            "name" => name = Some(unquote(v.trim())),
            "filename" | "filename*" => is_file = true,
            _ => {}
        }
    }
    name.filter(|n| !n.is_empty()).map(|n| (n, is_file))
}

/// `value` split at the semicolons outside quoted strings.
fn split_params(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                out.push(value.get(start..i).unwrap_or_default());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(value.get(start..).unwrap_or_default());
    out
}

/// A parameter value: a quoted string without its quotes and escapes, or a token as is.
fn unquote(v: &str) -> String {
    let Some(inner) = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return v.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn form(parts: &[(&str, Option<&str>, &[u8])], boundary: &str) -> Bytes {
        let mut b = Vec::new();
        for (name, file, data) in parts {
            b.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            let file = file
                .map(|f| format!("; filename=\"{f}\""))
                .unwrap_or_default();
            b.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"{file}\r\n").as_bytes(),
            );
            b.extend_from_slice(b"Content-Type: application/octet-stream\r\n\r\n");
            b.extend_from_slice(data);
            b.extend_from_slice(b"\r\n");
        }
        b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        Bytes::from(b)
    }

    #[test]
    fn boundary_of_content_types() {
        let b = |s: &str| boundary(s);
        assert_eq!(
            b("multipart/form-data; boundary=abc"),
            Some(Ok("abc".into()))
        );
        assert_eq!(
            b("Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b;c\""),
            Some(Ok("a b;c".into()))
        );
        assert_eq!(b("application/json"), None);
        assert_eq!(b("multipart/form-data"), Some(Err(FormError::Boundary)));
        let long = format!("multipart/form-data; boundary={}", "x".repeat(71));
        assert_eq!(b(&long), Some(Err(FormError::Boundary)));
    }

    #[test]
    fn parts_in_order_with_binary_data_that_resembles_a_boundary() {
        let tricky: &[u8] = b"\r\n--XYZ not quite\r\n--XY\x00\xff\r\n";
        let body = form(
            &[
                ("signature", Some("秘密.p7s"), tricky),
                ("content", Some("doc"), b""),
                ("lang", None, b"en"),
            ],
            "XYZZY",
        );
        let parts = parse(&body, "XYZZY").unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].name, "signature");
        assert!(parts[0].is_file);
        assert_eq!(&parts[0].data[..], tricky);
        assert_eq!(&parts[1].data[..], b"");
        assert_eq!((parts[2].name.as_str(), parts[2].is_file), ("lang", false));
        assert_eq!(&parts[2].data[..], b"en");
    }

    #[test]
    fn preamble_epilogue_and_padding_are_ignored() {
        let body = Bytes::from_static(
            b"preamble\r\n--b  \r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b--\r\nepilogue",
        );
        let parts = parse(&body, "b").unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(&parts[0].data[..], b"1");
    }

    #[test]
    fn malformed_forms_are_refused_with_their_cause() {
        let p = |s: &'static [u8]| parse(&Bytes::from_static(s), "b");
        assert_eq!(p(b"no delimiter"), Err(FormError::NoFirstDelimiter));
        assert_eq!(
            p(b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ncut"),
            Err(FormError::Unterminated)
        );
        assert_eq!(p(b"--b"), Err(FormError::Unterminated));
        assert_eq!(p(b"--bX\r\n"), Err(FormError::BadDelimiter));
        assert_eq!(
            p(b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--"),
            Err(FormError::NoName)
        );
        assert_eq!(
            p(b"--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--"),
            Err(FormError::NoName)
        );
        assert_eq!(
            p(b"--b\r\nbroken header\r\n\r\nx\r\n--b--"),
            Err(FormError::PartHeader)
        );
        let many: Vec<(&str, Option<&str>, &[u8])> = vec![("a", None, b"1"); MAX_PARTS + 1];
        assert_eq!(parse(&form(&many, "b"), "b"), Err(FormError::TooManyParts));
        let ok: Vec<(&str, Option<&str>, &[u8])> = vec![("a", None, b"1"); MAX_PARTS];
        assert_eq!(parse(&form(&ok, "b"), "b").unwrap().len(), MAX_PARTS);
    }

    #[test]
    fn quoted_names_and_a_part_without_headers() {
        let body = Bytes::from_static(
            b"--b\r\nContent-Disposition: form-data; filename=\"a;b\\\".p7s\"; name=\"signature\"\r\n\r\nS\r\n--b\r\n\r\nx\r\n--b--",
        );
        let err = parse(&body, "b").unwrap_err();
        assert_eq!(err, FormError::NoName); // the second part has no headers at all
        let body = Bytes::from_static(
            b"--b\r\nContent-Disposition: form-data; filename=\"a;b\\\".p7s\"; name=\"signature\"\r\n\r\nS\r\n--b--",
        );
        let parts = parse(&body, "b").unwrap();
        assert_eq!(
            (parts[0].name.as_str(), parts[0].is_file),
            ("signature", true)
        );
    }
}
