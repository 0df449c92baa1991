//! `rebuild`: a new collection behind an alias, every row copied, switched atomically.
//!
//! The steps, each in its own module: [`target`] decides what the new collection looks like,
//! [`plan`] decides everything else before anything is created, [`run`] builds and checks the
//! new collection, [`migrate`] copies the rows by primary-key keyset at one snapshot,
//! [`convert`] turns old rows into new ones, [`catchup`] copies what changed during the copy,
//! and [`state`] lets an interrupted rebuild resume or be aborted.
//!
//! It never drops before it creates, never switches an alias to a collection whose indexes
//! failed or whose row count differs from the source, and never touches the network itself:
//! every RPC goes through `crate::milvus`.

pub mod catchup;
pub mod convert;
pub mod distinct;
pub mod error;
pub mod migrate;
pub mod plan;
pub mod ranges;
pub mod retire;
pub mod run;
pub mod state;
pub mod target;

pub use error::{RebuildError, Result};
pub use migrate::{CopyOptions, Reporter, Silent};
pub use plan::Plan;
pub use retire::{Aborted, abort, drop_previous};
pub use run::{DEFAULT_DRAIN, Options, Summary, rebuild, resume};
pub use target::{IndexOverride, Target, TargetSource};
