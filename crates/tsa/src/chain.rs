//! Simple chain check (being written).
