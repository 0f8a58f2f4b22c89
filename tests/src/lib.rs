//! Harness for the cross-crate scenario tests: MC service servers and the byte link between
//! them and a calling MC service client. Every message crosses the link as bytes, encoded and
//! decoded by `mcx_migrate::wire`, exactly as on a real link. [`generated`] keeps the generated
//! sections of the docs current. (The embedded tests run firmware on QEMU with the test kit's
//! `mcx_testkit::qemu`.)

pub use mcx_testkit::generated;

use mcx_migrate::server::{decide, Decision, RejectReason};
use mcx_migrate::table::{storage_len, Applied, MigrationTable};
use mcx_migrate::wire::MAX_ENCODED_LEN;
use mcx_migrate::{
    DecodeError, McServiceIdRef, McSystemId, MigrationUpdate, PrivateCallRedirection,
    PrivateCallRequest, TableError,
};

/// Bytes on the link.
pub type Bytes = Vec<u8>;

/// Encodes any wire message to bytes.
pub fn to_bytes<'a, M: mcx_migrate::wire::WireMessage<'a>>(msg: &M) -> Bytes {
    let mut buf = [0u8; MAX_ENCODED_LEN];
    let n = mcx_migrate::wire::encode(msg, &mut buf).expect("encode");
    buf[..n].to_vec()
}

/// What a server answered to a private call request.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// The call proceeds at this server.
    Proceed,
    /// A private call redirection, as bytes.
    Redirect(Bytes),
    /// The call is rejected.
    Reject(RejectReason),
}

/// Records a test server's table always holds, of up to [`TABLE_STRING_BYTES`] string bytes
/// each.
pub const TABLE_RECORDS: usize = 16;

/// String bytes a record of the test network takes at most (key, the other two IDs and a KMS
/// URI): `sip:visitor-0042@mc-b.example`, `sip:user2@mc-a.example`, `mc-a.example` and
/// `https://kms.mc-a.example/kms` are 91 bytes; 128 leaves room to spare.
pub const TABLE_STRING_BYTES: usize = 128;

/// Storage of a test server's table: [`TABLE_RECORDS`] records of [`TABLE_STRING_BYTES`].
pub const TABLE_STORAGE_LEN: usize = storage_len(TABLE_RECORDS, TABLE_STRING_BYTES);

/// An MC service server of one MC system with its migration table.
pub struct McSystem {
    /// The MC system's identity.
    pub id: McSystemId,
    /// The server's migration table, over heap storage of [`TABLE_STORAGE_LEN`] bytes.
    pub table: MigrationTable<Vec<u8>>,
}

impl McSystem {
    /// A server with an empty table.
    pub fn new(domain: &str) -> Self {
        Self {
            id: McSystemId::new(domain).expect("system id"),
            table: MigrationTable::new(vec![0; TABLE_STORAGE_LEN])
                .expect("storage above the minimum"),
        }
    }

    /// Receives a migration update as bytes (clause 10.6.3) and applies it.
    pub fn receive_update(&mut self, bytes: &[u8]) -> Result<Applied, TableError> {
        let update = MigrationUpdate::decode(bytes).expect("valid migration update");
        self.table.apply(&update)
    }

    /// Receives a private call request as bytes and answers it (steps 2–3).
    pub fn receive_request(&self, bytes: &[u8]) -> Result<Answer, DecodeError> {
        let request = PrivateCallRequest::decode(bytes)?;
        Ok(match decide(&self.table, &request) {
            Decision::Proceed => Answer::Proceed,
            Decision::Redirect(r) => Answer::Redirect(to_bytes(&r)),
            Decision::Reject(reason) => Answer::Reject(reason),
        })
    }
}

/// Which system serves an MC service ID, by the domain of a `sip:` URI (routing in the real
/// system is SIP's job; the tests need only this).
pub fn domain_of(id: McServiceIdRef<'_>) -> &str {
    id.as_str().rsplit('@').next().unwrap_or("")
}

/// Decodes a private call redirection from bytes.
pub fn redirection(bytes: &[u8]) -> PrivateCallRedirection<'_> {
    PrivateCallRedirection::decode(bytes).expect("valid redirection")
}
