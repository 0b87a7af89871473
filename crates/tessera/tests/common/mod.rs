//! Shared by the multi-node and fault tests: PostgreSQL databases and `tessera serve` processes.
#![allow(dead_code)]

pub mod cluster;
