//! Time-stamps added by an extension: signature time-stamps where missing, and
//! archive-time-stamp-v3 with its ats-hash-index-v3.

use std::io::Read;
use std::path::Path;

use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::cms::SignedDataView;
use kenpo_core::cms::augment::{Augmentation, augment};
use kenpo_core::cms::build::attribute;
use kenpo_core::oid;
use kenpo_tsa::client::{BlockingTsaClient, TimeStamp};
use time::OffsetDateTime;

use super::ExtendError;
use super::ctx::has;
use crate::archive;

/// Adds a signature time-stamp to every SignerInfo without one.
pub(super) fn add_signature_time_stamps(
    der: Vec<u8>,
    client: Option<&BlockingTsaClient>,
) -> Result<(Vec<u8>, Option<OffsetDateTime>), ExtendError> {
    let sd = SignedDataView::parse(&der).map_err(|e| ExtendError::Build(e.to_string()))?;
    let missing: Vec<(usize, Vec<u8>)> = sd
        .signer_infos
        .iter()
        .enumerate()
        .filter(|(_, si)| !has(si, oid::ATTR_SIGNATURE_TIME_STAMP))
        .map(|(i, si)| (i, si.signature.to_vec()))
        .collect();
    drop(sd);
    if missing.is_empty() {
        return Ok((der, None));
    }
    let client = client.ok_or(ExtendError::NoTsa("add the missing signature time-stamp"))?;
    let mut aug = Augmentation::default();
    let mut first = None;
    for (i, sig) in missing {
        let ts = client.timestamp_digest(&client.config().digest.digest(&sig))?;
        first.get_or_insert(ts.gen_time());
        aug.unsigned_attrs.push((
            i,
            vec![attribute(oid::ATTR_SIGNATURE_TIME_STAMP, &[&ts.token_der])?],
        ));
    }
    Ok((augment(&der, &aug)?, first))
}

/// Adds one archive-time-stamp-v3 to every SignerInfo; returns the new DER and the last
/// time-stamp obtained.
pub(super) fn add_archive_time_stamps(
    der: &[u8],
    content: Option<&Path>,
    client: &BlockingTsaClient,
) -> Result<(Vec<u8>, TimeStamp), ExtendError> {
    let alg = client.config().digest;
    let sd = SignedDataView::parse(der).map_err(|e| ExtendError::Build(e.to_string()))?;
    let signed_data_hash = match (sd.econtent, content) {
        (Some(c), _) => alg.digest(c),
        (None, Some(p)) => hash_file(alg, p)?,
        (None, None) => return Err(ExtendError::NeedsContent),
    };
    let mut aug = Augmentation::default();
    let mut last = None;
    for (i, si) in sd.signer_infos.iter().enumerate() {
        let index =
            archive::hash_index_v3(&sd, si, alg).map_err(|e| ExtendError::Build(e.to_string()))?;
        let imprint = archive::ats_v3_imprint(&sd, si, signed_data_hash.as_bytes(), &index, alg)
            .map_err(|e| ExtendError::Build(e.to_string()))?;
        let ts = client.timestamp_digest(&imprint)?;
        let index_attr = attribute(oid::ATTR_ATS_HASH_INDEX_V3, &[&index])?;
        let token = augment(
            &ts.token_der,
            &Augmentation {
                unsigned_attrs: vec![(0, vec![index_attr])],
                ..Augmentation::default()
            },
        )?;
        aug.unsigned_attrs.push((
            i,
            vec![attribute(oid::ATTR_ARCHIVE_TIME_STAMP_V3, &[&token])?],
        ));
        last = Some(ts);
    }
    let last = last.ok_or_else(|| ExtendError::Format("no SignerInfo".into()))?;
    Ok((augment(der, &aug)?, last))
}

fn hash_file(alg: DigestAlgorithm, path: &Path) -> Result<kenpo_core::alg::Digest, ExtendError> {
    let mut f = std::fs::File::open(path).map_err(ExtendError::Content)?;
    let mut h = alg.hasher();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf).map_err(ExtendError::Content)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize())
}
