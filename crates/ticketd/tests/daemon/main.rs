#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The daemon's tests, in one test binary (one link instead of six): the binary as operators run
//! it, the deployment files, mail out and in, operations (health, metrics, logs, shutdown) and the
//! sweeper.

mod binary;
mod deploy;
mod deploy_run;
mod files;
mod mail;
mod mail_in;
mod metrics;
mod operations;
mod replicas;
mod sweeper;
