//! The messages of one complete exchange: the private call request (step 1 and step 5), the
//! private call redirection (Table 10.16.y.2-1, step 3) and the migration update that keeps a
//! migration table current (clause 10.6.3).
//!
//! Each message is defined once, here, and borrows its identifiers ([`McServiceIdRef`],
//! [`McSystemIdRef`], [`KmsUriRef`]): a message decoded from the wire
//! points into the received bytes (zero copy), one built by a caller points into the caller's
//! strings. Those identifiers exist only validated (the decoder validates each string as it
//! reads it), so a message is valid by type. The field order of each type is its wire layout
//! (docs/wire-format.md). State that outlives a buffer keeps owned identifiers of its own: the
//! client's call ([`PrivateCall`](crate::client::PrivateCall)) and the migration table.

use serde::{Deserialize, Serialize};

use crate::error::DecodeError;
use crate::id::{
    read_id, IdKind, KmsUriRef, McServiceIdRef, McSystemIdRef, RedirectionReason,
    SecurityDomainInfo, ServiceKind,
};
use crate::wire::MessageType;
use crate::wire_de::{Decode, Reader};
use crate::wire_ser::{Encode, Writer};

/// A request to start a private call (an MCPTT or MCVideo private call, or a one-to-one MCData
/// communication) from the calling MC service client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))] // identifiers borrow from the decoded bytes
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
// On bare metal, `repr(C)`: fields in declared (wire) order, as the decoder's field slots are,
// so building and moving a message takes fewer, wider copies (less flash). Not on hosts, where
// the decoder then reads fields back as wider words right after writing them narrower (a
// store-forwarding stall: decoding took 1.8x postcard alone, against the 1.5x target).
#[cfg_attr(target_os = "none", repr(C))]
pub struct PrivateCallRequest<'a> {
    /// Which private communication this is.
    pub service_kind: ServiceKind,
    /// The MC service ID of the calling party (user 1).
    pub calling_party: McServiceIdRef<'a>,
    /// The MC service ID of the called party (user 2): the ID from its primary MC system at step
    /// 1, the ID assigned by the partner MC system at step 5.
    pub target: McServiceIdRef<'a>,
    /// Whether the call requires end-to-end encryption.
    pub e2ee_required: bool,
    /// The security domain information of `target`, carried at step 5 when end-to-end encryption
    /// is required ("using the necessary security domain access information"). `None` when
    /// calling an ID of the caller's own security domain.
    pub security_domain_info: Option<SecurityDomainInfo<'a>>,
}

/// The private call redirection of Table 10.16.y.2-1, sent by an MC service server to the MC
/// service client initiating a private call towards a migrated MC service user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))] // identifiers borrow from the decoded bytes
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
// On bare metal, `repr(C)`: fields in declared (wire) order, as the decoder's field slots are,
// so building and moving a message takes fewer, wider copies (less flash). Not on hosts, where
// the decoder then reads fields back as wider words right after writing them narrower (a
// store-forwarding stall: decoding took 1.8x postcard alone, against the 1.5x target).
#[cfg_attr(target_os = "none", repr(C))]
pub struct PrivateCallRedirection<'a> {
    /// Which private communication is redirected. Not an IE of the table: the stage 3 protocol
    /// carries it implicitly; on a bare byte link it must travel with the message so the client
    /// can check the redirection belongs to its call.
    pub service_kind: ServiceKind,
    /// IE 1 (M): the MC service ID of the calling party.
    pub calling_party: McServiceIdRef<'a>,
    /// IE 2 (M): the target's MC service ID from its primary MC system, before migration. At
    /// the primary system (step 3) it echoes the ID the caller dialled; from a partner system
    /// that no longer serves the user (consecutive migration) it is the ID to call next.
    pub target_primary: McServiceIdRef<'a>,
    /// IE 3 (M): the target's MC service ID from the MC system it migrated to. At the primary
    /// system (step 3) it is the ID to call next; from a partner system that no longer serves
    /// the user it echoes the ID the caller dialled there, now stale.
    pub target_migrated: McServiceIdRef<'a>,
    /// Whether end-to-end encryption is required for the call: echoes the request, and makes
    /// `security_domain_info` mandatory (NOTE under Table 10.16.y.2-1).
    pub e2ee_required: bool,
    /// IE 4 (O; M when end-to-end encryption is required): the security domain information of
    /// the ID to call next, e.g. its KMS URI.
    pub security_domain_info: Option<SecurityDomainInfo<'a>>,
    /// IE 5 (O): the redirection reason.
    pub reason: Option<RedirectionReason>,
}

/// Where a user of this (primary) MC system is served now: the content of a
/// [`MigrationUpdate::Migrated`] or [`MigrationUpdate::MovedOn`] update, and what the migration
/// table keeps to redirect calls (step 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))] // identifiers borrow from the decoded bytes
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
// On bare metal, `repr(C)`: fields in declared (wire) order, as the decoder's field slots are,
// so building and moving a message takes fewer, wider copies (less flash). Not on hosts, where
// the decoder then reads fields back as wider words right after writing them narrower (a
// store-forwarding stall: decoding took 1.8x postcard alone, against the 1.5x target).
#[cfg_attr(target_os = "none", repr(C))]
pub struct Migration<'a> {
    /// The user's MC service ID at this (the primary) system.
    pub primary_id: McServiceIdRef<'a>,
    /// The partner MC system the user migrated to.
    pub partner_system: McSystemIdRef<'a>,
    /// The MC service ID the partner system assigned.
    pub partner_id: McServiceIdRef<'a>,
    /// The security domain information of `partner_id`, from the user's selected profile
    /// (step 2); needed to redirect calls that require end-to-end encryption.
    pub security_domain_info: Option<SecurityDomainInfo<'a>>,
}

/// A migration update (clause 10.6.3): what an MC service server learns about users that migrate,
/// applied to its [`MigrationTable`](crate::table::MigrationTable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))] // identifiers borrow from the decoded bytes
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
// On bare metal, `repr(C)`: fields in declared (wire) order, as the decoder's field slots are,
// so building and moving a message takes fewer, wider copies (less flash). Not on hosts, where
// the decoder then reads fields back as wider words right after writing them narrower (a
// store-forwarding stall: decoding took 1.8x postcard alone, against the 1.5x target).
#[cfg_attr(target_os = "none", repr(C))]
pub enum MigrationUpdate<'a> {
    /// At the primary MC system: the user migrated to a partner MC system, which assigned it an
    /// MC service ID. Creates the record, or replaces an existing one.
    Migrated(Migration<'a>),
    /// At the primary MC system: a migrated user moved on from one partner system to another.
    /// Like `Migrated`, but only for a user already recorded as migrated.
    MovedOn(Migration<'a>),
    /// At the primary MC system: the migrated user returned; calls are served here again.
    Returned {
        /// The user's MC service ID at this (the primary) system.
        primary_id: McServiceIdRef<'a>,
    },
    /// At a partner MC system: a user of another (primary) system migrated here and was assigned
    /// `local_id`.
    VisitorRegistered {
        /// The MC service ID this system assigned to the visiting user.
        local_id: McServiceIdRef<'a>,
        /// The user's MC service ID at its primary system.
        primary_id: McServiceIdRef<'a>,
        /// The user's primary MC system.
        primary_system: McSystemIdRef<'a>,
        /// The security domain information of `primary_id`, used when a call that requires
        /// end-to-end encryption must be sent back to the primary system.
        primary_security_domain_info: Option<SecurityDomainInfo<'a>>,
    },
    /// At a partner MC system: the visiting user left (migrated on, or returned to its primary
    /// system). The record stays, marked departed, so a stale call is sent home.
    VisitorDeparted {
        /// The MC service ID this system had assigned to the user.
        local_id: McServiceIdRef<'a>,
    },
}

/// Any message of the wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Message<'a> {
    /// A private call request.
    Request(PrivateCallRequest<'a>),
    /// A private call redirection.
    Redirection(PrivateCallRedirection<'a>),
    /// A migration update.
    MigrationUpdate(MigrationUpdate<'a>),
}

// Each struct's wire layout, in one place: its fields in declared order, the order the derived
// `Serialize` writes them (the tests hold both to postcard), each with the shape the decoder
// reads ([`Field`]). From this one list come the encoder (which destructures every field, with
// no `..`: a field added to a struct and not here does not compile) and the decoder's field
// list; the decoder's builder ([`Fields::message`]) names every field of each struct likewise.
macro_rules! wire_struct {
    ($($ty:ident => $list:ident { $($field:ident: [$($shape:expr),+]),* })*) => {$(
        impl Encode for $ty<'_> {
            fn encode(&self, w: &mut Writer<'_>) {
                let Self { $($field),* } = self;
                $(Encode::encode($field, w);)*
            }
        }

        #[doc = concat!("The fields of a [`", stringify!($ty), "`] on the wire, for [`Fields::read`].")]
        const $list: &[Field] = &[$($($shape,)+)*];
    )*};
}

wire_struct! {
    PrivateCallRequest => REQUEST_FIELDS {
        service_kind: [Field::Kind],
        calling_party: [SERVICE_ID],
        target: [SERVICE_ID],
        e2ee_required: [Field::Flag],
        security_domain_info: [Field::Tag, KMS_URI]
    }
    PrivateCallRedirection => REDIRECTION_FIELDS {
        service_kind: [Field::Kind],
        calling_party: [SERVICE_ID],
        target_primary: [SERVICE_ID],
        target_migrated: [SERVICE_ID],
        e2ee_required: [Field::Flag],
        security_domain_info: [Field::Tag, KMS_URI],
        reason: [Field::Tag, Field::Reason]
    }
    Migration => MIGRATION_FIELDS {
        primary_id: [SERVICE_ID],
        partner_system: [SYSTEM_ID],
        partner_id: [SERVICE_ID],
        security_domain_info: [Field::Tag, KMS_URI]
    }
}

/// The shape of one field on the wire. Every message is read by one field reader
/// ([`Fields::read`]) that follows a list of these, instead of one decoder per message type and
/// variant, each with its own calls, error paths and moves.
#[derive(Clone, Copy)]
enum Field {
    /// An identifier string of this kind.
    Id(IdKind),
    /// A [`ServiceKind`]: its index, a varint of at most 2.
    Kind,
    /// A `bool`: one byte, 0 or 1.
    Flag,
    /// An `Option`'s tag: one byte, 0 (absent: the next field is not there) or 1.
    Tag,
    /// A [`RedirectionReason`]: its index, a varint of at most 1.
    Reason,
    /// A migration update's variant index, a varint of at most 4: the fields of that variant
    /// ([`UPDATE_VARIANTS`]) follow.
    Variant,
}

const SERVICE_ID: Field = Field::Id(IdKind::Service);
const SYSTEM_ID: Field = Field::Id(IdKind::System);
const KMS_URI: Field = Field::Id(IdKind::Kms);

/// The fields of a [`MigrationUpdate::VisitorRegistered`] on the wire, in the order its
/// encoder (`impl Encode for MigrationUpdate`) writes them: `local_id`, `primary_id`,
/// `primary_system`, `primary_security_domain_info`.
const VISITOR_FIELDS: &[Field] = &[SERVICE_ID, SERVICE_ID, SYSTEM_ID, Field::Tag, KMS_URI];
/// The one field of a `Returned` or `VisitorDeparted` update: the MC service ID.
const ONE_ID: &[Field] = &[SERVICE_ID];

/// The fields of each migration update variant, by variant index.
const UPDATE_VARIANTS: [&[Field]; 5] = [
    MIGRATION_FIELDS,
    MIGRATION_FIELDS,
    ONE_ID,
    VISITOR_FIELDS,
    ONE_ID,
];

/// A message as [`Fields::read`] read it, before it is built ([`Fields::message`]): what
/// every message type and variant has in common, so that one reader and one builder serve
/// them all.
pub(crate) struct Fields<'a> {
    /// A migration update's variant index (0 to 4); [`REQUEST`] or [`REDIRECTION`] for the
    /// other two types.
    variant: u32,
    /// The identifiers' validated bytes in wire order, a present security domain
    /// information's KMS URI included; empty after the last (an identifier never is).
    ids: [&'a [u8]; 4],
    kind: ServiceKind,
    flag: bool,
    reason: Option<RedirectionReason>,
}

/// [`Fields::variant`] of a private call request: past the migration update's variants.
const REQUEST: u32 = 5;
/// [`Fields::variant`] of a private call redirection.
const REDIRECTION: u32 = 6;

fn id_of(bytes: &[u8]) -> McServiceIdRef<'_> {
    McServiceIdRef::from_validated_bytes(bytes)
}

fn system_of(bytes: &[u8]) -> McSystemIdRef<'_> {
    McSystemIdRef::from_validated_bytes(bytes)
}

/// The security domain information whose KMS URI is `bytes`; `None` when they are empty.
fn sdi_of(bytes: &[u8]) -> Option<SecurityDomainInfo<'_>> {
    (!bytes.is_empty()).then_some(SecurityDomainInfo {
        kms_uri: KmsUriRef::from_validated_bytes(bytes),
    })
}

impl<'a> Fields<'a> {
    /// Nothing read yet.
    pub(crate) const EMPTY: Self = Fields {
        variant: 0,
        ids: [&[], &[], &[], &[]],
        kind: ServiceKind::McpttPrivateCall,
        flag: false,
        reason: None,
    };

    /// Reads the fields of a message of type `ty` (the bytes after its envelope): a migration
    /// update's variant index first, then the fields that message or variant has, each
    /// checked as it is read (so the first bad field decides the error).
    // Inlined off bare metal, where a typed decode then reads its one message type directly
    // and the constant field list unrolls into straight-line code (decoding is benchmarked on
    // hosts).
    #[cfg_attr(not(target_os = "none"), inline(always))]
    pub(crate) fn read(&mut self, r: &mut Reader<'a>, ty: MessageType) -> Result<(), DecodeError> {
        let (variant, shape): (u32, &[Field]) = match ty {
            MessageType::PrivateCallRequest => (REQUEST, REQUEST_FIELDS),
            MessageType::PrivateCallRedirection => (REDIRECTION, REDIRECTION_FIELDS),
            MessageType::MigrationUpdate => (0, &[Field::Variant]),
        };
        self.variant = variant;
        let mut shape = shape.iter();
        let mut ids = self.ids.iter_mut();
        // After an absent option's tag: its value is not on the wire.
        let mut skip = false;
        while let Some(&field) = shape.next() {
            if core::mem::take(&mut skip) {
                continue;
            }
            let kind = match field {
                Field::Id(kind) => kind,
                // Every other field is a number of at most `max`: one byte for a flag or an
                // option's tag, a varint for an index (canonical in one byte too, and read to
                // its end if longer, which may find it truncated before too large).
                _ => {
                    let (max, varint) = match field {
                        Field::Kind => (2, true),
                        Field::Variant => (4, true),
                        Field::Reason => (1, true),
                        _ => (1, false),
                    };
                    let value = if varint {
                        r.u32()?
                    } else {
                        u32::from(r.byte()?)
                    };
                    if value > max {
                        return Err(DecodeError::Malformed);
                    }
                    match field {
                        Field::Kind => {
                            self.kind = match value {
                                0 => ServiceKind::McpttPrivateCall,
                                1 => ServiceKind::McvideoPrivateCall,
                                _ => ServiceKind::McdataOneToOne,
                            }
                        }
                        Field::Flag => self.flag = value == 1,
                        Field::Tag => skip = value == 0,
                        Field::Reason => {
                            self.reason = Some(match value {
                                0 => RedirectionReason::TargetMigrated,
                                _ => RedirectionReason::TargetNoLongerServed,
                            })
                        }
                        _ => {
                            self.variant = value;
                            let fields = UPDATE_VARIANTS.get(value as usize);
                            shape = fields.copied().unwrap_or_default().iter();
                        }
                    }
                    continue;
                }
            };
            let bytes = read_id(r, kind)?;
            if let Some(slot) = ids.next() {
                *slot = bytes;
            }
        }
        Ok(())
    }

    /// The rule between fields a redirection must keep (the NOTE under Table 10.16.y.2-1), as
    /// [`Message::validate`] checks it, before the message is built.
    pub(crate) fn validate(&self) -> Result<(), DecodeError> {
        // A redirection's security domain information is its fourth identifier, empty when
        // absent.
        let [.., kms_uri] = self.ids;
        if self.variant == REDIRECTION && self.flag && kms_uri.is_empty() {
            Err(DecodeError::MissingSecurityDomainInfo)
        } else {
            Ok(())
        }
    }

    /// The content of a "migrated" or "moved on" update, from these fields.
    #[inline(always)]
    fn migration(&self) -> Migration<'a> {
        let [a, b, c, d] = self.ids;
        Migration {
            primary_id: id_of(a),
            partner_system: system_of(b),
            partner_id: id_of(c),
            security_domain_info: sdi_of(d),
        }
    }

    /// The message these fields make.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    pub(crate) fn message(&self) -> Message<'a> {
        let [a, b, c, d] = self.ids;
        let migration = self.migration();
        match self.variant {
            0 => Message::MigrationUpdate(MigrationUpdate::Migrated(migration)),
            1 => Message::MigrationUpdate(MigrationUpdate::MovedOn(migration)),
            2 => Message::MigrationUpdate(MigrationUpdate::Returned {
                primary_id: id_of(a),
            }),
            3 => Message::MigrationUpdate(MigrationUpdate::VisitorRegistered {
                local_id: id_of(a),
                primary_id: id_of(b),
                primary_system: system_of(c),
                primary_security_domain_info: sdi_of(d),
            }),
            4 => Message::MigrationUpdate(MigrationUpdate::VisitorDeparted { local_id: id_of(a) }),
            REQUEST => Message::Request(PrivateCallRequest {
                service_kind: self.kind,
                calling_party: id_of(a),
                target: id_of(b),
                e2ee_required: self.flag,
                security_domain_info: sdi_of(c),
            }),
            _ => Message::Redirection(PrivateCallRedirection {
                service_kind: self.kind,
                calling_party: id_of(a),
                target_primary: id_of(b),
                target_migrated: id_of(c),
                e2ee_required: self.flag,
                security_domain_info: sdi_of(d),
                reason: self.reason,
            }),
        }
    }

    /// The migration update these fields make, when they are one's: what a snapshot's
    /// record holds, without a [`Message`] around it.
    fn update(&self) -> MigrationUpdate<'a> {
        let [a, b, c, d] = self.ids;
        let migration = self.migration();
        match self.variant {
            0 => MigrationUpdate::Migrated(migration),
            1 => MigrationUpdate::MovedOn(migration),
            2 => MigrationUpdate::Returned {
                primary_id: id_of(a),
            },
            3 => MigrationUpdate::VisitorRegistered {
                local_id: id_of(a),
                primary_id: id_of(b),
                primary_system: system_of(c),
                primary_security_domain_info: sdi_of(d),
            },
            _ => MigrationUpdate::VisitorDeparted { local_id: id_of(a) },
        }
    }
}

impl Encode for MigrationUpdate<'_> {
    /// The variant index (a varint, one byte), then the variant's fields.
    fn encode(&self, w: &mut Writer<'_>) {
        w.push(match self {
            MigrationUpdate::Migrated(_) => 0,
            MigrationUpdate::MovedOn(_) => 1,
            MigrationUpdate::Returned { .. } => 2,
            MigrationUpdate::VisitorRegistered { .. } => 3,
            MigrationUpdate::VisitorDeparted { .. } => 4,
        });
        match self {
            MigrationUpdate::Migrated(m) | MigrationUpdate::MovedOn(m) => m.encode(w),
            MigrationUpdate::Returned { primary_id: id }
            | MigrationUpdate::VisitorDeparted { local_id: id } => id.encode(w),
            MigrationUpdate::VisitorRegistered {
                local_id,
                primary_id,
                primary_system,
                primary_security_domain_info,
            } => {
                local_id.encode(w);
                primary_id.encode(w);
                primary_system.encode(w);
                primary_security_domain_info.encode(w);
            }
        }
    }
}

impl<'a> Decode<'a> for MigrationUpdate<'a> {
    /// The variant index (a varint), then the variant's fields.
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let mut fields = Fields::EMPTY;
        fields.read(r, MessageType::MigrationUpdate)?;
        Ok(fields.update())
    }
}

/// The NOTE under Table 10.16.y.2-1: with end-to-end encryption required, the security domain
/// information is mandatory.
pub(crate) fn e2ee_rule_holds<T>(e2ee_required: bool, sdi: &Option<T>) -> bool {
    !e2ee_required || sdi.is_some()
}

impl PrivateCallRedirection<'_> {
    /// Checks the rule between fields of Table 10.16.y.2-1 (the NOTE: with end-to-end
    /// encryption required, the security domain information is mandatory). The identifiers are
    /// valid by type. The decoder refuses a redirection that breaks it, the encoder will not
    /// write one.
    pub fn validate(&self) -> Result<(), DecodeError> {
        if e2ee_rule_holds(self.e2ee_required, &self.security_domain_info) {
            Ok(())
        } else {
            Err(DecodeError::MissingSecurityDomainInfo)
        }
    }
}

impl<'a> MigrationUpdate<'a> {
    /// The MC service ID this update is keyed by in a migration table: the primary ID for the
    /// primary-side updates, the locally assigned ID for the partner-side ones.
    // Not inlined: inlined, each use built a 20 B lookup table of the variants' key fields
    // (restore had eight).
    #[inline(never)]
    pub fn key(&self) -> McServiceIdRef<'a> {
        match *self {
            MigrationUpdate::Migrated(Migration { primary_id, .. })
            | MigrationUpdate::MovedOn(Migration { primary_id, .. })
            | MigrationUpdate::Returned { primary_id } => primary_id,
            MigrationUpdate::VisitorRegistered { local_id, .. }
            | MigrationUpdate::VisitorDeparted { local_id } => local_id,
        }
    }
}

impl Message<'_> {
    /// Checks the rules between fields (the E2EE NOTE of a redirection); the identifiers are
    /// valid by type.
    pub fn validate(&self) -> Result<(), DecodeError> {
        match self {
            Message::Redirection(m) => m.validate(),
            Message::Request(_) | Message::MigrationUpdate(_) => Ok(()),
        }
    }
}

impl<'a> From<PrivateCallRequest<'a>> for Message<'a> {
    fn from(m: PrivateCallRequest<'a>) -> Self {
        Message::Request(m)
    }
}

impl<'a> From<PrivateCallRedirection<'a>> for Message<'a> {
    fn from(m: PrivateCallRedirection<'a>) -> Self {
        Message::Redirection(m)
    }
}

impl<'a> From<MigrationUpdate<'a>> for Message<'a> {
    fn from(m: MigrationUpdate<'a>) -> Self {
        Message::MigrationUpdate(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::IdError;
    use crate::testutil::*;

    #[test]
    fn a_message_holds_only_identifiers_that_passed_validation() {
        // The only ways into a message's identifier fields: validation, or an owned identifier.
        assert_eq!(McServiceIdRef::new("not-a-uri"), Err(IdError::InvalidUri));
        assert_eq!(KmsUriRef::new("no scheme"), Err(IdError::InvalidUri));
        assert_eq!(
            McSystemIdRef::new("bad_system"),
            Err(IdError::InvalidDomainName)
        );
        let update = registered(USER2_AT_B, USER2_PRIMARY, None);
        assert_eq!(update.key().as_str(), USER2_AT_B);
        assert_eq!(departed(USER2_AT_B).key().as_str(), USER2_AT_B);
        assert_eq!(
            migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, None)
                .key()
                .as_str(),
            USER2_PRIMARY
        );
    }

    #[test]
    fn the_e2ee_note_is_checked_on_redirections_only() {
        let mut redirection = PrivateCallRedirection {
            service_kind: ServiceKind::McvideoPrivateCall,
            calling_party: id(USER1),
            target_primary: id(USER2_PRIMARY),
            target_migrated: id(USER2_AT_B),
            e2ee_required: true,
            security_domain_info: Some(sdi(KMS_B)),
            reason: Some(RedirectionReason::TargetMigrated),
        };
        assert_eq!(Message::from(redirection).validate(), Ok(()));
        redirection.security_domain_info = None;
        assert_eq!(
            Message::from(redirection).validate(),
            Err(DecodeError::MissingSecurityDomainInfo)
        );
        let request = request(ServiceKind::McpttPrivateCall, USER2_PRIMARY, true);
        assert_eq!(Message::from(request).validate(), Ok(()));
    }
}
