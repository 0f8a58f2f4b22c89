//! One small error enum per concern. Every variant is a distinct, documented outcome; the C ABI
//! maps each to its own stable status code.

use core::fmt;

/// Why a string is not a valid MC service ID, MC system identity or KMS URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum IdError {
    /// The string is empty.
    Empty,
    /// The string is longer than the build-time capacity of its type.
    TooLong,
    /// The string holds an ASCII control character (C0 or DEL).
    ControlCharacter,
    /// The string is not a URI of the required scheme (`sip:`, `sips:`, `tel:` for an MC service
    /// ID; any RFC 3986 scheme for a KMS URI), has nothing after the scheme, or holds a space.
    InvalidUri,
    /// The string is not a DNS domain name (labels of letters, digits and inner hyphens, each at
    /// most 63 bytes).
    InvalidDomainName,
}

impl IdError {
    /// Every variant.
    pub const ALL: [IdError; 5] = [
        IdError::Empty,
        IdError::TooLong,
        IdError::ControlCharacter,
        IdError::InvalidUri,
        IdError::InvalidDomainName,
    ];

    /// The error's tag through serde, its variant name: an identifier's `Deserialize` (serde
    /// formats other than the wire's, which reports [`DecodeError::InvalidField`] directly)
    /// reports the error as `invalid_value(Unexpected::Other(tag), ..)`, from which a
    /// deserialiser's error type gets it back with [`from_tag`](Self::from_tag) (serde's error
    /// API has no typed channel). Short, not the [`Display`](fmt::Display) text.
    pub const fn tag(self) -> &'static str {
        match self {
            IdError::Empty => "Empty",
            IdError::TooLong => "TooLong",
            IdError::ControlCharacter => "ControlCharacter",
            IdError::InvalidUri => "InvalidUri",
            IdError::InvalidDomainName => "InvalidDomainName",
        }
    }

    /// The error whose [`tag`](Self::tag) is `tag`, or `None`.
    pub fn from_tag(tag: &str) -> Option<Self> {
        Some(match tag {
            "Empty" => IdError::Empty,
            "TooLong" => IdError::TooLong,
            "ControlCharacter" => IdError::ControlCharacter,
            "InvalidUri" => IdError::InvalidUri,
            "InvalidDomainName" => IdError::InvalidDomainName,
            _ => return None,
        })
    }
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdError::Empty => "empty identifier",
            IdError::TooLong => "identifier longer than its capacity",
            IdError::ControlCharacter => "identifier holds a control character",
            IdError::InvalidUri => "identifier is not a valid URI of the required scheme",
            IdError::InvalidDomainName => "identifier is not a valid domain name",
        })
    }
}

impl core::error::Error for IdError {}

/// Why a message could not be encoded. Nothing is promised about the buffer's contents after an
/// error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EncodeError {
    /// The buffer is too small; `needed` bytes would be enough.
    BufferTooSmall {
        /// The length the encoding needs.
        needed: usize,
    },
    /// The message breaks the information element rules of Table 10.16.y.2-1: end-to-end
    /// encryption is required but no security domain information is present (the NOTE under the
    /// table makes it mandatory then). The library never emits such a redirection.
    MissingSecurityDomainInfo,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::BufferTooSmall { needed } => {
                write!(f, "buffer too small: {needed} bytes needed")
            }
            EncodeError::MissingSecurityDomainInfo => {
                f.write_str("end-to-end encryption required but no security domain information")
            }
        }
    }
}

impl core::error::Error for EncodeError {}

/// Why bytes from the wire are not a valid message. Decoding never panics and never writes
/// into caller state on error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DecodeError {
    /// The input ends before the message does (this includes empty input).
    Truncated,
    /// The message is complete but bytes follow it.
    TrailingBytes,
    /// The envelope names a format version this build does not speak.
    UnsupportedVersion(u8),
    /// The envelope names a message type this build does not know.
    UnknownMessageType(u8),
    /// A well-formed message of another type than the caller asked for.
    UnexpectedMessageType,
    /// The payload is not the canonical postcard encoding of the message: a bad variant tag,
    /// varint, bool or option marker, or an over-long (non-canonical) varint.
    Malformed,
    /// A string field is not valid UTF-8.
    InvalidUtf8,
    /// A string field is valid UTF-8 but not a valid identifier (too long, not a URI, ...).
    InvalidField(IdError),
    /// Information element rule of Table 10.16.y.2-1 broken: end-to-end encryption is required
    /// but the security domain information is absent.
    MissingSecurityDomainInfo,
    /// A byte-stream frame is not valid COBS.
    BadFrame,
    /// A byte-stream frame's CRC-32C does not match the message it carries, or the frame is too
    /// short to hold one: the bytes were corrupted on the link (see
    /// [`wire`'s Frames](crate::wire#frames)). Checked before the message itself.
    FrameCheckMismatch,
}

impl From<IdError> for DecodeError {
    fn from(e: IdError) -> Self {
        DecodeError::InvalidField(e)
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated => f.write_str("message truncated"),
            DecodeError::TrailingBytes => f.write_str("trailing bytes after the message"),
            DecodeError::UnsupportedVersion(v) => write!(f, "unsupported format version {v}"),
            DecodeError::UnknownMessageType(t) => write!(f, "unknown message type {t}"),
            DecodeError::UnexpectedMessageType => f.write_str("unexpected message type"),
            DecodeError::Malformed => f.write_str("malformed payload"),
            DecodeError::InvalidUtf8 => f.write_str("string field is not valid UTF-8"),
            DecodeError::InvalidField(e) => write!(f, "invalid field: {e}"),
            DecodeError::MissingSecurityDomainInfo => {
                f.write_str("end-to-end encryption required but no security domain information")
            }
            DecodeError::BadFrame => f.write_str("invalid COBS frame"),
            DecodeError::FrameCheckMismatch => {
                f.write_str("frame CRC mismatch: corrupted on the link")
            }
        }
    }
}

impl core::error::Error for DecodeError {}

/// Why a migration update was not applied. After any of these the table is exactly as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TableError {
    /// The update needs more bytes than the table's storage has free, and evicting every departed
    /// visitor record would not free enough (live records are never evicted).
    TableFull,
    /// "Moved on" or "returned" for a user the table does not record as migrated away.
    NotMigrated,
    /// "Departed" for an ID the table does not record as a visiting user.
    NotVisiting,
    /// The ID is recorded with the other role: a user of this system that migrated away cannot
    /// also be a visitor with the same ID here, nor the reverse.
    RoleConflict,
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TableError::TableFull => "migration table full",
            TableError::NotMigrated => "user is not recorded as migrated",
            TableError::NotVisiting => "user is not recorded as a visiting user",
            TableError::RoleConflict => "ID is recorded with the other role",
        })
    }
}

impl core::error::Error for TableError {}

/// Why a migration table cannot use the storage it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum StorageError {
    /// The storage is shorter than [`MIN_STORAGE_LEN`](crate::table::MIN_STORAGE_LEN).
    TooSmall {
        /// The shortest storage a table accepts.
        needed: usize,
    },
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageError::TooSmall { needed } => {
                write!(f, "table storage too small: {needed} bytes needed")
            }
        }
    }
}

impl core::error::Error for StorageError {}

/// Why a calling client refused a private call redirection. After any of these the call is
/// exactly as before: the outstanding request is not released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RedirectionError {
    /// The calling party ID is not this client's own: the redirection is for another call.
    MismatchedCallingParty,
    /// The redirection does not name the ID this call just called: IE 2 (the target's primary
    /// ID) in a "target migrated" redirection, IE 3 (the partner-assigned ID) in a "no longer
    /// served" one, either of them in one without a reason.
    MismatchedTarget,
    /// The redirection concerns another kind of private communication.
    MismatchedServiceKind,
    /// The call requires end-to-end encryption but the redirection carries no security domain
    /// information: following it would downgrade the call.
    E2eeDowngrade,
    /// The call was already redirected the maximum number of times.
    TooManyRedirections,
    /// The redirection repeats an earlier one (same ID redirected to the same ID): a loop.
    RedirectionLoop,
}

impl fmt::Display for RedirectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RedirectionError::MismatchedCallingParty => "redirection names another calling party",
            RedirectionError::MismatchedTarget => "redirection names another target",
            RedirectionError::MismatchedServiceKind => "redirection is for another service",
            RedirectionError::E2eeDowngrade => {
                "end-to-end encryption required but redirection has no security domain information"
            }
            RedirectionError::TooManyRedirections => "too many redirections",
            RedirectionError::RedirectionLoop => "redirection loop",
        })
    }
}

impl core::error::Error for RedirectionError {}

/// Why a migration table snapshot could not be taken or restored. After a failed restore the
/// table is exactly as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SnapshotError {
    /// The buffer is too small for the snapshot; `needed` bytes would be enough.
    BufferTooSmall {
        /// The length the snapshot needs.
        needed: usize,
    },
    /// The bytes end before the snapshot does (its header states its length).
    Truncated,
    /// The bytes do not start with the snapshot magic: not a snapshot (erased flash, say).
    NotASnapshot,
    /// The snapshot's format version is not one this build reads.
    UnsupportedVersion(u8),
    /// The CRC-32 over the snapshot does not match: the bytes were corrupted.
    CrcMismatch,
    /// The snapshot's records do not fit the table's storage; `needed` bytes of storage would
    /// hold them.
    TableTooSmall {
        /// The storage length that holds the snapshot's records.
        needed: usize,
    },
    /// Two records of the snapshot have the same key.
    DuplicateKey,
    /// The snapshot's structure is not the canonical encoding this library writes.
    Malformed,
    /// A record holds an invalid identifier.
    InvalidField(IdError),
    /// A record breaks the rules normal updates keep (a departure order beyond the snapshot's
    /// departure count, or a departure order of zero).
    InvalidRecord,
}

impl From<IdError> for SnapshotError {
    fn from(e: IdError) -> Self {
        SnapshotError::InvalidField(e)
    }
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::BufferTooSmall { needed } => {
                write!(f, "buffer too small: {needed} bytes needed")
            }
            SnapshotError::Truncated => f.write_str("snapshot truncated"),
            SnapshotError::NotASnapshot => f.write_str("not a migration table snapshot"),
            SnapshotError::UnsupportedVersion(v) => write!(f, "unsupported snapshot version {v}"),
            SnapshotError::CrcMismatch => f.write_str("snapshot CRC mismatch"),
            SnapshotError::TableTooSmall { needed } => {
                write!(f, "snapshot needs a table of {needed} bytes")
            }
            SnapshotError::DuplicateKey => f.write_str("snapshot holds a key twice"),
            SnapshotError::Malformed => f.write_str("malformed snapshot"),
            SnapshotError::InvalidField(e) => write!(f, "invalid field in snapshot: {e}"),
            SnapshotError::InvalidRecord => f.write_str("invalid record in snapshot"),
        }
    }
}

impl core::error::Error for SnapshotError {}
