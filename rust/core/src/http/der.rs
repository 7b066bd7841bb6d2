//! Just enough DER to name a certificate's issuer and subject in an error message: the
//! `CN`, `OU`, `O` and `C` attributes of the two names of `tbsCertificate` (RFC 5280 4.1). Every
//! read is bounds-checked; anything unexpected gives `None`, never a panic.

/// A certificate's issuer and subject, as `CN=…, O=…` (`None` when it cannot be read).
pub(crate) fn names(cert: &[u8]) -> Option<(String, String)> {
    let (tag, cert, _) = tlv(cert)?;
    if tag != SEQUENCE {
        return None;
    }
    let (tag, mut tbs, _) = tlv(cert)?;
    if tag != SEQUENCE {
        return None;
    }
    let mut next = || -> Option<(u8, &[u8])> {
        let (tag, value, rest) = tlv(tbs)?;
        tbs = rest;
        Some((tag, value))
    };
    let (mut tag, _) = next()?;
    if tag == VERSION {
        (tag, _) = next()?;
    }
    if tag != INTEGER {
        return None;
    }
    let (_signature, _) = next()?;
    let (tag, issuer) = next()?;
    if tag != SEQUENCE {
        return None;
    }
    let (_validity, _) = next()?;
    let (tag, subject) = next()?;
    if tag != SEQUENCE {
        return None;
    }
    Some((name(issuer)?, name(subject)?))
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const OID: u8 = 0x06;
/// `[0] EXPLICIT Version`.
const VERSION: u8 = 0xa0;
/// The longest attribute value shown.
const MAX_VALUE_CHARS: usize = 64;

/// The attributes shown, most specific first: (OID body after `2.5.4`, label).
const SHOWN: [(u8, &str); 4] = [(3, "CN"), (11, "OU"), (10, "O"), (6, "C")];

/// `Name ::= SEQUENCE OF SET OF AttributeTypeAndValue`, as `CN=…, O=…`.
fn name(mut rdns: &[u8]) -> Option<String> {
    let mut found: Vec<(usize, String)> = Vec::new();
    while !rdns.is_empty() {
        let (tag, mut set, rest) = tlv(rdns)?;
        rdns = rest;
        if tag != SET {
            return None;
        }
        while !set.is_empty() {
            let (tag, atv, rest) = tlv(set)?;
            set = rest;
            if tag != SEQUENCE {
                return None;
            }
            let (tag, oid, value) = tlv(atv)?;
            if tag != OID {
                return None;
            }
            let (value_tag, value, _) = tlv(value)?;
            if let [0x55, 0x04, attr] = oid {
                if let Some(rank) = SHOWN.iter().position(|(a, _)| a == attr) {
                    found.push((rank, text(value_tag, value)));
                }
            }
        }
    }
    found.sort_by_key(|(rank, _)| *rank);
    let shown: Vec<String> = found
        .into_iter()
        .map(|(rank, v)| format!("{}={v}", SHOWN[rank].1))
        .collect();
    Some(if shown.is_empty() {
        "(no name)".to_string()
    } else {
        shown.join(", ")
    })
}

/// A string value, printable characters only, cut at [`MAX_VALUE_CHARS`].
fn text(tag: u8, value: &[u8]) -> String {
    const BMP_STRING: u8 = 0x1e;
    let decoded = if tag == BMP_STRING {
        let units: Vec<u16> = value
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(value).into_owned()
    };
    decoded
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(MAX_VALUE_CHARS)
        .collect()
}

/// One tag-length-value: (tag, value, the bytes after it). Single-byte tags, definite lengths.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (bytes, after) = rest.split_at(n);
        rest = after;
        bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    if rest.len() < len {
        return None;
    }
    let (value, after) = rest.split_at(len);
    Some((tag, value, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_or_garbage_input_gives_none() {
        assert_eq!(names(&[]), None);
        assert_eq!(names(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(names(&[0x30, 0x03, 0x30, 0x01]), None);
        for n in 0..64u8 {
            let junk: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37) ^ 0x30).collect();
            let _ = names(&junk);
        }
    }

    #[test]
    fn names_are_read_from_a_minimal_certificate() {
        // tbsCertificate: [0]{INTEGER 2}, serial, AlgorithmIdentifier, issuer, validity, subject.
        fn seq(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
            let body: Vec<u8> = parts.concat();
            let mut out = vec![tag, body.len() as u8];
            out.extend(body);
            out
        }
        let cn = |v: &str| {
            seq(
                SET,
                &[&seq(
                    SEQUENCE,
                    &[&[OID, 3, 0x55, 0x04, 3], &seq(0x0c, &[v.as_bytes()])],
                )],
            )
        };
        let org = seq(
            SET,
            &[&seq(
                SEQUENCE,
                &[&[OID, 3, 0x55, 0x04, 10], &seq(0x13, &[b"Corp"])],
            )],
        );
        let issuer = seq(SEQUENCE, &[&org, &cn("Corp Proxy CA")]);
        let subject = seq(SEQUENCE, &[&cn("sts.amazonaws.com\n")]);
        let tbs = seq(
            SEQUENCE,
            &[
                &[VERSION, 3, INTEGER, 1, 2],
                &[INTEGER, 1, 7],
                &seq(SEQUENCE, &[]),
                &issuer,
                &seq(SEQUENCE, &[]),
                &subject,
            ],
        );
        let cert = seq(SEQUENCE, &[&tbs]);
        assert_eq!(
            names(&cert),
            Some((
                "CN=Corp Proxy CA, O=Corp".to_string(),
                "CN=sts.amazonaws.com?".to_string()
            ))
        );
    }
}
