//! Change capture from the transactional core into the lake (issue 3): reads `change_log` after the last
//! landed watermark, transforms rows into facts and dimensions, and lands each batch atomically.
//!
//! Until the lake lands, this crate only fixes the boundary: it depends on `oltp` and `warehouse` and nothing
//! else may.

pub use warehouse::LakeLayout;
