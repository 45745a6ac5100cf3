//! One module per sub-command.

pub mod batch;
pub mod demo;
pub mod extend;
pub mod inspect;
pub mod plan;
pub mod serve;
pub mod sign;
pub mod testpki;
pub mod timestamp;
pub mod timestamp_verify;
pub mod tsa_serve;
pub mod verify;
pub mod verify_cert;
