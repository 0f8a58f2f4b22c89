//! The simulated network of the demonstration: MC systems A (primary), B and C, each with an MC
//! service server holding a migration table, and MC service clients 1 (caller) and 2 (the user
//! who migrates).
//!
//! Every message between two parties is encoded with `mcx_migrate::wire` and decoded again by
//! the receiver, as on a real link: what is printed is decoded from the bytes that travelled.

use mcx_migrate::client::PrivateCall;
use mcx_migrate::server::{decide, Decision, RejectReason};
use mcx_migrate::table::{storage_len, Change, MigrationTable, Record, VisitorState};
use mcx_migrate::wire::{decode_message, encode_frame, MAX_ENCODED_LEN, MAX_FRAME_LEN};
use mcx_migrate::{
    KmsUri, McServiceId, McServiceIdRef, McSystemId, Message, Migration, MigrationUpdate,
    PrivateCallRedirection, PrivateCallRequest, RedirectionError, RedirectionReason,
    SecurityDomainInfo, ServiceKind,
};

use mcx_testkit::fixtures::{NetSystem, NETWORK};

use crate::pcap::{address_of, Packet, BARE_PORT, FRAME_PORT};
use crate::render::{body, message_name, Style};

/// Errors of the simulation itself (never expected: they mean the demonstration is broken).
pub type SimResult<T> = Result<T, String>;

/// Records per migration table: small, as a gateway would configure it.
const TABLE_RECORDS: usize = 16;

/// String bytes a record of the demonstration takes at most (key, the other two IDs and a KMS
/// URI): `sip:visitor-0042@mc-b.example`, `sip:user2@mc-a.example`, `mc-a.example` and
/// `https://kms.mc-a.example/kms` are 91 bytes.
const TABLE_STRING_BYTES: usize = 100;

/// Bytes of storage per migration table: [`TABLE_RECORDS`] records of [`TABLE_STRING_BYTES`].
const TABLE_STORAGE_LEN: usize = storage_len(TABLE_RECORDS, TABLE_STRING_BYTES);

/// Who sends the caller's messages.
pub const CLIENT_1: &str = "MC service client 1";

/// The called user's client, where a call that goes through ends.
pub const CLIENT_2: &str = "MC service client 2";

/// What a note on the chart records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// A server's or client's decision: a migration table check, a redirection followed, a
    /// table updated.
    Decision,
    /// A rejection or a refusal.
    Refusal,
    /// How a call ended.
    Outcome,
    /// What happens meanwhile, outside the messages (pre-conditions, a user migrating on).
    Context,
}

/// One entry of a run's record: every message that crossed a link, with who sent it to whom,
/// and the decisions taken. The text output, the sequence charts and the capture are all drawn
/// from this one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A scenario starts (with a fresh set of MC systems).
    Scenario {
        /// Its `--scenario` name.
        name: &'static str,
        /// Its title.
        title: &'static str,
    },
    /// A message crossed a link.
    Message {
        /// The spec step, as printed.
        step: String,
        /// The sending entity ("MC service client 1", "MC system B", ...).
        from: String,
        /// The receiving entity.
        to: String,
        /// The bytes on the link: the library's encoding of the message.
        bytes: Vec<u8>,
    },
    /// A decision, refusal or outcome, at the entities it concerns.
    Note {
        /// The entities (one, or the two ends of a span).
        over: Vec<String>,
        /// Short text for the chart.
        text: String,
        /// What kind of note.
        kind: NoteKind,
    },
}

/// One MC system and its MC service server.
pub struct System {
    /// "A", "B" or "C".
    pub letter: &'static str,
    /// The MC system identity (its DNS domain).
    pub id: McSystemId,
    /// The KMS URI of its security domain: the security domain information it gives for its
    /// users (owned: migration updates borrow it while they are encoded).
    pub kms: KmsUri,
    /// The MC service server's migration table, over [`TABLE_STORAGE_LEN`] bytes of heap.
    pub table: MigrationTable<Vec<u8>>,
}

impl System {
    /// The security domain information of this system's security domain.
    pub fn sdi(&self) -> SecurityDomainInfo<'_> {
        SecurityDomainInfo {
            kms_uri: self.kms.as_borrowed(),
        }
    }

    /// "MC system B".
    pub fn name(&self) -> String {
        format!("MC system {}", self.letter)
    }
    /// "MC service server B".
    pub fn server(&self) -> String {
        format!("MC service server {}", self.letter)
    }
}

/// How a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// MC service client 2 received the call at this MC system under this ID.
    Connected {
        /// "A", "B" or "C".
        system: &'static str,
        /// The ID the call reached.
        id: String,
    },
    /// A server rejected the call.
    Rejected(RejectReason),
    /// Client 1 refused a redirection; its request stays outstanding and the call fails.
    Refused(RedirectionError),
    /// A server proceeded, but user 2 is not there under that ID.
    Unreachable,
}

/// The answer to one private call request.
pub enum Hop {
    /// Client 1 followed a redirection: call again.
    Redirected,
    /// The call ended.
    Done(Outcome),
}

/// The three MC systems, the caller and the printer.
pub struct Net {
    /// Output styling.
    pub style: Style,
    /// A, B, C.
    pub systems: Vec<System>,
    /// Where MC service client 2 is served now: (index of the system, its ID there).
    pub user2_at: (usize, McServiceId),
    /// Every message and decision of the run, in order.
    pub record: Vec<Entry>,
    /// Print nothing (a chart is printed instead of the text).
    pub quiet: bool,
    seq: usize,
}

pub use mcx_testkit::fixtures::{A, B, C};

/// The users and systems of Fig. 10.16.y.3-1 (plus C for consecutive migration), from the test
/// kit.
pub mod ids {
    pub use mcx_testkit::fixtures::{USER1, USER2_AT_B, USER2_AT_C, USER2_PRIMARY};
}

/// The specification whose private call procedure continues once a server proceeds (step 5:
/// "as described in 3GPP TS 23.379, 3GPP TS 23.281, or 3GPP TS 23.282, respectively").
fn procedures(kind: ServiceKind) -> &'static str {
    match kind {
        ServiceKind::McpttPrivateCall => "TS 23.379",
        ServiceKind::McvideoPrivateCall => "TS 23.281",
        ServiceKind::McdataOneToOne => "TS 23.282",
    }
}

pub(crate) fn id(s: &str) -> SimResult<McServiceIdRef<'_>> {
    McServiceIdRef::new(s).map_err(|e| format!("bad ID {s:?}: {e}"))
}

impl Net {
    /// A, B and C with empty migration tables; user 2 at home in A.
    pub fn new(style: Style) -> SimResult<Self> {
        let system = |s: &NetSystem| -> SimResult<System> {
            Ok(System {
                letter: s.letter,
                id: McSystemId::new(s.domain).map_err(|e| e.to_string())?,
                kms: KmsUri::new(s.kms).map_err(|e| e.to_string())?,
                table: MigrationTable::new(vec![0; TABLE_STORAGE_LEN])
                    .map_err(|e| e.to_string())?,
            })
        };
        Ok(Self {
            style,
            systems: NETWORK.iter().map(system).collect::<SimResult<_>>()?,
            user2_at: (A, id(ids::USER2_PRIMARY)?.to_owned_id()),
            record: Vec::new(),
            quiet: false,
            seq: 0,
        })
    }

    /// Prints one line of the text output, unless quiet.
    pub fn say(&self, line: &str) {
        if !self.quiet {
            println!("{line}");
        }
    }

    /// Records a note for the charts.
    pub fn chart_note(&mut self, over: &[&str], kind: NoteKind, text: impl Into<String>) {
        self.record.push(Entry::Note {
            over: over.iter().map(|s| (*s).to_owned()).collect(),
            text: text.into(),
            kind,
        });
    }

    /// Prints one numbered line of the flow: `  7. [step 3           ] text`.
    pub fn event(&mut self, step: &str, text: &str) {
        self.seq += 1;
        let label = self.style.cyan(&format!("[{step:<17}]"));
        self.say(&format!("{:>4}. {label} {text}", self.seq));
    }

    /// Prints an unnumbered detail under the last event.
    pub fn note(&self, text: &str) {
        self.say(&format!("       {text}"));
    }

    /// Encodes, "transmits" and decodes one message, printing it as received. Returns the bytes.
    pub fn transmit(
        &mut self,
        step: &str,
        from: &str,
        to: &str,
        encoded: &[u8],
    ) -> SimResult<Vec<u8>> {
        let bytes = encoded.to_vec();
        let message =
            decode_message(&bytes).map_err(|e| format!("own message does not decode: {e}"))?;
        let name = self.style.yellow(&message_name(&message));
        self.event(
            step,
            &format!("{from} → {to}: {name}, {} bytes", bytes.len()),
        );
        if !self.quiet {
            print!("{}", body(&self.style, &message, &bytes, "         "));
        }
        self.record.push(Entry::Message {
            step: step.to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
            bytes: bytes.clone(),
        });
        Ok(bytes)
    }

    /// The MC system that owns an ID: routing by the domain of the SIP URI, as a SIP core would.
    /// A private call redirection names no MC system (Table 10.16.y.2-1): the ID is enough.
    fn route(&self, target: McServiceIdRef<'_>) -> SimResult<usize> {
        let domain = target.as_str().rsplit_once('@').map(|(_, d)| d);
        self.systems
            .iter()
            .position(|s| Some(s.id.as_str()) == domain)
            .ok_or_else(|| format!("no MC system serves {}", target.as_str()))
    }

    /// Sends a migration update (clause 10.6.3) as bytes to the server of `to`, which applies it
    /// to its migration table.
    pub fn update(&mut self, from: usize, to: usize, update: MigrationUpdate<'_>) -> SimResult<()> {
        let bytes = encoded(&update)?;
        self.update_bytes(from, to, &bytes)
    }

    /// [`update`](Self::update) of an update already encoded: one that borrows the systems'
    /// identities is encoded before the network changes.
    fn update_bytes(&mut self, from: usize, to: usize, encoded: &[u8]) -> SimResult<()> {
        let server = self.systems[to].server();
        let sender = self.systems[from].name();
        let bytes = self.transmit("clause 10.6.3.3", &sender, &server, encoded)?;
        let received = MigrationUpdate::decode(&bytes).map_err(|e| e.to_string())?;
        let applied = self.systems[to]
            .table
            .apply(&received)
            .map_err(|e| format!("{server} refused the update: {e}"))?;
        let mut change = match applied.change {
            Change::Inserted => "record inserted",
            Change::Replaced => "record replaced",
            Change::Removed => "record removed",
            Change::MarkedDeparted => "record marked departed",
        }
        .to_owned();
        // Eviction is never silent: the oldest departed visitor records made room.
        if applied.evicted > 0 {
            change.push_str(&format!(
                "; {} departed visitor record(s) evicted",
                applied.evicted
            ));
        }
        self.note(&format!("{server} updates its migration table: {change}"));
        self.chart_note(&[&server], NoteKind::Decision, change);
        Ok(())
    }

    /// User 2 migrates from its primary MC system A to partner `to`, which assigns `new_id`.
    /// `with_sdi`: whether A learns the security domain information of the new ID (from the
    /// user profile selected at `to`).
    pub fn migrate(&mut self, to: usize, new_id: &str, with_sdi: bool) -> SimResult<()> {
        let primary = id(ids::USER2_PRIMARY)?;
        let (a, partner) = (&self.systems[A], &self.systems[to]);
        let visitor = MigrationUpdate::VisitorRegistered {
            local_id: id(new_id)?,
            primary_id: primary,
            primary_system: a.id.as_borrowed(),
            primary_security_domain_info: Some(a.sdi()),
        };
        let migrated = MigrationUpdate::Migrated(Migration {
            primary_id: primary,
            partner_system: partner.id.as_borrowed(),
            partner_id: id(new_id)?,
            security_domain_info: with_sdi.then(|| partner.sdi()),
        });
        let (visitor, migrated) = (encoded(&visitor)?, encoded(&migrated)?);
        self.update_bytes(to, to, &visitor)?;
        self.update_bytes(to, A, &migrated)?;
        self.user2_at = (to, id(new_id)?.to_owned_id());
        Ok(())
    }

    /// User 2 moves on from partner `from` (where it was `old_id`) to partner `to` (`new_id`).
    pub fn move_on(&mut self, from: usize, old_id: &str, to: usize, new_id: &str) -> SimResult<()> {
        let primary = id(ids::USER2_PRIMARY)?;
        let (a, partner) = (&self.systems[A], &self.systems[to]);
        let visitor = MigrationUpdate::VisitorRegistered {
            local_id: id(new_id)?,
            primary_id: primary,
            primary_system: a.id.as_borrowed(),
            primary_security_domain_info: Some(a.sdi()),
        };
        let moved_on = MigrationUpdate::MovedOn(Migration {
            primary_id: primary,
            partner_system: partner.id.as_borrowed(),
            partner_id: id(new_id)?,
            security_domain_info: Some(partner.sdi()),
        });
        let (visitor, moved_on) = (encoded(&visitor)?, encoded(&moved_on)?);
        self.update_bytes(to, to, &visitor)?;
        self.update_bytes(to, A, &moved_on)?;
        self.update(
            to,
            from,
            MigrationUpdate::VisitorDeparted {
                local_id: id(old_id)?,
            },
        )?;
        self.user2_at = (to, id(new_id)?.to_owned_id());
        Ok(())
    }

    /// User 2 returns from partner `from` (where it was `old_id`) to its primary MC system A.
    /// `tell_a`: whether A's server receives the "returned" update (false: it is lost).
    pub fn return_home(&mut self, from: usize, old_id: &str, tell_a: bool) -> SimResult<()> {
        let primary = id(ids::USER2_PRIMARY)?;
        if tell_a {
            self.update(
                A,
                A,
                MigrationUpdate::Returned {
                    primary_id: primary,
                },
            )?;
        }
        self.update(
            A,
            from,
            MigrationUpdate::VisitorDeparted {
                local_id: id(old_id)?,
            },
        )?;
        self.user2_at = (A, primary.to_owned_id());
        Ok(())
    }

    /// The spec step of a request: step 1 first, step 5 after a redirection to a partner ID,
    /// and the consecutive-migration request home after a partner sent the caller back.
    fn request_step(call: &PrivateCall, last_reason: Option<RedirectionReason>) -> &'static str {
        match (call.redirections(), last_reason) {
            (0, _) => "step 1",
            (_, Some(RedirectionReason::TargetNoLongerServed)) => "consecutive migr.",
            _ => "step 5",
        }
    }

    /// Client 1 sends its outstanding request (as bytes) to the MC system owning the target.
    /// Returns that system and the bytes on the link.
    pub fn send_request(
        &mut self,
        call: &PrivateCall,
        last_reason: Option<RedirectionReason>,
    ) -> SimResult<(usize, Vec<u8>)> {
        let to = self.route(call.request().target)?;
        let mut buf = [0u8; MAX_ENCODED_LEN];
        let len = call.request().encode(&mut buf).map_err(|e| e.to_string())?;
        let server = self.systems[to].server();
        let step = Self::request_step(call, last_reason);
        let bytes = self.transmit(step, CLIENT_1, &server, &buf[..len])?;
        Ok((to, bytes))
    }

    /// The server of `at` answers the request `bytes` from its migration table; a redirection
    /// travels back to client 1 as bytes.
    pub fn answer(
        &mut self,
        at: usize,
        bytes: &[u8],
        call: &mut PrivateCall,
        last_reason: &mut Option<RedirectionReason>,
    ) -> SimResult<Hop> {
        let request = PrivateCallRequest::decode(bytes).map_err(|e| e.to_string())?;
        self.explain_check(at, &request);
        let server = self.systems[at].server();
        match decide(&self.systems[at].table, &request) {
            Decision::Proceed => {
                let (where_, ref id) = self.user2_at;
                let outcome = if where_ == at && *id == request.target {
                    self.note(&format!(
                        "MC service client 2 is served here as {}",
                        id.as_str()
                    ));
                    Outcome::Connected {
                        system: self.systems[at].letter,
                        id: request.target.as_str().to_owned(),
                    }
                } else {
                    self.note(&format!(
                        "{server}: no MC service user 2 here under that ID"
                    ));
                    let text = "no MC service user 2 here under that ID";
                    self.chart_note(&[&server], NoteKind::Refusal, text);
                    Outcome::Unreachable
                };
                Ok(Hop::Done(outcome))
            }
            Decision::Reject(reason) => {
                let text = format!("{server} rejects the private call: {reason}");
                self.event("step 2 (NOTE)", &self.style.red(&text));
                self.note(&format!(
                    "(RejectReason::{reason:?}: no redirection is sent)"
                ));
                self.chart_note(
                    &[&server],
                    NoteKind::Refusal,
                    format!("rejects the private call: {reason}"),
                );
                Ok(Hop::Done(Outcome::Rejected(reason)))
            }
            Decision::Redirect(redirection) => {
                let step = match redirection.reason {
                    Some(RedirectionReason::TargetNoLongerServed) => "consecutive migr.",
                    _ => "step 3",
                };
                let mut buf = [0u8; MAX_ENCODED_LEN];
                let len = redirection.encode(&mut buf).map_err(|e| e.to_string())?;
                // The redirection borrows the table: done with it before the network changes.
                *last_reason = redirection.reason;
                let wire = self.transmit(step, &server, CLIENT_1, &buf[..len])?;
                self.receive_redirection(&wire, call)
            }
        }
    }

    /// Step 2 (or its consecutive-migration counterpart) in words: what the server finds in its
    /// migration table.
    fn explain_check(&mut self, at: usize, request: &PrivateCallRequest<'_>) {
        let sys = &self.systems[at];
        let server = sys.server();
        let target = request.target.as_str();
        let kind = request.service_kind.id_name();
        let (step, text, short) = match sys.table.lookup(target) {
            Some(Record::MigratedAway(m)) => {
                let partner = self
                    .systems
                    .iter()
                    .find(|s| s.id == m.partner_system)
                    .map_or_else(|| m.partner_system.as_str().to_owned(), System::name);
                let mut short = format!(
                    "migration table: user 2 migrated to {partner} as {}",
                    m.partner_id.as_str()
                );
                let mut text = format!(
                    "{server} checks that MC service user 2 has migrated to {partner} \
                     with the new {kind} {}",
                    m.partner_id.as_str()
                );
                if request.e2ee_required {
                    match &m.security_domain_info {
                        Some(sdi) => {
                            text.push_str(&format!(
                                "; end-to-end encryption required: security domain information \
                                 from the selected user profile: KMS URI {}",
                                sdi.kms_uri.as_str()
                            ));
                            short.push_str(&format!("; E2EE: KMS URI {}", sdi.kms_uri.as_str()));
                        }
                        None => {
                            text.push_str(
                                "; end-to-end encryption required, but the selected user profile \
                                 holds no security domain information",
                            );
                            short.push_str("; E2EE required, no security domain information");
                        }
                    }
                }
                ("step 2", text, short)
            }
            Some(Record::Visiting(v)) if v.state == VisitorState::Departed => (
                "consecutive migr.",
                format!(
                    "{server}: MC service user 2 ({target}) is no longer served here; \
                     its {kind} from its primary MC system is {}",
                    v.primary_id.as_str()
                ),
                format!(
                    "migration table: {target} no longer served here (departed); primary ID {}",
                    v.primary_id.as_str()
                ),
            ),
            Some(Record::Visiting(_)) => (
                procedures(request.service_kind),
                format!(
                    "{server}: {target} is a migrated MC service user present here: the {} proceeds",
                    request.service_kind
                ),
                format!("{target} is a visitor present here: the call proceeds"),
            ),
            None => (
                procedures(request.service_kind),
                format!(
                    "{server}: {target} is not in the migration table: the {} proceeds",
                    request.service_kind
                ),
                format!("{target} is not in the migration table: the call proceeds"),
            ),
        };
        self.event(step, &text);
        self.chart_note(&[&server], NoteKind::Decision, short);
    }

    /// Client 1 decodes a redirection from the link and follows it (steps 3, 5) or refuses it.
    pub fn receive_redirection(&mut self, wire: &[u8], call: &mut PrivateCall) -> SimResult<Hop> {
        let redirection = PrivateCallRedirection::decode(wire).map_err(|e| e.to_string())?;
        let released = call.request().target.as_str().to_owned();
        match call.on_redirection(&redirection) {
            Ok(next) => {
                let sdi = next
                    .security_domain_info
                    .as_ref()
                    .map(|s| format!(", using KMS URI {}", s.kms_uri.as_str()))
                    .unwrap_or_default();
                self.note(&format!(
                    "{CLIENT_1} releases the private call request to {released} and calls {}{sdi}",
                    next.target.as_str()
                ));
                let text = format!(
                    "releases the request to {released}, calls {}{sdi}",
                    next.target.as_str()
                );
                self.chart_note(&[CLIENT_1], NoteKind::Decision, text);
                Ok(Hop::Redirected)
            }
            Err(e) => {
                let text = format!("{CLIENT_1} refuses the private call redirection: {e}");
                self.event("client check", &self.style.red(&text));
                self.note(&format!(
                    "(RedirectionError::{e:?}; the request to {released} stays outstanding)"
                ));
                let text = format!("refuses the redirection: {e}");
                self.chart_note(&[CLIENT_1], NoteKind::Refusal, text);
                Ok(Hop::Done(Outcome::Refused(e)))
            }
        }
    }

    /// Runs `call` to its end: request, answer, and again after each redirection followed.
    /// `between` runs after each redirection, before the next request (to move user 2 while the
    /// caller is being redirected).
    pub fn complete(
        &mut self,
        call: &mut PrivateCall,
        mut between: impl FnMut(&mut Net, usize) -> SimResult<()>,
    ) -> SimResult<Outcome> {
        let mut last_reason = None;
        // More hops than any client allows: the client's cap must end the call first.
        for hop in 0..16 {
            let (at, bytes) = self.send_request(call, last_reason)?;
            match self.answer(at, &bytes, call, &mut last_reason)? {
                Hop::Redirected => between(self, hop)?,
                Hop::Done(outcome) => return Ok(self.result(outcome)),
            }
        }
        Err("the call did not end".into())
    }

    /// Prints how the call ended.
    pub fn result(&mut self, outcome: Outcome) -> Outcome {
        let text = match &outcome {
            Outcome::Connected { system, id } => self.style.green(&format!(
                "=> MC service client 2 receives the call at MC system {system} as {id}"
            )),
            Outcome::Rejected(r) => self.style.red(&format!("=> call rejected ({r:?})")),
            Outcome::Refused(e) => self
                .style
                .red(&format!("=> redirection refused, no call ({e:?})")),
            Outcome::Unreachable => self.style.red("=> MC service user 2 unreachable"),
        };
        self.say(&format!("      {text}"));
        let (over, text) = match &outcome {
            Outcome::Connected { system, id } => (
                CLIENT_2,
                format!("receives the call at MC system {system} as {id}"),
            ),
            Outcome::Rejected(r) => (CLIENT_1, format!("call rejected ({r:?})")),
            Outcome::Refused(e) => (CLIENT_1, format!("redirection refused, no call ({e:?})")),
            Outcome::Unreachable => (CLIENT_1, "MC service user 2 unreachable".to_owned()),
        };
        let kind = match outcome {
            Outcome::Connected { .. } => NoteKind::Outcome,
            _ => NoteKind::Refusal,
        };
        self.chart_note(&[over], kind, text);
        outcome
    }
}

/// The wire bytes of a migration update.
fn encoded(update: &MigrationUpdate<'_>) -> SimResult<Vec<u8>> {
    let mut buf = [0u8; MAX_ENCODED_LEN];
    let len = update.encode(&mut buf).map_err(|e| e.to_string())?;
    Ok(buf[..len].to_vec())
}

/// Whether a link carries COBS frames: a link to or from an MC service client, the handset's
/// end, where messages cross byte links (UART between the application processor and the radio
/// MCU); links between MC systems carry bare messages.
pub fn framed_link(from: &str, to: &str) -> bool {
    [from, to]
        .iter()
        .any(|e| e.starts_with("MC service client"))
}

/// The run's messages as UDP datagrams between the entities' addresses (see [`crate::pcap`]),
/// one millisecond apart: bare messages on [`BARE_PORT`], frames on [`FRAME_PORT`]. The bytes
/// are the library's: the recorded message, or its frame from `wire::encode_frame`.
pub fn capture(record: &[Entry]) -> SimResult<Vec<Packet>> {
    let mut packets = Vec::new();
    for entry in record {
        let Entry::Message {
            from, to, bytes, ..
        } = entry
        else {
            continue;
        };
        let address = |e: &str| address_of(e).ok_or_else(|| format!("no address for {e}"));
        let (payload, port) = if framed_link(from, to) {
            let message = decode_message(bytes).map_err(|e| e.to_string())?;
            let mut buf = [0u8; MAX_FRAME_LEN];
            let len = match &message {
                Message::Request(m) => encode_frame(m, &mut buf),
                Message::Redirection(m) => encode_frame(m, &mut buf),
                Message::MigrationUpdate(m) => encode_frame(m, &mut buf),
            }
            .map_err(|e| e.to_string())?;
            (buf[..len].to_vec(), FRAME_PORT)
        } else {
            (bytes.clone(), BARE_PORT)
        };
        packets.push(Packet {
            micros: 1_000 * packets.len() as u64,
            src: address(from)?,
            dst: address(to)?,
            src_port: port,
            dst_port: port,
            payload,
        });
    }
    Ok(packets)
}
