//! The private call redirection as a stage-3-style XML body, written and parsed with
//! `quick-xml`: what an MCPTT implementation that follows TS 24.379 would put in a SIP message.
//!
//! The body is an `application/vnd.3gpp.mcptt-info+xml` document in the
//! `urn:3gpp:ns:mcpttInfo:1.0` namespace. The calling party and the target's primary ID sit where
//! stage 3 puts them (`<mcptt-calling-user-id>` and `<mcptt-called-party-id>`, each with its
//! `<mcpttURI>`); the IEs that stage 3 does not define yet (the ID assigned by the partner
//! system, the E2EE flag, the security domain information, the redirection reason and the
//! service kind) go under `<anyExt>`, the schema's extension point. No indentation: the compact
//! form, the fairest to XML.
//!
//! ```xml
//! <?xml version="1.0" encoding="UTF-8"?>
//! <mcpttinfo xmlns="urn:3gpp:ns:mcpttInfo:1.0"><mcptt-Params>
//!   <mcptt-calling-user-id type="Normal"><mcpttURI>sip:user1@mc-a.example</mcpttURI></mcptt-calling-user-id>
//!   <mcptt-called-party-id type="Normal"><mcpttURI>sip:member-0042@mc-a.example</mcpttURI></mcptt-called-party-id>
//!   <anyExt>
//!     <mcptt-migrated-party-id type="Normal"><mcpttURI>sip:visitor-0042@mc-b.example</mcpttURI></mcptt-migrated-party-id>
//!     <e2ee-required>true</e2ee-required>
//!     <security-domain-info><kms-uri>https://kms.mc-b.example/kms</kms-uri></security-domain-info>
//!     <redirection-reason>target-migrated</redirection-reason>
//!     <service-kind>mcptt-private-call</service-kind>
//!   </anyExt>
//! </mcptt-Params></mcpttinfo>
//! ```

use std::io;

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::{Reader, Writer};

use crate::heap::HeapRedirection;

/// The MIME type of the body (TS 24.379 Annex F.1).
pub const CONTENT_TYPE: &str = "application/vnd.3gpp.mcptt-info+xml";
/// The XML namespace of the body.
pub const NAMESPACE: &str = "urn:3gpp:ns:mcpttInfo:1.0";

/// Why a body does not parse.
#[derive(Debug)]
pub enum XmlError {
    /// Not well-formed XML, as `quick-xml` reports it.
    Xml(quick_xml::Error),
    /// The root element is not `<mcpttinfo>`.
    UnexpectedRoot,
    /// A mandatory element is missing; its name.
    Missing(&'static str),
    /// `<e2ee-required>` is neither `true`, `false`, `1` nor `0`.
    BadBoolean,
    /// An entity reference other than the five predefined ones or a character reference.
    UnknownEntity,
}

impl core::fmt::Display for XmlError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            XmlError::Xml(e) => write!(f, "XML: {e}"),
            XmlError::UnexpectedRoot => f.write_str("root element is not <mcpttinfo>"),
            XmlError::Missing(name) => write!(f, "missing <{name}>"),
            XmlError::BadBoolean => f.write_str("<e2ee-required> is not a boolean"),
            XmlError::UnknownEntity => f.write_str("unknown entity reference"),
        }
    }
}

impl std::error::Error for XmlError {}

impl From<quick_xml::Error> for XmlError {
    fn from(e: quick_xml::Error) -> Self {
        XmlError::Xml(e)
    }
}

/// `<parent type="Normal"><mcpttURI>uri</mcpttURI></parent>`, the stage 3 shape of an MC
/// service ID.
fn write_uri_element(w: &mut Writer<&mut Vec<u8>>, parent: &str, uri: &str) -> io::Result<()> {
    w.create_element(parent)
        .with_attribute(("type", "Normal"))
        .write_inner_content(|w| {
            w.create_element("mcpttURI")
                .write_text_content(BytesText::new(uri))?;
            Ok(())
        })?;
    Ok(())
}

/// Appends the XML body of `r` to `out` (a reused buffer: clear it first). Text is escaped.
pub fn write(r: &HeapRedirection, out: &mut Vec<u8>) -> io::Result<()> {
    let mut w = Writer::new(out);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("mcpttinfo")
        .with_attribute(("xmlns", NAMESPACE))
        .write_inner_content(|w| {
            w.create_element("mcptt-Params").write_inner_content(|w| {
                write_uri_element(w, "mcptt-calling-user-id", &r.calling_party)?;
                write_uri_element(w, "mcptt-called-party-id", &r.target_primary)?;
                w.create_element("anyExt").write_inner_content(|w| {
                    write_uri_element(w, "mcptt-migrated-party-id", &r.target_migrated)?;
                    w.create_element("e2ee-required")
                        .write_text_content(BytesText::new(if r.e2ee_required {
                            "true"
                        } else {
                            "false"
                        }))?;
                    if let Some(kms_uri) = &r.kms_uri {
                        w.create_element("security-domain-info")
                            .write_inner_content(|w| {
                                w.create_element("kms-uri")
                                    .write_text_content(BytesText::new(kms_uri))?;
                                Ok(())
                            })?;
                    }
                    if let Some(reason) = &r.reason {
                        w.create_element("redirection-reason")
                            .write_text_content(BytesText::new(reason))?;
                    }
                    w.create_element("service-kind")
                        .write_text_content(BytesText::new(&r.service_kind))?;
                    Ok(())
                })?;
                Ok(())
            })?;
            Ok(())
        })?;
    Ok(())
}

/// The element whose `<mcpttURI>` is being read.
#[derive(Clone, Copy)]
enum UriParent {
    Calling,
    Called,
    Migrated,
}

/// The leaf element whose text is being collected.
#[derive(Clone, Copy)]
enum Leaf {
    Uri(UriParent),
    KmsUri,
    E2ee,
    Reason,
    Kind,
}

/// Parses an XML body into heap-owned strings. Entity and character references in text are
/// resolved; unknown elements are skipped, as `<anyExt>` demands of a receiver.
pub fn parse(bytes: &[u8]) -> Result<HeapRedirection, XmlError> {
    let mut reader = Reader::from_reader(bytes);
    let mut root_seen = false;
    let mut parent = None;
    let mut leaf = None;
    let mut text = String::new();
    let (mut kind, mut calling, mut called, mut migrated) = (None, None, None, None);
    let (mut e2ee, mut kms_uri, mut reason) = (None, None, None);
    loop {
        match reader.read_event()? {
            Event::Start(e) => {
                let name = e.local_name();
                if !root_seen {
                    if name.as_ref() != "mcpttinfo" {
                        return Err(XmlError::UnexpectedRoot);
                    }
                    root_seen = true;
                    continue;
                }
                match name.as_ref() {
                    "mcptt-calling-user-id" => parent = Some(UriParent::Calling),
                    "mcptt-called-party-id" => parent = Some(UriParent::Called),
                    "mcptt-migrated-party-id" => parent = Some(UriParent::Migrated),
                    "mcpttURI" => leaf = parent.map(Leaf::Uri),
                    "kms-uri" => leaf = Some(Leaf::KmsUri),
                    "e2ee-required" => leaf = Some(Leaf::E2ee),
                    "redirection-reason" => leaf = Some(Leaf::Reason),
                    "service-kind" => leaf = Some(Leaf::Kind),
                    _ => {}
                }
                text.clear();
            }
            Event::Text(t) if leaf.is_some() => text.push_str(&t.xml10_content()),
            Event::CData(t) if leaf.is_some() => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if leaf.is_some() => match r.resolve_char_ref() {
                Ok(Some(c)) => text.push(c),
                Ok(None) => text.push_str(
                    quick_xml::escape::resolve_predefined_entity(&r)
                        .ok_or(XmlError::UnknownEntity)?,
                ),
                Err(e) => return Err(XmlError::Xml(e)),
            },
            Event::End(_) => {
                if let Some(done) = leaf.take() {
                    let value = std::mem::take(&mut text);
                    match done {
                        Leaf::Uri(UriParent::Calling) => calling = Some(value),
                        Leaf::Uri(UriParent::Called) => called = Some(value),
                        Leaf::Uri(UriParent::Migrated) => migrated = Some(value),
                        Leaf::KmsUri => kms_uri = Some(value),
                        Leaf::E2ee => {
                            e2ee = Some(match value.trim() {
                                "true" | "1" => true,
                                "false" | "0" => false,
                                _ => return Err(XmlError::BadBoolean),
                            })
                        }
                        Leaf::Reason => reason = Some(value),
                        Leaf::Kind => kind = Some(value),
                    }
                } else {
                    parent = None;
                }
            }
            Event::Empty(e) if !root_seen && e.local_name().as_ref() != "mcpttinfo" => {
                return Err(XmlError::UnexpectedRoot)
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(HeapRedirection {
        service_kind: kind.ok_or(XmlError::Missing("service-kind"))?,
        calling_party: calling.ok_or(XmlError::Missing("mcptt-calling-user-id"))?,
        target_primary: called.ok_or(XmlError::Missing("mcptt-called-party-id"))?,
        target_migrated: migrated.ok_or(XmlError::Missing("mcptt-migrated-party-id"))?,
        e2ee_required: e2ee.ok_or(XmlError::Missing("e2ee-required"))?,
        kms_uri,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::redirection;

    fn body(r: &HeapRedirection) -> Vec<u8> {
        let mut out = Vec::new();
        write(r, &mut out).unwrap();
        out
    }

    #[test]
    fn xml_body_carries_every_ie_of_the_redirection() {
        for with_sdi in [false, true] {
            let r = redirection(with_sdi);
            let parsed = parse(&body(&HeapRedirection::from(&r))).unwrap();
            assert_eq!(parsed.to_core().unwrap(), r);
        }
    }

    #[test]
    fn xml_body_is_stage_3_shaped() {
        let text = String::from_utf8(body(&HeapRedirection::from(&redirection(true)))).unwrap();
        assert!(text.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><mcpttinfo xmlns="urn:3gpp:ns:mcpttInfo:1.0"><mcptt-Params><mcptt-calling-user-id type="Normal"><mcpttURI>sip:user1@mc-a.example</mcpttURI></mcptt-calling-user-id><mcptt-called-party-id type="Normal"><mcpttURI>"#), "{text}");
        assert!(text.contains("<anyExt><mcptt-migrated-party-id"), "{text}");
        assert!(
            text.ends_with("</anyExt></mcptt-Params></mcpttinfo>"),
            "{text}"
        );
    }

    #[test]
    fn text_with_markup_characters_round_trips_escaped() {
        let mut h = HeapRedirection::from(&redirection(true));
        h.kms_uri = Some("https://kms.example/k?a=1&b=<2>".into());
        let bytes = body(&h);
        assert!(std::str::from_utf8(&bytes)
            .unwrap()
            .contains("a=1&amp;b=&lt;2&gt;"));
        assert_eq!(parse(&bytes).unwrap(), h);
    }

    #[test]
    fn indented_input_and_character_references_parse() {
        let doc = "<?xml version=\"1.0\"?>\n<mcpttinfo xmlns=\"urn:3gpp:ns:mcpttInfo:1.0\">\n <mcptt-Params>\n  <mcptt-calling-user-id type=\"Normal\"><mcpttURI>sip:&#x61;@x</mcpttURI></mcptt-calling-user-id>\n  <mcptt-called-party-id><mcpttURI>sip:b@x</mcpttURI></mcptt-called-party-id>\n  <anyExt><unknown-ie>skip me</unknown-ie><mcptt-migrated-party-id><mcpttURI>sip:c@y</mcpttURI></mcptt-migrated-party-id><e2ee-required>0</e2ee-required><service-kind>mcptt-private-call</service-kind></anyExt>\n </mcptt-Params>\n</mcpttinfo>\n";
        let h = parse(doc.as_bytes()).unwrap();
        assert_eq!(h.calling_party, "sip:a@x");
        assert_eq!(h.target_migrated, "sip:c@y");
        assert!(!h.e2ee_required);
        assert_eq!(h.kms_uri, None);
    }

    #[test]
    fn wrong_root_and_missing_ies_are_errors() {
        assert!(matches!(parse(b"<other/>"), Err(XmlError::UnexpectedRoot)));
        assert!(matches!(
            parse(b"<other></other>"),
            Err(XmlError::UnexpectedRoot)
        ));
        assert!(matches!(
            parse(b"<mcpttinfo></mcpttinfo>"),
            Err(XmlError::Missing(_))
        ));
        assert!(matches!(
            parse(b"<mcpttinfo><e2ee-required>yes</e2ee-required></mcpttinfo>"),
            Err(XmlError::BadBoolean)
        ));
        assert!(matches!(
            parse(b"<mcpttinfo><kms-uri>&nbsp;</kms-uri></mcpttinfo>"),
            Err(XmlError::UnknownEntity)
        ));
    }
}
