"""signxml's XAdES as a peer: `sign KEY CERT OUT` makes an enveloped XAdES B-B of a small
document; `verify FILE CERT` checks the core signature and the signed properties with
signxml's XAdESVerifier (exit 0 when they verify)."""
import sys
from lxml import etree
from signxml import SignatureMethod, DigestAlgorithm, CanonicalizationMethod
from signxml.xades import XAdESSigner, XAdESVerifier

mode = sys.argv[1]
if mode == "sign":
    key, cert, out = sys.argv[2:5]
    root = etree.fromstring("<prescription><patient>山田 花子</patient><drug>ロキソプロフェン 60mg</drug></prescription>".encode())
    # Canonical XML 1.1 (signxml's default): signxml 4 digests the SignedProperties
    # reference (no Transforms: inclusive C14N) wrongly when SignedInfo is exclusive.
    signer = XAdESSigner(signature_algorithm=SignatureMethod.RSA_SHA256,
                         digest_algorithm=DigestAlgorithm.SHA256,
                         c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_1)
    signed = signer.sign(root, key=open(key, "rb").read(), cert=open(cert, "rb").read())
    open(out, "wb").write(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))
elif mode == "verify":
    path, cert = sys.argv[2:4]
    results = XAdESVerifier().verify(open(path, "rb").read(), x509_cert=open(cert, "rb").read())
    print(len(results))
else:
    sys.exit("usage: signxml_xades.py sign KEY CERT OUT | verify FILE CERT")
