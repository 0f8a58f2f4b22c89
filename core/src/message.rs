//! The messages of one complete exchange: the private call request (step 1 and step 5), the
//! private call redirection (Table 10.16.y.2-1, step 3) and the migration update that keeps a
//! migration table current (clause 10.6.3).
//!
//! Each message exists twice: an owned, validated form (`PrivateCallRedirection`, ...) that lives
//! in fixed-capacity storage, and a borrowed view (`PrivateCallRedirectionView<'a>`, ...) whose
//! strings point into the received bytes. The views define the wire layout; the owned forms
//! encode through [`as_view`](PrivateCallRedirection::as_view) so both always agree.

use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, IdError};
use crate::id::{
    KmsUri, McServiceId, McSystemId, RedirectionReason, SecurityDomainInfo, ServiceKind,
};

/// A request to start a private call (an MCPTT or MCVideo private call, or a one-to-one MCData
/// communication) from the calling MC service client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PrivateCallRequest {
    /// Which private communication this is.
    pub service_kind: ServiceKind,
    /// The MC service ID of the calling party (user 1).
    pub calling_party: McServiceId,
    /// The MC service ID of the called party (user 2): the ID from its primary MC system at step
    /// 1, the ID assigned by the partner MC system at step 5.
    pub target: McServiceId,
    /// Whether the call requires end-to-end encryption.
    pub e2ee_required: bool,
    /// The security domain information of `target`, carried at step 5 when end-to-end encryption
    /// is required ("using the necessary security domain access information"). `None` when
    /// calling an ID of the caller's own security domain.
    pub security_domain_info: Option<SecurityDomainInfo>,
}

/// The private call redirection of Table 10.16.y.2-1, sent by an MC service server to the MC
/// service client initiating a private call towards a migrated MC service user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PrivateCallRedirection {
    /// Which private communication is redirected. Not an IE of the table: the stage 3 protocol
    /// carries it implicitly; on a bare byte link it must travel with the message so the client
    /// can check the redirection belongs to its call.
    pub service_kind: ServiceKind,
    /// IE 1 (M): the MC service ID of the calling party.
    pub calling_party: McServiceId,
    /// IE 2 (M): the target's MC service ID from its primary MC system, before migration.
    pub target_primary: McServiceId,
    /// IE 3 (M): the target's MC service ID from the MC system it migrated to: the ID to call
    /// next. In the consecutive-migration case (a partner system no longer serves the user) this
    /// is the primary ID again, so the caller goes back to the primary system.
    pub target_migrated: McServiceId,
    /// Whether end-to-end encryption is required for the call: echoes the request, and makes
    /// `security_domain_info` mandatory (NOTE under Table 10.16.y.2-1).
    pub e2ee_required: bool,
    /// IE 4 (O; M when end-to-end encryption is required): the security domain information of
    /// `target_migrated`, e.g. its KMS URI.
    pub security_domain_info: Option<SecurityDomainInfo>,
    /// IE 5 (O): the redirection reason.
    pub reason: Option<RedirectionReason>,
}

/// A migration update (clause 10.6.3): what an MC service server learns about users that migrate,
/// applied to its [`MigrationTable`](crate::table::MigrationTable).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MigrationUpdate {
    /// At the primary MC system: the user with `primary_id` migrated to `partner_system`, which
    /// assigned `partner_id`. Creates the record, or replaces an existing one.
    Migrated {
        /// The user's MC service ID at this (the primary) system.
        primary_id: McServiceId,
        /// The partner MC system the user migrated to.
        partner_system: McSystemId,
        /// The MC service ID the partner system assigned.
        partner_id: McServiceId,
        /// The security domain information of `partner_id`, from the user's selected profile
        /// (step 2); needed to redirect calls that require end-to-end encryption.
        security_domain_info: Option<SecurityDomainInfo>,
    },
    /// At the primary MC system: a migrated user moved on from one partner system to another.
    /// Like `Migrated`, but only for a user already recorded as migrated.
    MovedOn {
        /// The user's MC service ID at this (the primary) system.
        primary_id: McServiceId,
        /// The partner MC system the user migrated on to.
        partner_system: McSystemId,
        /// The MC service ID that system assigned.
        partner_id: McServiceId,
        /// The security domain information of `partner_id`.
        security_domain_info: Option<SecurityDomainInfo>,
    },
    /// At the primary MC system: the migrated user returned; calls are served here again.
    Returned {
        /// The user's MC service ID at this (the primary) system.
        primary_id: McServiceId,
    },
    /// At a partner MC system: a user of another (primary) system migrated here and was assigned
    /// `local_id`.
    VisitorRegistered {
        /// The MC service ID this system assigned to the visiting user.
        local_id: McServiceId,
        /// The user's MC service ID at its primary system.
        primary_id: McServiceId,
        /// The user's primary MC system.
        primary_system: McSystemId,
        /// The security domain information of `primary_id`, used when a call that requires
        /// end-to-end encryption must be sent back to the primary system.
        primary_security_domain_info: Option<SecurityDomainInfo>,
    },
    /// At a partner MC system: the visiting user left (migrated on, or returned to its primary
    /// system). The record stays, marked departed, so a stale call is sent home.
    VisitorDeparted {
        /// The MC service ID this system had assigned to the user.
        local_id: McServiceId,
    },
}

/// Any message of the wire format, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Message {
    /// A private call request.
    Request(PrivateCallRequest),
    /// A private call redirection.
    Redirection(PrivateCallRedirection),
    /// A migration update.
    MigrationUpdate(MigrationUpdate),
}

/// Borrowed view of [`SecurityDomainInfo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SecurityDomainInfoView<'a> {
    /// The KMS URI.
    #[serde(deserialize_with = "crate::wire_ser::str", borrow)]
    pub kms_uri: &'a str,
}

/// Borrowed view of [`PrivateCallRequest`]; fields as there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(missing_docs)]
pub struct PrivateCallRequestView<'a> {
    pub service_kind: ServiceKind,
    #[serde(deserialize_with = "crate::wire_ser::str", borrow)]
    pub calling_party: &'a str,
    #[serde(deserialize_with = "crate::wire_ser::str", borrow)]
    pub target: &'a str,
    pub e2ee_required: bool,
    #[serde(borrow)]
    pub security_domain_info: Option<SecurityDomainInfoView<'a>>,
}

/// Borrowed view of [`PrivateCallRedirection`]; fields as there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(missing_docs)]
pub struct PrivateCallRedirectionView<'a> {
    pub service_kind: ServiceKind,
    #[serde(deserialize_with = "crate::wire_ser::str", borrow)]
    pub calling_party: &'a str,
    #[serde(deserialize_with = "crate::wire_ser::str", borrow)]
    pub target_primary: &'a str,
    #[serde(deserialize_with = "crate::wire_ser::str", borrow)]
    pub target_migrated: &'a str,
    pub e2ee_required: bool,
    #[serde(borrow)]
    pub security_domain_info: Option<SecurityDomainInfoView<'a>>,
    pub reason: Option<RedirectionReason>,
}

/// Borrowed view of [`MigrationUpdate`]; variants and fields as there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(missing_docs)]
pub enum MigrationUpdateView<'a> {
    Migrated {
        #[serde(deserialize_with = "crate::wire_ser::str", borrow)]
        primary_id: &'a str,
        #[serde(deserialize_with = "crate::wire_ser::str", borrow)]
        partner_system: &'a str,
        #[serde(deserialize_with = "crate::wire_ser::str", borrow)]
        partner_id: &'a str,
        #[serde(borrow)]
        security_domain_info: Option<SecurityDomainInfoView<'a>>,
    },
    MovedOn {
        #[serde(deserialize_with = "crate::wire_ser::str", borrow)]
        primary_id: &'a str,
        #[serde(deserialize_with = "crate::wire_ser::str", borrow)]
        partner_system: &'a str,
        #[serde(deserialize_with = "crate::wire_ser::str", borrow)]
        partner_id: &'a str,
        #[serde(borrow)]
        security_domain_info: Option<SecurityDomainInfoView<'a>>,
    },
    Returned {
        #[serde(deserialize_with = "crate::wire_ser::str", borrow)]
        primary_id: &'a str,
    },
    VisitorRegistered {
        #[serde(deserialize_with = "crate::wire_ser::str", borrow)]
        local_id: &'a str,
        #[serde(deserialize_with = "crate::wire_ser::str", borrow)]
        primary_id: &'a str,
        #[serde(deserialize_with = "crate::wire_ser::str", borrow)]
        primary_system: &'a str,
        #[serde(borrow)]
        primary_security_domain_info: Option<SecurityDomainInfoView<'a>>,
    },
    VisitorDeparted {
        #[serde(deserialize_with = "crate::wire_ser::str", borrow)]
        local_id: &'a str,
    },
}

/// Any message of the wire format, borrowed from the received bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MessageView<'a> {
    /// A private call request.
    Request(PrivateCallRequestView<'a>),
    /// A private call redirection.
    Redirection(PrivateCallRedirectionView<'a>),
    /// A migration update.
    MigrationUpdate(MigrationUpdateView<'a>),
}

pub(crate) fn sdi_view(sdi: &Option<SecurityDomainInfo>) -> Option<SecurityDomainInfoView<'_>> {
    sdi.as_ref().map(|s| SecurityDomainInfoView {
        kms_uri: s.kms_uri.as_str(),
    })
}

fn sdi_owned<C: Copier>(
    sdi: &Option<SecurityDomainInfoView<'_>>,
) -> Result<Option<SecurityDomainInfo>, C::Error> {
    sdi.as_ref()
        .map(|s| C::kms(s.kms_uri).map(|kms_uri| SecurityDomainInfo { kms_uri }))
        .transpose()
}

/// How a view's strings become owned identifiers: [`Checked`] validates each (the public
/// `to_owned`); [`Validated`] copies strings the decoder has just validated, so a decode to owned
/// storage checks every field once, not twice.
pub(crate) trait Copier {
    /// [`IdError`] when checking, [`Infallible`](core::convert::Infallible) when not.
    type Error;
    fn id(s: &str) -> Result<McServiceId, Self::Error>;
    fn system(s: &str) -> Result<McSystemId, Self::Error>;
    fn kms(s: &str) -> Result<KmsUri, Self::Error>;
}

/// Validates while copying.
pub(crate) struct Checked;

impl Copier for Checked {
    type Error = IdError;
    fn id(s: &str) -> Result<McServiceId, IdError> {
        McServiceId::new(s)
    }
    fn system(s: &str) -> Result<McSystemId, IdError> {
        McSystemId::new(s)
    }
    fn kms(s: &str) -> Result<KmsUri, IdError> {
        KmsUri::new(s)
    }
}

/// Copies fields of a view that `validate` accepted.
pub(crate) struct Validated;

impl Copier for Validated {
    type Error = core::convert::Infallible;
    fn id(s: &str) -> Result<McServiceId, Self::Error> {
        Ok(McServiceId::from_validated(s))
    }
    fn system(s: &str) -> Result<McSystemId, Self::Error> {
        Ok(McSystemId::from_validated(s))
    }
    fn kms(s: &str) -> Result<KmsUri, Self::Error> {
        Ok(KmsUri::from_validated(s))
    }
}

fn sdi_check(sdi: &Option<SecurityDomainInfoView<'_>>) -> Result<(), IdError> {
    sdi.as_ref().map_or(Ok(()), |s| KmsUri::validate(s.kms_uri))
}

/// Overwrites `dst` in place with an already validated security domain information view.
pub(crate) fn sdi_write(dst: &mut Option<SecurityDomainInfo>, src: Option<&str>) {
    match src {
        None => *dst = None,
        Some(kms_uri) => dst
            .get_or_insert_with(|| SecurityDomainInfo {
                kms_uri: KmsUri::EMPTY,
            })
            .kms_uri
            .set_validated(kms_uri),
    }
}

fn sdi_str<'a>(sdi: &Option<SecurityDomainInfoView<'a>>) -> Option<&'a str> {
    sdi.as_ref().map(|s| s.kms_uri)
}

/// The NOTE under Table 10.16.y.2-1: with end-to-end encryption required, the security domain
/// information is mandatory.
pub(crate) fn e2ee_rule_holds<T>(e2ee_required: bool, sdi: &Option<T>) -> bool {
    !e2ee_required || sdi.is_some()
}

impl PrivateCallRequest {
    /// The borrowed view of this request.
    pub fn as_view(&self) -> PrivateCallRequestView<'_> {
        PrivateCallRequestView {
            service_kind: self.service_kind,
            calling_party: self.calling_party.as_str(),
            target: self.target.as_str(),
            e2ee_required: self.e2ee_required,
            security_domain_info: sdi_view(&self.security_domain_info),
        }
    }
}

impl PrivateCallRequest {
    /// A placeholder for storage that [`PrivateCallRequestView::copy_into`] fills next: every
    /// identifier empty. Not a valid request (an encoder would write it, a decoder reject it);
    /// it lets small firmware prepare a destination without building a whole request on the
    /// stack.
    pub const PLACEHOLDER: PrivateCallRequest = PrivateCallRequest {
        service_kind: ServiceKind::McpttPrivateCall,
        calling_party: McServiceId::EMPTY,
        target: McServiceId::EMPTY,
        e2ee_required: false,
        security_domain_info: None,
    };
}

impl<'a> PrivateCallRequestView<'a> {
    /// Checks every field without copying; what [`decode`](Self::decode) runs on the wire data.
    pub fn validate(&self) -> Result<(), DecodeError> {
        Ok(self.check_fields()?)
    }

    fn check_fields(&self) -> Result<(), IdError> {
        McServiceId::validate(self.calling_party)?;
        McServiceId::validate(self.target)?;
        sdi_check(&self.security_domain_info)
    }

    /// Copies the view into `dst` in place, validating every field first (errors as
    /// [`to_owned`](Self::to_owned)). On `Err`, `dst` is unchanged. Unlike `to_owned`, no second
    /// request is staged on the stack.
    pub fn copy_into(&self, dst: &mut PrivateCallRequest) -> Result<(), IdError> {
        self.check_fields()?;
        self.write_validated(dst);
        Ok(())
    }

    /// Overwrites `dst` with a view whose fields were validated.
    pub(crate) fn write_validated(&self, dst: &mut PrivateCallRequest) {
        dst.service_kind = self.service_kind;
        dst.calling_party.set_validated(self.calling_party);
        dst.target.set_validated(self.target);
        dst.e2ee_required = self.e2ee_required;
        sdi_write(
            &mut dst.security_domain_info,
            sdi_str(&self.security_domain_info),
        );
    }

    /// Copies the view into owned storage, validating every field.
    pub fn to_owned(&self) -> Result<PrivateCallRequest, IdError> {
        self.copy::<Checked>()
    }

    /// Copies the view into owned storage with `C`.
    pub(crate) fn copy<C: Copier>(&self) -> Result<PrivateCallRequest, C::Error> {
        Ok(PrivateCallRequest {
            service_kind: self.service_kind,
            calling_party: C::id(self.calling_party)?,
            target: C::id(self.target)?,
            e2ee_required: self.e2ee_required,
            security_domain_info: sdi_owned::<C>(&self.security_domain_info)?,
        })
    }
}

impl PrivateCallRedirection {
    /// The borrowed view of this redirection.
    pub fn as_view(&self) -> PrivateCallRedirectionView<'_> {
        PrivateCallRedirectionView {
            service_kind: self.service_kind,
            calling_party: self.calling_party.as_str(),
            target_primary: self.target_primary.as_str(),
            target_migrated: self.target_migrated.as_str(),
            e2ee_required: self.e2ee_required,
            security_domain_info: sdi_view(&self.security_domain_info),
            reason: self.reason,
        }
    }
}

impl PrivateCallRedirection {
    /// A placeholder for storage that [`PrivateCallRedirectionView::copy_into`] fills next:
    /// every identifier empty. Not a valid redirection (see
    /// [`PrivateCallRequest::PLACEHOLDER`]).
    pub const PLACEHOLDER: PrivateCallRedirection = PrivateCallRedirection {
        service_kind: ServiceKind::McpttPrivateCall,
        calling_party: McServiceId::EMPTY,
        target_primary: McServiceId::EMPTY,
        target_migrated: McServiceId::EMPTY,
        e2ee_required: false,
        security_domain_info: None,
        reason: Some(RedirectionReason::TargetMigrated),
    };
}

impl<'a> PrivateCallRedirectionView<'a> {
    /// Checks every field and the IE rules of Table 10.16.y.2-1 without copying.
    pub fn validate(&self) -> Result<(), DecodeError> {
        self.check_fields()?;
        if !e2ee_rule_holds(self.e2ee_required, &self.security_domain_info) {
            return Err(DecodeError::MissingSecurityDomainInfo);
        }
        Ok(())
    }

    fn check_fields(&self) -> Result<(), IdError> {
        McServiceId::validate(self.calling_party)?;
        McServiceId::validate(self.target_primary)?;
        McServiceId::validate(self.target_migrated)?;
        sdi_check(&self.security_domain_info)
    }

    /// Copies the view into `dst` in place, validating every field first (errors as
    /// [`to_owned`](Self::to_owned); the IE rules are not checked, as there). On `Err`, `dst` is
    /// unchanged. Unlike `to_owned`, no second redirection is staged on the stack.
    pub fn copy_into(&self, dst: &mut PrivateCallRedirection) -> Result<(), IdError> {
        self.check_fields()?;
        self.write_validated(dst);
        Ok(())
    }

    /// Overwrites `dst` with a view whose fields were validated.
    pub(crate) fn write_validated(&self, dst: &mut PrivateCallRedirection) {
        dst.service_kind = self.service_kind;
        dst.calling_party.set_validated(self.calling_party);
        dst.target_primary.set_validated(self.target_primary);
        dst.target_migrated.set_validated(self.target_migrated);
        dst.e2ee_required = self.e2ee_required;
        sdi_write(
            &mut dst.security_domain_info,
            sdi_str(&self.security_domain_info),
        );
        dst.reason = self.reason;
    }

    /// Copies the view into owned storage, validating every field (not the IE rules: see
    /// [`validate`](Self::validate)).
    pub fn to_owned(&self) -> Result<PrivateCallRedirection, IdError> {
        self.copy::<Checked>()
    }

    /// Copies the view into owned storage with `C`.
    pub(crate) fn copy<C: Copier>(&self) -> Result<PrivateCallRedirection, C::Error> {
        Ok(PrivateCallRedirection {
            service_kind: self.service_kind,
            calling_party: C::id(self.calling_party)?,
            target_primary: C::id(self.target_primary)?,
            target_migrated: C::id(self.target_migrated)?,
            e2ee_required: self.e2ee_required,
            security_domain_info: sdi_owned::<C>(&self.security_domain_info)?,
            reason: self.reason,
        })
    }
}

impl MigrationUpdate {
    /// The borrowed view of this update.
    pub fn as_view(&self) -> MigrationUpdateView<'_> {
        match self {
            MigrationUpdate::Migrated {
                primary_id,
                partner_system,
                partner_id,
                security_domain_info,
            } => MigrationUpdateView::Migrated {
                primary_id,
                partner_system,
                partner_id,
                security_domain_info: sdi_view(security_domain_info),
            },
            MigrationUpdate::MovedOn {
                primary_id,
                partner_system,
                partner_id,
                security_domain_info,
            } => MigrationUpdateView::MovedOn {
                primary_id,
                partner_system,
                partner_id,
                security_domain_info: sdi_view(security_domain_info),
            },
            MigrationUpdate::Returned { primary_id } => {
                MigrationUpdateView::Returned { primary_id }
            }
            MigrationUpdate::VisitorRegistered {
                local_id,
                primary_id,
                primary_system,
                primary_security_domain_info,
            } => MigrationUpdateView::VisitorRegistered {
                local_id,
                primary_id,
                primary_system,
                primary_security_domain_info: sdi_view(primary_security_domain_info),
            },
            MigrationUpdate::VisitorDeparted { local_id } => {
                MigrationUpdateView::VisitorDeparted { local_id }
            }
        }
    }

    /// The MC service ID this update is keyed by in a migration table: the primary ID for the
    /// primary-side updates, the locally assigned ID for the partner-side ones.
    pub fn key(&self) -> &McServiceId {
        match self {
            MigrationUpdate::Migrated { primary_id, .. }
            | MigrationUpdate::MovedOn { primary_id, .. }
            | MigrationUpdate::Returned { primary_id } => primary_id,
            MigrationUpdate::VisitorRegistered { local_id, .. }
            | MigrationUpdate::VisitorDeparted { local_id } => local_id,
        }
    }
}

impl MigrationUpdate {
    /// A placeholder for storage that [`MigrationUpdateView::copy_into`] fills next: a
    /// "migrated" with empty IDs and no security domain information. Not a valid update (see
    /// [`PrivateCallRequest::PLACEHOLDER`]).
    pub const PLACEHOLDER: MigrationUpdate = MigrationUpdate::Migrated {
        primary_id: McServiceId::EMPTY,
        partner_system: McSystemId::EMPTY,
        partner_id: McServiceId::EMPTY,
        security_domain_info: None,
    };
}

/// Overwrites the fields of a "migrated" or "moved on" update.
fn write_partner(
    dst: (
        &mut McServiceId,
        &mut McSystemId,
        &mut McServiceId,
        &mut Option<SecurityDomainInfo>,
    ),
    primary_id: &str,
    partner_system: &str,
    partner_id: &str,
    sdi: &Option<SecurityDomainInfoView<'_>>,
) {
    dst.0.set_validated(primary_id);
    dst.1.set_validated(partner_system);
    dst.2.set_validated(partner_id);
    sdi_write(dst.3, sdi_str(sdi));
}

impl<'a> MigrationUpdateView<'a> {
    /// The MC service ID this update is keyed by; see [`MigrationUpdate::key`].
    // Not inlined: inlined, each use built a 20 B lookup table of the variants' key fields
    // (restore had eight).
    #[inline(never)]
    pub fn key(&self) -> &'a str {
        match *self {
            MigrationUpdateView::Migrated { primary_id, .. }
            | MigrationUpdateView::MovedOn { primary_id, .. }
            | MigrationUpdateView::Returned { primary_id } => primary_id,
            MigrationUpdateView::VisitorRegistered { local_id, .. }
            | MigrationUpdateView::VisitorDeparted { local_id } => local_id,
        }
    }

    /// Checks every field without copying.
    pub fn validate(&self) -> Result<(), DecodeError> {
        Ok(self.check_fields()?)
    }

    /// Copies the view into `dst` in place, validating every field first (errors as
    /// [`to_owned`](Self::to_owned)); `dst` may hold another kind of update. On `Err`, `dst` is
    /// unchanged. Unlike `to_owned`, no second update is staged on the stack.
    pub fn copy_into(&self, dst: &mut MigrationUpdate) -> Result<(), IdError> {
        self.check_fields()?;
        self.write_validated(dst);
        Ok(())
    }

    /// Overwrites `dst` with a view whose fields were validated, switching its kind (through an
    /// empty placeholder, never a whole staged update) when it differs.
    pub(crate) fn write_validated(&self, dst: &mut MigrationUpdate) {
        match *self {
            MigrationUpdateView::Migrated {
                primary_id,
                partner_system,
                partner_id,
                ref security_domain_info,
            } => {
                if !matches!(dst, MigrationUpdate::Migrated { .. }) {
                    *dst = MigrationUpdate::PLACEHOLDER;
                }
                if let MigrationUpdate::Migrated {
                    primary_id: p,
                    partner_system: s,
                    partner_id: i,
                    security_domain_info: d,
                } = dst
                {
                    let dst = (p, s, i, d);
                    write_partner(
                        dst,
                        primary_id,
                        partner_system,
                        partner_id,
                        security_domain_info,
                    );
                }
            }
            MigrationUpdateView::MovedOn {
                primary_id,
                partner_system,
                partner_id,
                ref security_domain_info,
            } => {
                if !matches!(dst, MigrationUpdate::MovedOn { .. }) {
                    *dst = MigrationUpdate::MovedOn {
                        primary_id: McServiceId::EMPTY,
                        partner_system: McSystemId::EMPTY,
                        partner_id: McServiceId::EMPTY,
                        security_domain_info: None,
                    };
                }
                if let MigrationUpdate::MovedOn {
                    primary_id: p,
                    partner_system: s,
                    partner_id: i,
                    security_domain_info: d,
                } = dst
                {
                    let dst = (p, s, i, d);
                    write_partner(
                        dst,
                        primary_id,
                        partner_system,
                        partner_id,
                        security_domain_info,
                    );
                }
            }
            MigrationUpdateView::Returned { primary_id } => {
                if let MigrationUpdate::Returned { primary_id: p } = dst {
                    p.set_validated(primary_id);
                } else {
                    *dst = MigrationUpdate::Returned {
                        primary_id: McServiceId::EMPTY,
                    };
                    if let MigrationUpdate::Returned { primary_id: p } = dst {
                        p.set_validated(primary_id);
                    }
                }
            }
            MigrationUpdateView::VisitorRegistered {
                local_id,
                primary_id,
                primary_system,
                ref primary_security_domain_info,
            } => {
                if !matches!(dst, MigrationUpdate::VisitorRegistered { .. }) {
                    *dst = MigrationUpdate::VisitorRegistered {
                        local_id: McServiceId::EMPTY,
                        primary_id: McServiceId::EMPTY,
                        primary_system: McSystemId::EMPTY,
                        primary_security_domain_info: None,
                    };
                }
                if let MigrationUpdate::VisitorRegistered {
                    local_id: l,
                    primary_id: p,
                    primary_system: s,
                    primary_security_domain_info: d,
                } = dst
                {
                    l.set_validated(local_id);
                    p.set_validated(primary_id);
                    s.set_validated(primary_system);
                    sdi_write(d, sdi_str(primary_security_domain_info));
                }
            }
            MigrationUpdateView::VisitorDeparted { local_id } => {
                if !matches!(dst, MigrationUpdate::VisitorDeparted { .. }) {
                    *dst = MigrationUpdate::VisitorDeparted {
                        local_id: McServiceId::EMPTY,
                    };
                }
                if let MigrationUpdate::VisitorDeparted { local_id: l } = dst {
                    l.set_validated(local_id);
                }
            }
        }
    }

    pub(crate) fn check_fields(&self) -> Result<(), IdError> {
        match self {
            MigrationUpdateView::Migrated {
                primary_id,
                partner_system,
                partner_id,
                security_domain_info,
            }
            | MigrationUpdateView::MovedOn {
                primary_id,
                partner_system,
                partner_id,
                security_domain_info,
            } => {
                McServiceId::validate(primary_id)?;
                McSystemId::validate(partner_system)?;
                McServiceId::validate(partner_id)?;
                sdi_check(security_domain_info)?;
            }
            MigrationUpdateView::Returned { primary_id } => McServiceId::validate(primary_id)?,
            MigrationUpdateView::VisitorRegistered {
                local_id,
                primary_id,
                primary_system,
                primary_security_domain_info,
            } => {
                McServiceId::validate(local_id)?;
                McServiceId::validate(primary_id)?;
                McSystemId::validate(primary_system)?;
                sdi_check(primary_security_domain_info)?;
            }
            MigrationUpdateView::VisitorDeparted { local_id } => McServiceId::validate(local_id)?,
        }
        Ok(())
    }

    /// Copies the view into owned storage, validating every field.
    pub fn to_owned(&self) -> Result<MigrationUpdate, IdError> {
        self.copy::<Checked>()
    }

    /// Copies the view into owned storage with `C`.
    pub(crate) fn copy<C: Copier>(&self) -> Result<MigrationUpdate, C::Error> {
        Ok(match self {
            MigrationUpdateView::Migrated {
                primary_id,
                partner_system,
                partner_id,
                security_domain_info,
            } => MigrationUpdate::Migrated {
                primary_id: C::id(primary_id)?,
                partner_system: C::system(partner_system)?,
                partner_id: C::id(partner_id)?,
                security_domain_info: sdi_owned::<C>(security_domain_info)?,
            },
            MigrationUpdateView::MovedOn {
                primary_id,
                partner_system,
                partner_id,
                security_domain_info,
            } => MigrationUpdate::MovedOn {
                primary_id: C::id(primary_id)?,
                partner_system: C::system(partner_system)?,
                partner_id: C::id(partner_id)?,
                security_domain_info: sdi_owned::<C>(security_domain_info)?,
            },
            MigrationUpdateView::Returned { primary_id } => MigrationUpdate::Returned {
                primary_id: C::id(primary_id)?,
            },
            MigrationUpdateView::VisitorRegistered {
                local_id,
                primary_id,
                primary_system,
                primary_security_domain_info,
            } => MigrationUpdate::VisitorRegistered {
                local_id: C::id(local_id)?,
                primary_id: C::id(primary_id)?,
                primary_system: C::system(primary_system)?,
                primary_security_domain_info: sdi_owned::<C>(primary_security_domain_info)?,
            },
            MigrationUpdateView::VisitorDeparted { local_id } => MigrationUpdate::VisitorDeparted {
                local_id: C::id(local_id)?,
            },
        })
    }
}

impl Message {
    /// The borrowed view of this message.
    pub fn as_view(&self) -> MessageView<'_> {
        match self {
            Message::Request(m) => MessageView::Request(m.as_view()),
            Message::Redirection(m) => MessageView::Redirection(m.as_view()),
            Message::MigrationUpdate(m) => MessageView::MigrationUpdate(m.as_view()),
        }
    }
}

impl Message {
    /// A placeholder for storage that [`MessageView::copy_into`] fills next (see
    /// [`PrivateCallRequest::PLACEHOLDER`]): a small firmware writes it into fresh storage
    /// instead of a whole message built on its stack.
    pub const PLACEHOLDER: Message = Message::MigrationUpdate(MigrationUpdate::PLACEHOLDER);
}

impl<'a> MessageView<'a> {
    /// Copies the view into `dst` in place, validating every field first (errors as
    /// [`to_owned`](Self::to_owned)); `dst` may hold another type of message. On `Err`, `dst`
    /// is unchanged. Unlike `to_owned`, no second message is staged on the stack.
    pub fn copy_into(&self, dst: &mut Message) -> Result<(), IdError> {
        match self {
            MessageView::Request(m) => m.check_fields()?,
            MessageView::Redirection(m) => m.check_fields()?,
            MessageView::MigrationUpdate(m) => m.check_fields()?,
        }
        self.write_validated(dst);
        Ok(())
    }

    /// Copies a view whose fields are known to be valid into `dst` in place, as
    /// [`copy_into`](Self::copy_into) does but without checking them again: for a view that
    /// [`decode_message`](crate::wire::decode_message) returned (it validated every field) or
    /// one built from identifiers the caller checked. Cannot fail. A view with invalid fields
    /// gives identifiers that break their types' rules (never a panic or undefined
    /// behaviour): use `copy_into` when in doubt.
    pub fn copy_validated_into(&self, dst: &mut Message) {
        self.write_validated(dst);
    }

    /// Overwrites `dst` with a view whose fields were validated, switching its type through a
    /// placeholder when it differs.
    pub(crate) fn write_validated(&self, dst: &mut Message) {
        match self {
            MessageView::Request(m) => {
                if !matches!(dst, Message::Request(_)) {
                    *dst = Message::Request(PrivateCallRequest::PLACEHOLDER);
                }
                if let Message::Request(d) = dst {
                    m.write_validated(d);
                }
            }
            MessageView::Redirection(m) => {
                if !matches!(dst, Message::Redirection(_)) {
                    *dst = Message::Redirection(PrivateCallRedirection::PLACEHOLDER);
                }
                if let Message::Redirection(d) = dst {
                    m.write_validated(d);
                }
            }
            MessageView::MigrationUpdate(m) => {
                if !matches!(dst, Message::MigrationUpdate(_)) {
                    *dst = Message::PLACEHOLDER;
                }
                if let Message::MigrationUpdate(d) = dst {
                    m.write_validated(d);
                }
            }
        }
    }

    /// Checks every field and IE rule without copying.
    pub fn validate(&self) -> Result<(), DecodeError> {
        match self {
            MessageView::Request(m) => m.validate(),
            MessageView::Redirection(m) => m.validate(),
            MessageView::MigrationUpdate(m) => m.validate(),
        }
    }

    /// Copies the view into owned storage, validating every field.
    pub fn to_owned(&self) -> Result<Message, IdError> {
        Ok(match self {
            MessageView::Request(m) => Message::Request(m.to_owned()?),
            MessageView::Redirection(m) => Message::Redirection(m.to_owned()?),
            MessageView::MigrationUpdate(m) => Message::MigrationUpdate(m.to_owned()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    fn redirection() -> PrivateCallRedirection {
        PrivateCallRedirection {
            service_kind: ServiceKind::McvideoPrivateCall,
            calling_party: id(USER1),
            target_primary: id(USER2_PRIMARY),
            target_migrated: id(USER2_AT_B),
            e2ee_required: true,
            security_domain_info: Some(sdi(KMS_B)),
            reason: Some(RedirectionReason::TargetMigrated),
        }
    }

    fn every_message() -> [Message; 7] {
        [
            Message::Request(request(ServiceKind::McpttPrivateCall, USER2_PRIMARY, true)),
            Message::Redirection(redirection()),
            Message::MigrationUpdate(migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, Some(KMS_B))),
            Message::MigrationUpdate(MigrationUpdate::MovedOn {
                primary_id: id(USER2_PRIMARY),
                partner_system: system(SYSTEM_C),
                partner_id: id(USER2_AT_C),
                security_domain_info: None,
            }),
            Message::MigrationUpdate(MigrationUpdate::Returned {
                primary_id: id(USER2_PRIMARY),
            }),
            Message::MigrationUpdate(registered(USER2_AT_B, USER2_PRIMARY, Some(KMS_A))),
            Message::MigrationUpdate(departed(USER2_AT_B)),
        ]
    }

    #[test]
    fn copy_into_gives_what_to_owned_gives_whatever_the_destination_held() {
        for source in every_message() {
            // From the placeholder and from every other message, of any type.
            let mut destinations = std::vec![Message::PLACEHOLDER];
            destinations.extend(every_message());
            for dst in destinations {
                let mut checked = dst.clone();
                source.as_view().copy_into(&mut checked).unwrap();
                assert_eq!(checked, source);
                assert_eq!(source.as_view().to_owned().unwrap(), checked);
                let mut unchecked = dst;
                source.as_view().copy_validated_into(&mut unchecked);
                assert_eq!(
                    unchecked, source,
                    "copy_validated_into copies as copy_into does"
                );
            }
        }
    }

    #[test]
    fn copy_into_of_an_invalid_view_changes_nothing() {
        let bad = "not-a-uri";
        for before in every_message() {
            let request = request(ServiceKind::McpttPrivateCall, USER2_PRIMARY, false);
            let mut view = request.as_view();
            view.target = bad;
            let mut dst = before.clone();
            assert_eq!(
                MessageView::Request(view).copy_into(&mut dst),
                Err(IdError::InvalidUri)
            );
            assert_eq!(dst, before);

            // The last field is the bad one: nothing before it is written either.
            let owned = redirection();
            let mut view = owned.as_view();
            view.security_domain_info = Some(SecurityDomainInfoView {
                kms_uri: "no scheme",
            });
            assert_eq!(
                MessageView::Redirection(view).copy_into(&mut dst),
                Err(IdError::InvalidUri)
            );
            assert_eq!(dst, before);

            let view = MigrationUpdateView::VisitorRegistered {
                local_id: USER2_AT_B,
                primary_id: USER2_PRIMARY,
                primary_system: "bad_system",
                primary_security_domain_info: None,
            };
            assert_eq!(
                MessageView::MigrationUpdate(view).copy_into(&mut dst),
                Err(IdError::InvalidDomainName)
            );
            assert_eq!(dst, before);
        }
    }

    #[test]
    fn copy_into_of_each_message_type_overwrites_every_field() {
        let source = request(ServiceKind::McdataOneToOne, USER2_AT_C, false);
        let mut dst = request(ServiceKind::McpttPrivateCall, USER2_PRIMARY, true);
        dst.security_domain_info = Some(sdi(KMS_A));
        source.as_view().copy_into(&mut dst).unwrap();
        assert_eq!(dst, source);

        let source = redirection();
        let mut dst = PrivateCallRedirection::PLACEHOLDER;
        source.as_view().copy_into(&mut dst).unwrap();
        assert_eq!(dst, source);
        let mut bad = source.as_view();
        bad.calling_party = "";
        assert_eq!(bad.copy_into(&mut dst), Err(IdError::Empty));
        assert_eq!(dst, source);

        let source = registered(USER2_AT_B, USER2_PRIMARY, None);
        let mut dst = MigrationUpdate::PLACEHOLDER;
        source.as_view().copy_into(&mut dst).unwrap();
        assert_eq!(dst, source);
        assert_eq!(source.as_view().key(), source.key().as_str());
    }
}
