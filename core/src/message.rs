//! The messages of one complete exchange: the private call request (step 1 and step 5), the
//! private call redirection (Table 10.16.y.2-1, step 3) and the migration update that keeps a
//! migration table current (clause 10.6.3).
//!
//! Each message exists twice: an owned, validated form (`PrivateCallRedirection`, ...) that lives
//! in fixed-capacity storage, and a borrowed view (`PrivateCallRedirectionView<'a>`, ...) whose
//! identifiers ([`McServiceIdRef`], [`McSystemIdRef`], [`KmsUriRef`]) point into the received
//! bytes. Those identifiers exist only validated, so a view is valid by type: the decoder
//! validates each string as it reads it. The views define the wire layout; the owned forms
//! encode through [`as_view`](PrivateCallRedirection::as_view) so both always agree.

use serde::{Deserialize, Serialize};

use crate::error::DecodeError;
use crate::id::{
    KmsUri, KmsUriRef, McServiceId, McServiceIdRef, McSystemId, McSystemIdRef, RedirectionReason,
    SecurityDomainInfo, ServiceKind,
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
    /// IE 2 (M): the target's MC service ID from its primary MC system, before migration. At
    /// the primary system (step 3) it echoes the ID the caller dialled; from a partner system
    /// that no longer serves the user (consecutive migration) it is the ID to call next.
    pub target_primary: McServiceId,
    /// IE 3 (M): the target's MC service ID from the MC system it migrated to. At the primary
    /// system (step 3) it is the ID to call next; from a partner system that no longer serves
    /// the user it echoes the ID the caller dialled there, now stale.
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
    #[serde(borrow)]
    pub kms_uri: KmsUriRef<'a>,
}

/// Borrowed view of [`PrivateCallRequest`]; fields as there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(missing_docs)]
pub struct PrivateCallRequestView<'a> {
    pub service_kind: ServiceKind,
    #[serde(borrow)]
    pub calling_party: McServiceIdRef<'a>,
    #[serde(borrow)]
    pub target: McServiceIdRef<'a>,
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
    #[serde(borrow)]
    pub calling_party: McServiceIdRef<'a>,
    #[serde(borrow)]
    pub target_primary: McServiceIdRef<'a>,
    #[serde(borrow)]
    pub target_migrated: McServiceIdRef<'a>,
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
        #[serde(borrow)]
        primary_id: McServiceIdRef<'a>,
        #[serde(borrow)]
        partner_system: McSystemIdRef<'a>,
        #[serde(borrow)]
        partner_id: McServiceIdRef<'a>,
        #[serde(borrow)]
        security_domain_info: Option<SecurityDomainInfoView<'a>>,
    },
    MovedOn {
        #[serde(borrow)]
        primary_id: McServiceIdRef<'a>,
        #[serde(borrow)]
        partner_system: McSystemIdRef<'a>,
        #[serde(borrow)]
        partner_id: McServiceIdRef<'a>,
        #[serde(borrow)]
        security_domain_info: Option<SecurityDomainInfoView<'a>>,
    },
    Returned {
        #[serde(borrow)]
        primary_id: McServiceIdRef<'a>,
    },
    VisitorRegistered {
        #[serde(borrow)]
        local_id: McServiceIdRef<'a>,
        #[serde(borrow)]
        primary_id: McServiceIdRef<'a>,
        #[serde(borrow)]
        primary_system: McSystemIdRef<'a>,
        #[serde(borrow)]
        primary_security_domain_info: Option<SecurityDomainInfoView<'a>>,
    },
    VisitorDeparted {
        #[serde(borrow)]
        local_id: McServiceIdRef<'a>,
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
        kms_uri: s.kms_uri.as_borrowed(),
    })
}

fn sdi_owned(sdi: &Option<SecurityDomainInfoView<'_>>) -> Option<SecurityDomainInfo> {
    sdi.as_ref().map(|s| SecurityDomainInfo {
        kms_uri: s.kms_uri.to_owned_id(),
    })
}

/// Overwrites `dst` in place with security domain information given by its KMS URI.
pub(crate) fn sdi_write(dst: &mut Option<SecurityDomainInfo>, src: Option<KmsUriRef<'_>>) {
    match src {
        None => *dst = None,
        Some(kms_uri) => dst
            .get_or_insert_with(|| SecurityDomainInfo {
                kms_uri: KmsUri::EMPTY,
            })
            .kms_uri
            .set_validated(kms_uri.as_str()),
    }
}

fn sdi_uri<'a>(sdi: &Option<SecurityDomainInfoView<'a>>) -> Option<KmsUriRef<'a>> {
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
            calling_party: self.calling_party.as_borrowed(),
            target: self.target.as_borrowed(),
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
    /// Copies the view into `dst` in place. Unlike [`to_owned`](Self::to_owned), no second
    /// request is staged on the stack.
    pub fn copy_into(&self, dst: &mut PrivateCallRequest) {
        dst.service_kind = self.service_kind;
        dst.calling_party.set_validated(self.calling_party.as_str());
        dst.target.set_validated(self.target.as_str());
        dst.e2ee_required = self.e2ee_required;
        sdi_write(
            &mut dst.security_domain_info,
            sdi_uri(&self.security_domain_info),
        );
    }

    /// Copies the view into owned storage.
    pub fn to_owned(&self) -> PrivateCallRequest {
        PrivateCallRequest {
            service_kind: self.service_kind,
            calling_party: self.calling_party.to_owned_id(),
            target: self.target.to_owned_id(),
            e2ee_required: self.e2ee_required,
            security_domain_info: sdi_owned(&self.security_domain_info),
        }
    }
}

impl PrivateCallRedirection {
    /// The borrowed view of this redirection.
    pub fn as_view(&self) -> PrivateCallRedirectionView<'_> {
        PrivateCallRedirectionView {
            service_kind: self.service_kind,
            calling_party: self.calling_party.as_borrowed(),
            target_primary: self.target_primary.as_borrowed(),
            target_migrated: self.target_migrated.as_borrowed(),
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
    /// Checks the rule between fields of Table 10.16.y.2-1 (the NOTE: with end-to-end
    /// encryption required, the security domain information is mandatory). The identifiers are
    /// valid by type.
    pub fn validate(&self) -> Result<(), DecodeError> {
        if e2ee_rule_holds(self.e2ee_required, &self.security_domain_info) {
            Ok(())
        } else {
            Err(DecodeError::MissingSecurityDomainInfo)
        }
    }

    /// Copies the view into `dst` in place (the IE rules are not checked: see
    /// [`validate`](Self::validate)). Unlike [`to_owned`](Self::to_owned), no second
    /// redirection is staged on the stack.
    pub fn copy_into(&self, dst: &mut PrivateCallRedirection) {
        dst.service_kind = self.service_kind;
        dst.calling_party.set_validated(self.calling_party.as_str());
        dst.target_primary
            .set_validated(self.target_primary.as_str());
        dst.target_migrated
            .set_validated(self.target_migrated.as_str());
        dst.e2ee_required = self.e2ee_required;
        sdi_write(
            &mut dst.security_domain_info,
            sdi_uri(&self.security_domain_info),
        );
        dst.reason = self.reason;
    }

    /// Copies the view into owned storage (not checking the IE rules: see
    /// [`validate`](Self::validate)).
    pub fn to_owned(&self) -> PrivateCallRedirection {
        PrivateCallRedirection {
            service_kind: self.service_kind,
            calling_party: self.calling_party.to_owned_id(),
            target_primary: self.target_primary.to_owned_id(),
            target_migrated: self.target_migrated.to_owned_id(),
            e2ee_required: self.e2ee_required,
            security_domain_info: sdi_owned(&self.security_domain_info),
            reason: self.reason,
        }
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
                primary_id: primary_id.as_borrowed(),
                partner_system: partner_system.as_borrowed(),
                partner_id: partner_id.as_borrowed(),
                security_domain_info: sdi_view(security_domain_info),
            },
            MigrationUpdate::MovedOn {
                primary_id,
                partner_system,
                partner_id,
                security_domain_info,
            } => MigrationUpdateView::MovedOn {
                primary_id: primary_id.as_borrowed(),
                partner_system: partner_system.as_borrowed(),
                partner_id: partner_id.as_borrowed(),
                security_domain_info: sdi_view(security_domain_info),
            },
            MigrationUpdate::Returned { primary_id } => MigrationUpdateView::Returned {
                primary_id: primary_id.as_borrowed(),
            },
            MigrationUpdate::VisitorRegistered {
                local_id,
                primary_id,
                primary_system,
                primary_security_domain_info,
            } => MigrationUpdateView::VisitorRegistered {
                local_id: local_id.as_borrowed(),
                primary_id: primary_id.as_borrowed(),
                primary_system: primary_system.as_borrowed(),
                primary_security_domain_info: sdi_view(primary_security_domain_info),
            },
            MigrationUpdate::VisitorDeparted { local_id } => MigrationUpdateView::VisitorDeparted {
                local_id: local_id.as_borrowed(),
            },
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
    primary_id: McServiceIdRef<'_>,
    partner_system: McSystemIdRef<'_>,
    partner_id: McServiceIdRef<'_>,
    sdi: &Option<SecurityDomainInfoView<'_>>,
) {
    dst.0.set_validated(primary_id.as_str());
    dst.1.set_validated(partner_system.as_str());
    dst.2.set_validated(partner_id.as_str());
    sdi_write(dst.3, sdi_uri(sdi));
}

impl<'a> MigrationUpdateView<'a> {
    /// The MC service ID this update is keyed by; see [`MigrationUpdate::key`].
    // Not inlined: inlined, each use built a 20 B lookup table of the variants' key fields
    // (restore had eight).
    #[inline(never)]
    pub fn key(&self) -> McServiceIdRef<'a> {
        match *self {
            MigrationUpdateView::Migrated { primary_id, .. }
            | MigrationUpdateView::MovedOn { primary_id, .. }
            | MigrationUpdateView::Returned { primary_id } => primary_id,
            MigrationUpdateView::VisitorRegistered { local_id, .. }
            | MigrationUpdateView::VisitorDeparted { local_id } => local_id,
        }
    }

    /// Copies the view into `dst` in place, switching its kind (through an empty placeholder,
    /// never a whole staged update) when it differs. Unlike [`to_owned`](Self::to_owned), no
    /// second update is staged on the stack.
    pub fn copy_into(&self, dst: &mut MigrationUpdate) {
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
                    p.set_validated(primary_id.as_str());
                } else {
                    *dst = MigrationUpdate::Returned {
                        primary_id: McServiceId::EMPTY,
                    };
                    if let MigrationUpdate::Returned { primary_id: p } = dst {
                        p.set_validated(primary_id.as_str());
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
                    l.set_validated(local_id.as_str());
                    p.set_validated(primary_id.as_str());
                    s.set_validated(primary_system.as_str());
                    sdi_write(d, sdi_uri(primary_security_domain_info));
                }
            }
            MigrationUpdateView::VisitorDeparted { local_id } => {
                if !matches!(dst, MigrationUpdate::VisitorDeparted { .. }) {
                    *dst = MigrationUpdate::VisitorDeparted {
                        local_id: McServiceId::EMPTY,
                    };
                }
                if let MigrationUpdate::VisitorDeparted { local_id: l } = dst {
                    l.set_validated(local_id.as_str());
                }
            }
        }
    }

    /// Copies the view into owned storage.
    pub fn to_owned(&self) -> MigrationUpdate {
        match *self {
            MigrationUpdateView::Migrated {
                primary_id,
                partner_system,
                partner_id,
                ref security_domain_info,
            } => MigrationUpdate::Migrated {
                primary_id: primary_id.to_owned_id(),
                partner_system: partner_system.to_owned_id(),
                partner_id: partner_id.to_owned_id(),
                security_domain_info: sdi_owned(security_domain_info),
            },
            MigrationUpdateView::MovedOn {
                primary_id,
                partner_system,
                partner_id,
                ref security_domain_info,
            } => MigrationUpdate::MovedOn {
                primary_id: primary_id.to_owned_id(),
                partner_system: partner_system.to_owned_id(),
                partner_id: partner_id.to_owned_id(),
                security_domain_info: sdi_owned(security_domain_info),
            },
            MigrationUpdateView::Returned { primary_id } => MigrationUpdate::Returned {
                primary_id: primary_id.to_owned_id(),
            },
            MigrationUpdateView::VisitorRegistered {
                local_id,
                primary_id,
                primary_system,
                ref primary_security_domain_info,
            } => MigrationUpdate::VisitorRegistered {
                local_id: local_id.to_owned_id(),
                primary_id: primary_id.to_owned_id(),
                primary_system: primary_system.to_owned_id(),
                primary_security_domain_info: sdi_owned(primary_security_domain_info),
            },
            MigrationUpdateView::VisitorDeparted { local_id } => MigrationUpdate::VisitorDeparted {
                local_id: local_id.to_owned_id(),
            },
        }
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
    /// Copies the view into `dst` in place, switching its type through a placeholder when it
    /// differs; `dst` may hold another type of message. Unlike [`to_owned`](Self::to_owned), no
    /// second message is staged on the stack.
    pub fn copy_into(&self, dst: &mut Message) {
        match self {
            MessageView::Request(m) => {
                if !matches!(dst, Message::Request(_)) {
                    *dst = Message::Request(PrivateCallRequest::PLACEHOLDER);
                }
                if let Message::Request(d) = dst {
                    m.copy_into(d);
                }
            }
            MessageView::Redirection(m) => {
                if !matches!(dst, Message::Redirection(_)) {
                    *dst = Message::Redirection(PrivateCallRedirection::PLACEHOLDER);
                }
                if let Message::Redirection(d) = dst {
                    m.copy_into(d);
                }
            }
            MessageView::MigrationUpdate(m) => {
                if !matches!(dst, Message::MigrationUpdate(_)) {
                    *dst = Message::PLACEHOLDER;
                }
                if let Message::MigrationUpdate(d) = dst {
                    m.copy_into(d);
                }
            }
        }
    }

    /// Checks the rules between fields (the E2EE NOTE of a redirection); the identifiers are
    /// valid by type.
    pub fn validate(&self) -> Result<(), DecodeError> {
        match self {
            MessageView::Redirection(m) => m.validate(),
            MessageView::Request(_) | MessageView::MigrationUpdate(_) => Ok(()),
        }
    }

    /// Copies the view into owned storage.
    pub fn to_owned(&self) -> Message {
        match self {
            MessageView::Request(m) => Message::Request(m.to_owned()),
            MessageView::Redirection(m) => Message::Redirection(m.to_owned()),
            MessageView::MigrationUpdate(m) => Message::MigrationUpdate(m.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::IdError;
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
                partner_id: id(USER2_AT_C_TEL),
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
                let mut copied = dst.clone();
                source.as_view().copy_into(&mut copied);
                assert_eq!(copied, source);
                assert_eq!(source.as_view().to_owned(), copied);
            }
        }
    }

    #[test]
    fn a_view_holds_only_identifiers_that_passed_validation() {
        // The only ways into a view's identifier fields: validation, or an owned identifier.
        assert_eq!(McServiceIdRef::new("not-a-uri"), Err(IdError::InvalidUri));
        assert_eq!(KmsUriRef::new("no scheme"), Err(IdError::InvalidUri));
        assert_eq!(
            McSystemIdRef::new("bad_system"),
            Err(IdError::InvalidDomainName)
        );
        let view = MigrationUpdateView::VisitorRegistered {
            local_id: McServiceIdRef::new(USER2_AT_B).unwrap(),
            primary_id: McServiceIdRef::new(USER2_PRIMARY).unwrap(),
            primary_system: McSystemIdRef::new(SYSTEM_A).unwrap(),
            primary_security_domain_info: None,
        };
        assert_eq!(view.to_owned(), registered(USER2_AT_B, USER2_PRIMARY, None));
    }

    #[test]
    fn copy_into_of_each_message_type_overwrites_every_field() {
        let source = request(ServiceKind::McdataOneToOne, USER2_AT_C_TEL, false);
        let mut dst = request(ServiceKind::McpttPrivateCall, USER2_PRIMARY, true);
        dst.security_domain_info = Some(sdi(KMS_A));
        source.as_view().copy_into(&mut dst);
        assert_eq!(dst, source);

        let source = redirection();
        let mut dst = PrivateCallRedirection::PLACEHOLDER;
        source.as_view().copy_into(&mut dst);
        assert_eq!(dst, source);

        let source = registered(USER2_AT_B, USER2_PRIMARY, None);
        let mut dst = MigrationUpdate::PLACEHOLDER;
        source.as_view().copy_into(&mut dst);
        assert_eq!(dst, source);
        assert_eq!(source.as_view().key(), *source.key());
    }
}
