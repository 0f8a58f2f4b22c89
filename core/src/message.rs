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
    pub kms_uri: &'a str,
}

/// Borrowed view of [`PrivateCallRequest`]; fields as there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(missing_docs)]
pub struct PrivateCallRequestView<'a> {
    pub service_kind: ServiceKind,
    pub calling_party: &'a str,
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
    pub calling_party: &'a str,
    pub target_primary: &'a str,
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
        primary_id: &'a str,
        partner_system: &'a str,
        partner_id: &'a str,
        #[serde(borrow)]
        security_domain_info: Option<SecurityDomainInfoView<'a>>,
    },
    MovedOn {
        primary_id: &'a str,
        partner_system: &'a str,
        partner_id: &'a str,
        #[serde(borrow)]
        security_domain_info: Option<SecurityDomainInfoView<'a>>,
    },
    Returned {
        primary_id: &'a str,
    },
    VisitorRegistered {
        local_id: &'a str,
        primary_id: &'a str,
        primary_system: &'a str,
        #[serde(borrow)]
        primary_security_domain_info: Option<SecurityDomainInfoView<'a>>,
    },
    VisitorDeparted {
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

fn sdi_view(sdi: &Option<SecurityDomainInfo>) -> Option<SecurityDomainInfoView<'_>> {
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

impl<'a> PrivateCallRequestView<'a> {
    /// Checks every field without copying; what [`decode`](Self::decode) runs on the wire data.
    pub fn validate(&self) -> Result<(), DecodeError> {
        McServiceId::validate(self.calling_party)?;
        McServiceId::validate(self.target)?;
        sdi_check(&self.security_domain_info)?;
        Ok(())
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

impl<'a> PrivateCallRedirectionView<'a> {
    /// Checks every field and the IE rules of Table 10.16.y.2-1 without copying.
    pub fn validate(&self) -> Result<(), DecodeError> {
        McServiceId::validate(self.calling_party)?;
        McServiceId::validate(self.target_primary)?;
        McServiceId::validate(self.target_migrated)?;
        sdi_check(&self.security_domain_info)?;
        if !e2ee_rule_holds(self.e2ee_required, &self.security_domain_info) {
            return Err(DecodeError::MissingSecurityDomainInfo);
        }
        Ok(())
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

impl<'a> MigrationUpdateView<'a> {
    /// Checks every field without copying.
    pub fn validate(&self) -> Result<(), DecodeError> {
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

impl<'a> MessageView<'a> {
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
