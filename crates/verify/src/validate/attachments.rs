//! The attachments an XML signature names beside it (e-Gov: `kousei.xml` whose
//! `ds:Reference`s point at the attached files by relative URI, e.g.
//! `URI="attachment.pdf"`), found in the folder that holds the signature.
//!
//! Only plain relative paths are resolved: a URI with a scheme (`http:`, `file:` …), an
//! absolute path, a `..` or `.` segment, a backslash, a query or fragment part, or a name
//! that is not a regular file (symbolic links included) is refused and listed. Nothing is
//! ever fetched. Same-document references (`#id`, empty URI) are not attachments.

use std::path::{Path, PathBuf};

use kenpo_xml::{Document, Limits};

/// At most this many attachments are resolved per document (hostile input stays bounded).
pub const MAX_ATTACHMENTS: usize = 256;

/// What [`xml_attachments`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attachments {
    /// The referenced files found beside the document, in reference order, each once.
    pub files: Vec<PathBuf>,
    /// References not resolved, each with the reason (`URI "…": …`).
    pub refused: Vec<String>,
}

/// Why `uri` is not a plain relative path below the folder, if it is not one.
fn refusal(uri: &str) -> Option<&'static str> {
    let scheme = uri
        .split_once(':')
        .is_some_and(|(s, _)| !s.is_empty() && !s.contains('/'));
    if scheme {
        Some("a URL scheme; never fetched")
    } else if uri.starts_with('/') {
        Some("an absolute path")
    } else if uri.contains('\\') {
        Some("a backslash")
    } else if uri.contains(['?', '#']) {
        Some("a query or fragment")
    } else if uri
        .split('/')
        .any(|s| s == ".." || s == "." || s.is_empty())
    {
        Some("a '..', '.' or empty path segment")
    } else {
        None
    }
}

/// The detached references of every signature of the XML document `xml` (the file
/// `xml_path`) resolved to files in the folder that holds it (see the module docs).
/// A document that does not parse has none.
pub fn xml_attachments(xml_path: &Path, xml: &[u8]) -> Attachments {
    let mut out = Attachments::default();
    let Ok(utf8) = kenpo_xml::to_utf8(xml) else {
        return out;
    };
    let Ok(doc) = Document::parse(&utf8, &Limits::default()) else {
        return out;
    };
    let dir = xml_path.parent().unwrap_or(Path::new("."));
    let uris = doc
        .signatures()
        .into_iter()
        .filter_map(|n| doc.read_signature(n).ok())
        .flat_map(|s| s.references)
        .filter_map(|r| r.uri)
        .filter(|u| !u.is_empty() && !u.starts_with('#'));
    for uri in uris {
        if out.files.len() + out.refused.len() >= MAX_ATTACHMENTS {
            break;
        }
        if let Some(why) = refusal(&uri) {
            out.refused.push(format!("URI {uri:?}: {why}"));
            continue;
        }
        let file = dir.join(uri.replace("%20", " "));
        match std::fs::symlink_metadata(&file) {
            Ok(m) if m.is_file() => {
                if !out.files.contains(&file) {
                    out.files.push(file);
                }
            }
            Ok(_) => out.refused.push(format!(
                "URI {uri:?}: not a regular file beside the document"
            )),
            Err(_) => out
                .refused
                .push(format!("URI {uri:?}: no such file beside the document")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::refusal;

    #[test]
    fn only_plain_relative_paths_are_resolved() {
        for ok in ["attachment.pdf", "sub/a b.pdf", "添付.pdf"] {
            assert_eq!(refusal(ok), None, "{ok}");
        }
        for bad in [
            "../x",
            "a/../x",
            "/etc/passwd",
            "http://example.invalid/x",
            "file:///etc/passwd",
            "C:\\x",
            "a\\b",
            "./x",
            "a//b",
            "x?y",
        ] {
            assert!(refusal(bad).is_some(), "{bad}");
        }
    }
}
