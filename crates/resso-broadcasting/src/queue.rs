//! Queued broadcasting (work in progress).
