//! C2SP signed notes (<https://c2sp.org/signed-note>): the envelope for checkpoints.
//!
//! A checkpoint is published as a *signed note*: a UTF-8 text ending in a newline, a
//! blank line, then one signature line per signer of the form
//! `— <key name> <base64(key ID (4 bytes) || signature)>`. The log signs with an
//! Ed25519 key (signature type `0x01`); witnesses add their cosignature lines (type
//! `0x04`, see [`crate::cosignature`]) to the same note. Using the C2SP format means
//! existing transparency tooling and third-party witnesses can read our checkpoints.
//!
//! Keys travel as C2SP *vkey* strings, `<name>+<hex key ID>+<base64(type || public key)>`,
//! and signer keys as `PRIVATE+KEY+<name>+<hex key ID>+<base64(type || seed)>`. The key
//! ID is `SHA-256(name || "\n" || type || public key)[:4]`.
//!
//! Parsing checks every rule of the format; verification reports which signature line
//! failed. Unknown signers are ignored, as the specification requires.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, Verifier as _};
use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// Signature type byte of plain Ed25519 note signatures.
pub const SIG_TYPE_ED25519: u8 = 0x01;
/// Signature type byte of timestamped Ed25519 witness cosignatures (tlog-cosignature/v1).
pub const SIG_TYPE_COSIGNATURE_V1: u8 = 0x04;
/// Most signature lines a note may carry; the specification requires accepting at least 16.
pub const MAX_SIGNATURES: usize = 100;
/// The em dash (U+2014) and space that start a signature line.
pub const SIGNATURE_LINE_PREFIX: &str = "\u{2014} ";

/// Why a note, key or signature line was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// Note text must end with a newline.
    #[error("note text must end with a newline")]
    TextNotTerminated,
    /// Note text must not be empty.
    #[error("note text is empty")]
    EmptyText,
    /// A control character other than newline appears.
    #[error("note contains a control character (U+{0:04X}) other than newline")]
    ControlCharacter(u32),
    /// No blank line separates text from signatures.
    #[error("note has no blank line before its signatures")]
    NoSignatureBlock,
    /// The note carries no signature line.
    #[error("note has no signature lines")]
    NoSignatures,
    /// Too many signature lines.
    #[error("note has {0} signature lines, more than the limit of {MAX_SIGNATURES}")]
    TooManySignatures(usize),
    /// A signature line is malformed.
    #[error("signature line {line}: {reason}")]
    BadSignatureLine {
        /// 1-based number among the signature lines.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A key name is empty or contains a space or `+`.
    #[error("invalid key name {0:?}: must be non-empty without spaces or '+'")]
    BadKeyName(String),
    /// A key string is malformed.
    #[error("invalid key: {0}")]
    BadKey(&'static str),
    /// The signature type of a key is not supported here.
    #[error("unsupported signature type 0x{0:02x}")]
    UnsupportedType(u8),
    /// The key ID written in a key string does not match the key.
    #[error("key ID {declared} of {name} does not match the key (computed {computed})")]
    KeyIdMismatch {
        /// Key name.
        name: String,
        /// The ID in the string.
        declared: String,
        /// The ID computed from name, type and key.
        computed: String,
    },
    /// A signature by a trusted key does not verify.
    #[error("signature line {line} by {name} (key ID {key_id}) does not verify")]
    InvalidSignature {
        /// 1-based number among the signature lines.
        line: usize,
        /// Key name.
        name: String,
        /// Key ID, hex.
        key_id: String,
    },
    /// Two signature lines from the same trusted key.
    #[error("signature line {line} repeats a signature by {name} (key ID {key_id})")]
    DuplicateSignature {
        /// 1-based number among the signature lines.
        line: usize,
        /// Key name.
        name: String,
        /// Key ID, hex.
        key_id: String,
    },
    /// None of the signatures comes from a trusted key.
    #[error("no signature from a trusted key (trusted: {0})")]
    NoTrustedSignature(String),
}

/// Key ID: `SHA-256(name || "\n" || sig_type || public_key)[:4]`.
pub fn key_id(name: &str, sig_type: u8, public_key: &[u8]) -> [u8; 4] {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update(b"\n")
        .chain_update([sig_type])
        .chain_update(public_key)
        .finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// Check a key name: non-empty, no Unicode white space, no `+`, no control characters.
pub fn check_key_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty()
        || name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
    {
        return Err(NoteError::BadKeyName(name.to_owned()));
    }
    Ok(())
}

/// Check note text: non-empty, ends with a newline, no control characters but newline.
pub fn check_text(text: &str) -> Result<(), NoteError> {
    if text.is_empty() {
        return Err(NoteError::EmptyText);
    }
    check_chars(text)?;
    if !text.ends_with('\n') {
        return Err(NoteError::TextNotTerminated);
    }
    Ok(())
}

fn check_chars(s: &str) -> Result<(), NoteError> {
    match s.chars().find(|&c| c < ' ' && c != '\n') {
        Some(c) => Err(NoteError::ControlCharacter(c as u32)),
        None => Ok(()),
    }
}

fn parse_hex_id(s: &str) -> Result<[u8; 4], NoteError> {
    if s.len() != 8
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(NoteError::BadKey("key ID must be 8 lowercase hex digits"));
    }
    let bytes = hex::decode(s).map_err(|_| NoteError::BadKey("key ID must be 8 lowercase hex digits"))?;
    <[u8; 4]>::try_from(bytes.as_slice()).map_err(|_| NoteError::BadKey("key ID must be 4 bytes"))
}

fn decode_canonical_b64(s: &str, what: &'static str) -> Result<Vec<u8>, NoteError> {
    let bytes = B64.decode(s).map_err(|_| NoteError::BadKey(what))?;
    if B64.encode(&bytes) != s {
        return Err(NoteError::BadKey(what));
    }
    Ok(bytes)
}

/// A public key that verifies note signatures: Ed25519 (`0x01`) for log signatures or
/// Ed25519 cosignature (`0x04`) for witnesses. Text form: the C2SP vkey string.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    sig_type: u8,
    key_id: [u8; 4],
    key: ed25519_dalek::VerifyingKey,
}

impl VerifierKey {
    /// A verifier key of signature type `sig_type` (`0x01` or `0x04`) for `key` under `name`.
    pub fn new(name: &str, sig_type: u8, key: ed25519_dalek::VerifyingKey) -> Result<Self, NoteError> {
        check_key_name(name)?;
        if sig_type != SIG_TYPE_ED25519 && sig_type != SIG_TYPE_COSIGNATURE_V1 {
            return Err(NoteError::UnsupportedType(sig_type));
        }
        let key_id = key_id(name, sig_type, key.as_bytes());
        Ok(VerifierKey {
            name: name.to_owned(),
            sig_type,
            key_id,
            key,
        })
    }

    /// Parse a vkey string `<name>+<hex key ID>+<base64(type || public key)>`.
    pub fn parse(s: &str) -> Result<Self, NoteError> {
        let mut parts = s.splitn(3, '+');
        let (Some(name), Some(id), Some(material)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::BadKey("expected <name>+<hex key ID>+<base64 key>"));
        };
        check_key_name(name)?;
        let declared = parse_hex_id(id)?;
        let bytes = decode_canonical_b64(material, "public key is not canonical base64")?;
        let (&sig_type, raw) = bytes.split_first().ok_or(NoteError::BadKey("empty public key"))?;
        if sig_type != SIG_TYPE_ED25519 && sig_type != SIG_TYPE_COSIGNATURE_V1 {
            return Err(NoteError::UnsupportedType(sig_type));
        }
        let raw: [u8; 32] = raw
            .try_into()
            .map_err(|_| NoteError::BadKey("Ed25519 public key must be 32 bytes"))?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&raw)
            .map_err(|_| NoteError::BadKey("not a valid Ed25519 public key"))?;
        let vk = VerifierKey::new(name, sig_type, key)?;
        if vk.key_id != declared {
            return Err(NoteError::KeyIdMismatch {
                name: name.to_owned(),
                declared: id.to_owned(),
                computed: hex::encode(vk.key_id),
            });
        }
        Ok(vk)
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Signature type byte (`0x01` or `0x04`).
    pub fn sig_type(&self) -> u8 {
        self.sig_type
    }

    /// The 4-byte key ID.
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &ed25519_dalek::VerifyingKey {
        &self.key
    }

    /// Whether a signature line claims to come from this key (same name and key ID).
    pub fn matches(&self, line: &SignatureLine) -> bool {
        line.name == self.name && line.key_id == self.key_id
    }

    /// Verify an Ed25519 signature of `message` (64 bytes, without key ID).
    pub fn verify_raw(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(sig) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        self.key.verify(message, &sig).is_ok()
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut material = Vec::with_capacity(33);
        material.push(self.sig_type);
        material.extend_from_slice(self.key.as_bytes());
        write!(
            f,
            "{}+{}+{}",
            self.name,
            hex::encode(self.key_id),
            B64.encode(material)
        )
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({self})")
    }
}

impl FromStr for VerifierKey {
    type Err = NoteError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VerifierKey::parse(s)
    }
}

impl Serialize for VerifierKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for VerifierKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        VerifierKey::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An Ed25519 private key with a name and signature type, in C2SP signer-key form.
///
/// Used with type `0x01` by the log ([`NoteSigner`]) and with type `0x04` by witnesses
/// ([`crate::cosignature::CosignerKey`]). `Debug` does not print the seed.
#[derive(Clone)]
pub struct SignerKey {
    name: String,
    sig_type: u8,
    key_id: [u8; 4],
    key: ed25519_dalek::SigningKey,
}

impl SignerKey {
    /// A signer key from a 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, sig_type: u8, seed: [u8; 32]) -> Result<Self, NoteError> {
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let verifier = VerifierKey::new(name, sig_type, key.verifying_key())?;
        Ok(SignerKey {
            name: name.to_owned(),
            sig_type,
            key_id: verifier.key_id,
            key,
        })
    }

    /// A fresh random key.
    pub fn generate(name: &str, sig_type: u8, rng: &mut impl CryptoRngCore) -> Result<Self, NoteError> {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        Self::from_seed(name, sig_type, seed)
    }

    /// Parse `PRIVATE+KEY+<name>+<hex key ID>+<base64(type || seed)>`.
    pub fn parse(s: &str) -> Result<Self, NoteError> {
        let mut parts = s.splitn(5, '+');
        let (Some("PRIVATE"), Some("KEY"), Some(name), Some(id), Some(material)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(NoteError::BadKey(
                "expected PRIVATE+KEY+<name>+<hex key ID>+<base64 key>",
            ));
        };
        let declared = parse_hex_id(id)?;
        let bytes = decode_canonical_b64(material, "private key is not canonical base64")?;
        let (&sig_type, raw) = bytes
            .split_first()
            .ok_or(NoteError::BadKey("empty private key"))?;
        let seed: [u8; 32] = raw
            .try_into()
            .map_err(|_| NoteError::BadKey("Ed25519 private key seed must be 32 bytes"))?;
        let signer = SignerKey::from_seed(name, sig_type, seed)?;
        if signer.key_id != declared {
            return Err(NoteError::KeyIdMismatch {
                name: name.to_owned(),
                declared: id.to_owned(),
                computed: hex::encode(signer.key_id),
            });
        }
        Ok(signer)
    }

    /// The secret key string `PRIVATE+KEY+...`; keep it secret.
    pub fn to_private_string(&self) -> String {
        let mut material = Vec::with_capacity(33);
        material.push(self.sig_type);
        material.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.name,
            hex::encode(self.key_id),
            B64.encode(material)
        )
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Signature type byte.
    pub fn sig_type(&self) -> u8 {
        self.sig_type
    }

    /// The 4-byte key ID.
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// The matching verifier key.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            sig_type: self.sig_type,
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// Raw Ed25519 signature of `message`.
    pub fn sign_raw(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SignerKey({}+{}, <secret>)",
            self.name,
            hex::encode(self.key_id)
        )
    }
}

/// The signer of plain Ed25519 note signatures (type `0x01`): the log's checkpoint key.
#[derive(Clone, Debug)]
pub struct NoteSigner(SignerKey);

impl NoteSigner {
    /// A note signer from a 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        SignerKey::from_seed(name, SIG_TYPE_ED25519, seed).map(NoteSigner)
    }

    /// A fresh random note signer.
    pub fn generate(name: &str, rng: &mut impl CryptoRngCore) -> Result<Self, NoteError> {
        SignerKey::generate(name, SIG_TYPE_ED25519, rng).map(NoteSigner)
    }

    /// Parse a `PRIVATE+KEY+...` string of signature type `0x01`.
    pub fn parse(s: &str) -> Result<Self, NoteError> {
        let key = SignerKey::parse(s)?;
        if key.sig_type != SIG_TYPE_ED25519 {
            return Err(NoteError::UnsupportedType(key.sig_type));
        }
        Ok(NoteSigner(key))
    }

    /// The secret key string; keep it secret.
    pub fn to_private_string(&self) -> String {
        self.0.to_private_string()
    }

    /// Key name.
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// The matching verifier key (type `0x01`).
    pub fn verifier(&self) -> VerifierKey {
        self.0.verifier()
    }

    /// Sign note text (which must satisfy [`check_text`]).
    pub fn sign(&self, text: &str) -> Result<SignatureLine, NoteError> {
        check_text(text)?;
        Ok(SignatureLine {
            name: self.0.name.clone(),
            key_id: self.0.key_id,
            signature: self.0.sign_raw(text.as_bytes()).to_vec(),
        })
    }
}

/// One signature line: `— <name> <base64(key_id || signature)>` (without the newline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureLine {
    /// Key name.
    pub name: String,
    /// Key ID.
    pub key_id: [u8; 4],
    /// Signature bytes after the key ID (64 bytes for Ed25519, 72 for cosignatures).
    pub signature: Vec<u8>,
}

impl SignatureLine {
    /// Parse a line without its trailing newline.
    pub fn parse(line: &str) -> Result<Self, &'static str> {
        let rest = line
            .strip_prefix(SIGNATURE_LINE_PREFIX)
            .ok_or("must start with an em dash and a space")?;
        let (name, b64) = rest.split_once(' ').ok_or("must be '— <name> <signature>'")?;
        if check_key_name(name).is_err() {
            return Err("invalid key name");
        }
        let bytes = B64.decode(b64).map_err(|_| "signature is not valid base64")?;
        if B64.encode(&bytes) != b64 {
            return Err("signature is not canonical base64");
        }
        if bytes.len() < 5 {
            return Err("signature is shorter than a key ID and one byte");
        }
        let key_id = [bytes[0], bytes[1], bytes[2], bytes[3]];
        Ok(SignatureLine {
            name: name.to_owned(),
            key_id,
            signature: bytes[4..].to_vec(),
        })
    }

    /// The key ID as 8 hex digits.
    pub fn key_id_hex(&self) -> String {
        hex::encode(self.key_id)
    }
}

impl fmt::Display for SignatureLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = Vec::with_capacity(4 + self.signature.len());
        bytes.extend_from_slice(&self.key_id);
        bytes.extend_from_slice(&self.signature);
        write!(f, "{SIGNATURE_LINE_PREFIX}{} {}", self.name, B64.encode(bytes))
    }
}

/// A note: its text and its signature lines (verified or not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<SignatureLine>,
}

impl Note {
    /// A note with `text` and no signatures yet.
    pub fn new(text: &str) -> Result<Self, NoteError> {
        check_text(text)?;
        Ok(Note {
            text: text.to_owned(),
            signatures: Vec::new(),
        })
    }

    /// Parse a signed note. Checks the format only; call [`Note::verify`] to check signatures.
    pub fn parse(message: &str) -> Result<Self, NoteError> {
        check_chars(message)?;
        if !message.ends_with('\n') {
            return Err(NoteError::TextNotTerminated);
        }
        let split = message.rfind("\n\n").ok_or(NoteError::NoSignatureBlock)?;
        let text = &message[..split + 1];
        let block = &message[split + 2..];
        if block.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        let lines: Vec<&str> = block[..block.len() - 1].split('\n').collect();
        if lines.len() > MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures(lines.len()));
        }
        let mut signatures = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            let sig = SignatureLine::parse(line)
                .map_err(|reason| NoteError::BadSignatureLine { line: i + 1, reason })?;
            signatures.push(sig);
        }
        let mut note = Note::new(text)?;
        note.signatures = signatures;
        Ok(note)
    }

    /// The signed text, including its final newline.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signature lines, in order.
    pub fn signatures(&self) -> &[SignatureLine] {
        &self.signatures
    }

    /// Append a signature line (for example a witness's cosignature).
    pub fn add_signature(&mut self, line: SignatureLine) -> Result<(), NoteError> {
        if self.signatures.len() >= MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures(self.signatures.len() + 1));
        }
        self.signatures.push(line);
        Ok(())
    }

    /// Sign the text with `signer` and append the signature line.
    pub fn sign(&mut self, signer: &NoteSigner) -> Result<(), NoteError> {
        let line = signer.sign(&self.text)?;
        self.add_signature(line)
    }

    /// Verify the note against trusted type-`0x01` keys.
    ///
    /// Lines from unknown keys (other name or key ID, including cosignatures) are
    /// ignored. A line from a trusted key that fails to verify, or a second line from the
    /// same trusted key, rejects the whole note. Returns the keys whose signatures
    /// verified; at least one is required.
    pub fn verify<'k>(&self, trusted: &'k [VerifierKey]) -> Result<Vec<&'k VerifierKey>, NoteError> {
        let mut verified: Vec<&VerifierKey> = Vec::new();
        for (i, line) in self.signatures.iter().enumerate() {
            let Some(key) = trusted
                .iter()
                .find(|k| k.sig_type == SIG_TYPE_ED25519 && k.matches(line))
            else {
                continue;
            };
            if verified.contains(&key) {
                return Err(NoteError::DuplicateSignature {
                    line: i + 1,
                    name: line.name.clone(),
                    key_id: line.key_id_hex(),
                });
            }
            if !key.verify_raw(self.text.as_bytes(), &line.signature) {
                return Err(NoteError::InvalidSignature {
                    line: i + 1,
                    name: line.name.clone(),
                    key_id: line.key_id_hex(),
                });
            }
            verified.push(key);
        }
        if verified.is_empty() {
            let names: Vec<String> = trusted
                .iter()
                .map(|k| format!("{}+{}", k.name, hex::encode(k.key_id)))
                .collect();
            return Err(NoteError::NoTrustedSignature(names.join(", ")));
        }
        Ok(verified)
    }
}

impl fmt::Display for Note {
    /// The serialised signed note: text, blank line, signature lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for sig in &self.signatures {
            writeln!(f, "{sig}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    // Known answer published with the Go reference implementation (golang.org/x/mod/sumdb/note).
    const VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const SKEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const TEXT: &str =
        "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    fn signed() -> String {
        format!("{TEXT}\n{SIG}")
    }

    #[test]
    fn reference_vector_signs_and_verifies_byte_for_byte() {
        let signer = NoteSigner::parse(SKEY).unwrap();
        assert_eq!(signer.to_private_string(), SKEY);
        assert_eq!(signer.verifier().to_string(), VKEY);
        let vkey = VerifierKey::parse(VKEY).unwrap();
        assert_eq!(hex::encode(vkey.key_id()), "c74f20a3");
        let mut note = Note::new(TEXT).unwrap();
        note.sign(&signer).unwrap();
        assert_eq!(note.to_string(), signed());
        let parsed = Note::parse(&signed()).unwrap();
        assert_eq!(parsed.text(), TEXT);
        assert_eq!(parsed.verify(std::slice::from_ref(&vkey)).unwrap(), vec![&vkey]);
    }

    #[test]
    fn keys_round_trip_and_reject_mangling() {
        let mut rng = rand::thread_rng();
        let s = NoteSigner::generate("example.com/log", &mut rng).unwrap();
        let v = VerifierKey::parse(&s.verifier().to_string()).unwrap();
        assert_eq!(v, s.verifier());
        assert_eq!(NoteSigner::parse(&s.to_private_string()).unwrap().verifier(), v);
        assert!(!format!("{s:?}").contains(&s.to_private_string()[20..]));
        // Wrong key ID.
        assert!(matches!(
            VerifierKey::parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
            Err(NoteError::KeyIdMismatch { .. })
        ));
        // Unknown algorithm.
        assert_eq!(
            VerifierKey::parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
            Err(NoteError::UnsupportedType(0x65))
        );
        // Wrong length.
        assert!(
            VerifierKey::parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA==")
                .is_err()
        );
        assert!(
            VerifierKey::parse("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
                .is_err()
        );
        assert!(
            VerifierKey::parse("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").is_err()
        );
        assert!(VerifierKey::parse("PeterNeumann").is_err());
        assert!(NoteSigner::parse(VKEY).is_err());
        // Every truncation of the signer key is refused.
        for end in 0..SKEY.len() {
            if SKEY.is_char_boundary(end) {
                assert!(
                    NoteSigner::parse(&SKEY[..end]).is_err(),
                    "accepted {}",
                    &SKEY[..end]
                );
            }
        }
        for end in 0..VKEY.len() {
            assert!(
                VerifierKey::parse(&VKEY[..end]).is_err(),
                "accepted {}",
                &VKEY[..end]
            );
        }
        // Serde uses the vkey string.
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(serde_json::from_str::<VerifierKey>(&json).unwrap(), v);
    }

    #[test]
    fn malformed_notes_are_refused() {
        let cases: Vec<(String, &str)> = vec![
            (TEXT.to_owned(), "no signature block"),
            (format!("{TEXT}\n"), "no signatures"),
            (format!("{TEXT}\n{}", SIG.trim_end()), "missing final newline"),
            (
                format!("{TEXT}\n- PeterNeumann AAAAAAAA\n"),
                "hyphen instead of em dash",
            ),
            (format!("{TEXT}\n\u{2014} PeterNeumann\n"), "no signature"),
            (format!("{TEXT}\n\u{2014} PeterNeumann AAAA\n"), "too short"),
            (format!("{TEXT}\n\u{2014} PeterNeumann !!!!\n"), "bad base64"),
            (format!("{TEXT}\n{SIG}\n"), "empty line in signatures"),
            (format!("a\tb\n\n{SIG}"), "control character"),
            (format!("\n{SIG}"), "empty text"),
        ];
        for (msg, why) in cases {
            assert!(Note::parse(&msg).is_err(), "accepted note with {why}");
        }
        let many: String = (0..=MAX_SIGNATURES).map(|_| SIG).collect();
        assert_eq!(
            Note::parse(&format!("{TEXT}\n{many}")),
            Err(NoteError::TooManySignatures(101))
        );
        assert_eq!(Note::new("no newline"), Err(NoteError::TextNotTerminated));
        // Text may contain blank lines; the last one separates the signatures.
        let text = "a\n\nb\n";
        let signer = NoteSigner::parse(SKEY).unwrap();
        let mut note = Note::new(text).unwrap();
        note.sign(&signer).unwrap();
        let parsed = Note::parse(&note.to_string()).unwrap();
        assert_eq!(parsed.text(), text);
        parsed.verify(&[signer.verifier()]).unwrap();
    }

    #[test]
    fn verification_reports_the_failing_signature() {
        let vkey = VerifierKey::parse(VKEY).unwrap();
        let mut rng = rand::thread_rng();
        let other = NoteSigner::generate("other.example/log", &mut rng).unwrap();
        // Unknown signer plus the trusted one: fine, unknown line ignored.
        let mut note = Note::parse(&signed()).unwrap();
        note.sign(&other).unwrap();
        assert_eq!(note.verify(std::slice::from_ref(&vkey)).unwrap().len(), 1);
        // Tampered text: the trusted line (line 1) fails.
        let tampered = signed().replacen("cryptography", "cryptographY", 1);
        assert_eq!(
            Note::parse(&tampered)
                .unwrap()
                .verify(std::slice::from_ref(&vkey)),
            Err(NoteError::InvalidSignature {
                line: 1,
                name: "PeterNeumann".into(),
                key_id: "c74f20a3".into()
            })
        );
        // Signed only by an untrusted key.
        let mut only_other = Note::new(TEXT).unwrap();
        only_other.sign(&other).unwrap();
        assert!(matches!(
            only_other.verify(std::slice::from_ref(&vkey)),
            Err(NoteError::NoTrustedSignature(_))
        ));
        // Same name and key ID as the trusted key but a different key: verification fails.
        let impostor = NoteSigner::generate("PeterNeumann", &mut rng).unwrap();
        let mut forged = Note::new(TEXT).unwrap();
        let mut line = impostor.sign(TEXT).unwrap();
        line.key_id = vkey.key_id();
        forged.add_signature(line).unwrap();
        assert!(matches!(
            forged.verify(std::slice::from_ref(&vkey)),
            Err(NoteError::InvalidSignature { .. })
        ));
        // The same trusted signature twice.
        let twice = format!("{TEXT}\n{SIG}{SIG}");
        assert!(matches!(
            Note::parse(&twice).unwrap().verify(std::slice::from_ref(&vkey)),
            Err(NoteError::DuplicateSignature { line: 2, .. })
        ));
    }
}
