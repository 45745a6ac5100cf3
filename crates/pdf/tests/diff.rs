//! `kenpo_pdf::diff`: each kind of incremental update classified, on a small form with a
//! text field, an empty signature field, an annotation, a content stream and a font.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kenpo_pdf::{
    AnnotationChange, Budget, ChangeKind, Document, ModificationLevel, OtherChange, diff,
};

const BASE: &[(u32, &str)] = &[
    (
        1,
        "<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[4 0 R 7 0 R]/DA(/Helv 0 Tf 0 g)>>>>",
    ),
    (2, "<</Type/Pages/Kids[3 0 R]/Count 1>>"),
    (
        3,
        "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 5 0 R/Resources<</Font<</F1 6 0 R>>>>/Annots[4 0 R 7 0 R 8 0 R]>>",
    ),
    (
        4,
        "<</FT/Tx/T(Name)/Type/Annot/Subtype/Widget/Rect[100 700 300 720]/P 3 0 R/AP<</N 9 0 R>>>>",
    ),
    (
        5,
        "<</Length 37>>stream\nBT /F1 24 Tf 100 600 Td (Hello) Tj ET\nendstream",
    ),
    (6, "<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"),
    (
        7,
        "<</FT/Sig/T(Sig1)/Type/Annot/Subtype/Widget/Rect[0 0 0 0]/P 3 0 R>>",
    ),
    (
        8,
        "<</Type/Annot/Subtype/Text/Rect[10 10 30 30]/Contents(note)>>",
    ),
    (
        9,
        "<</Type/XObject/Subtype/Form/BBox[0 0 200 20]/Length 0>>stream\n\nendstream",
    ),
];

/// Objects (number, body) and freed numbers written as one section after `prev` (or as
/// the first revision when `prev` is empty).
fn section(prev: &[u8], objs: &[(u32, &str)], free: &[u32]) -> Vec<u8> {
    let mut out = if prev.is_empty() {
        b"%PDF-1.7\n".to_vec()
    } else {
        prev.to_vec()
    };
    let mut entries = Vec::new();
    for (n, body) in objs {
        entries.push((*n, format!("{:010} 00000 n \n", out.len())));
        out.extend_from_slice(format!("{n} 0 obj\n{body}\nendobj\n").as_bytes());
    }
    for n in free {
        entries.push((*n, "0000000000 00001 f \n".to_string()));
    }
    if prev.is_empty() {
        entries.push((0, "0000000000 65535 f \n".to_string()));
    }
    entries.sort();
    let xref = out.len();
    out.extend_from_slice(b"xref\n");
    for (n, e) in &entries {
        out.extend_from_slice(format!("{n} 1\n{e}").as_bytes());
    }
    let prev_xref = if prev.is_empty() {
        String::new()
    } else {
        let t = String::from_utf8_lossy(prev);
        let p = t.rsplit("startxref").next().unwrap();
        format!("/Prev {}", p.split_whitespace().next().unwrap())
    };
    out.extend_from_slice(
        format!("trailer<</Size 30/Root 1 0 R{prev_xref}>>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    out
}

fn base() -> Vec<u8> {
    section(b"", BASE, &[])
}

/// The changes of one update (`objs`, `free`) over the base.
fn changes(objs: &[(u32, &str)], free: &[u32]) -> (ModificationLevel, Vec<(u32, ChangeKind)>) {
    let b = base();
    let updated = section(&b, objs, free);
    let mut old = Document::open(&b[..], Budget::default()).unwrap();
    let mut new = Document::open(&updated[..], Budget::default()).unwrap();
    let d = diff(&mut old, &mut new).unwrap();
    let list = d
        .changes
        .iter()
        .map(|c| (c.object, c.kind.clone()))
        .collect();
    (d.level(), list)
}

fn has(list: &[(u32, ChangeKind)], n: u32, k: &ChangeKind) -> bool {
    list.iter().any(|(o, c)| *o == n && c == k)
}

#[test]
fn identical_rewrite_is_no_change() {
    let (level, list) = changes(&[(2, "<</Type/Pages/Count 1/Kids[3 0 R]>>")], &[]);
    assert_eq!(level, ModificationLevel::None, "{list:?}");
    assert!(list.is_empty(), "{list:?}");
}

#[test]
fn page_content_and_fonts_are_other() {
    // The content stream rewritten (same length, other text).
    let (level, list) = changes(
        &[(
            5,
            "<</Length 37>>stream\nBT /F1 24 Tf 100 600 Td (Hallo) Tj ET\nendstream",
        )],
        &[],
    );
    assert_eq!(level, ModificationLevel::Other);
    assert!(
        has(&list, 5, &ChangeKind::Other(OtherChange::PageContent)),
        "{list:?}"
    );
    // A font the page uses replaced (shadow attack "replace").
    let (level, list) = changes(&[(6, "<</Type/Font/Subtype/Type1/BaseFont/Courier>>")], &[]);
    assert_eq!(level, ModificationLevel::Other);
    assert!(
        has(&list, 6, &ChangeKind::Other(OtherChange::PageContent)),
        "{list:?}"
    );
    // A new page in the tree.
    let (level, list) = changes(
        &[
            (2, "<</Type/Pages/Kids[3 0 R 10 0 R]/Count 2>>"),
            (10, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>"),
        ],
        &[],
    );
    assert_eq!(level, ModificationLevel::Other);
    assert!(
        has(&list, 2, &ChangeKind::Other(OtherChange::PageTree)),
        "{list:?}"
    );
    // A deleted object.
    let (level, list) = changes(&[], &[8]);
    assert_eq!(level, ModificationLevel::Other);
    assert!(
        has(&list, 8, &ChangeKind::Other(OtherChange::Deleted)),
        "{list:?}"
    );
    // A catalog key beyond the allowed.
    let (level, list) = changes(
        &[(
            1,
            "<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[4 0 R 7 0 R]/DA(/Helv 0 Tf 0 g)>>/OpenAction[3 0 R/Fit]>>",
        )],
        &[],
    );
    assert_eq!(level, ModificationLevel::Other);
    assert!(
        has(
            &list,
            1,
            &ChangeKind::Other(OtherChange::Catalog {
                keys: vec!["OpenAction".into()]
            })
        ),
        "{list:?}"
    );
}

#[test]
fn form_filling_signing_and_lta_updates() {
    // A text field's value and a new appearance stream.
    let (level, list) = changes(
        &[
            (
                4,
                "<</FT/Tx/T(Name)/Type/Annot/Subtype/Widget/Rect[100 700 300 720]/P 3 0 R/V(Taro)/AP<</N 10 0 R>>>>",
            ),
            (
                10,
                "<</Type/XObject/Subtype/Form/BBox[0 0 200 20]/Length 4>>stream\n(x)\nendstream",
            ),
        ],
        &[],
    );
    assert_eq!(level, ModificationLevel::FormFilling, "{list:?}");
    let fill = ChangeKind::FormFill {
        field: "Name".into(),
    };
    assert!(has(&list, 4, &fill), "{list:?}");
    // The appearance stream changed in place: form filling too.
    let (level, list) = changes(
        &[(
            9,
            "<</Type/XObject/Subtype/Form/BBox[0 0 200 20]/Length 4>>stream\n(y)\nendstream",
        )],
        &[],
    );
    assert_eq!(level, ModificationLevel::FormFilling, "{list:?}");
    assert!(has(&list, 9, &fill), "{list:?}");
    // A field key beyond value and appearance.
    let (level, _) = changes(
        &[(
            4,
            "<</FT/Tx/T(Name)/Type/Annot/Subtype/Widget/Rect[0 0 595 842]/P 3 0 R/AP<</N 9 0 R>>>>",
        )],
        &[],
    );
    assert_eq!(level, ModificationLevel::Other);

    // A signature into the empty field Sig1.
    let sig = "<</FT/Sig/T(Sig1)/Type/Annot/Subtype/Widget/Rect[0 0 0 0]/P 3 0 R/V 10 0 R>>";
    let (level, list) = changes(
        &[
            (7, sig),
            (
                10,
                "<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/ByteRange[0 0 0 0]/Contents<00>>>",
            ),
        ],
        &[],
    );
    assert_eq!(level, ModificationLevel::FormFilling, "{list:?}");
    assert!(
        has(
            &list,
            7,
            &ChangeKind::Signing {
                field: "Sig1".into(),
                document_timestamp: false,
                visible: false
            }
        ),
        "{list:?}"
    );
    // A document time-stamp into it: long-term validation only.
    let (level, list) = changes(
        &[
            (7, sig),
            (
                10,
                "<</Type/DocTimeStamp/Filter/Adobe.PPKLite/SubFilter/ETSI.RFC3161/ByteRange[0 0 0 0]/Contents<00>>>",
            ),
        ],
        &[],
    );
    assert_eq!(level, ModificationLevel::LtaUpdates, "{list:?}");
    // A DSS with a certificate stream.
    let (level, list) = changes(
        &[
            (
                1,
                "<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[4 0 R 7 0 R]/DA(/Helv 0 Tf 0 g)>>/DSS 10 0 R>>",
            ),
            (10, "<</Certs[11 0 R]>>"),
            (11, "<</Length 2>>stream\n0\x00\nendstream"),
        ],
        &[],
    );
    assert_eq!(level, ModificationLevel::LtaUpdates, "{list:?}");
    assert!(has(&list, 10, &ChangeKind::Dss), "{list:?}");
    // A new invisible signature field (Sig2) added to the form and the page.
    let (level, list) = changes(
        &[
            (
                1,
                "<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[4 0 R 7 0 R 10 0 R]/DA(/Helv 0 Tf 0 g)/SigFlags 3>>>>",
            ),
            (
                3,
                "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 5 0 R/Resources<</Font<</F1 6 0 R>>>>/Annots[4 0 R 7 0 R 8 0 R 10 0 R]>>",
            ),
            (
                10,
                "<</FT/Sig/T(Sig2)/Type/Annot/Subtype/Widget/Rect[0 0 0 0]/P 3 0 R>>",
            ),
        ],
        &[],
    );
    assert_eq!(level, ModificationLevel::LtaUpdates, "{list:?}");
    // A new text field is not signing.
    let (level, list) = changes(
        &[
            (
                1,
                "<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[4 0 R 7 0 R 10 0 R]/DA(/Helv 0 Tf 0 g)>>>>",
            ),
            (
                10,
                "<</FT/Tx/T(New)/Type/Annot/Subtype/Widget/Rect[1 1 9 9]>>",
            ),
        ],
        &[],
    );
    assert_eq!(level, ModificationLevel::Other, "{list:?}");
}

#[test]
fn annotations() {
    let page = |annots: &str| {
        format!(
            "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 5 0 R/Resources<</Font<</F1 6 0 R>>>>/Annots[{annots}]>>"
        )
    };
    let added = page("4 0 R 7 0 R 8 0 R 10 0 R");
    let (level, list) = changes(
        &[
            (3, &added),
            (
                10,
                "<</Type/Annot/Subtype/FreeText/Rect[90 590 300 640]/Contents(x)>>",
            ),
        ],
        &[],
    );
    assert_eq!(level, ModificationLevel::Annotations, "{list:?}");
    assert!(
        has(&list, 10, &ChangeKind::Annotation(AnnotationChange::Added)),
        "{list:?}"
    );
    let (level, list) = changes(
        &[(
            8,
            "<</Type/Annot/Subtype/Text/Rect[10 10 30 30]/Contents(other)>>",
        )],
        &[],
    );
    assert_eq!(level, ModificationLevel::Annotations, "{list:?}");
    let removed = page("4 0 R 7 0 R");
    let (level, list) = changes(&[(3, &removed)], &[]);
    assert_eq!(level, ModificationLevel::Annotations, "{list:?}");
    assert!(
        has(&list, 8, &ChangeKind::Annotation(AnnotationChange::Removed)),
        "{list:?}"
    );
    // A widget removed from the page is no annotation change.
    let no_widget = page("7 0 R 8 0 R");
    let (level, list) = changes(&[(3, &no_widget)], &[]);
    assert_eq!(level, ModificationLevel::Other, "{list:?}");
    assert!(
        has(&list, 4, &ChangeKind::Other(OtherChange::WidgetRemoved)),
        "{list:?}"
    );
}
