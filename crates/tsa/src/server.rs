//! TSA server (being written).
