//! `kenpo-sign timestamp DOC.pdf --tsa URL... --embed [-o OUT.pdf]`: a PAdES document
//! time-stamp (`/Type /DocTimeStamp`, `/SubFilter /ETSI.RFC3161`), the TSA's token over the
//! byte range of an incremental update of the PDF, embedded in its `/Contents`. The input
//! is read in windows and hashed as a stream; the output is written atomically and starts
//! with every byte of the input.

use std::path::Path;

use kenpo_core::alg::DigestAlgorithm;
use kenpo_pdf::{Budget, Document, SeekSource, SignatureOptions, SubFilter};
use kenpo_tsa::client::{BlockingTsaClient, TimeStamp};

use crate::exit::{self, CliError};

fn pdf_error(path: &Path) -> impl Fn(kenpo_pdf::PdfError) -> CliError + '_ {
    move |e| CliError::Operational(format!("{}: {e}", path.display()))
}

/// Time-stamps `doc` into `out`; `stamp` asks the TSA for a token over a digest.
pub fn run(
    doc: &Path,
    out: &Path,
    alg: DigestAlgorithm,
    client: &BlockingTsaClient,
    classify: fn(kenpo_tsa::client::ClientError) -> CliError,
) -> Result<u8, CliError> {
    let read = |e| CliError::op(format!("cannot read {}", doc.display()), e);
    let mut capacity = 16 * 1024;
    for _ in 0..2 {
        let file = std::fs::File::open(doc).map_err(read)?;
        let src = SeekSource::new(file).map_err(pdf_error(doc))?;
        let mut pdoc = Document::open(src, Budget::default()).map_err(pdf_error(doc))?;
        let opts = SignatureOptions::new(SubFilter::EtsiRfc3161, capacity);
        let mut prepared =
            kenpo_pdf::prepare_signature(&mut pdoc, &opts).map_err(pdf_error(doc))?;
        drop(pdoc);
        let mut h = alg.hasher();
        let mut file = std::fs::File::open(doc).map_err(read)?;
        let n = std::io::copy(&mut file, &mut h).map_err(read)?;
        if n != prepared.input_len() {
            return Err(CliError::Operational(format!(
                "{} changed while it was being time-stamped",
                doc.display()
            )));
        }
        h.update(prepared.head());
        h.update(prepared.tail());
        let digest = h.finalize();
        let stamp: TimeStamp = client.timestamp_digest(&digest).map_err(classify)?;
        match prepared.fill_contents(&stamp.token_der) {
            Ok(()) => {}
            Err(kenpo_pdf::PdfError::ContentsTooSmall { need, .. }) => {
                capacity = need + 2048;
                continue;
            }
            Err(e) => return Err(pdf_error(doc)(e)),
        }
        // Streamed into a locked temporary file beside the output, renamed when complete.
        let werr = |e| CliError::op(format!("cannot write {}", out.display()), e);
        let mut tmp = kenpo_core::atomic::AtomicWriter::new()
            .stage(out)
            .map_err(werr)?;
        let file = std::fs::File::open(doc).map_err(read)?;
        prepared.write_to(file, &mut tmp).map_err(pdf_error(doc))?;
        tmp.sync().map_err(werr)?;
        tmp.commit().map_err(werr)?;
        outln!(
            "genTime: {}",
            kenpo_core::timefmt::rfc3339(stamp.gen_time())
        );
        outln!("serial:  {}", stamp.token.serial_hex());
        outln!("TSA:     {}", stamp.token.tsa_subject());
        outln!("format:  PAdES document time-stamp (ETSI.RFC3161)");
        outln!("written: {}", out.display());
        return Ok(exit::OK);
    }
    Err(CliError::Operational(
        "the time-stamp token does not fit the reserved /Contents".into(),
    ))
}
