//! One module per sub-command.

pub mod batch;
pub mod batch_html;
pub mod batch_summary;
pub mod completions;
pub mod demo;
pub mod extend;
pub mod inspect;
pub mod man;
pub mod plan;
pub mod serve;
pub mod sign;
pub mod sign_pdf;
pub mod sign_xml;
pub mod testpki;
pub mod timestamp;
pub mod timestamp_pdf;
pub mod timestamp_verify;
pub mod tsa_serve;
pub mod verify;
pub mod verify_cert;
pub mod verify_pdf;
