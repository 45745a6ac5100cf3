"""pyHanko as an independent CAdES producer: a detached CMS over a file, with
signing-certificate-v2 (use_cades) and a signature time-stamp from an RFC 3161 TSA.

usage: pyhanko_cms.py KEY.pem CERT.pem ISSUER.pem CONTENT TSA_URL OUT.p7s
"""
import asyncio
import sys

from pyhanko.sign import timestamps
from pyhanko.sign.signers.pdf_cms import SimpleSigner


async def main(key, cert, issuer, content, tsa_url, out):
    signer = SimpleSigner.load(key, cert, ca_chain_files=(issuer,))
    with open(content, "rb") as f:
        data = f.read()
    stamper = timestamps.HTTPTimeStamper(tsa_url)
    cms = await signer.async_sign_general_data(
        data, "sha256", detached=True, use_cades=True, timestamper=stamper
    )
    with open(out, "wb") as f:
        f.write(cms.dump())


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:7]))
