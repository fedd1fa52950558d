//! The simulated SoC (in progress).
