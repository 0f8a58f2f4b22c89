//! The calling MC service client's part of the procedure: steps 1, 3 and 5 of §10.16.5.3 and
//! the consecutive-migration paragraph.

use heapless::Vec;

use crate::error::RedirectionError;
use crate::id::McServiceId;
use crate::log::debug;
use crate::message::{PrivateCallRedirection, PrivateCallRequest};

/// Default cap on redirections of one call.
///
/// The longest chain the specification produces is three redirections: the primary system sends
/// the caller to partner B (step 3); B, which no longer serves the user, sends the caller home
/// (consecutive migration); the primary system sends it on to partner C. A fourth allows for the
/// user moving once more while the caller re-initiates. Anything longer is treated as a fault;
/// genuine loops are caught earlier by the repeated-edge check.
pub const DEFAULT_MAX_REDIRECTIONS: usize = 4;

/// One outgoing private call of a calling MC service client, across its redirections. Fixed
/// size, no heap: up to `MAX_REDIRECTIONS` released target IDs are kept to detect loops.
///
/// ```
/// use mcx_migrate::{client::PrivateCall, McServiceId, PrivateCallRequest, ServiceKind};
/// # fn main() -> Result<(), mcx_migrate::IdError> {
/// let call: PrivateCall = PrivateCall::start(PrivateCallRequest {
///     service_kind: ServiceKind::McpttPrivateCall,
///     calling_party: McServiceId::new("sip:user1@mc-a.example")?,
///     target: McServiceId::new("sip:user2@mc-a.example")?,
///     e2ee_required: false,
///     security_domain_info: None,
/// });
/// assert_eq!(call.request().target.as_str(), "sip:user2@mc-a.example");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PrivateCall<const MAX_REDIRECTIONS: usize = DEFAULT_MAX_REDIRECTIONS> {
    /// The outstanding request.
    request: PrivateCallRequest,
    /// The ID first dialled: the target's primary ID, which every redirection must echo.
    dialled: McServiceId,
    /// The targets released so far, in order; with the current target they form the chain of
    /// redirection edges `released[i] -> released[i + 1] -> ... -> request.target`.
    released: Vec<McServiceId, MAX_REDIRECTIONS>,
}

impl<const MAX_REDIRECTIONS: usize> PrivateCall<MAX_REDIRECTIONS> {
    /// Step 1: starts a call with `request`, whose target is the ID the user dialled (the
    /// target's ID from its primary MC system).
    pub fn start(request: PrivateCallRequest) -> Self {
        Self {
            dialled: request.target.clone(),
            request,
            released: Vec::new(),
        }
    }

    /// The request to send now: the first one, or the one that replaced it after the last
    /// redirection.
    pub fn request(&self) -> &PrivateCallRequest {
        &self.request
    }

    /// The ID first dialled, the target's primary ID.
    pub fn dialled(&self) -> &McServiceId {
        &self.dialled
    }

    /// How many redirections this call has followed.
    pub fn redirections(&self) -> usize {
        self.released.len()
    }

    /// The most redirections this call follows.
    pub const fn max_redirections(&self) -> usize {
        MAX_REDIRECTIONS
    }

    /// Steps 3 and 5: handles a private call redirection received for this call.
    ///
    /// Checks, in this order, that the redirection belongs to the call (same service kind,
    /// calling party is this client, target's primary ID echoes the ID dialled), that it does
    /// not downgrade end-to-end encryption (security domain information present when E2EE is
    /// required), that it does not repeat an earlier redirection (same ID redirected to the same
    /// ID: a loop) and that the call has redirections left. Then it releases the outstanding
    /// request and returns its replacement towards the redirection's ID, carrying the security
    /// domain information when E2EE is required (step 5).
    ///
    /// On `Err` the call is unchanged and the outstanding request stays outstanding.
    pub fn on_redirection(
        &mut self,
        redirection: &PrivateCallRedirection,
    ) -> Result<&PrivateCallRequest, RedirectionError> {
        if redirection.service_kind != self.request.service_kind {
            return Err(RedirectionError::MismatchedServiceKind);
        }
        if redirection.calling_party != self.request.calling_party {
            return Err(RedirectionError::MismatchedCallingParty);
        }
        if redirection.target_primary != self.dialled {
            return Err(RedirectionError::MismatchedTarget);
        }
        if self.request.e2ee_required && redirection.security_domain_info.is_none() {
            return Err(RedirectionError::E2eeDowngrade);
        }
        let from = &self.request.target;
        let to = &redirection.target_migrated;
        if self.follows_edge(from, to) {
            return Err(RedirectionError::RedirectionLoop);
        }
        // Recording the released target is the first change; if there is no room, nothing
        // changed.
        self.released
            .push(from.clone())
            .map_err(|_| RedirectionError::TooManyRedirections)?;
        self.request.target = to.clone();
        self.request.security_domain_info = if self.request.e2ee_required {
            redirection.security_domain_info.clone()
        } else {
            None
        };
        debug!("private call redirection followed");
        Ok(&self.request)
    }

    /// Whether `from -> to` is an edge this call already followed, or a redirection to the ID
    /// just called.
    fn follows_edge(&self, from: &McServiceId, to: &McServiceId) -> bool {
        if from == to {
            return true;
        }
        let mut chain = self.released.iter().chain(core::iter::once(&self.request.target));
        let mut previous = chain.next();
        for next in chain {
            if previous == Some(from) && next == to {
                return true;
            }
            previous = Some(next);
        }
        false
    }
}
