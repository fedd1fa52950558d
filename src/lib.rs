//! nvt
