//! Stream filters: FlateDecode with PNG predictors, bounded in output size.

use std::io::Read;

use crate::error::{PdfError, Result};
use crate::object::{Dict, Object};

/// Decodes `raw` through the filters named in `dict`, producing at most `max` bytes.
pub(crate) fn decode(dict: &Dict, raw: Vec<u8>, max: usize, offset: u64) -> Result<Vec<u8>> {
    let filters: Vec<&[u8]> = match dict.get(b"Filter") {
        None | Some(Object::Null) => Vec::new(),
        Some(Object::Name(n)) => vec![n.as_slice()],
        Some(Object::Array(a)) => a
            .iter()
            .map(|o| match o {
                Object::Name(n) => Ok(n.as_slice()),
                _ => Err(PdfError::structure("stream /Filter array holds a non-name")),
            })
            .collect::<Result<_>>()?,
        Some(_) => {
            return Err(PdfError::structure(
                "stream /Filter is neither a name nor an array",
            ));
        }
    };
    let parms: Vec<Option<&Dict>> = match dict.get(b"DecodeParms") {
        Some(Object::Dict(d)) => vec![Some(d)],
        Some(Object::Array(a)) => a.iter().map(|o| o.as_dict()).collect(),
        _ => Vec::new(),
    };
    let mut data = raw;
    for (i, f) in filters.iter().enumerate() {
        match *f {
            b"FlateDecode" | b"Fl" => {
                data = inflate(&data, max, offset)?;
                if let Some(Some(p)) = parms.get(i) {
                    data = predictor(p, data, offset)?;
                }
            }
            other => {
                return Err(PdfError::UnsupportedFilter(
                    String::from_utf8_lossy(other).into_owned(),
                ));
            }
        }
    }
    Ok(data)
}

fn inflate(data: &[u8], max: usize, offset: u64) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut dec = flate2::read::ZlibDecoder::new(data).take(max as u64 + 1);
    match dec.read_to_end(&mut out) {
        Ok(_) => {}
        // Many writers end a zlib stream without its checksum: keep what was inflated.
        Err(_) if !out.is_empty() => {}
        Err(_) => return Err(PdfError::Decompress { offset }),
    }
    if out.len() > max {
        return Err(PdfError::Budget {
            what: "decoded stream size",
            limit: max as u64,
        });
    }
    Ok(out)
}

fn predictor(p: &Dict, data: Vec<u8>, offset: u64) -> Result<Vec<u8>> {
    let pred = p.int(b"Predictor").unwrap_or(1);
    if pred < 10 {
        if pred <= 1 {
            return Ok(data);
        }
        return Err(PdfError::UnsupportedFilter(format!(
            "FlateDecode predictor {pred}"
        )));
    }
    let colors = p.int(b"Colors").unwrap_or(1).clamp(1, 32) as usize;
    let bpc = p.int(b"BitsPerComponent").unwrap_or(8).clamp(1, 16) as usize;
    let columns = p.int(b"Columns").unwrap_or(1).clamp(1, 1 << 20) as usize;
    let bpp = (colors * bpc).div_ceil(8).max(1);
    let row = (colors * bpc * columns).div_ceil(8);
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; row];
    for chunk in data.chunks(row + 1) {
        if chunk.len() < row + 1 {
            break;
        }
        let (ft, src) = (chunk[0], &chunk[1..]);
        let mut cur = src.to_vec();
        for i in 0..row {
            let a = if i >= bpp { cur[i - bpp] } else { 0 };
            let b = prev[i];
            let c = if i >= bpp { prev[i - bpp] } else { 0 };
            cur[i] = match ft {
                0 => cur[i],
                1 => cur[i].wrapping_add(a),
                2 => cur[i].wrapping_add(b),
                3 => cur[i].wrapping_add(((u16::from(a) + u16::from(b)) / 2) as u8),
                4 => cur[i].wrapping_add(paeth(a, b, c)),
                _ => return Err(PdfError::Decompress { offset }),
            };
        }
        out.extend_from_slice(&cur);
        prev = cur;
    }
    Ok(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}
