//! # mcx-migrate
//!
//! The generic private call procedure towards a migrated MC service user (3GPP TS 23.280
//! §10.16.5, introduced as clause 10.16.y): an MC service user 1 calls user 2 by the MC service
//! ID from user 2's primary MC system; user 2 has migrated to a partner MC system that gave it a
//! new ID; the primary system's MC service server answers with a **private call redirection**
//! and client 1 calls the new ID. It works the same for an MCPTT private call, an MCVideo
//! private call and a one-to-one MCData communication.
//!
//! | spec | here |
//! |---|---|
//! | identities, security domain information, redirection reason | [`id`] |
//! | private call request, private call redirection (Table 10.16.y.2-1), migration update (10.6.3) | [`message`] |
//! | bytes on the wire: versioned envelope, postcard, COBS frames with a CRC-32C | [`wire`] |
//! | the server's knowledge of migrated users (pre-conditions) | [`table::MigrationTable`] |
//! | surviving a reboot: snapshot and restore with CRC-32 | [`table::MigrationTable::snapshot`], [`table::MigrationTable::restore`] |
//! | steps 2–3 and consecutive migration at the server | [`server::decide`] |
//! | steps 1, 3, 5 and consecutive migration at the client | [`client::PrivateCall`] |
//!
//! `no_std`, no heap, no `unsafe`, and no panic on any input: the crate denies `unwrap`,
//! `expect`, `panic!`, slice indexing and unchecked arithmetic outside tests. Capacities are
//! fixed at build time ([`config`]).
//!
//! ```
//! use mcx_migrate::{client::PrivateCall, server::{decide, Decision}, table::ArrayTable};
//! use mcx_migrate::{McServiceIdRef, McSystemIdRef, Migration, MigrationUpdate,
//!                   PrivateCallRedirection, PrivateCallRequest, SecurityDomainInfo,
//!                   ServiceKind};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Server A learns that user 2 migrated to MC system B (clause 10.6.3).
//! // The table lives in caller-provided memory: here a 2 KiB array it owns (a few records).
//! let mut table_a = ArrayTable::<2048>::EMPTY;
//! table_a.apply(&MigrationUpdate::Migrated(Migration {
//!     primary_id: McServiceIdRef::new("sip:user2@mc-a.example")?,
//!     partner_system: McSystemIdRef::new("mc-b.example")?,
//!     partner_id: McServiceIdRef::new("sip:visitor7@mc-b.example")?,
//!     security_domain_info: Some(SecurityDomainInfo::new("https://kms.mc-b.example")?),
//! }))?;
//!
//! // Step 1: client 1 calls user 2's primary ID.
//! let mut call: PrivateCall = PrivateCall::start(PrivateCallRequest {
//!     service_kind: ServiceKind::McpttPrivateCall,
//!     calling_party: McServiceIdRef::new("sip:user1@mc-a.example")?,
//!     target: McServiceIdRef::new("sip:user2@mc-a.example")?,
//!     e2ee_required: true,
//!     security_domain_info: None,
//! });
//! let mut wire = [0u8; PrivateCallRedirection::MAX_ENCODED_LEN];
//!
//! // Steps 2-3: server A answers with a private call redirection, as bytes.
//! let Decision::Redirect(redirection) = decide(&table_a, &call.request()) else { panic!() };
//! let len = redirection.encode(&mut wire)?;
//!
//! // Steps 3, 5: client 1 releases its request and calls the ID assigned by B, with B's KMS.
//! // The redirection it receives is borrowed from the bytes, validated as it was read.
//! let received = PrivateCallRedirection::decode(&wire[..len])?;
//! let next = call.on_redirection(&received)?;
//! assert_eq!(next.target.as_str(), "sip:visitor7@mc-b.example");
//! assert_eq!(next.security_domain_info.as_ref().map(|s| s.kms_uri.as_str()),
//!            Some("https://kms.mc-b.example"));
//! # Ok(()) }
//! ```
#![no_std]
#![forbid(unsafe_code)]
// missing_docs and the no-panic clippy lints come from the workspace (root Cargo.toml, [lints]).

#[cfg(test)]
extern crate std;
// `Vec<u8>` and `Box<[u8]>` as table storage (the `alloc` feature; core's own tests use them too).
#[cfg(any(test, feature = "alloc"))]
extern crate alloc;

pub mod config {
    //! Build-time capacities, from `MCX_MIGRATE_*` environment variables read by `build.rs`
    //! (see docs/embedded.md, "Build-time capacities").
    include!(concat!(env!("OUT_DIR"), "/config.rs"));
}

mod bytes;
mod checksum;
mod cobs;
mod log;

pub mod client;
pub mod error;
pub mod id;
pub mod message;
pub mod server;
pub mod table;
mod utf8;
pub mod wire;
mod wire_de;
mod wire_ser;

pub use error::{
    DecodeError, EncodeError, IdError, RedirectionError, SnapshotError, StorageError, TableError,
};
pub use id::{
    KmsUri, KmsUriRef, McServiceId, McServiceIdRef, McSystemId, McSystemIdRef, RedirectionReason,
    SecurityDomainInfo, ServiceKind,
};
pub use message::{
    Message, Migration, MigrationUpdate, PrivateCallRedirection, PrivateCallRequest,
};

#[cfg(test)]
pub(crate) mod testutil;
