"""pyHanko as the producer (and second opinion) of kenpo-verify's PDF modification tests.

usage: pyhanko_mdp.py KEY CERT CHAIN COMMAND SRC DST [ARGS...]
  certify P       certification signature (DocMDP /P = P) in a new field 'Cert'
  approve NAME [LOCKED]  approval signature in a new invisible field NAME; with LOCKED, the
                  field locks form field LOCKED (FieldMDP /Include)
  fill FIELD VALUE   sets the text field FIELD's /V (incremental update)
  annot           adds a /Text annotation to the first page's /Annots
  content         replaces the first page's /Contents with a new stream
  judge ROOT      (DST unused) prints, per signature, pyHanko's docmdp_ok and modification level
"""
import json
import sys
import warnings

warnings.simplefilter("ignore")
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers

key, cert, chain, cmd, src, dst = sys.argv[1:7]
args = sys.argv[7:]


def write(w):
    with open(dst, "wb") as f:
        w.write(f)


def signer():
    return signers.SimpleSigner.load(key, cert, ca_chain_files=(chain,))


with open(src, "rb") as f:
    if cmd == "judge":
        from pyhanko.keys import load_cert_from_pemder
        from pyhanko.sign.validation import validate_pdf_signature
        from pyhanko_certvalidator import ValidationContext

        vc = ValidationContext(trust_roots=[load_cert_from_pemder(args[0])],
                               allow_fetching=False, revocation_mode="soft-fail")
        out = []
        for s in PdfFileReader(f).embedded_signatures:
            st = validate_pdf_signature(s, signer_validation_context=vc)
            lvl = st.modification_level
            out.append({"docmdp_ok": bool(st.docmdp_ok),
                        "level": lvl.name if lvl is not None else None})
        print(json.dumps(out))
        sys.exit(0)
    w = IncrementalPdfFileWriter(f)
    if cmd == "certify":
        meta = signers.PdfSignatureMetadata(
            field_name="Cert", certify=True,
            docmdp_permissions=fields.MDPPerm(int(args[0])),
            subfilter=fields.SigSeedSubFilter.PADES)
        out = signers.sign_pdf(w, meta, signer=signer())
        open(dst, "wb").write(out.getvalue())
    elif cmd == "approve":
        # pyHanko refuses to sign after a DocMDP /P 1 certification; the test needs such
        # a file (a signer that disregards the permission), so the check is skipped.
        signers.PdfSigner._enforce_certification_constraints = lambda self, reader: None
        spec = None
        if len(args) > 1:
            spec = fields.SigFieldSpec(
                args[0], field_mdp_spec=fields.FieldMDPSpec(
                    fields.FieldMDPAction.INCLUDE, fields=[args[1]]))
        meta = signers.PdfSignatureMetadata(
            field_name=args[0], subfilter=fields.SigSeedSubFilter.PADES)
        out = signers.PdfSigner(meta, signer=signer(), new_field_spec=spec).sign_pdf(w)
        open(dst, "wb").write(out.getvalue())
    elif cmd == "fill":
        for ref in w.root["/AcroForm"]["/Fields"]:
            field = ref.get_object()
            if field.get("/T") == args[0]:
                field["/V"] = generic.TextStringObject(args[1])
                w.mark_update(ref)
        write(w)
    elif cmd == "annot":
        page_ref = w.root["/Pages"]["/Kids"].raw_get(0)
        page = page_ref.get_object()
        annot = generic.DictionaryObject({
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Text"),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.NumberObject(x) for x in (100, 100, 120, 120)]),
            generic.NameObject("/Contents"): generic.TextStringObject("a note"),
        })
        page["/Annots"].append(w.add_object(annot))
        w.mark_update(page_ref)
        write(w)
    elif cmd == "content":
        page_ref = w.root["/Pages"]["/Kids"].raw_get(0)
        page = page_ref.get_object()
        stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 600 Td (Changed) Tj ET")
        page["/Contents"] = w.add_object(stream)
        w.mark_update(page_ref)
        write(w)
    else:
        sys.exit(f"unknown command {cmd}")
