//! C2SP tlog-checkpoint bodies (<https://c2sp.org/tlog-checkpoint>): the signed tree head.
//!
//! A checkpoint states "the log named *origin* has *size* leaves with root *hash*". Its
//! body is three lines — origin, decimal tree size, base64 root hash — plus optional
//! extension lines, and it is published as a [signed note](crate::note) signed by the
//! log's key and later cosigned by witnesses. Everything a client trusts about the log
//! flows from a checkpoint, so parsing is strict: no leading zeros, canonical base64,
//! no empty extension lines.
//!
//! [`TrustedLog`] is what a verifier is configured with: the log's verifier key (whose
//! name must equal the checkpoint origin) and the log's hash algorithm.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::hash::{Hash, HashAlg};
use crate::note::{self, Note, NoteError, NoteSigner, VerifierKey};

/// Why a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The signed note is malformed or its log signature does not verify.
    #[error("checkpoint note: {0}")]
    Note(#[from] NoteError),
    /// Fewer than three lines.
    #[error("checkpoint body needs origin, size and root hash lines")]
    TooFewLines,
    /// The origin line is empty or has forbidden characters.
    #[error("invalid checkpoint origin {0:?}")]
    BadOrigin(String),
    /// The size line is not a decimal without leading zeros.
    #[error("invalid checkpoint tree size {0:?}")]
    BadSize(String),
    /// The root line is not canonical base64 of 32 bytes.
    #[error("invalid checkpoint root hash {0:?}")]
    BadRoot(String),
    /// An extension line is empty.
    #[error("checkpoint extension line {0} is empty")]
    EmptyExtension(usize),
    /// The origin differs from the name of the trusted log key.
    #[error("checkpoint origin {origin:?} is not the trusted log {expected:?}")]
    OriginMismatch {
        /// Origin in the checkpoint.
        origin: String,
        /// Name of the trusted log key.
        expected: String,
    },
    /// The trusted log key is not a plain Ed25519 (type 0x01) key.
    #[error("the log key must be an Ed25519 note key (type 0x01)")]
    NotALogKey,
}

/// The body of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The log's identity, e.g. `suyuan.example.cn/log/2025`.
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// Merkle tree root of the first `size` leaves.
    pub root: Hash,
    /// Optional extension lines (not recommended by C2SP; kept opaque).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines. The origin must be a valid key name
    /// (non-empty, no spaces, no `+`), since the log's key is named after it.
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Self, CheckpointError> {
        note::check_key_name(origin).map_err(|_| CheckpointError::BadOrigin(origin.to_owned()))?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        })
    }

    /// The note text: `origin\nsize\nbase64(root)\n` followed by `extension\n` lines.
    pub fn body(&self) -> String {
        let mut s = format!("{}\n{}\n{}\n", self.origin, self.size, self.root.to_base64());
        for ext in &self.extensions {
            s.push_str(ext);
            s.push('\n');
        }
        s
    }

    /// Parse a note text as a checkpoint body.
    pub fn parse_body(text: &str) -> Result<Self, CheckpointError> {
        note::check_text(text)?;
        let mut lines: Vec<&str> = text.split('\n').collect();
        lines.pop(); // the empty string after the final newline
        if lines.len() < 3 {
            return Err(CheckpointError::TooFewLines);
        }
        let origin = lines[0];
        if origin.is_empty() {
            return Err(CheckpointError::BadOrigin(origin.to_owned()));
        }
        let size_text = lines[1];
        let canonical = !size_text.is_empty()
            && size_text.bytes().all(|b| b.is_ascii_digit())
            && (size_text == "0" || !size_text.starts_with('0'));
        let size = match size_text.parse::<u64>() {
            Ok(size) if canonical => size,
            _ => return Err(CheckpointError::BadSize(size_text.to_owned())),
        };
        let root = Hash::from_base64(lines[2]).map_err(|_| CheckpointError::BadRoot(lines[2].to_owned()))?;
        let mut extensions = Vec::new();
        for (i, ext) in lines[3..].iter().enumerate() {
            if ext.is_empty() {
                return Err(CheckpointError::EmptyExtension(i + 1));
            }
            extensions.push((*ext).to_owned());
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// Sign the body with the log's key, giving a signed note with one signature line.
    pub fn sign(&self, log_key: &NoteSigner) -> Result<Note, CheckpointError> {
        let mut note = Note::new(&self.body())?;
        note.sign(log_key)?;
        Ok(note)
    }
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.body())
    }
}

/// What a verifier trusts about a log: its checkpoint key and its hash algorithm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedLog {
    /// The log's Ed25519 note key (type `0x01`); its name is the log's origin.
    pub key: VerifierKey,
    /// Hash algorithm of the log's Merkle tree.
    pub alg: HashAlg,
}

impl TrustedLog {
    /// A trusted log using `alg`.
    pub fn new(key: VerifierKey, alg: HashAlg) -> Self {
        TrustedLog { key, alg }
    }

    /// The origin the log's checkpoints carry (the key name).
    pub fn origin(&self) -> &str {
        self.key.name()
    }
}

/// A checkpoint whose log signature has been verified, with the full note (which may
/// also carry witness cosignatures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The parsed body.
    pub checkpoint: Checkpoint,
    /// The note, with all its signature lines.
    pub note: Note,
}

impl SignedCheckpoint {
    /// Parse a signed checkpoint note, verify the log's signature and check that the
    /// origin is the trusted log's name.
    pub fn open(note_text: &str, log: &TrustedLog) -> Result<Self, CheckpointError> {
        let note = Note::parse(note_text)?;
        Self::from_note(note, log)
    }

    /// As [`SignedCheckpoint::open`], from an already parsed note.
    pub fn from_note(note: Note, log: &TrustedLog) -> Result<Self, CheckpointError> {
        if log.key.sig_type() != note::SIG_TYPE_ED25519 {
            return Err(CheckpointError::NotALogKey);
        }
        note.verify(std::slice::from_ref(&log.key))?;
        let checkpoint = Checkpoint::parse_body(note.text())?;
        if checkpoint.origin != log.origin() {
            return Err(CheckpointError::OriginMismatch {
                origin: checkpoint.origin,
                expected: log.origin().to_owned(),
            });
        }
        Ok(SignedCheckpoint { checkpoint, note })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const EXAMPLE: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    fn log() -> (NoteSigner, TrustedLog) {
        let signer = NoteSigner::from_seed("example.com/behind-the-sofa", [7; 32]).unwrap();
        let trusted = TrustedLog::new(signer.verifier(), HashAlg::Sha256);
        (signer, trusted)
    }

    #[test]
    fn specification_example_body_parses_and_reprints() {
        let cp = Checkpoint::parse_body(EXAMPLE).unwrap();
        assert_eq!(cp.origin, "example.com/behind-the-sofa");
        assert_eq!(cp.size, 20852163);
        assert!(cp.extensions.is_empty());
        assert_eq!(cp.body(), EXAMPLE);
        let with_ext = format!("{EXAMPLE}Timestamp: 1689748607742585419\n");
        let cp = Checkpoint::parse_body(&with_ext).unwrap();
        assert_eq!(cp.extensions, vec!["Timestamp: 1689748607742585419".to_owned()]);
        assert_eq!(cp.body(), with_ext);
    }

    #[test]
    fn malformed_bodies_are_refused() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        for (text, why) in [
            ("origin\n1\n".to_owned(), "two lines"),
            (format!("\n1\n{root}\n"), "empty origin"),
            (format!("o\n01\n{root}\n"), "leading zero"),
            (format!("o\n-1\n{root}\n"), "negative size"),
            (format!("o\n+1\n{root}\n"), "plus sign"),
            (format!("o\n\n{root}\n"), "empty size"),
            (format!("o\n18446744073709551616\n{root}\n"), "size overflow"),
            ("o\n1\nAAAA\n".to_owned(), "short root"),
            (format!("o\n1\n{}\n", &root[..43]), "unpadded root"),
            (format!("o\n1\n{root}\n\nx\n"), "empty extension"),
            (format!("o\n1\n{root}"), "no final newline"),
        ] {
            assert!(Checkpoint::parse_body(&text).is_err(), "accepted body with {why}");
        }
        assert_eq!(
            Checkpoint::parse_body(&format!("o\n0\n{root}\n")).unwrap().size,
            0
        );
        assert!(Checkpoint::new("has space", 1, Hash::default()).is_err());
    }

    #[test]
    fn sign_open_and_refuse_other_keys() {
        let (signer, trusted) = log();
        let cp = Checkpoint::parse_body(EXAMPLE).unwrap();
        let note = cp.sign(&signer).unwrap();
        let opened = SignedCheckpoint::open(&note.to_string(), &trusted).unwrap();
        assert_eq!(opened.checkpoint, cp);

        // Signed by another key with the same name: the trusted key's line is missing.
        let impostor = NoteSigner::from_seed("example.com/behind-the-sofa", [8; 32]).unwrap();
        let forged = cp.sign(&impostor).unwrap();
        assert!(matches!(
            SignedCheckpoint::open(&forged.to_string(), &trusted),
            Err(CheckpointError::Note(NoteError::NoTrustedSignature(_)))
        ));

        // A tampered size is caught by the signature.
        let tampered = note.to_string().replacen("20852163", "20852164", 1);
        assert!(matches!(
            SignedCheckpoint::open(&tampered, &trusted),
            Err(CheckpointError::Note(NoteError::InvalidSignature { .. }))
        ));

        // A checkpoint for another origin signed by the trusted key is refused.
        let other = Checkpoint::new("example.com/other-log", 1, Hash::default()).unwrap();
        let note = other.sign(&signer).unwrap();
        assert!(matches!(
            SignedCheckpoint::open(&note.to_string(), &trusted),
            Err(CheckpointError::OriginMismatch { .. })
        ));
    }
}
