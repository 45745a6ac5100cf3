//! Hostile input: typed errors within the budgets, never a panic.

use kenpo_xml::{Document, Limits, NoContent, XmlError};

const SIG: &str = r##"<r><d Id="data">x</d><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#data"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>WRAP</r>"##;

#[test]
fn xxe_and_billion_laughs_are_refused() {
    let xxe = b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>";
    assert_eq!(
        Document::parse(xxe, &Limits::default()).err(),
        Some(XmlError::Doctype)
    );
    let mut laughs = String::from("<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\">");
    for (i, c) in ('b'..='j').enumerate() {
        let prev = (b'a' + i as u8) as char;
        laughs.push_str(&format!(
            "<!ENTITY {c} \"{}\">",
            format!("&{prev};").repeat(10)
        ));
    }
    laughs.push_str("]><l>&j;</l>");
    assert_eq!(
        Document::parse(laughs.as_bytes(), &Limits::default()).err(),
        Some(XmlError::Doctype)
    );
    // An undeclared entity without a DTD is simply malformed.
    assert!(matches!(
        Document::parse(b"<x>&e;</x>", &Limits::default()),
        Err(XmlError::Malformed(_))
    ));
}

#[test]
fn budgets_bound_depth_size_and_nodes() {
    let deep = "<a>".repeat(100_000);
    assert_eq!(
        Document::parse(deep.as_bytes(), &Limits::default()).err(),
        Some(XmlError::TooDeep(256))
    );
    let big = format!("<a>{}</a>", "x".repeat(10_000));
    assert!(matches!(
        Document::parse(big.as_bytes(), &Limits::new().with_max_bytes(1000)),
        Err(XmlError::TooLarge { .. })
    ));
    let many = format!("<a>{}</a>", "<b/>".repeat(1000));
    assert_eq!(
        Document::parse(many.as_bytes(), &Limits::new().with_max_nodes(100)).err(),
        Some(XmlError::TooManyNodes(100))
    );
    // Huge text within the size budget parses.
    let huge = format!("<a>{}</a>", "y".repeat(20 << 20));
    assert!(Document::parse(huge.as_bytes(), &Limits::default()).is_ok());
}

#[test]
fn other_encodings_are_a_typed_error() {
    let sjis = b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><a>\x82\xa0</a>";
    assert_eq!(
        Document::parse(sjis, &Limits::default()).err(),
        Some(XmlError::UnsupportedEncoding("Shift_JIS".into()))
    );
    assert_eq!(
        Document::parse(b"\xFF\xFE<\0a\0/\0>\0", &Limits::default()).err(),
        Some(XmlError::UnsupportedEncoding("UTF-16".into()))
    );
    assert!(matches!(
        Document::parse(b"<a>\xff</a>", &Limits::default()),
        Err(XmlError::NotUtf8(_))
    ));
    assert!(Document::parse("\u{feff}<a>処方</a>".as_bytes(), &Limits::default()).is_ok());
}

#[test]
fn a_duplicated_id_is_refused_not_resolved_to_either_copy() {
    let limits = Limits::default();
    // Wrapping: a second element with the signed ID placed elsewhere.
    let wrapped = SIG.replace("WRAP", "<evil Id=\"data\">y</evil>");
    let doc = Document::parse(wrapped.as_bytes(), &limits).unwrap_or_else(|e| unreachable!("{e}"));
    let sig = doc
        .read_signature(doc.signatures()[0])
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(
        doc.reference_octets(sig.node, &sig.references[0], &NoContent, &limits)
            .err(),
        Some(XmlError::DuplicateId("data".into()))
    );
    // Id and lowercase id collide too.
    let mixed = SIG.replace("WRAP", "<evil id=\"data\">y</evil>");
    let doc = Document::parse(mixed.as_bytes(), &limits).unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(
        doc.element_with_id("data").err(),
        Some(XmlError::DuplicateId("data".into()))
    );
    // Unique: resolves.
    let plain = SIG.replace("WRAP", "");
    let doc = Document::parse(plain.as_bytes(), &limits).unwrap_or_else(|e| unreachable!("{e}"));
    let sig = doc
        .read_signature(doc.signatures()[0])
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(
        doc.reference_octets(sig.node, &sig.references[0], &NoContent, &limits)
            .ok(),
        Some(b"<d Id=\"data\">x</d>".to_vec())
    );
    assert_eq!(
        doc.element_with_id("nothing").err(),
        Some(XmlError::UnknownId("nothing".into()))
    );
}

#[test]
fn a_detached_reference_without_content_says_what_to_give() {
    let limits = Limits::default();
    let text = SIG
        .replace("URI=\"#data\"", "URI=\"attachment.pdf\"")
        .replace("WRAP", "");
    let doc = Document::parse(text.as_bytes(), &limits).unwrap_or_else(|e| unreachable!("{e}"));
    let sig = doc
        .read_signature(doc.signatures()[0])
        .unwrap_or_else(|e| unreachable!("{e}"));
    let err = doc
        .reference_octets(sig.node, &sig.references[0], &NoContent, &limits)
        .err();
    assert_eq!(err, Some(XmlError::Unresolved("attachment.pdf".into())));
    assert!(
        err.map(|e| e.to_string())
            .unwrap_or_default()
            .contains("--content")
    );
}

#[test]
fn whole_document_without_comments_drops_every_comment() {
    use kenpo_xml::{C14nMethod, C14nOptions};
    let doc = Document::parse(
        b"<!-- a --><r><!-- b --><x/>t<!-- c --></r><!-- d -->",
        &Limits::default(),
    )
    .unwrap_or_else(|e| unreachable!("{e}"));
    for m in [
        C14nMethod::Inclusive10,
        C14nMethod::Inclusive11,
        C14nMethod::Exclusive,
    ] {
        assert_eq!(
            doc.canonicalize(m, &C14nOptions::new()).ok(),
            Some(b"<r><x></x>t</r>".to_vec()),
            "{m:?}"
        );
    }
    let with = doc
        .canonicalize(C14nMethod::Inclusive10WithComments, &C14nOptions::new())
        .ok();
    assert_eq!(
        with,
        Some(b"<!-- a -->\n<r><!-- b --><x></x>t<!-- c --></r>\n<!-- d -->".to_vec())
    );
}

#[test]
fn latin_1_and_latin_2_documents_are_read_as_utf_8() {
    use kenpo_xml::{C14nMethod, C14nOptions, to_utf8};
    let latin2 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-2\"?><a t=\"\xb1\">\xa3\xf3d\xbc</a>";
    let utf8 = to_utf8(latin2).unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(
        std::str::from_utf8(&utf8).ok(),
        Some("<?xml version=\"1.0\" encoding=\"UTF-8\"?><a t=\"ą\">Łódź</a>")
    );
    let doc = Document::parse(&utf8, &Limits::default()).unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(
        doc.canonicalize(C14nMethod::Inclusive10, &C14nOptions::new())
            .ok(),
        Some("<a t=\"ą\">Łódź</a>".as_bytes().to_vec())
    );
    let latin1 = b"<?xml version='1.0' encoding='iso-8859-1'?><a>\xe9</a>";
    assert_eq!(
        to_utf8(latin1).ok().as_deref(),
        Some("<?xml version='1.0' encoding='UTF-8'?><a>é</a>".as_bytes())
    );
    // Others stay as they are, for the parser to refuse by name.
    let sjis = b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><a/>";
    assert_eq!(to_utf8(sjis).ok().as_deref(), Some(&sjis[..]));
}

#[test]
fn the_xpath_not_ancestor_or_self_signature_transform_is_the_enveloped_one() {
    let limits = Limits::default();
    let enveloped = r##"<r><d>x</d><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI=""><ds:Transforms>TRANSFORM</ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature></r>"##;
    let octets = |transform: &str| {
        let text = enveloped.replace("TRANSFORM", transform);
        let doc = Document::parse(text.as_bytes(), &limits).unwrap_or_else(|e| unreachable!("{e}"));
        let sig = doc
            .read_signature(doc.signatures()[0])
            .unwrap_or_else(|e| unreachable!("{e}"));
        doc.reference_octets(sig.node, &sig.references[0], &NoContent, &limits)
    };
    let a = octets(
        r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>"#,
    );
    let b = octets(
        r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>"#,
    );
    assert_eq!(a.as_deref().ok(), Some(&b"<r><d>x</d></r>"[..]));
    assert_eq!(a, b);
    // Any other expression is not implemented: refused by name.
    let c = octets(
        r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>count(//.)</ds:XPath></ds:Transform>"#,
    );
    assert!(matches!(c, Err(XmlError::UnsupportedAlgorithm(_))));
}

#[test]
fn many_signatures_and_references_stay_linear() {
    let limits = Limits::default();
    let sig = r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>REFS</ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>"#;
    let reference = r#"<ds:Reference URI=""><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference>"#;
    // 30,000 sibling signatures: listed in linear time.
    let many = format!("<r>{}</r>", sig.replace("REFS", reference).repeat(30_000));
    let doc = Document::parse(many.as_bytes(), &limits).unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(doc.signatures().len(), 30_000);
    // A SignedInfo with more references than MAX_REFERENCES is refused by name.
    let crowded = format!(
        "<r>{}</r>",
        sig.replace("REFS", &reference.repeat(kenpo_xml::MAX_REFERENCES + 1))
    );
    let doc = Document::parse(crowded.as_bytes(), &limits).unwrap_or_else(|e| unreachable!("{e}"));
    assert!(matches!(
        doc.read_signature(doc.signatures()[0]),
        Err(XmlError::Invalid {
            element: "SignedInfo",
            ..
        })
    ));
}
