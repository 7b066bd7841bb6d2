//! The STS answer reader: takes the few fields freshcreds uses out of an STS XML answer (the
//! credentials of `AssumeRole*`, the caller of `GetCallerIdentity`, the `Code` and `Message` of an
//! error document) and nothing else.
//!
//! An answer comes from a peer that is not always trustworthy (a proxy, an endpoint from the
//! environment), so the reader is bounded by construction, whatever the document:
//!
//! - at most [`MAX_STS_XML_DEPTH`] elements open at once, and at most [`MAX_STS_XML_EVENTS`]
//!   events (tags, texts, comments, …) read; past either the document is refused;
//! - per open element one [`Frame`] (no name, no path), and one text per [`Field`] kept (the
//!   first), so what it retains is at most the document's length (unescaping never lengthens a
//!   text) plus the frame stack;
//! - texts of elements it does not keep are not even unescaped; no entity beyond XML's five and
//!   character references is expanded (quick-xml does not read a DTD), so nothing multiplies.
//!
//! Real answers nest four deep (`AssumeRoleResponse/AssumeRoleResult/Credentials/AccessKeyId`)
//! and have about fifty events; the limits leave room for namespaced or padded variants.

use std::borrow::Cow;
use std::fmt;

use quick_xml::events::Event;
use quick_xml::Reader;
use zeroize::Zeroizing;

/// The deepest element nesting read in an STS answer (real answers nest four deep). A deeper
/// document is refused.
pub(crate) const MAX_STS_XML_DEPTH: usize = 16;
/// The most XML events (start and end tags, empty elements, texts, comments, declarations) read
/// from one STS answer (a real `AssumeRole` answer has about fifty). A longer document is
/// refused.
pub(crate) const MAX_STS_XML_EVENTS: usize = 1024;

/// An element of an STS answer that freshcreds reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    /// `Credentials/AccessKeyId`.
    AccessKeyId,
    /// `Credentials/SecretAccessKey`.
    SecretAccessKey,
    /// `Credentials/SessionToken`.
    SessionToken,
    /// `Credentials/Expiration`.
    Expiration,
    /// `GetCallerIdentityResult/Account`.
    Account,
    /// `GetCallerIdentityResult/Arn`.
    Arn,
    /// `GetCallerIdentityResult/UserId`.
    UserId,
    /// An error document's `Code` (at any depth: `ErrorResponse/Error/Code`, or a proxy's own).
    Code,
    /// An error document's `Message` (at any depth).
    Message,
}

/// The element a [`Field`] must be directly inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parent {
    Credentials,
    CallerIdentity,
    Any,
}

impl Field {
    const ALL: [Field; 9] = [
        Field::AccessKeyId,
        Field::SecretAccessKey,
        Field::SessionToken,
        Field::Expiration,
        Field::Account,
        Field::Arn,
        Field::UserId,
        Field::Code,
        Field::Message,
    ];

    /// The element's local name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Field::AccessKeyId => "AccessKeyId",
            Field::SecretAccessKey => "SecretAccessKey",
            Field::SessionToken => "SessionToken",
            Field::Expiration => "Expiration",
            Field::Account => "Account",
            Field::Arn => "Arn",
            Field::UserId => "UserId",
            Field::Code => "Code",
            Field::Message => "Message",
        }
    }

    /// The element's path as error messages show it (`Credentials/AccessKeyId`, `Code`).
    pub(crate) fn path(self) -> String {
        match self.parent() {
            Parent::Credentials => format!("Credentials/{}", self.name()),
            Parent::CallerIdentity => format!("GetCallerIdentityResult/{}", self.name()),
            Parent::Any => self.name().to_string(),
        }
    }

    fn parent(self) -> Parent {
        match self {
            Field::AccessKeyId
            | Field::SecretAccessKey
            | Field::SessionToken
            | Field::Expiration => Parent::Credentials,
            Field::Account | Field::Arn | Field::UserId => Parent::CallerIdentity,
            Field::Code | Field::Message => Parent::Any,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What the reader keeps about one open element: whether it is a parent of fields, a field, or
/// neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    Credentials,
    CallerIdentity,
    Field(Field),
    Other,
}

impl Frame {
    fn open(parent: Option<Frame>, local_name: &[u8]) -> Frame {
        match local_name {
            b"Credentials" => return Frame::Credentials,
            b"GetCallerIdentityResult" => return Frame::CallerIdentity,
            _ => {}
        }
        Field::ALL
            .into_iter()
            .find(|f| {
                f.name().as_bytes() == local_name
                    && match f.parent() {
                        Parent::Credentials => parent == Some(Frame::Credentials),
                        Parent::CallerIdentity => parent == Some(Frame::CallerIdentity),
                        Parent::Any => true,
                    }
            })
            .map_or(Frame::Other, Frame::Field)
    }
}

/// The fields read from an STS answer. Their texts (a secret key and a session token among them)
/// are zeroized when it is dropped.
#[derive(Default)]
pub(crate) struct StsXml {
    fields: [Option<Zeroizing<String>>; Field::ALL.len()],
    events: usize,
    deepest: usize,
}

impl StsXml {
    /// The text of the first `field` element with text.
    pub(crate) fn get(&self, field: Field) -> Option<&str> {
        self.fields[field.index()].as_deref().map(String::as_str)
    }

    /// How many text bytes are kept (at most the document's length).
    pub(crate) fn retained_bytes(&self) -> usize {
        self.fields.iter().flatten().map(|t| t.len()).sum()
    }

    /// How many events were read (at most [`MAX_STS_XML_EVENTS`]).
    pub(crate) fn events(&self) -> usize {
        self.events
    }

    /// The deepest nesting seen (at most [`MAX_STS_XML_DEPTH`]).
    pub(crate) fn deepest(&self) -> usize {
        self.deepest
    }
}

/// Why an STS answer could not be read. The text never quotes the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum XmlError {
    /// Elements nest deeper than [`MAX_STS_XML_DEPTH`].
    TooDeep,
    /// More than [`MAX_STS_XML_EVENTS`] events.
    TooManyEvents,
    /// Not well-formed XML (the detail says where).
    Malformed(String),
    /// No root element.
    NoRoot,
    /// The document ends inside an element.
    Unclosed,
}

impl XmlError {
    /// Whether the document was refused for exceeding a bound (not for being broken): it is not
    /// an STS answer, whatever the HTTP status.
    pub(crate) fn is_over_limit(&self) -> bool {
        matches!(self, XmlError::TooDeep | XmlError::TooManyEvents)
    }
}

impl fmt::Display for XmlError {
    /// Completes "the answer …".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XmlError::TooDeep => write!(
                f,
                "has elements nested deeper than {MAX_STS_XML_DEPTH} levels, more than any STS answer; refused"
            ),
            XmlError::TooManyEvents => write!(
                f,
                "has more than {MAX_STS_XML_EVENTS} XML events (tags, texts, comments), more than any STS answer; refused"
            ),
            XmlError::Malformed(detail) => write!(f, "is not valid XML ({detail})"),
            XmlError::NoRoot => f.write_str("is not valid XML (no root element)"),
            XmlError::Unclosed => f.write_str("is not valid XML (it ends inside an element)"),
        }
    }
}

/// Reads `text` as an STS answer, within [`MAX_STS_XML_DEPTH`] and [`MAX_STS_XML_EVENTS`].
pub(crate) fn parse(text: &str) -> Result<StsXml, XmlError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    // Never grows: a push past the limit is refused first.
    let mut open: Vec<Frame> = Vec::with_capacity(MAX_STS_XML_DEPTH);
    let mut out = StsXml::default();
    let mut saw_root = false;
    loop {
        let event = reader.read_event().map_err(|e| {
            XmlError::Malformed(format!(
                "malformed at byte {}: {e}",
                reader.error_position()
            ))
        })?;
        if matches!(event, Event::Eof) {
            break;
        }
        out.events += 1;
        if out.events > MAX_STS_XML_EVENTS {
            return Err(XmlError::TooManyEvents);
        }
        match event {
            Event::Start(e) => {
                if open.len() == MAX_STS_XML_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                saw_root = true;
                open.push(Frame::open(open.last().copied(), e.local_name().as_ref()));
                out.deepest = out.deepest.max(open.len());
            }
            Event::Empty(_) => {
                if open.len() == MAX_STS_XML_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                saw_root = true;
                out.deepest = out.deepest.max(open.len() + 1);
            }
            Event::End(_) => {
                open.pop();
            }
            Event::Text(t) => {
                keep_text(
                    &mut out,
                    open.last(),
                    "text",
                    reader.buffer_position(),
                    || t.unescape(),
                )?;
            }
            Event::CData(c) => {
                keep_text(
                    &mut out,
                    open.last(),
                    "CDATA",
                    reader.buffer_position(),
                    || c.decode(),
                )?;
            }
            _ => {}
        }
    }
    if !saw_root {
        return Err(XmlError::NoRoot);
    }
    if !open.is_empty() {
        return Err(XmlError::Unclosed);
    }
    Ok(out)
}

/// Keeps a text or CDATA node (`what`) standing at byte `at` as the value of the field it stands
/// in, the first time only; `decode` runs only then.
fn keep_text<'a, E: fmt::Display>(
    out: &mut StsXml,
    frame: Option<&Frame>,
    what: &str,
    at: u64,
    decode: impl FnOnce() -> Result<Cow<'a, str>, E>,
) -> Result<(), XmlError> {
    if let Some(Frame::Field(field)) = frame {
        let slot = &mut out.fields[field.index()];
        if slot.is_none() {
            let value = decode()
                .map_err(|e| XmlError::Malformed(format!("bad {what} at byte {at}: {e}")))?;
            *slot = Some(Zeroizing::new(value.into_owned()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::sources::http_body::MAX_STS_RESPONSE_BYTES;

    /// How long reading a hostile answer of the largest size read may take (a debug build, a
    /// loaded machine: the bounded reader needs about a millisecond).
    const HOSTILE_PARSE_WITHIN: Duration = Duration::from_millis(250);

    #[test]
    fn a_256_kib_document_of_nested_elements_is_refused_at_the_depth_limit_in_well_under_a_second()
    {
        let doc = "<a>x".repeat(MAX_STS_RESPONSE_BYTES / 4);
        let started = Instant::now();
        let err = parse(&doc).err();
        assert!(
            started.elapsed() < HOSTILE_PARSE_WITHIN,
            "{:?}",
            started.elapsed()
        );
        assert_eq!(err, Some(XmlError::TooDeep));
        assert!(err.unwrap().is_over_limit());
    }

    #[test]
    fn a_document_of_more_events_than_the_limit_is_refused_in_well_under_a_second() {
        for doc in [
            format!("<r>{}</r>", "<b/>".repeat(MAX_STS_RESPONSE_BYTES / 5)),
            format!("<r>{}</r>", "<!---->x".repeat(MAX_STS_RESPONSE_BYTES / 9)),
        ] {
            let started = Instant::now();
            assert_eq!(parse(&doc).err(), Some(XmlError::TooManyEvents));
            assert!(started.elapsed() < HOSTILE_PARSE_WITHIN);
        }
    }

    #[test]
    fn the_limits_let_a_document_at_them_through_and_refuse_one_past_them() {
        let nested = |depth: usize| format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        let at = parse(&nested(MAX_STS_XML_DEPTH)).unwrap();
        assert_eq!(at.deepest(), MAX_STS_XML_DEPTH);
        assert_eq!(
            parse(&nested(MAX_STS_XML_DEPTH + 1)).err(),
            Some(XmlError::TooDeep)
        );
        let empty_at_limit = format!(
            "{}<e/>{}",
            "<a>".repeat(MAX_STS_XML_DEPTH),
            "</a>".repeat(MAX_STS_XML_DEPTH)
        );
        assert_eq!(parse(&empty_at_limit).err(), Some(XmlError::TooDeep));
        // A root element's start and end, and its children: events = 2 + children.
        let flat = |children: usize| format!("<r>{}</r>", "<b/>".repeat(children));
        let at = parse(&flat(MAX_STS_XML_EVENTS - 2)).unwrap();
        assert_eq!(at.events(), MAX_STS_XML_EVENTS);
        assert_eq!(
            parse(&flat(MAX_STS_XML_EVENTS - 1)).err(),
            Some(XmlError::TooManyEvents)
        );
    }

    #[test]
    fn only_the_fields_used_are_kept_and_the_first_of_each_wins() {
        let doc = r#"<?xml version="1.0"?>
<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/r/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
    <AccessKeyId>not-under-credentials</AccessKeyId>
    <Credentials>
      <AccessKeyId>ASIA1</AccessKeyId>
      <SecretAccessKey><![CDATA[se&cret]]></SecretAccessKey>
      <SessionToken>tok&amp;en</SessionToken>
      <Expiration>2030-01-02T03:04:05Z</Expiration>
      <PackedPolicySize>6</PackedPolicySize>
    </Credentials>
    <Credentials><AccessKeyId>ASIA2</AccessKeyId></Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>
</AssumeRoleResponse>"#;
        let x = parse(doc).unwrap();
        assert_eq!(x.get(Field::AccessKeyId), Some("ASIA1"));
        assert_eq!(x.get(Field::SecretAccessKey), Some("se&cret"));
        assert_eq!(x.get(Field::SessionToken), Some("tok&en"));
        assert_eq!(x.get(Field::Expiration), Some("2030-01-02T03:04:05Z"));
        assert_eq!(
            x.get(Field::Arn),
            None,
            "the role's Arn is not the caller's"
        );
        assert_eq!(x.get(Field::Code), None);
        assert_eq!(
            x.retained_bytes(),
            "ASIA1se&crettok&en2030-01-02T03:04:05Z".len()
        );
        let caller = parse(
            "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::1:user/u</Arn>\
             <UserId>AIDA</UserId><Account>1</Account></GetCallerIdentityResult></GetCallerIdentityResponse>",
        )
        .unwrap();
        assert_eq!(caller.get(Field::Arn), Some("arn:aws:iam::1:user/u"));
        assert_eq!(caller.get(Field::UserId), Some("AIDA"));
        assert_eq!(caller.get(Field::Account), Some("1"));
    }

    #[test]
    fn broken_documents_are_errors_that_quote_nothing_of_them() {
        for (doc, want) in [
            ("", XmlError::NoRoot),
            ("<AssumeRoleResponse><AssumeRoleResult>", XmlError::Unclosed),
        ] {
            assert_eq!(parse(doc).err(), Some(want));
        }
        let err = parse("<a><SessionToken>secret-text</SessionToken></c>")
            .err()
            .unwrap();
        assert!(matches!(err, XmlError::Malformed(_)), "{err:?}");
        assert!(!err.to_string().contains("secret-text"), "{err}");
    }
}
