//! Object storage: local directories and S3/GCS/Azure prefixes behind one API (`object_store`),
//! verified resumable uploads, a streaming [`crate::format::Sink`] for `generate --out s3://...`,
//! and bucket creation.
//!
//! One of the three modules that do network I/O. It never prints (progress goes through
//! [`upload::UploadReporter`]) and never lets a credential into a message: keys live in
//! [`options::Secret`], and text from the store passes through [`error::redact`].

pub mod azure;
pub mod bucket;
pub mod digest;
pub mod error;
pub mod location;
pub mod options;
pub mod server_text;
pub mod sink;
pub mod store;
pub mod upload;

pub use error::{Result, StorageError};
pub use location::Location;
pub use options::{Secret, StorageOptions};
pub use store::{Store, StoreKind};
pub use upload::{UploadOptions, UploadReporter, UploadSummary, upload_dir};
