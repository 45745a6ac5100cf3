//! [`Text`]: a report text — a fixed string, one shared between reports (the checks of a
//! remembered certification path, given again for every file that uses the path), or one
//! written for this report.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// A report text (see the module docs). It reads as a `str`: it derefs to one, compares
/// with strings, displays and serializes as its contents.
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    Fixed(&'static str),
    Shared(Arc<str>),
    Written(String),
}

impl Text {
    /// A fixed text.
    pub const fn fixed(s: &'static str) -> Self {
        Self(Repr::Fixed(s))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Fixed(s) => s,
            Repr::Shared(s) => s,
            Repr::Written(s) => s,
        }
    }

    /// The same text, cheap to clone from now on (a written text is moved into an `Arc`).
    pub fn into_shared(self) -> Self {
        match self.0 {
            Repr::Written(s) => Self(Repr::Shared(Arc::from(s))),
            other => Self(other),
        }
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl From<&'static str> for Text {
    fn from(s: &'static str) -> Self {
        Self::fixed(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Self(Repr::Written(s))
    }
}

impl From<Cow<'static, str>> for Text {
    fn from(s: Cow<'static, str>) -> Self {
        match s {
            Cow::Borrowed(s) => Self::fixed(s),
            Cow::Owned(s) => Self(Repr::Written(s)),
        }
    }
}

impl From<Arc<str>> for Text {
    fn from(s: Arc<str>) -> Self {
        Self(Repr::Shared(s))
    }
}

impl From<Text> for String {
    fn from(t: Text) -> Self {
        match t.0 {
            Repr::Written(s) => s,
            other => Text(other).as_str().to_owned(),
        }
    }
}

impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_reads_compares_and_serializes_as_its_contents() {
        let forms = [
            Text::fixed("path:validity[0]"),
            Text::from(String::from("path:validity[0]")),
            Text::from(String::from("path:validity[0]")).into_shared(),
            Text::from(Arc::<str>::from("path:validity[0]")),
            Text::from(Cow::Owned(String::from("path:validity[0]"))),
        ];
        for t in &forms {
            assert_eq!(t, "path:validity[0]");
            assert_eq!(t, &forms[0]);
            assert_eq!(t.to_string(), "path:validity[0]");
            assert_eq!(format!("{t:?}"), "\"path:validity[0]\"");
            assert_eq!(
                serde_json::to_string(t).ok().as_deref(),
                Some("\"path:validity[0]\"")
            );
            assert_eq!(String::from(t.clone()), "path:validity[0]");
            assert!(t.starts_with("path:"));
        }
    }
}
