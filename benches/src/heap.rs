//! The heap-owned private call redirection that an XML or JSON user would decode into: one
//! `String` per field, the service kind and redirection reason as text tokens.

use mcx_migrate::{
    IdError, McServiceIdRef, PrivateCallRedirection, RedirectionReason, SecurityDomainInfo,
    ServiceKind,
};
use serde::{Deserialize, Serialize};

/// The information elements of a private call redirection (Table 10.16.y.2-1) plus the service
/// kind and E2EE flag that [`PrivateCallRedirection`] carries, in heap-owned storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct HeapRedirection {
    /// The service kind as a token ([`kind_token`]).
    pub service_kind: String,
    /// IE 1: the MC service ID of the calling party.
    pub calling_party: String,
    /// IE 2: the target's MC service ID from its primary MC system.
    pub target_primary: String,
    /// IE 3: the target's MC service ID from the partner MC system, the ID to call next.
    pub target_migrated: String,
    /// Whether end-to-end encryption is required.
    pub e2ee_required: bool,
    /// IE 4: the KMS URI of the security domain information, if present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_uri: Option<String>,
    /// IE 5: the redirection reason as a token ([`reason_token`]), if present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The text token of a service kind in the XML and JSON bodies.
pub const fn kind_token(kind: ServiceKind) -> &'static str {
    match kind {
        ServiceKind::McpttPrivateCall => "mcptt-private-call",
        ServiceKind::McvideoPrivateCall => "mcvideo-private-call",
        ServiceKind::McdataOneToOne => "mcdata-one-to-one",
    }
}

/// The text token of a redirection reason in the XML and JSON bodies.
pub const fn reason_token(reason: RedirectionReason) -> &'static str {
    match reason {
        RedirectionReason::TargetMigrated => "target-migrated",
        RedirectionReason::TargetNoLongerServed => "target-no-longer-served",
    }
}

/// Why a [`HeapRedirection`] does not convert back into a [`PrivateCallRedirection`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToCoreError {
    /// The service kind token is unknown.
    UnknownServiceKind,
    /// The redirection reason token is unknown.
    UnknownReason,
    /// An ID or the KMS URI is invalid.
    InvalidField(IdError),
}

impl core::fmt::Display for ToCoreError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ToCoreError::UnknownServiceKind => f.write_str("unknown service kind token"),
            ToCoreError::UnknownReason => f.write_str("unknown redirection reason token"),
            ToCoreError::InvalidField(e) => write!(f, "invalid field: {e}"),
        }
    }
}

impl std::error::Error for ToCoreError {}

impl From<IdError> for ToCoreError {
    fn from(e: IdError) -> Self {
        ToCoreError::InvalidField(e)
    }
}

impl From<&PrivateCallRedirection<'_>> for HeapRedirection {
    fn from(r: &PrivateCallRedirection<'_>) -> Self {
        Self {
            service_kind: kind_token(r.service_kind).to_owned(),
            calling_party: r.calling_party.as_str().to_owned(),
            target_primary: r.target_primary.as_str().to_owned(),
            target_migrated: r.target_migrated.as_str().to_owned(),
            e2ee_required: r.e2ee_required,
            kms_uri: r
                .security_domain_info
                .as_ref()
                .map(|s| s.kms_uri.as_str().to_owned()),
            reason: r.reason.map(|reason| reason_token(reason).to_owned()),
        }
    }
}

impl HeapRedirection {
    /// Converts back, validating every field: proof that a format carried every IE. The
    /// redirection borrows this one's strings.
    pub fn to_core(&self) -> Result<PrivateCallRedirection<'_>, ToCoreError> {
        let service_kind = ServiceKind::ALL
            .into_iter()
            .find(|k| kind_token(*k) == self.service_kind)
            .ok_or(ToCoreError::UnknownServiceKind)?;
        let reason = match &self.reason {
            None => None,
            Some(token) => Some(
                [
                    RedirectionReason::TargetMigrated,
                    RedirectionReason::TargetNoLongerServed,
                ]
                .into_iter()
                .find(|r| reason_token(*r) == token)
                .ok_or(ToCoreError::UnknownReason)?,
            ),
        };
        Ok(PrivateCallRedirection {
            service_kind,
            calling_party: McServiceIdRef::new(&self.calling_party)?,
            target_primary: McServiceIdRef::new(&self.target_primary)?,
            target_migrated: McServiceIdRef::new(&self.target_migrated)?,
            e2ee_required: self.e2ee_required,
            security_domain_info: self
                .kms_uri
                .as_deref()
                .map(SecurityDomainInfo::new)
                .transpose()?,
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::redirection;

    #[test]
    fn heap_redirection_round_trips_every_ie() {
        for with_sdi in [false, true] {
            let r = redirection(with_sdi);
            assert_eq!(HeapRedirection::from(&r).to_core().unwrap(), r);
        }
    }

    #[test]
    fn unknown_tokens_are_errors() {
        let mut h = HeapRedirection::from(&redirection(true));
        h.reason = Some("moved".into());
        assert_eq!(h.to_core(), Err(ToCoreError::UnknownReason));
        h.service_kind = "voice".into();
        assert_eq!(h.to_core(), Err(ToCoreError::UnknownServiceKind));
    }
}
