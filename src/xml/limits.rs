//! Bounds of the element tree ([`super::dom`]), owned here because the parser enforces them;
//! `soap::limits` re-exports them with the rest of the control path's bounds, documented for
//! users in `docs/soap.md`.

/// Deepest element nesting accepted. ONVIF requests nest about 10 deep.
pub(crate) const MAX_DEPTH: usize = 48;
/// Most elements in one request (a 64 KiB body could otherwise hold ~16k empty elements).
pub(crate) const MAX_ELEMENTS: usize = 4096;
/// Most attributes on one element. Also bounds quick-xml's quadratic duplicate-attribute check.
pub(crate) const MAX_ATTRIBUTES: usize = 32;
