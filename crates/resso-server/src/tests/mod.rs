//! Tests that cross layers: the registry's transitions as a protocol encodes them, and two
//! registries joined by the cluster's dispatch. They sit at the root, above every layer they use.

mod cluster;
mod handover;
mod registry;
