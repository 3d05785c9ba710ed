//! Organisation signing keys: Ed25519 and SM2-with-SM3, behind one pair of enums.
//!
//! Each organisation that submits records to the log signs them with its own key, so
//! that a record's origin can be checked by anyone, independently of the platform.
//! Ed25519 is the default (fast, deterministic, batch-verifiable); SM2 (GB/T 32918,
//! with SM3 and the default distinguishing identifier `1234567812345678`) is offered
//! where national algorithms are required.
//!
//! Text encodings (also used as serde strings):
//! * public keys: `ed25519:<base64 of the 32-byte key>` and `sm2:<lowercase hex of the
//!   65-byte uncompressed SEC1 point>`; only these canonical forms are accepted, so one
//!   key has exactly one encoding and one [`Fingerprint`] (SHA-256 of the encoding's UTF-8);
//! * secret keys: `ed25519-secret:<base64 seed>` and `sm2-secret:<hex scalar>`;
//! * signatures: 64 bytes (Ed25519 `R || S`; SM2 `r || s`, each 32 bytes big-endian),
//!   base64 in text.
//!
//! Ed25519 verification is RFC 8032 cofactorless verification with canonical `S`
//! (`ed25519-dalek`'s `verify`), the same equation as its batch verifier, and keys of
//! small order are refused when parsed, so batch and single verification agree.
//! SM2 signing derives its nonce deterministically (RFC 6979 style) as the `sm2`
//! crate does; verification accepts any valid SM2 signature.
//!
//! Audit note: the RustCrypto `sm2` (0.13) and `sm3` (0.4) crates have not been
//! independently audited. They are checked here against the GB/T 32918.5 / GM/T 0003.5
//! Annex A signature example and the GM/T 0004 SM3 examples, but a deployment that must
//! meet certification requirements for national algorithms should review them or
//! substitute a certified implementation behind these enums.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use sm2::dsa::signature::{Signer as _, Verifier as _};
use sm2::elliptic_curve::sec1::ToEncodedPoint as _;

/// The SM2 distinguishing identifier used for every SM2 key (GB/T 35276 default).
pub const SM2_DEFAULT_DISTID: &str = "1234567812345678";

/// Signature algorithm of an organisation key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyAlgorithm {
    /// Ed25519 (RFC 8032).
    Ed25519,
    /// SM2 digital signatures with SM3 (GB/T 32918.2), distinguishing ID `1234567812345678`.
    Sm2,
}

impl KeyAlgorithm {
    /// Text prefix: `ed25519` or `sm2`.
    pub fn name(self) -> &'static str {
        match self {
            KeyAlgorithm::Ed25519 => "ed25519",
            KeyAlgorithm::Sm2 => "sm2",
        }
    }

    /// The byte identifying the algorithm inside leaf data: 0x01 Ed25519, 0x02 SM2.
    pub fn code(self) -> u8 {
        match self {
            KeyAlgorithm::Ed25519 => 0x01,
            KeyAlgorithm::Sm2 => 0x02,
        }
    }

    /// Inverse of [`KeyAlgorithm::code`].
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0x01 => Some(KeyAlgorithm::Ed25519),
            0x02 => Some(KeyAlgorithm::Sm2),
            _ => None,
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a key or signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The text does not start with a known algorithm prefix.
    #[error("unknown key algorithm in {0:?} (expected \"ed25519:\" or \"sm2:\")")]
    UnknownAlgorithm(String),
    /// The key material is malformed or not canonical.
    #[error("invalid {alg} key: {reason}")]
    BadKey {
        /// Algorithm.
        alg: KeyAlgorithm,
        /// What is wrong.
        reason: &'static str,
    },
    /// The signature text is not base64 of 64 bytes.
    #[error("signature must be canonical base64 of 64 bytes")]
    BadSignatureEncoding,
    /// The signature does not verify under the key.
    #[error("{alg} signature does not verify under key {fingerprint}")]
    InvalidSignature {
        /// Algorithm.
        alg: KeyAlgorithm,
        /// Fingerprint of the key tried.
        fingerprint: Fingerprint,
    },
    /// The SM2 implementation failed to sign (should not happen for valid keys).
    #[error("SM2 signing failed")]
    SigningFailed,
}

/// A 64-byte signature (Ed25519 `R || S` or SM2 `r || s`). Text and serde form: base64.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);

impl Signature {
    /// Standard padded base64.
    pub fn to_base64(&self) -> String {
        B64.encode(self.0)
    }

    /// Parse canonical standard base64 of 64 bytes.
    pub fn from_base64(s: &str) -> Result<Self, KeyError> {
        let bytes = B64.decode(s).map_err(|_| KeyError::BadSignatureEncoding)?;
        let sig = <[u8; 64]>::try_from(bytes.as_slice()).map_err(|_| KeyError::BadSignatureEncoding)?;
        if B64.encode(sig) != s {
            return Err(KeyError::BadSignatureEncoding);
        }
        Ok(Signature(sig))
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", self.to_base64())
    }
}

impl FromStr for Signature {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Signature::from_base64(s)
    }
}

impl Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Signature::from_base64(&s).map_err(serde::de::Error::custom)
    }
}

/// SHA-256 of a public key's text encoding; identifies the key in leaves and in the store.
/// Text and serde form: lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parse 64 hex digits.
    pub fn from_hex(s: &str) -> Option<Self> {
        let bytes = hex::decode(s).ok()?;
        <[u8; 32]>::try_from(bytes.as_slice()).ok().map(Fingerprint)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.to_hex())
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Fingerprint::from_hex(&s).ok_or_else(|| serde::de::Error::custom("fingerprint must be 64 hex digits"))
    }
}

/// An organisation's public key.
#[derive(Clone)]
pub enum VerifyingKey {
    /// Ed25519 public key.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// SM2 public key (with the default distinguishing ID).
    Sm2(Box<sm2::dsa::VerifyingKey>),
}

impl VerifyingKey {
    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        match self {
            VerifyingKey::Ed25519(_) => KeyAlgorithm::Ed25519,
            VerifyingKey::Sm2(_) => KeyAlgorithm::Sm2,
        }
    }

    /// Raw public key bytes: 32 for Ed25519, the 65-byte uncompressed SEC1 point for SM2.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            VerifyingKey::Ed25519(k) => k.as_bytes().to_vec(),
            VerifyingKey::Sm2(k) => k.to_encoded_point(false).as_bytes().to_vec(),
        }
    }

    /// An Ed25519 key from its 32 bytes; small-order keys are refused.
    pub fn ed25519_from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let bad = |reason| KeyError::BadKey {
            alg: KeyAlgorithm::Ed25519,
            reason,
        };
        let raw: [u8; 32] = bytes.try_into().map_err(|_| bad("must be 32 bytes"))?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&raw).map_err(|_| bad("not a curve point"))?;
        if key.is_weak() {
            return Err(bad("small-order key"));
        }
        Ok(VerifyingKey::Ed25519(key))
    }

    /// An SM2 key from a SEC1 point (compressed or uncompressed).
    pub fn sm2_from_sec1(bytes: &[u8]) -> Result<Self, KeyError> {
        sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_DEFAULT_DISTID, bytes)
            .map(|k| VerifyingKey::Sm2(Box::new(k)))
            .map_err(|_| KeyError::BadKey {
                alg: KeyAlgorithm::Sm2,
                reason: "not a valid SEC1 curve point",
            })
    }

    /// Parse `ed25519:<base64>` or `sm2:<hex uncompressed SEC1>`; non-canonical text is refused.
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        let key = if let Some(b64) = s.strip_prefix("ed25519:") {
            let bytes = B64.decode(b64).map_err(|_| KeyError::BadKey {
                alg: KeyAlgorithm::Ed25519,
                reason: "not base64",
            })?;
            Self::ed25519_from_bytes(&bytes)?
        } else if let Some(hx) = s.strip_prefix("sm2:") {
            let bytes = hex::decode(hx).map_err(|_| KeyError::BadKey {
                alg: KeyAlgorithm::Sm2,
                reason: "not hex",
            })?;
            Self::sm2_from_sec1(&bytes)?
        } else {
            return Err(KeyError::UnknownAlgorithm(s.chars().take(16).collect()));
        };
        if key.to_string() != s {
            return Err(KeyError::BadKey {
                alg: key.algorithm(),
                reason:
                    "not the canonical encoding (base64 with padding / lowercase hex, uncompressed point)",
            });
        }
        Ok(key)
    }

    /// SHA-256 of the text encoding.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint(Sha256::digest(self.to_string().as_bytes()).into())
    }

    /// Verify `signature` over `message`.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), KeyError> {
        let ok = match self {
            VerifyingKey::Ed25519(k) => k
                .verify(message, &ed25519_dalek::Signature::from_bytes(&signature.0))
                .is_ok(),
            VerifyingKey::Sm2(k) => match sm2::dsa::Signature::from_bytes(&signature.0) {
                Ok(sig) => k.verify(message, &sig).is_ok(),
                Err(_) => false,
            },
        };
        if ok {
            Ok(())
        } else {
            Err(KeyError::InvalidSignature {
                alg: self.algorithm(),
                fingerprint: self.fingerprint(),
            })
        }
    }
}

impl PartialEq for VerifyingKey {
    fn eq(&self, other: &Self) -> bool {
        self.algorithm() == other.algorithm() && self.to_bytes() == other.to_bytes()
    }
}

impl Eq for VerifyingKey {}

impl fmt::Display for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyingKey::Ed25519(k) => write!(f, "ed25519:{}", B64.encode(k.as_bytes())),
            VerifyingKey::Sm2(_) => write!(f, "sm2:{}", hex::encode(self.to_bytes())),
        }
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey({self})")
    }
}

impl FromStr for VerifyingKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VerifyingKey::parse(s)
    }
}

impl Serialize for VerifyingKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for VerifyingKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        VerifyingKey::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An organisation's private key. `Debug` does not print the secret.
#[derive(Clone)]
pub enum SigningKey {
    /// Ed25519 private key.
    Ed25519(Box<ed25519_dalek::SigningKey>),
    /// SM2 private key (with the default distinguishing ID).
    Sm2(Box<sm2::dsa::SigningKey>),
}

impl SigningKey {
    /// A fresh random key of algorithm `alg`.
    pub fn generate(alg: KeyAlgorithm, rng: &mut impl CryptoRngCore) -> Result<Self, KeyError> {
        match alg {
            KeyAlgorithm::Ed25519 => Ok(SigningKey::Ed25519(Box::new(
                ed25519_dalek::SigningKey::generate(rng),
            ))),
            KeyAlgorithm::Sm2 => {
                let secret = sm2::SecretKey::random(rng);
                sm2::dsa::SigningKey::new(SM2_DEFAULT_DISTID, &secret)
                    .map(|k| SigningKey::Sm2(Box::new(k)))
                    .map_err(|_| KeyError::BadKey {
                        alg,
                        reason: "invalid secret scalar",
                    })
            }
        }
    }

    /// An Ed25519 key from its 32-byte seed.
    pub fn ed25519_from_seed(seed: &[u8; 32]) -> Self {
        SigningKey::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(seed)))
    }

    /// An SM2 key from its 32-byte big-endian secret scalar (must be in `[1, n-2]`).
    pub fn sm2_from_bytes(scalar: &[u8]) -> Result<Self, KeyError> {
        sm2::dsa::SigningKey::from_slice(SM2_DEFAULT_DISTID, scalar)
            .map(|k| SigningKey::Sm2(Box::new(k)))
            .map_err(|_| KeyError::BadKey {
                alg: KeyAlgorithm::Sm2,
                reason: "invalid secret scalar",
            })
    }

    /// Parse `ed25519-secret:<base64 seed>` or `sm2-secret:<hex scalar>`.
    pub fn from_secret_string(s: &str) -> Result<Self, KeyError> {
        if let Some(b64) = s.strip_prefix("ed25519-secret:") {
            let bad = || KeyError::BadKey {
                alg: KeyAlgorithm::Ed25519,
                reason: "seed must be base64 of 32 bytes",
            };
            let bytes = B64.decode(b64).map_err(|_| bad())?;
            let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| bad())?;
            Ok(Self::ed25519_from_seed(&seed))
        } else if let Some(hx) = s.strip_prefix("sm2-secret:") {
            let bytes = hex::decode(hx).map_err(|_| KeyError::BadKey {
                alg: KeyAlgorithm::Sm2,
                reason: "secret must be hex",
            })?;
            if bytes.len() != 32 {
                return Err(KeyError::BadKey {
                    alg: KeyAlgorithm::Sm2,
                    reason: "secret must be 32 bytes",
                });
            }
            Self::sm2_from_bytes(&bytes)
        } else {
            Err(KeyError::UnknownAlgorithm(
                s.split(':').next().unwrap_or_default().to_owned(),
            ))
        }
    }

    /// The secret in text form; keep it secret.
    pub fn to_secret_string(&self) -> String {
        match self {
            SigningKey::Ed25519(k) => format!("ed25519-secret:{}", B64.encode(k.as_bytes())),
            SigningKey::Sm2(k) => format!("sm2-secret:{}", hex::encode(k.to_bytes())),
        }
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        match self {
            SigningKey::Ed25519(_) => KeyAlgorithm::Ed25519,
            SigningKey::Sm2(_) => KeyAlgorithm::Sm2,
        }
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        match self {
            SigningKey::Ed25519(k) => VerifyingKey::Ed25519(k.verifying_key()),
            SigningKey::Sm2(k) => VerifyingKey::Sm2(Box::new(k.verifying_key().clone())),
        }
    }

    /// Sign `message`. Both algorithms are deterministic here.
    pub fn sign(&self, message: &[u8]) -> Result<Signature, KeyError> {
        match self {
            SigningKey::Ed25519(k) => Ok(Signature(
                ed25519_dalek::Signer::sign(k.as_ref(), message).to_bytes(),
            )),
            SigningKey::Sm2(k) => {
                let sig: sm2::dsa::Signature = k.try_sign(message).map_err(|_| KeyError::SigningFailed)?;
                Ok(Signature(sig.to_bytes()))
            }
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SigningKey({}, public {}, <secret>)",
            self.algorithm(),
            self.verifying_key()
        )
    }
}

/// Indices of the items of a batch whose signatures do not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} of the batch's signatures do not verify (indices {failed:?})", failed.len())]
pub struct BatchError {
    /// Positions in the input, ascending.
    pub failed: Vec<usize>,
}

/// The items whose signature does not verify (by index), checked as
/// [`verify_batch`] does: half of them on another core when there are at
/// least `split` (many records signed one by one, read back together).
pub fn failed_signatures(items: &[(&[u8], &Signature, &VerifyingKey)], split: usize) -> Vec<usize> {
    let failed_in = |part: &[(&[u8], &Signature, &VerifyingKey)], from: usize| match verify_batch(part) {
        Ok(()) => Vec::new(),
        Err(e) => e.failed.iter().map(|i| i + from).collect(),
    };
    if items.len() < split.max(2) {
        return failed_in(items, 0);
    }
    let (first, second) = items.split_at(items.len() / 2);
    std::thread::scope(|s| {
        let other = s.spawn(|| failed_in(second, first.len()));
        let mut failed = failed_in(first, 0);
        failed.extend(other.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        failed
    })
}

/// Verify many `(message, signature, key)` triples.
///
/// Ed25519 items are checked together with one multi-scalar multiplication
/// (`ed25519-dalek` batch verification, about twice as fast per signature as one by
/// one); if the batch fails, they are re-checked one by one to name the culprits. SM2
/// items are checked one by one. `Ok(())` means every item verified.
pub fn verify_batch(items: &[(&[u8], &Signature, &VerifyingKey)]) -> Result<(), BatchError> {
    let mut failed = Vec::new();
    let mut ed_index = Vec::new();
    let mut ed_msgs: Vec<&[u8]> = Vec::new();
    let mut ed_sigs = Vec::new();
    let mut ed_keys = Vec::new();
    for (i, (msg, sig, key)) in items.iter().enumerate() {
        match key {
            VerifyingKey::Ed25519(k) => {
                ed_index.push(i);
                ed_msgs.push(msg);
                ed_sigs.push(ed25519_dalek::Signature::from_bytes(&sig.0));
                ed_keys.push(*k);
            }
            VerifyingKey::Sm2(_) => {
                if key.verify(msg, sig).is_err() {
                    failed.push(i);
                }
            }
        }
    }
    if !ed_index.is_empty() && ed25519_dalek::verify_batch(&ed_msgs, &ed_sigs, &ed_keys).is_err() {
        for (j, &i) in ed_index.iter().enumerate() {
            if ed_keys[j].verify(ed_msgs[j], &ed_sigs[j]).is_err() {
                failed.push(i);
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        failed.sort_unstable();
        Err(BatchError { failed })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sm2_standard_example_verifies() {
        // GB/T 32918.5-2017 (GM/T 0003.5-2012) Annex A: SM2 signature with SM3, ID 1234567812345678.
        let secret = hex::decode("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8").unwrap();
        let public = "sm2:0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020\
                      ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13";
        let sk = SigningKey::sm2_from_bytes(&secret).unwrap();
        assert_eq!(sk.verifying_key().to_string(), public);
        let vk = VerifyingKey::parse(public).unwrap();
        let mut sig = [0u8; 64];
        sig.copy_from_slice(
            &hex::decode(
                "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3\
                 B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA",
            )
            .unwrap(),
        );
        vk.verify(b"message digest", &Signature(sig)).unwrap();
        assert!(vk.verify(b"message digesT", &Signature(sig)).is_err());
        // Our own SM2 signatures verify too (the nonce differs from the example's).
        let ours = sk.sign(b"message digest").unwrap();
        vk.verify(b"message digest", &ours).unwrap();
    }

    #[test]
    fn ed25519_rfc8032_test_1() {
        // RFC 8032 section 7.1, TEST 1 (empty message).
        let seed: [u8; 32] = hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap()
            .try_into()
            .unwrap();
        let sk = SigningKey::ed25519_from_seed(&seed);
        let vk = sk.verifying_key();
        assert_eq!(
            hex::encode(vk.to_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let sig = sk.sign(b"").unwrap();
        assert_eq!(
            hex::encode(sig.0),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        vk.verify(b"", &sig).unwrap();
    }

    #[test]
    fn encodings_round_trip_and_are_canonical() {
        let mut rng = rand::thread_rng();
        for alg in [KeyAlgorithm::Ed25519, KeyAlgorithm::Sm2] {
            let sk = SigningKey::generate(alg, &mut rng).unwrap();
            let vk = sk.verifying_key();
            let text = vk.to_string();
            assert!(text.starts_with(&format!("{}:", alg.name())));
            assert_eq!(VerifyingKey::parse(&text).unwrap(), vk);
            assert_eq!(
                VerifyingKey::parse(&text).unwrap().fingerprint(),
                vk.fingerprint()
            );
            assert_eq!(
                vk.fingerprint().0,
                <[u8; 32]>::from(Sha256::digest(text.as_bytes()))
            );
            let again = SigningKey::from_secret_string(&sk.to_secret_string()).unwrap();
            assert_eq!(again.verifying_key(), vk);
            assert!(!format!("{sk:?}").contains(&sk.to_secret_string()));
            let sig = sk.sign(b"hello").unwrap();
            assert_eq!(Signature::from_base64(&sig.to_base64()).unwrap(), sig);
            vk.verify(b"hello", &sig).unwrap();
            assert!(matches!(
                vk.verify(b"hellO", &sig),
                Err(KeyError::InvalidSignature { .. })
            ));
            let json = serde_json::to_string(&vk).unwrap();
            assert_eq!(serde_json::from_str::<VerifyingKey>(&json).unwrap(), vk);
            // Uppercase hex / unpadded base64 are not canonical.
            let mangled = if alg == KeyAlgorithm::Sm2 {
                text.to_uppercase().replacen("SM2", "sm2", 1)
            } else {
                text.trim_end_matches('=').to_owned()
            };
            assert!(VerifyingKey::parse(&mangled).is_err(), "accepted {mangled}");
        }
        // Compressed SM2 points are accepted as bytes but not as text.
        let sk = SigningKey::generate(KeyAlgorithm::Sm2, &mut rng).unwrap();
        let VerifyingKey::Sm2(k) = sk.verifying_key() else {
            unreachable!()
        };
        let compressed = k.to_encoded_point(true);
        assert_eq!(
            VerifyingKey::sm2_from_sec1(compressed.as_bytes()).unwrap(),
            sk.verifying_key()
        );
        assert!(VerifyingKey::parse(&format!("sm2:{}", hex::encode(compressed.as_bytes()))).is_err());
        // Junk.
        assert!(matches!(
            VerifyingKey::parse("rsa:AAAA"),
            Err(KeyError::UnknownAlgorithm(_))
        ));
        assert!(VerifyingKey::parse("ed25519:AAAA").is_err());
        assert!(VerifyingKey::parse("sm2:04").is_err());
        // The identity point is a small-order Ed25519 key.
        let identity = format!(
            "ed25519:{}",
            B64.encode([1u8].iter().chain([0u8; 31].iter()).copied().collect::<Vec<_>>())
        );
        assert!(VerifyingKey::parse(&identity).is_err());
        assert!(Signature::from_base64("AAAA").is_err());
    }

    #[test]
    fn signatures_from_the_wrong_key_fail() {
        let mut rng = rand::thread_rng();
        for alg in [KeyAlgorithm::Ed25519, KeyAlgorithm::Sm2] {
            let a = SigningKey::generate(alg, &mut rng).unwrap();
            let b = SigningKey::generate(alg, &mut rng).unwrap();
            let sig = a.sign(b"record").unwrap();
            assert!(b.verifying_key().verify(b"record", &sig).is_err());
        }
        // An Ed25519 signature checked under an SM2 key and vice versa.
        let ed = SigningKey::generate(KeyAlgorithm::Ed25519, &mut rng).unwrap();
        let sm = SigningKey::generate(KeyAlgorithm::Sm2, &mut rng).unwrap();
        assert!(sm.verifying_key().verify(b"x", &ed.sign(b"x").unwrap()).is_err());
        assert!(ed.verifying_key().verify(b"x", &sm.sign(b"x").unwrap()).is_err());
    }

    #[test]
    fn batch_names_the_bad_items() {
        let mut rng = rand::thread_rng();
        let keys: Vec<SigningKey> = (0..12)
            .map(|i| {
                SigningKey::generate(
                    if i % 4 == 3 {
                        KeyAlgorithm::Sm2
                    } else {
                        KeyAlgorithm::Ed25519
                    },
                    &mut rng,
                )
            })
            .collect::<Result<_, _>>()
            .unwrap();
        let msgs: Vec<Vec<u8>> = (0..12).map(|i| format!("record {i}").into_bytes()).collect();
        let mut sigs: Vec<Signature> = keys.iter().zip(&msgs).map(|(k, m)| k.sign(m).unwrap()).collect();
        let vks: Vec<VerifyingKey> = keys.iter().map(SigningKey::verifying_key).collect();
        let items = |sigs: &[Signature]| -> Result<(), BatchError> {
            let v: Vec<(&[u8], &Signature, &VerifyingKey)> =
                (0..12).map(|i| (msgs[i].as_slice(), &sigs[i], &vks[i])).collect();
            verify_batch(&v)
        };
        assert_eq!(items(&sigs), Ok(()));
        sigs[2].0[5] ^= 1;
        sigs[7].0[40] ^= 1;
        sigs[9] = sigs[8];
        assert_eq!(
            items(&sigs),
            Err(BatchError {
                failed: vec![2, 7, 9]
            })
        );
        assert_eq!(verify_batch(&[]), Ok(()));
    }

    #[test]
    fn failed_signatures_are_named_on_one_core_or_two() {
        let keys: Vec<SigningKey> = (0..300u16)
            .map(|i| {
                let mut seed = [7u8; 32];
                seed[..2].copy_from_slice(&i.to_be_bytes());
                SigningKey::ed25519_from_seed(&seed)
            })
            .collect();
        let msgs: Vec<Vec<u8>> = (0..300).map(|i| format!("place {i}").into_bytes()).collect();
        let mut sigs: Vec<Signature> = keys.iter().zip(&msgs).map(|(k, m)| k.sign(m).unwrap()).collect();
        let vks: Vec<VerifyingKey> = keys.iter().map(SigningKey::verifying_key).collect();
        // One forged in each half.
        sigs[5].0[9] ^= 1;
        sigs[250] = sigs[249];
        let items: Vec<(&[u8], &Signature, &VerifyingKey)> = (0..300)
            .map(|i| (msgs[i].as_slice(), &sigs[i], &vks[i]))
            .collect();
        for split in [256, usize::MAX] {
            let mut failed = failed_signatures(&items, split);
            failed.sort_unstable();
            assert_eq!(failed, vec![5, 250], "split at {split}");
        }
        assert!(failed_signatures(&items[..5], 2).is_empty());
        assert!(failed_signatures(&[], 2).is_empty());
    }
}
