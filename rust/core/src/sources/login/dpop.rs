//! DPoP proofs (RFC 9449) for the AWS Sign-In token endpoint: a compact JWS signed with ES256 by
//! the session's P-256 key (the `dpopKey` of the cache file), whose header carries the public key
//! as a JWK and whose claims name the request (`htm`, `htu`), the time (`iat`) and a unique id
//! (`jti`). AWS Sign-In binds the refresh token to that key (its `cnf.jkt` is the key's RFC 7638
//! thumbprint), so a refresh token copied without the key is worthless.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::DecodePrivateKey;
use p256::SecretKey;
use sha2::{Digest, Sha256};

use crate::credentials::REDACTED;

/// The `typ` of a DPoP proof's header.
pub(crate) const DPOP_TYP: &str = "dpop+jwt";
/// The only signature algorithm AWS Sign-In accepts for DPoP proofs.
pub(crate) const DPOP_ALG: &str = "ES256";

/// A session's DPoP key (P-256). `Debug` shows only the public key's thumbprint.
#[derive(Clone)]
pub struct DpopKey {
    key: SecretKey,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("private_key", &REDACTED)
            .field("thumbprint", &self.thumbprint())
            .finish()
    }
}

/// The public half of a P-256 key as a JWK: base64url coordinates, no padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicJwk {
    /// The x coordinate (32 bytes, base64url).
    pub x: String,
    /// The y coordinate (32 bytes, base64url).
    pub y: String,
}

impl PublicJwk {
    /// The RFC 7638 thumbprint: base64url SHA-256 of the required members in lexical order.
    pub fn thumbprint(&self) -> String {
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            self.x, self.y
        );
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }
}

impl DpopKey {
    /// Reads a PEM private key: SEC1 (`-----BEGIN EC PRIVATE KEY-----`, what the AWS CLI writes)
    /// or PKCS#8 (`-----BEGIN PRIVATE KEY-----`). Literal `\n` sequences (a PEM stored with
    /// escaped newlines) are taken as line breaks. The error says what is wrong, never the key.
    pub fn from_pem(pem: &str) -> Result<DpopKey, &'static str> {
        let pem = zeroize::Zeroizing::new(pem.replace("\\n", "\n"));
        let text = pem.trim();
        let key = if text.starts_with("-----BEGIN EC PRIVATE KEY-----") {
            SecretKey::from_sec1_pem(text).map_err(|_| "is not a valid SEC1 P-256 private key")?
        } else if text.starts_with("-----BEGIN PRIVATE KEY-----") {
            SecretKey::from_pkcs8_pem(text)
                .map_err(|_| "is not a valid PKCS#8 P-256 private key")?
        } else {
            return Err("is not a PEM private key (-----BEGIN EC PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----)");
        };
        Ok(DpopKey { key })
    }

    /// The public key as a JWK.
    pub fn public_jwk(&self) -> PublicJwk {
        let point = self.key.public_key().to_encoded_point(false);
        // An uncompressed point always has both coordinates.
        let coordinate = |c: Option<&p256::FieldBytes>| c.map(|b| URL_SAFE_NO_PAD.encode(b));
        PublicJwk {
            x: coordinate(point.x()).unwrap_or_default(),
            y: coordinate(point.y()).unwrap_or_default(),
        }
    }

    /// The RFC 7638 thumbprint of the public key (what the refresh token is bound to).
    pub fn thumbprint(&self) -> String {
        self.public_jwk().thumbprint()
    }

    /// A DPoP proof for `POST htu` at Unix time `iat`, with the unique id `jti`.
    pub fn proof(&self, htu: &str, iat: i64, jti: &str) -> String {
        let jwk = self.public_jwk();
        let header = serde_json::json!({
            "typ": DPOP_TYP,
            "alg": DPOP_ALG,
            "jwk": { "kty": "EC", "crv": "P-256", "x": jwk.x, "y": jwk.y },
        });
        let claims = serde_json::json!({ "jti": jti, "htm": "POST", "htu": htu, "iat": iat });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        // RFC 6979 deterministic ECDSA over SHA-256; the JWS form is r || s, 32 bytes each.
        let signature: Signature = SigningKey::from(&self.key).sign(signing_input.as_bytes());
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        )
    }
}

/// A fresh random `jti`: a version 4 UUID.
pub(crate) fn new_jti() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::VerifyingKey;

    /// The key of smithy-rs' own DPoP unit test, with its published public coordinates.
    const TEST_KEY: &str = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBMB/RwQERsVoqWRQG4zK8CnaAa5dfrpbm+9tFdBh3z4oAoGCCqGSM49\nAwEHoUQDQgAEWb1VLi1EA2hJaTz4yYuxSELvY+1GAfL+8rUTCAdiFid87Bf6GY+s\n2+1RpqDv0RpZiDIMCrZrsAh+RK9S3QCaGA==\n-----END EC PRIVATE KEY-----\n";

    #[test]
    fn the_jwk_holds_the_public_coordinates_of_the_key() {
        let jwk = DpopKey::from_pem(TEST_KEY).unwrap().public_jwk();
        assert_eq!(jwk.x, "Wb1VLi1EA2hJaTz4yYuxSELvY-1GAfL-8rUTCAdiFic");
        assert_eq!(jwk.y, "fOwX-hmPrNvtUaag79EaWYgyDAq2a7AIfkSvUt0Amhg");
    }

    #[test]
    fn a_proof_verifies_with_the_key_in_its_header_and_names_the_request() {
        let key = DpopKey::from_pem(TEST_KEY).unwrap();
        let url = "https://us-east-2.signin.aws.amazon.com/v1/token";
        let proof = key.proof(url, 1_763_510_400, "a-jti");
        let parts: Vec<&str> = proof.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(header["typ"], DPOP_TYP);
        assert_eq!(header["alg"], DPOP_ALG);
        assert_eq!(header["jwk"]["crv"], "P-256");
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["htu"], url);
        assert_eq!(claims["iat"], 1_763_510_400);
        assert_eq!(claims["jti"], "a-jti");
        let point = p256::EncodedPoint::from_affine_coordinates(
            URL_SAFE_NO_PAD
                .decode(header["jwk"]["x"].as_str().unwrap())
                .unwrap()
                .as_slice()
                .into(),
            URL_SAFE_NO_PAD
                .decode(header["jwk"]["y"].as_str().unwrap())
                .unwrap()
                .as_slice()
                .into(),
            false,
        );
        let verifying = VerifyingKey::from_encoded_point(&point).unwrap();
        let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
        let input = format!("{}.{}", parts[0], parts[1]);
        verifying.verify(input.as_bytes(), &signature).unwrap();
        assert!(verifying
            .verify(format!("{input}x").as_bytes(), &signature)
            .is_err());
    }

    #[test]
    fn pkcs8_and_escaped_newlines_are_read_and_bad_keys_say_why_without_the_key() {
        use p256::pkcs8::{EncodePrivateKey, LineEnding};
        let key = DpopKey::from_pem(TEST_KEY).unwrap();
        let pkcs8 = key.key.to_pkcs8_pem(LineEnding::LF).unwrap();
        assert_eq!(
            DpopKey::from_pem(&pkcs8).unwrap().thumbprint(),
            key.thumbprint()
        );
        let escaped = TEST_KEY.replace('\n', "\\n");
        assert_eq!(
            DpopKey::from_pem(&escaped).unwrap().thumbprint(),
            key.thumbprint()
        );
        let broken = TEST_KEY.replace("MHcCAQEE", "");
        let err = DpopKey::from_pem(&broken).unwrap_err();
        assert!(err.contains("SEC1"), "{err}");
        assert!(DpopKey::from_pem("not a key").unwrap_err().contains("PEM"));
        let shown = format!("{key:?}");
        assert!(
            !shown.contains("MHcCAQEE") && shown.contains(REDACTED),
            "{shown}"
        );
    }

    #[test]
    fn jtis_are_version_4_uuids_and_differ() {
        let a = new_jti();
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert_ne!(a, new_jti());
    }
}
