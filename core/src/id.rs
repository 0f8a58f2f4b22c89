//! Identities and information elements of TS 23.280 §10.16.5: the service a private call belongs
//! to, MC service IDs, MC system identities, security domain information and the redirection
//! reason.
//!
//! Every string type here is a validated, fixed-capacity value: once constructed it is known to
//! be within capacity and well formed, so the rest of the library never re-checks it.

use core::fmt;
use core::hash::{Hash, Hasher};
use core::ops::Deref;

use heapless::String;

use crate::config::{KMS_URI_CAPACITY, MC_SERVICE_ID_CAPACITY, MC_SYSTEM_ID_CAPACITY};
use crate::error::{DecodeError, IdError};
use crate::wire_de::{Decode, Reader};
use crate::wire_ser::{Encode, Writer};

/// Which private communication the procedure is used for.
///
/// §10.16.5.1: "This generic private communication can be an MCPTT private call, an MCVideo
/// private call, or a one-to-one MCData communication." The procedure is identical for all
/// three; the kind travels with every message so a client can check that a redirection belongs
/// to the call it made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum ServiceKind {
    /// An MCPTT private call (TS 23.379 clause 10.7.2).
    McpttPrivateCall = 0,
    /// An MCVideo private call (TS 23.281 clause 7.2.2).
    McvideoPrivateCall = 1,
    /// A one-to-one MCData communication (TS 23.282).
    McdataOneToOne = 2,
}

/// A unit enum's variant index on the wire (a varint); an unknown index is malformed.
macro_rules! wire_unit_enum {
    ($ty:ident: $($index:literal => $variant:ident),*) => {
        impl Decode<'_> for $ty {
            fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
                match reader.u32()? {
                    $($index => Ok($ty::$variant),)*
                    _ => Err(DecodeError::Malformed),
                }
            }
        }

        impl Encode for $ty {
            fn encode(&self, writer: &mut Writer<'_>) {
                writer.push(match self {
                    $($ty::$variant => $index,)*
                });
            }
        }
    };
}

wire_unit_enum!(ServiceKind: 0 => McpttPrivateCall, 1 => McvideoPrivateCall, 2 => McdataOneToOne);
wire_unit_enum!(RedirectionReason: 0 => TargetMigrated, 1 => TargetNoLongerServed);

impl ServiceKind {
    /// All service kinds, in wire order.
    pub const ALL: [ServiceKind; 3] = [
        ServiceKind::McpttPrivateCall,
        ServiceKind::McvideoPrivateCall,
        ServiceKind::McdataOneToOne,
    ];

    /// The spec's name for the MC service ID of this kind ("MCPTT ID", "MCVideo ID", "MCData ID").
    pub const fn id_name(self) -> &'static str {
        match self {
            ServiceKind::McpttPrivateCall => "MCPTT ID",
            ServiceKind::McvideoPrivateCall => "MCVideo ID",
            ServiceKind::McdataOneToOne => "MCData ID",
        }
    }

    /// The spec's name for the communication ("MCPTT private call", ...).
    pub const fn name(self) -> &'static str {
        match self {
            ServiceKind::McpttPrivateCall => "MCPTT private call",
            ServiceKind::McvideoPrivateCall => "MCVideo private call",
            ServiceKind::McdataOneToOne => "one-to-one MCData communication",
        }
    }

    /// The kind with wire value `value`, or `None` for an unknown value.
    pub const fn from_u8(value: u8) -> Option<Self> {
        match value {
            0 => Some(ServiceKind::McpttPrivateCall),
            1 => Some(ServiceKind::McvideoPrivateCall),
            2 => Some(ServiceKind::McdataOneToOne),
            _ => None,
        }
    }
}

impl fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why the MC service server redirects a private call (the optional "Redirection reason" IE of
/// Table 10.16.y.2-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum RedirectionReason {
    /// The primary MC system informs the caller that the target user has migrated to a partner
    /// MC system (§10.16.5.3 step 3).
    TargetMigrated = 0,
    /// A partner MC system no longer serves the target user: the user migrated on to another
    /// partner system or returned to the primary system (§10.16.5.3, consecutive migration).
    /// The redirection then carries the user's primary MC service ID.
    TargetNoLongerServed = 1,
}

impl RedirectionReason {
    /// A short text for logs and tools.
    pub const fn as_str(self) -> &'static str {
        match self {
            RedirectionReason::TargetMigrated => "target migrated to a partner MC system",
            RedirectionReason::TargetNoLongerServed => {
                "target no longer served by this partner MC system"
            }
        }
    }
}

impl fmt::Display for RedirectionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Rejects ASCII control characters (C0, DEL): they never belong in a URI or domain name and
/// could corrupt logs and SIP headers downstream.
fn is_control(b: u8) -> bool {
    b < 0x20 || b == 0x7f
}

/// The word the identifier scans read at a time: the target's own, so that a 32-bit firmware
/// runs them in single registers (a `u64` there took pairs of instructions and twice the
/// flash for the same bytes per instruction).
type Word = usize;

/// Bytes in a [`Word`].
const W: usize = core::mem::size_of::<Word>();

/// Copies of the byte `b`, one per byte of a [`Word`].
const fn splat(b: u8) -> Word {
    Word::from_ne_bytes([b; W])
}

/// Whether a byte of `word` may be a control character or a space (below `0x21`, or `0x7f`).
/// Never false for such a byte; may be true for a clean word (a borrow across bytes), which
/// only costs the exact per-byte look that follows.
fn may_hold_blank(word: Word) -> bool {
    let below = word.wrapping_sub(splat(0x21)) & !word;
    let del = word ^ splat(0x7f);
    let is_del = del.wrapping_sub(splat(0x01)) & !del;
    (below | is_del) & splat(0x80) != 0
}

/// The bytes of `chunk` as a word; a word of zeros (every byte a hit) should it not be a word
/// long, so that it goes to the exact check.
fn word(chunk: &[u8]) -> Word {
    chunk.try_into().map_or(0, Word::from_ne_bytes)
}

/// Whether the identifier checks look a word at a time first ([`may_hold`]) and go byte by byte
/// only on a hit: on hosts, where it makes decoding fast. Bare-metal firmware goes byte by byte
/// at once, which gives the same answers (the word look only ever skips the byte loop on bytes
/// it would pass) with 100 B less flash.
const PREFILTER: bool = cfg!(not(target_os = "none"));

/// Whether `bytes` may hold a control character or a space, or, with `extra` set to `0x80`, a
/// byte that is not ASCII; never false when it does. A word at a time (the tail as the last
/// word's bytes, overlapping the word before); always true for fewer bytes than a word.
fn may_hold(bytes: &[u8], extra: u8) -> bool {
    let Some(last) = bytes.len().checked_sub(W).and_then(|at| bytes.get(at..)) else {
        return true;
    };
    let hit = |w: Word| may_hold_blank(w) | (w & splat(extra) != 0);
    bytes
        .chunks_exact(W)
        .fold(hit(word(last)), |found, chunk| found | hit(word(chunk)))
}

/// Control characters and spaces in `bytes`: [`IdError::ControlCharacter`] if any byte is one
/// (wherever it is: it outranks every shape error), else whether a space occurs.
///
/// Every decoded message runs this over each of its identifiers: a word at a time (the tail as
/// the last word's bytes, overlapping the word before), and the exact per-byte look only when a
/// word may hold a hit or the string is shorter than a word.
fn check_blanks(bytes: &[u8]) -> Result<bool, IdError> {
    if PREFILTER && !may_hold(bytes, 0) {
        return Ok(false);
    }
    let mut space = false;
    for &b in bytes {
        if is_control(b) {
            return Err(IdError::ControlCharacter);
        }
        space |= b == b' ';
    }
    Ok(space)
}

/// Common length checks: empty first, then capacity.
fn check_length(s: &[u8], capacity: usize) -> Result<(), IdError> {
    if s.is_empty() {
        Err(IdError::Empty)
    } else if s.len() > capacity {
        Err(IdError::TooLong)
    } else {
        Ok(())
    }
}

/// Whether an identifier's bytes were already scanned for control characters and spaces.
#[derive(Clone, Copy)]
enum Scanned {
    /// No: [`check_blanks`] runs.
    No,
    /// Yes, and they hold none (and are ASCII): [`from_wire`] found so.
    Clean,
}

impl Scanned {
    /// [`check_blanks`], unless the bytes are known to be clean.
    fn blanks(self, bytes: &[u8]) -> Result<bool, IdError> {
        match self {
            Scanned::No => check_blanks(bytes),
            Scanned::Clean => Ok(false),
        }
    }
}

/// What refused an identifier's bytes from the wire.
enum WireIdError {
    /// They are not UTF-8.
    Utf8,
    /// The identifier's rules.
    Id(IdError),
}

/// Checks an identifier's bytes as the decoder hands them over, in one pass for the usual
/// identifier: the word-at-a-time scan that looks for control characters and spaces also looks
/// for bytes that are not ASCII, and only when it finds one of the three does a second look
/// follow — UTF-8 first (its error outranks the identifier's, as when a `str` is decoded), then
/// the exact checks. Plain ASCII is UTF-8, so no separate UTF-8 pass is needed for it.
#[cfg_attr(target_os = "none", inline)]
#[cfg_attr(not(target_os = "none"), inline(always))]
fn from_wire(
    bytes: &[u8],
    check: impl FnOnce(&[u8], Scanned) -> Result<(), IdError>,
) -> Result<(), WireIdError> {
    let scanned = if !PREFILTER || may_hold(bytes, 0x80) {
        if !crate::utf8::is_valid(bytes) {
            return Err(WireIdError::Utf8);
        }
        Scanned::No
    } else {
        Scanned::Clean
    };
    check(bytes, scanned).map_err(WireIdError::Id)
}

/// The three identifier types, for code that reads any of them: one non-generic reader for
/// every identifier field of every message, not one copy per type.
#[derive(Clone, Copy)]
pub(crate) enum IdKind {
    /// [`McServiceId`].
    Service,
    /// [`McSystemId`].
    System,
    /// [`KmsUri`].
    Kms,
}

impl IdKind {
    /// The identifier rules of this kind, in their order of precedence: length (empty, then
    /// over capacity), control characters, then the shape. One function for the three kinds,
    /// so the rules they share are linked once; `scanned` skips the scan for control
    /// characters and spaces when the bytes are known to hold none.
    // Inlined off bare metal, where the field list's constant kind selects one branch (see
    // `message::read_fields`).
    #[cfg_attr(not(target_os = "none"), inline(always))]
    fn check(self, bytes: &[u8], scanned: Scanned) -> Result<(), IdError> {
        let capacity = match self {
            IdKind::Service => MC_SERVICE_ID_CAPACITY,
            IdKind::System => MC_SYSTEM_ID_CAPACITY,
            IdKind::Kms => KMS_URI_CAPACITY,
        };
        check_length(bytes, capacity)?;
        let space = scanned.blanks(bytes)?;
        let (shape_ok, error) = match self {
            IdKind::Service => (McServiceId::shape_ok(bytes, space), IdError::InvalidUri),
            IdKind::System => (McSystemId::shape_ok(bytes), IdError::InvalidDomainName),
            IdKind::Kms => (KmsUri::shape_ok(bytes, space), IdError::InvalidUri),
        };
        if shape_ok {
            Ok(())
        } else {
            Err(error)
        }
    }
}

/// Reads an identifier of kind `kind` from the wire: a varint length and the string's bytes,
/// checked in one pass (`from_wire`).
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(crate) fn read_id<'a>(reader: &mut Reader<'a>, kind: IdKind) -> Result<&'a [u8], DecodeError> {
    id_bytes(reader.bytes()?, kind)
}

/// `bytes` as an identifier of kind `kind` read from the wire: UTF-8 first, then the kind's
/// rules, in one pass for the usual identifier (`from_wire`).
#[cfg_attr(not(target_os = "none"), inline(always))]
fn id_bytes(bytes: &[u8], kind: IdKind) -> Result<&[u8], DecodeError> {
    match from_wire(bytes, |b, scanned| kind.check(b, scanned)) {
        Ok(()) => Ok(bytes),
        Err(WireIdError::Utf8) => Err(DecodeError::InvalidUtf8),
        Err(WireIdError::Id(e)) => Err(DecodeError::InvalidField(e)),
    }
}

/// Copies an already validated string into fixed storage. Validation has checked the length, so
/// the copy cannot fail; the fallback keeps this function panic-free regardless.
fn store<const N: usize>(s: &str) -> String<N> {
    String::try_from(s).unwrap_or_default()
}

/// An MC service ID: the MCPTT ID, MCVideo ID or MCData ID of a user, a URI (`sip:`, `sips:` or
/// `tel:`) of at most [`MC_SERVICE_ID_CAPACITY`] bytes.
///
/// IDs compare byte for byte: the MC system that assigned an ID is the authority on its
/// spelling, and a redirection echoes IDs exactly as they were sent.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct McServiceId(String<MC_SERVICE_ID_CAPACITY>);

impl McServiceId {
    /// Longest accepted ID in bytes.
    pub const CAPACITY: usize = MC_SERVICE_ID_CAPACITY;

    /// Checks `s` without copying it. Returns, in this order of precedence:
    /// [`IdError::Empty`], [`IdError::TooLong`], [`IdError::ControlCharacter`] or
    /// [`IdError::InvalidUri`] (no `sip:`/`sips:`/`tel:` scheme, nothing after it, or a space).
    pub fn validate(s: &str) -> Result<(), IdError> {
        IdKind::Service.check(s.as_bytes(), Scanned::No)
    }

    /// The shape rules ([`IdKind::check`] checked length and control characters, and found
    /// whether a space occurs).
    fn shape_ok(bytes: &[u8], space: bool) -> bool {
        // The scheme, case-insensitively, four bytes at once: setting bit 5 of each byte folds
        // the case of a letter, and only the letter's other case or, for `:`, the control
        // character 0x1a (refused above) fold onto the same byte.
        let head = bytes
            .first_chunk::<4>()
            .map(|h| u32::from_le_bytes(*h) | 0x2020_2020);
        let is = |scheme: &[u8; 4]| head == Some(u32::from_le_bytes(*scheme));
        let after_scheme = if is(b"sip:") || is(b"tel:") {
            Some(4)
        } else if is(b"sips") && bytes.get(4) == Some(&b':') {
            Some(5)
        } else {
            None
        };
        after_scheme.is_some_and(|len| bytes.len() > len) && !space
    }
}

/// An MC system identity: the DNS domain name of an MC system (e.g. `mc-b.example.net`), at most
/// [`MC_SYSTEM_ID_CAPACITY`] bytes.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct McSystemId(String<MC_SYSTEM_ID_CAPACITY>);

impl McSystemId {
    /// Longest accepted identity in bytes (DNS allows 253).
    pub const CAPACITY: usize = MC_SYSTEM_ID_CAPACITY;

    /// Checks `s` without copying it. Returns [`IdError::Empty`], [`IdError::TooLong`],
    /// [`IdError::ControlCharacter`] or [`IdError::InvalidDomainName`] (a label that is empty,
    /// longer than 63 bytes, starts or ends with `-`, or holds anything but letters, digits and
    /// `-`), in that order of precedence.
    pub fn validate(s: &str) -> Result<(), IdError> {
        IdKind::System.check(s.as_bytes(), Scanned::No)
    }

    /// See [`McServiceId::shape_ok`]; a space fails the label rule.
    fn shape_ok(bytes: &[u8]) -> bool {
        // On bytes, not `str` patterns: a char search keeps a slicing panic path in the linked
        // code (docs/footprint.md, "Panic-freedom proof").
        let label_ok = |label: &[u8]| {
            !label.is_empty()
                && label.len() <= 63
                && label.first() != Some(&b'-')
                && label.last() != Some(&b'-')
                && label
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        };
        bytes.split(|b| *b == b'.').all(label_ok)
    }
}

/// The KMS URI of a security domain (TS 33.180): where a client fetches the key material for
/// end-to-end encryption towards IDs of that domain. At most [`KMS_URI_CAPACITY`] bytes.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct KmsUri(String<KMS_URI_CAPACITY>);

impl KmsUri {
    /// Longest accepted URI in bytes.
    pub const CAPACITY: usize = KMS_URI_CAPACITY;

    /// Checks `s` without copying it. Returns [`IdError::Empty`], [`IdError::TooLong`],
    /// [`IdError::ControlCharacter`] or [`IdError::InvalidUri`] (no RFC 3986 scheme followed by
    /// something, or a space), in that order of precedence.
    pub fn validate(s: &str) -> Result<(), IdError> {
        IdKind::Kms.check(s.as_bytes(), Scanned::No)
    }

    /// See [`McServiceId::shape_ok`]. A space anywhere is refused: after the colon it is one,
    /// before it the scheme check would refuse it anyway.
    fn shape_ok(bytes: &[u8], space: bool) -> bool {
        let colon = bytes.iter().position(|&b| b == b':');
        let scheme = bytes.get(..colon.unwrap_or(0)).unwrap_or_default();
        let scheme_ok = scheme.first().is_some_and(u8::is_ascii_alphabetic)
            && scheme
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
        // A scheme of at least one byte, then something after the colon.
        colon.is_some_and(|at| at.saturating_add(1) < bytes.len()) && scheme_ok && !space
    }
}

/// Security domain information (Table 10.16.y.2-1): what a caller needs to encrypt end to end
/// towards the MC service ID a user was assigned by a partner MC system. Mandatory in a private
/// call redirection when end-to-end encryption is required (NOTE under the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SecurityDomainInfo<'a> {
    /// The KMS URI of the security domain (TS 33.180).
    #[serde(borrow)]
    pub kms_uri: KmsUriRef<'a>,
}

impl Encode for SecurityDomainInfo<'_> {
    fn encode(&self, writer: &mut Writer<'_>) {
        self.kms_uri.encode(writer);
    }
}

impl<'a> Decode<'a> for SecurityDomainInfo<'a> {
    fn decode(reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        Ok(Self {
            kms_uri: reader.read()?,
        })
    }
}

impl<'a> SecurityDomainInfo<'a> {
    /// Security domain information with the given KMS URI; see [`KmsUri::validate`].
    pub fn new(kms_uri: &'a str) -> Result<Self, IdError> {
        Ok(Self {
            kms_uri: KmsUriRef::new(kms_uri)?,
        })
    }
}

/// The common surface of the validated string types, so they share one set of trait impls.
macro_rules! string_newtype_impls {
    ($($ty:ident),*) => {$(
        impl $ty {
            /// A validated value; see
            #[doc = concat!("[`", stringify!($ty), "::validate`]")]
            /// for the errors.
            pub fn new(s: &str) -> Result<Self, IdError> {
                Self::validate(s)?;
                Ok(Self(store(s)))
            }

            /// The value as text.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }

            /// An empty value: a placeholder that an in-place copy overwrites before anyone
            /// reads it. Never valid on its own.
            #[allow(dead_code)] // used for some of the types only
            pub(crate) const EMPTY: Self = Self(String::new());

            /// Replaces the value with `s` in place, after checking `s` as
            #[doc = concat!("[`", stringify!($ty), "::validate`]")]
            /// does (same errors). On `Err` the value is unchanged.
            ///
            /// Unlike building a new value and assigning it, this never stages a second
            /// fixed-capacity string on the stack: what a small firmware stack needs.
            pub fn set(&mut self, s: &str) -> Result<(), IdError> {
                Self::validate(s)?;
                self.set_validated(s);
                Ok(())
            }

            /// Replaces the value with a string that validation accepted, in place.
            pub(crate) fn set_validated(&mut self, s: &str) {
                self.0.clear();
                // Cannot fail: validation checked the length against the capacity. Should it
                // fail anyway, the value stays empty rather than panicking.
                let _ = self.0.push_str(s);
            }
        }

        impl Deref for $ty {
            type Target = str;
            fn deref(&self) -> &str {
                self.as_str()
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl core::borrow::Borrow<str> for $ty {
            fn borrow(&self) -> &str {
                self.as_str()
            }
        }

        // Hash as the bare `str`, so that `Borrow<str>` lookups in hash maps are sound.
        impl Hash for $ty {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.as_str().hash(state);
            }
        }

        impl PartialEq<str> for $ty {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $ty {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = IdError;
            fn try_from(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self.as_str(), f)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

string_newtype_impls!(McServiceId, McSystemId, KmsUri);

/// The borrowed forms of the validated string types: a `&str` that can only be made by
/// validation ([`new`](McServiceIdRef::new)) or from the owned type
/// ([`McServiceId::as_borrowed`]), so a view of a message holds valid identifiers by type. The
/// wire decoder validates its bytes as it reads them (one pass, `from_wire`); its serde
/// `Deserialize` (other formats) validates the string the deserialiser hands over, and accepts
/// only borrowed strings.
macro_rules! borrowed_id {
    ($($(#[$doc:meta])* $name:ident => $owned:ident, $kind:ident, $expecting:literal;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub struct $name<'a>(&'a [u8]);

        impl<'a> $name<'a> {
            /// `s`, validated; errors as
            #[doc = concat!("[`", stringify!($owned), "::validate`].")]
            pub fn new(s: &'a str) -> Result<Self, IdError> {
                $owned::validate(s)?;
                Ok(Self(s.as_bytes()))
            }

            /// The identifier as text.
            pub fn as_str(self) -> &'a str {
                // The bytes are those of a validated `str` (see `from_validated_bytes`), so
                // this never fails; safe code must still check UTF-8 to call them a `str`.
                core::str::from_utf8(self.0).unwrap_or_default()
            }

            /// The identifier's bytes (UTF-8): what the wire and the table store, with no
            /// conversion.
            pub fn as_bytes(self) -> &'a [u8] {
                self.0
            }

            /// The bytes of a value of this type, stored by the crate (the migration table
            /// keeps identifiers as bytes): reading them back costs no UTF-8 check.
            pub(crate) fn from_validated_bytes(b: &'a [u8]) -> Self {
                Self(b)
            }

            /// An owned copy; no second validation.
            pub fn to_owned_id(self) -> $owned {
                let mut owned = $owned::EMPTY;
                owned.set_borrowed(self);
                owned
            }

            /// `bytes` as this identifier, checked as the wire decoder checks a field:
            /// [`DecodeError::InvalidUtf8`] if they are not UTF-8, else
            /// [`DecodeError::InvalidField`] with the error
            #[doc = concat!("[`", stringify!($owned), "::validate`]")]
            /// gives. For identifiers that arrive as bytes (a C string, a field of another
            /// format) without a UTF-8 check of their own.
            pub fn from_bytes(bytes: &'a [u8]) -> Result<Self, DecodeError> {
                id_bytes(bytes, IdKind::$kind).map($name)
            }
        }

        impl $owned {
            /// The borrowed form of this identifier.
            pub fn as_borrowed(&self) -> $name<'_> {
                $name(self.as_str().as_bytes())
            }

            /// Replaces the value with a copy of `id`, in place; no second validation, and no
            /// `core::str::from_utf8` (the `utf8` module says why).
            pub(crate) fn set_borrowed(&mut self, id: $name<'_>) {
                self.0.clear();
                for c in crate::utf8::chars(id.0) {
                    // Cannot fail: `id` is within this type's capacity (see `set_validated`).
                    let _ = self.0.push(c);
                }
            }
        }

        impl<'a> From<&'a $owned> for $name<'a> {
            fn from(id: &'a $owned) -> Self {
                id.as_borrowed()
            }
        }

        impl From<$name<'_>> for $owned {
            fn from(id: $name<'_>) -> Self {
                id.to_owned_id()
            }
        }

        impl<'a> TryFrom<&'a str> for $name<'a> {
            type Error = IdError;
            fn try_from(s: &'a str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl Deref for $name<'_> {
            type Target = str;
            fn deref(&self) -> &str {
                self.as_str()
            }
        }

        impl AsRef<str> for $name<'_> {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl PartialEq<str> for $name<'_> {
            fn eq(&self, other: &str) -> bool {
                self.0 == other.as_bytes()
            }
        }

        impl PartialEq<&str> for $name<'_> {
            fn eq(&self, other: &&str) -> bool {
                self.0 == other.as_bytes()
            }
        }

        impl PartialEq<$owned> for $name<'_> {
            fn eq(&self, other: &$owned) -> bool {
                self.0 == other.as_str().as_bytes()
            }
        }

        impl PartialEq<$name<'_>> for $owned {
            fn eq(&self, other: &$name<'_>) -> bool {
                self.as_str().as_bytes() == other.0
            }
        }

        impl fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self.as_str(), f)
            }
        }

        impl fmt::Display for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Encode for $name<'_> {
            fn encode(&self, writer: &mut Writer<'_>) {
                writer.bytes(self.0);
            }
        }

        impl<'a> Decode<'a> for $name<'a> {
            /// A varint length and the string's bytes, checked in one pass ([`read_id`]).
            fn decode(reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
                read_id(reader, IdKind::$kind).map($name)
            }
        }

        impl serde::Serialize for $name<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                // Compact formats (the wire's, postcard's) encode a string as its bytes: no UTF-8
                // check of bytes already known to be UTF-8. Text formats get the string.
                if serializer.is_human_readable() {
                    serializer.serialize_str(self.as_str())
                } else {
                    serializer.serialize_bytes(self.0)
                }
            }
        }

        impl<'de: 'a, 'a> serde::Deserialize<'de> for $name<'a> {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visit<'a>(core::marker::PhantomData<&'a ()>);

                impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
                    type Value = $name<'a>;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }

                    fn visit_borrowed_str<E: serde::de::Error>(
                        self,
                        v: &'de str,
                    ) -> Result<$name<'a>, E> {
                        $name::new(v).map_err(|e| invalid::<E>(e, &self))
                    }

                    fn visit_borrowed_bytes<E: serde::de::Error>(
                        self,
                        v: &'de [u8],
                    ) -> Result<$name<'a>, E> {
                        match from_wire(v, |b, scanned| IdKind::$kind.check(b, scanned)) {
                            Ok(()) => Ok($name(v)),
                            Err(WireIdError::Utf8) => Err(E::invalid_value(
                                serde::de::Unexpected::Bytes(v),
                                &self,
                            )),
                            Err(WireIdError::Id(e)) => Err(invalid::<E>(e, &self)),
                        }
                    }
                }

                // Compact formats (the wire's) hand the string over as bytes, so that it is
                // checked in one pass (`from_wire`); text formats hand over a `str`.
                let visit = Visit(core::marker::PhantomData);
                if deserializer.is_human_readable() {
                    deserializer.deserialize_str(visit)
                } else {
                    deserializer.deserialize_bytes(visit)
                }
            }
        }
    )*};
}

/// An identifier refused by validation, as a serde error: the [`IdError`]'s tag travels as
/// `Unexpected::Other`, so a deserialiser's error type can map it back to the `IdError`
/// ([`IdError::from_tag`]).
fn invalid<E: serde::de::Error>(e: IdError, expected: &dyn serde::de::Expected) -> E {
    E::invalid_value(serde::de::Unexpected::Other(e.tag()), expected)
}

borrowed_id! {
    /// A borrowed, validated [`McServiceId`].
    McServiceIdRef => McServiceId, Service, "an MC service ID";
    /// A borrowed, validated [`McSystemId`].
    McSystemIdRef => McSystemId, System, "an MC system ID";
    /// A borrowed, validated [`KmsUri`].
    KmsUriRef => KmsUri, Kms, "a KMS URI";
}

#[cfg(test)]
mod tests {
    use super::*;

    extern crate std;
    use std::string::String as StdString;

    #[test]
    fn mc_service_id_accepts_sip_sips_and_tel_uris() {
        for s in [
            "sip:user2@mc-a.example",
            "SIP:u@x",
            "sips:u@x",
            "tel:+4912345",
        ] {
            assert_eq!(
                McServiceId::new(s).map(|id| StdString::from(id.as_str())),
                Ok(s.into())
            );
        }
    }

    #[test]
    fn mc_service_id_rejects_empty_with_its_own_error() {
        assert_eq!(McServiceId::new(""), Err(IdError::Empty));
    }

    #[test]
    fn mc_service_id_rejects_over_long_with_its_own_error() {
        let mut s = StdString::from("sip:");
        s.extend(core::iter::repeat_n('a', McServiceId::CAPACITY - 4));
        assert!(
            McServiceId::new(&s).is_ok(),
            "exactly at capacity is accepted"
        );
        s.push('a');
        assert_eq!(McServiceId::new(&s), Err(IdError::TooLong));
    }

    #[test]
    fn mc_service_id_rejects_non_uri_with_its_own_error() {
        for s in [
            "user2@mc-a.example",
            "http://x",
            "sip:",
            "sip:a b",
            "si",
            ":x",
        ] {
            assert_eq!(McServiceId::new(s), Err(IdError::InvalidUri), "{s:?}");
        }
    }

    #[test]
    fn mc_service_id_rejects_control_characters_with_its_own_error() {
        for s in ["sip:a\r\nb@x", "sip:a\0@x", "sip:\x7f@x", "\tsip:a@x"] {
            assert_eq!(McServiceId::new(s), Err(IdError::ControlCharacter), "{s:?}");
        }
    }

    #[test]
    fn mc_system_id_follows_dns_rules() {
        assert!(McSystemId::new("mc-b.example.net").is_ok());
        assert!(McSystemId::new("localhost").is_ok());
        for bad in [
            "-a.example",
            "a-.example",
            "a..example",
            "a.example.",
            "a_b.example",
            "a b",
        ] {
            assert_eq!(
                McSystemId::new(bad),
                Err(IdError::InvalidDomainName),
                "{bad:?}"
            );
        }
        assert_eq!(McSystemId::new(""), Err(IdError::Empty));
        let long_label: StdString = core::iter::repeat_n('a', 64).collect();
        assert_eq!(
            McSystemId::new(&long_label),
            Err(IdError::InvalidDomainName)
        );
        let too_long: StdString = core::iter::repeat_n("abc.", 64).collect();
        assert_eq!(McSystemId::new(&too_long), Err(IdError::TooLong));
    }

    #[test]
    fn kms_uri_needs_a_scheme() {
        assert!(SecurityDomainInfo::new("https://kms.mc-b.example/kms").is_ok());
        for bad in ["kms.mc-b.example", "1http://x", "https:", ""] {
            assert!(KmsUri::new(bad).is_err(), "{bad:?}");
        }
        assert_eq!(KmsUri::new("https://a\nb"), Err(IdError::ControlCharacter));
    }

    #[test]
    fn kms_uri_is_an_rfc_3986_scheme_then_something_without_spaces() {
        for good in ["a:x", "coaps+tcp.v-1://kms/x", "urn:kms:b", "https://k/a:b"] {
            assert_eq!(KmsUri::validate(good), Ok(()), "{good:?}");
        }
        for bad in [
            ":x",
            "1a:x",
            "a:",
            "a: b",
            "a b:x",
            "a_b:x",
            "ab",
            "https://k/a b",
        ] {
            assert_eq!(KmsUri::validate(bad), Err(IdError::InvalidUri), "{bad:?}");
        }
        // A control character outranks a bad shape, wherever it is.
        for bad in ["\u{1}", ":\u{7f}", "a b:\tx"] {
            assert_eq!(
                KmsUri::validate(bad),
                Err(IdError::ControlCharacter),
                "{bad:?}"
            );
        }
    }

    /// The validation rules written out plainly, byte by byte: what the word-at-a-time checks
    /// must agree with, error for error.
    mod reference {
        use super::*;

        fn length(s: &str, capacity: usize) -> Result<(), IdError> {
            if s.is_empty() {
                Err(IdError::Empty)
            } else if s.len() > capacity {
                Err(IdError::TooLong)
            } else if s.bytes().any(|b| b < 0x20 || b == 0x7f) {
                Err(IdError::ControlCharacter)
            } else {
                Ok(())
            }
        }

        pub fn service_id(s: &str) -> Result<(), IdError> {
            length(s, McServiceId::CAPACITY)?;
            let lower = s.to_ascii_lowercase();
            let rest = ["sip:", "sips:", "tel:"]
                .iter()
                .find_map(|scheme| lower.strip_prefix(scheme));
            match rest {
                Some(rest) if !rest.is_empty() && !s.contains(' ') => Ok(()),
                _ => Err(IdError::InvalidUri),
            }
        }

        pub fn system_id(s: &str) -> Result<(), IdError> {
            length(s, McSystemId::CAPACITY)?;
            let label_ok = |l: &str| {
                (1..=63).contains(&l.len())
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            };
            if s.split('.').all(label_ok) {
                Ok(())
            } else {
                Err(IdError::InvalidDomainName)
            }
        }

        pub fn kms_uri(s: &str) -> Result<(), IdError> {
            length(s, KmsUri::CAPACITY)?;
            let ok = match s.split_once(':') {
                Some((scheme, rest)) => {
                    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                        && scheme
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
                        && !rest.is_empty()
                        && !rest.contains(' ')
                }
                None => false,
            };
            if ok {
                Ok(())
            } else {
                Err(IdError::InvalidUri)
            }
        }
    }

    /// Every validator against its reference on `s`.
    fn assert_as_reference(s: &str) {
        assert_eq!(McServiceId::validate(s), reference::service_id(s), "{s:?}");
        assert_eq!(McSystemId::validate(s), reference::system_id(s), "{s:?}");
        assert_eq!(KmsUri::validate(s), reference::kms_uri(s), "{s:?}");
    }

    #[test]
    fn every_control_byte_and_the_space_at_every_position_is_found() {
        for base in [
            "sip:member-0042@mc-a.example",
            "https://kms.mc-b.example/kms",
            "mc-b.example.net",
            "tel:+4930555002",
            "sip:\u{e9}l\u{e8}ve-0042@mc-a.example",
        ] {
            for at in 0..=base.len() {
                if !base.is_char_boundary(at) {
                    continue;
                }
                for b in (0u8..=0x20).chain([0x7f]) {
                    let mut s = StdString::from(&base[..at]);
                    s.push(char::from(b));
                    s.push_str(&base[at..]);
                    assert_as_reference(&s);
                    // In place of the byte there, too.
                    let mut t = StdString::from(&base[..at]);
                    t.push(char::from(b));
                    t.push_str(base.get(at + 1..).unwrap_or(""));
                    assert_as_reference(&t);
                }
            }
        }
    }

    #[test]
    fn the_word_check_flags_every_blank_byte_in_every_lane() {
        for lane in 0..W {
            for b in 0u8..=255 {
                let mut word = [b'a'; W];
                word[lane] = b;
                let blank = b <= 0x20 || b == 0x7f;
                assert!(
                    !blank || may_hold_blank(Word::from_ne_bytes(word)),
                    "byte {b:#04x} in lane {lane}"
                );
            }
        }
        let clean = |bytes: &[u8; 8]| Word::from_ne_bytes(bytes[..W].try_into().unwrap());
        assert!(!may_hold_blank(clean(b"sip:memb")));
        assert!(!may_hold_blank(clean(&[
            0xc3, 0xa9, 0x80, 0xff, 0x7e, 0x21, b'~', 0xfe
        ])));
    }

    proptest::proptest! {
        #[test]
        fn validation_matches_the_reference(
            s in "([sS][iI][pP][sS]?|[tT][eE][lL]|sipp|sip\\x1a|https|a|)[:;]?[a-z0-9@.:+ -]{0,40}",
            noise in proptest::collection::vec((0usize..200, proptest::char::any()), 0..3),
        ) {
            let mut s = s;
            for (at, c) in noise {
                let at = (0..=at.min(s.len())).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
                s.insert(at, c);
            }
            assert_as_reference(&s);
        }

        #[test]
        fn validation_matches_the_reference_on_any_string(s in "\\PC{0,300}|[\\x00-\\x7f]{0,300}") {
            assert_as_reference(&s);
        }
    }

    #[test]
    fn service_kind_round_trips_through_its_wire_value() {
        for kind in ServiceKind::ALL {
            assert_eq!(ServiceKind::from_u8(kind as u8), Some(kind));
        }
        assert_eq!(ServiceKind::from_u8(3), None);
    }

    #[test]
    fn set_replaces_an_identifier_in_place_and_a_rejected_string_changes_nothing() {
        let mut id = McServiceId::new("sip:user1@mc-a.example").unwrap();
        id.set("tel:+4930555002").unwrap();
        assert_eq!(id, "tel:+4930555002");
        assert_eq!(id.set("user1@mc-a.example"), Err(IdError::InvalidUri));
        assert_eq!(id.set(""), Err(IdError::Empty));
        assert_eq!(id, "tel:+4930555002", "unchanged after a failed set");

        let mut system = McSystemId::new("mc-a.example").unwrap();
        system.set("mc-b.example").unwrap();
        assert_eq!(system, "mc-b.example");
        assert_eq!(system.set("-bad.example"), Err(IdError::InvalidDomainName));
        assert_eq!(system, "mc-b.example");

        let mut kms = KmsUri::new("https://kms.mc-a.example/kms").unwrap();
        kms.set("https://kms.mc-b.example/kms").unwrap();
        assert_eq!(kms, "https://kms.mc-b.example/kms");
        let long = std::format!("https://{}", "k".repeat(KmsUri::CAPACITY));
        assert_eq!(kms.set(&long), Err(IdError::TooLong));
        assert_eq!(kms, "https://kms.mc-b.example/kms");
    }

    #[test]
    fn borrowed_ids_are_made_only_by_validation_and_compare_as_their_text() {
        let id = McServiceIdRef::new("sip:a@x").unwrap();
        assert_eq!(id, "sip:a@x");
        assert_eq!(id.as_str(), "sip:a@x");
        assert_eq!(&*id, "sip:a@x");
        assert_eq!(std::format!("{id} {id:?}"), "sip:a@x \"sip:a@x\"");
        let owned = McServiceId::new("sip:a@x").unwrap();
        assert_eq!(id, owned);
        assert_eq!(owned, id);
        assert_eq!(owned.as_borrowed(), id);
        assert_eq!(McServiceId::from(id), owned);
        assert_eq!(McServiceIdRef::new("x"), Err(IdError::InvalidUri));
        assert_eq!(McServiceIdRef::new(""), Err(IdError::Empty));
        assert_eq!(McSystemIdRef::new("a_b"), Err(IdError::InvalidDomainName));
        assert_eq!(McSystemIdRef::new("mc-b.example").unwrap(), "mc-b.example");
        assert_eq!(KmsUriRef::new("no scheme"), Err(IdError::InvalidUri));
        let kms = KmsUri::new("https://k").unwrap();
        assert_eq!(kms.as_borrowed().to_owned_id(), kms);
    }

    #[test]
    fn borrowed_ids_serialise_as_plain_strings_and_other_deserialisers_refuse_invalid_ones() {
        let id = McServiceIdRef::new("sip:a@x").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"sip:a@x\"");
        assert_eq!(
            serde_json::from_str::<McServiceIdRef>("\"sip:a@x\"").unwrap(),
            id
        );
        let refused = serde_json::from_str::<McServiceIdRef>("\"http:a\"").unwrap_err();
        assert!(
            std::string::ToString::to_string(&refused).contains(IdError::InvalidUri.tag()),
            "{refused}"
        );
        assert!(serde_json::from_str::<McSystemIdRef>("\"a_b\"").is_err());
        assert!(serde_json::from_str::<KmsUriRef>("\"\"").is_err());
        // A string the deserialiser cannot lend (it holds an escape) is refused, not copied.
        assert!(serde_json::from_str::<McServiceIdRef>("\"sip:\\u0061@x\"").is_err());
    }

    #[test]
    fn borrowed_ids_in_utf8_text_copy_and_read_from_bytes_unchanged() {
        let text = "sip:j\u{fc}rgen-\u{20ac}-\u{1d11e}@mc-a.example";
        let id = McServiceIdRef::new(text).unwrap();
        assert_eq!(id.to_owned_id().as_str(), text);
        let mut owned = McServiceId::new("tel:1").unwrap();
        owned.set_borrowed(id);
        assert_eq!(owned, id);
        assert_eq!(McServiceIdRef::from_bytes(text.as_bytes()), Ok(id));
        assert_eq!(
            McServiceIdRef::from_bytes(b"sip:\xffx"),
            Err(crate::error::DecodeError::InvalidUtf8)
        );
        assert_eq!(
            McSystemIdRef::from_bytes(b"a_b"),
            Err(crate::error::DecodeError::InvalidField(
                IdError::InvalidDomainName
            ))
        );
    }

    /// What decoding an identifier from the wire must give: UTF-8 first, then the type's rules,
    /// as if the decoder had read a `str` and validated it.
    fn reference(
        bytes: &[u8],
        validate: fn(&str) -> Result<(), IdError>,
    ) -> Result<(), crate::error::DecodeError> {
        use crate::error::DecodeError;
        let s = core::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8)?;
        validate(s).map_err(DecodeError::InvalidField)
    }

    #[test]
    fn the_one_pass_wire_check_agrees_with_utf8_then_validation() {
        use crate::wire_de::decode_exact;
        // Bytes that exercise every branch: blanks, control characters, DEL, bytes that are
        // not ASCII (valid UTF-8 or not), scheme letters; strings shorter and longer than a
        // word, so that both the word scan and the tail are hit.
        const ALPHABET: &[&[u8]] = &[
            b"a",
            b"sip:",
            b"tel:",
            b"sips:",
            b"https:",
            b".",
            b"-",
            b":",
            b" ",
            b"\0",
            b"\x1f",
            b"\x7f",
            "é".as_bytes(),
            b"\xc3",
            b"\xff",
            b"1",
            b"xxxxxxx",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let mut bytes = std::vec::Vec::new();
            for _ in 0..next() % 12 {
                bytes.extend_from_slice(ALPHABET[(next() % ALPHABET.len() as u64) as usize]);
            }
            let mut wire = std::vec![u8::try_from(bytes.len()).unwrap()];
            wire.extend_from_slice(&bytes);
            let expected = reference(&bytes, McServiceId::validate);
            assert_eq!(
                decode_exact::<McServiceIdRef>(&wire).map(|_| ()),
                expected,
                "{bytes:x?}"
            );
            // The serde `Deserialize` (other formats, here postcard's own) checks the same.
            assert_eq!(
                postcard::from_bytes::<McServiceIdRef>(&wire).is_ok(),
                expected.is_ok(),
                "{bytes:x?}"
            );
            assert_eq!(
                decode_exact::<McSystemIdRef>(&wire).map(|_| ()),
                reference(&bytes, McSystemId::validate),
                "{bytes:x?}"
            );
            assert_eq!(
                decode_exact::<KmsUriRef>(&wire).map(|_| ()),
                reference(&bytes, KmsUri::validate),
                "{bytes:x?}"
            );
        }
    }
}
