//! C2SP tlog-cosignature/v1 (<https://c2sp.org/tlog-cosignature>): witnesses and quorums.
//!
//! A log signature alone lets the operator show different histories to different people
//! (a split view). Witnesses — independent organisations — each remember the largest
//! checkpoint they have seen per log, cosign a new checkpoint only if it is consistent
//! with it, and so make a fork visible. This module implements:
//!
//! * the cosignature line: key ID `SHA-256(name || "\n" || 0x04 || public key)[:4]`,
//!   signature bytes `key ID (4) || timestamp (8, big-endian) || Ed25519 signature (64)`,
//!   signed message `cosignature/v1\ntime <unix seconds>\n` followed by the checkpoint body;
//! * [`Witness`], the cosigner with its per-origin state, which refuses rollbacks and forks;
//! * [`Quorum`], the client-side k-of-n check of cosignatures on a checkpoint.
//!
//! Time is an argument (UNIX seconds): the crate reads no clock.

use std::collections::BTreeMap;

use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};

use crate::checkpoint::{Checkpoint, CheckpointError, SignedCheckpoint, TrustedLog};
use crate::hash::Hash;
use crate::merkle::{self, ProofError};
use crate::note::{Note, NoteError, SignatureLine, SignerKey, VerifierKey, SIG_TYPE_COSIGNATURE_V1};

/// First line of the signed message, for domain separation.
pub const COSIGNATURE_V1_HEADER: &str = "cosignature/v1\n";
/// Largest timestamp the format allows (2^63 - 1).
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// The exact bytes a v1 cosignature signs: `cosignature/v1\ntime <ts>\n` || checkpoint body.
pub fn cosigned_message(timestamp: u64, checkpoint_body: &str) -> Vec<u8> {
    format!("{COSIGNATURE_V1_HEADER}time {timestamp}\n{checkpoint_body}").into_bytes()
}

/// Why a cosignature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignatureError {
    /// The signature line does not have 72 bytes after the key ID.
    #[error("cosignature by {name} has {len} bytes after the key ID, expected 72")]
    BadLength {
        /// Key name.
        name: String,
        /// Bytes found.
        len: usize,
    },
    /// The timestamp exceeds 2^63 - 1.
    #[error("cosignature timestamp {0} is out of range")]
    BadTimestamp(u64),
    /// The key is not a cosigner (type 0x04) key.
    #[error("key {0} is not a cosignature/v1 key (type 0x04)")]
    NotACosignerKey(String),
    /// The line names another key.
    #[error("cosignature line is by {line}, not by {key}")]
    WrongKey {
        /// Name and key ID on the line.
        line: String,
        /// Name and key ID of the key.
        key: String,
    },
    /// The Ed25519 signature does not verify.
    #[error("cosignature by {name} (key ID {key_id}) does not verify")]
    Invalid {
        /// Key name.
        name: String,
        /// Key ID, hex.
        key_id: String,
    },
    /// Could not build a key or note.
    #[error(transparent)]
    Note(#[from] NoteError),
}

/// A parsed v1 cosignature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosignature {
    /// Cosigner key name.
    pub name: String,
    /// Cosigner key ID.
    pub key_id: [u8; 4],
    /// When the cosignature was made, UNIX seconds.
    pub timestamp: u64,
    /// Ed25519 signature of [`cosigned_message`].
    pub signature: [u8; 64],
}

impl Cosignature {
    /// Read a cosignature from a note signature line.
    pub fn from_line(line: &SignatureLine) -> Result<Self, CosignatureError> {
        if line.signature.len() != 72 {
            return Err(CosignatureError::BadLength {
                name: line.name.clone(),
                len: line.signature.len(),
            });
        }
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&line.signature[..8]);
        let timestamp = u64::from_be_bytes(ts);
        if timestamp > MAX_TIMESTAMP {
            return Err(CosignatureError::BadTimestamp(timestamp));
        }
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&line.signature[8..]);
        Ok(Cosignature {
            name: line.name.clone(),
            key_id: line.key_id,
            timestamp,
            signature,
        })
    }

    /// Parse a signature line of text (`— <name> <base64>`).
    pub fn parse(line: &str) -> Result<Self, CosignatureError> {
        let line = SignatureLine::parse(line)
            .map_err(|reason| CosignatureError::Note(NoteError::BadSignatureLine { line: 1, reason }))?;
        Self::from_line(&line)
    }

    /// The note signature line: `key ID || timestamp (BE) || signature`.
    pub fn to_line(&self) -> SignatureLine {
        let mut sig = Vec::with_capacity(72);
        sig.extend_from_slice(&self.timestamp.to_be_bytes());
        sig.extend_from_slice(&self.signature);
        SignatureLine {
            name: self.name.clone(),
            key_id: self.key_id,
            signature: sig,
        }
    }

    /// Verify this cosignature on `checkpoint_body` with the cosigner's type-0x04 key.
    pub fn verify(&self, key: &VerifierKey, checkpoint_body: &str) -> Result<(), CosignatureError> {
        if key.sig_type() != SIG_TYPE_COSIGNATURE_V1 {
            return Err(CosignatureError::NotACosignerKey(key.name().to_owned()));
        }
        if key.name() != self.name || key.key_id() != self.key_id {
            return Err(CosignatureError::WrongKey {
                line: format!("{}+{}", self.name, hex::encode(self.key_id)),
                key: format!("{}+{}", key.name(), hex::encode(key.key_id())),
            });
        }
        if self.timestamp > MAX_TIMESTAMP {
            return Err(CosignatureError::BadTimestamp(self.timestamp));
        }
        if !key.verify_raw(
            &cosigned_message(self.timestamp, checkpoint_body),
            &self.signature,
        ) {
            return Err(CosignatureError::Invalid {
                name: self.name.clone(),
                key_id: hex::encode(self.key_id),
            });
        }
        Ok(())
    }
}

/// A witness's private cosigning key (signature type 0x04). `Debug` hides the secret.
#[derive(Clone, Debug)]
pub struct CosignerKey(SignerKey);

impl CosignerKey {
    /// A cosigner key from a 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, CosignatureError> {
        Ok(CosignerKey(SignerKey::from_seed(
            name,
            SIG_TYPE_COSIGNATURE_V1,
            seed,
        )?))
    }

    /// A fresh random cosigner key.
    pub fn generate(name: &str, rng: &mut impl CryptoRngCore) -> Result<Self, CosignatureError> {
        Ok(CosignerKey(SignerKey::generate(
            name,
            SIG_TYPE_COSIGNATURE_V1,
            rng,
        )?))
    }

    /// Parse `PRIVATE+KEY+<name>+<hex id>+<base64(0x04 || seed)>`.
    pub fn parse(s: &str) -> Result<Self, CosignatureError> {
        let key = SignerKey::parse(s)?;
        if key.sig_type() != SIG_TYPE_COSIGNATURE_V1 {
            return Err(NoteError::UnsupportedType(key.sig_type()).into());
        }
        Ok(CosignerKey(key))
    }

    /// The secret key string; keep it secret.
    pub fn to_private_string(&self) -> String {
        self.0.to_private_string()
    }

    /// Key name.
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// The public vkey (type 0x04) clients put in their [`Quorum`].
    pub fn verifier(&self) -> VerifierKey {
        self.0.verifier()
    }

    /// Cosign a checkpoint body at `timestamp`. This only signs; [`Witness::cosign`] is the
    /// checked path.
    pub fn cosign_body(
        &self,
        checkpoint_body: &str,
        timestamp: u64,
    ) -> Result<Cosignature, CosignatureError> {
        if timestamp > MAX_TIMESTAMP {
            return Err(CosignatureError::BadTimestamp(timestamp));
        }
        Ok(Cosignature {
            name: self.0.name().to_owned(),
            key_id: self.0.key_id(),
            timestamp,
            signature: self.0.sign_raw(&cosigned_message(timestamp, checkpoint_body)),
        })
    }
}

/// What a witness remembers about one log: the checkpoint it last cosigned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessState {
    /// Tree size of the last cosigned checkpoint.
    pub size: u64,
    /// Root hash of the last cosigned checkpoint.
    pub root: Hash,
    /// Timestamp of that cosignature.
    pub timestamp: u64,
}

/// Why a witness refused to cosign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    /// The checkpoint is malformed, not signed by the log, or for another origin.
    #[error("checkpoint refused: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The checkpoint is smaller than one already cosigned.
    #[error("rollback of {origin}: already cosigned size {cosigned_size}, offered size {offered_size}")]
    Rollback {
        /// Log origin.
        origin: String,
        /// Size last cosigned.
        cosigned_size: u64,
        /// Size offered.
        offered_size: u64,
    },
    /// Same size as the cosigned checkpoint but a different root: the log forked.
    #[error("fork of {origin} at size {size}: cosigned root {cosigned_root}, offered root {offered_root}")]
    Fork {
        /// Log origin.
        origin: String,
        /// The common size.
        size: u64,
        /// Root already cosigned.
        cosigned_root: Hash,
        /// Root offered.
        offered_root: Hash,
    },
    /// The consistency proof from the cosigned checkpoint does not verify: a fork, or a bad proof.
    #[error("{origin} size {old_size} -> {new_size} is not proven consistent: {source}")]
    Inconsistent {
        /// Log origin.
        origin: String,
        /// Size last cosigned.
        old_size: u64,
        /// Size offered.
        new_size: u64,
        /// Why the proof failed.
        source: ProofError,
    },
    /// The witness could not produce its signature.
    #[error(transparent)]
    Cosignature(#[from] CosignatureError),
}

/// A witness: its cosigning key and, per log origin, the last checkpoint it cosigned.
///
/// The caller persists [`Witness::states`] after every successful [`Witness::cosign`]
/// (and must do so before publishing the cosignature, or a crash could let it sign a fork).
#[derive(Debug, Clone)]
pub struct Witness {
    key: CosignerKey,
    state: BTreeMap<String, WitnessState>,
}

impl Witness {
    /// A witness that has seen nothing yet.
    pub fn new(key: CosignerKey) -> Self {
        Witness {
            key,
            state: BTreeMap::new(),
        }
    }

    /// A witness resuming from persisted state.
    pub fn with_states(key: CosignerKey, state: BTreeMap<String, WitnessState>) -> Self {
        Witness { key, state }
    }

    /// The witness's public key (type 0x04).
    pub fn verifier(&self) -> VerifierKey {
        self.key.verifier()
    }

    /// The last cosigned checkpoint for `origin`.
    pub fn state(&self, origin: &str) -> Option<&WitnessState> {
        self.state.get(origin)
    }

    /// All per-origin state, for persistence.
    pub fn states(&self) -> &BTreeMap<String, WitnessState> {
        &self.state
    }

    /// Puts back earlier state: a caller that could not persist the state
    /// after [`Witness::cosign`] must withhold that cosignature and forget it.
    pub fn restore_states(&mut self, state: BTreeMap<String, WitnessState>) {
        self.state = state;
    }

    /// Check and cosign a checkpoint note.
    ///
    /// 1. The note must carry a valid signature by `log`'s key and its origin must be the log's name.
    /// 2. With no state for the origin, the checkpoint is accepted (trust on first use).
    /// 3. A smaller size than last cosigned is a [`WitnessError::Rollback`]; the same size with
    ///    another root is a [`WitnessError::Fork`]; a larger size needs `consistency_proof`
    ///    from the last cosigned size, else [`WitnessError::Inconsistent`].
    /// 4. The state is updated and the cosignature (timestamp `now`, UNIX seconds) returned.
    pub fn cosign(
        &mut self,
        checkpoint_note: &str,
        consistency_proof: &[Hash],
        log: &TrustedLog,
        now: u64,
    ) -> Result<Cosignature, WitnessError> {
        let signed = SignedCheckpoint::open(checkpoint_note, log)?;
        let cp = &signed.checkpoint;
        if let Some(last) = self.state.get(&cp.origin) {
            if cp.size < last.size {
                return Err(WitnessError::Rollback {
                    origin: cp.origin.clone(),
                    cosigned_size: last.size,
                    offered_size: cp.size,
                });
            }
            if cp.size == last.size && cp.root != last.root {
                return Err(WitnessError::Fork {
                    origin: cp.origin.clone(),
                    size: cp.size,
                    cosigned_root: last.root,
                    offered_root: cp.root,
                });
            }
            merkle::verify_consistency(
                log.alg,
                last.size,
                cp.size,
                &last.root,
                &cp.root,
                consistency_proof,
            )
            .map_err(|source| WitnessError::Inconsistent {
                origin: cp.origin.clone(),
                old_size: last.size,
                new_size: cp.size,
                source,
            })?;
        }
        let cosignature = self.key.cosign_body(signed.note.text(), now)?;
        self.state.insert(
            cp.origin.clone(),
            WitnessState {
                size: cp.size,
                root: cp.root,
                timestamp: now,
            },
        );
        Ok(cosignature)
    }
}

/// Why a quorum check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuorumError {
    /// `k` exceeds the number of distinct witnesses: the policy can never be met.
    #[error("quorum of {k} cannot be met by {n} distinct witnesses")]
    Unreachable {
        /// Required cosignatures.
        k: usize,
        /// Distinct witnesses configured.
        n: usize,
    },
    /// A witness key in the policy is not a cosigner (type 0x04) key.
    #[error("witness key {0} is not a cosignature/v1 key")]
    NotACosignerKey(String),
    /// A line from a configured witness does not verify; the note is rejected.
    #[error("signature line {line}: {source}")]
    BadCosignature {
        /// 1-based number among the note's signature lines.
        line: usize,
        /// The failure.
        source: CosignatureError,
    },
    /// Too few configured witnesses cosigned.
    #[error("only {got} of the required {k} witness cosignatures are present and valid")]
    Insufficient {
        /// Valid distinct cosignatures.
        got: usize,
        /// Required.
        k: usize,
    },
}

/// The witnesses a verifier trusts and how many must have cosigned (k of n).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quorum {
    /// Witness keys (type 0x04 vkeys).
    pub witnesses: Vec<VerifierKey>,
    /// Required number of distinct valid cosignatures. 0 disables witnessing.
    pub k: usize,
}

/// A witness cosignature that counted towards a quorum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedCosignature {
    /// The witness's key.
    pub witness: VerifierKey,
    /// When it cosigned, UNIX seconds.
    pub timestamp: u64,
}

impl Quorum {
    /// Check the cosignatures on a checkpoint note. Lines from keys outside the policy are
    /// ignored; a line from a configured witness that fails to verify rejects the note.
    /// Returns the distinct witnesses whose cosignatures verified (at least `k`).
    pub fn check(&self, note: &Note) -> Result<Vec<CountedCosignature>, QuorumError> {
        let mut distinct: Vec<&VerifierKey> = Vec::new();
        for w in &self.witnesses {
            if w.sig_type() != SIG_TYPE_COSIGNATURE_V1 {
                return Err(QuorumError::NotACosignerKey(w.to_string()));
            }
            if !distinct.contains(&w) {
                distinct.push(w);
            }
        }
        if self.k > distinct.len() {
            return Err(QuorumError::Unreachable {
                k: self.k,
                n: distinct.len(),
            });
        }
        let mut counted: Vec<CountedCosignature> = Vec::new();
        for (i, line) in note.signatures().iter().enumerate() {
            let Some(key) = distinct.iter().find(|k| k.matches(line)) else {
                continue;
            };
            let bad = |source| QuorumError::BadCosignature { line: i + 1, source };
            let cosig = Cosignature::from_line(line).map_err(bad)?;
            cosig.verify(key, note.text()).map_err(bad)?;
            if !counted.iter().any(|c| &c.witness == *key) {
                counted.push(CountedCosignature {
                    witness: (*key).clone(),
                    timestamp: cosig.timestamp,
                });
            }
        }
        if counted.len() < self.k {
            return Err(QuorumError::Insufficient {
                got: counted.len(),
                k: self.k,
            });
        }
        Ok(counted)
    }
}

/// Add a cosignature line to a signed checkpoint note.
pub fn add_cosignature(note: &mut Note, cosignature: &Cosignature) -> Result<(), NoteError> {
    note.add_signature(cosignature.to_line())
}

/// Convenience for callers holding a parsed body: the message a cosigner signs.
pub fn cosigned_message_for(checkpoint: &Checkpoint, timestamp: u64) -> Vec<u8> {
    cosigned_message(timestamp, &checkpoint.body())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::hash::HashAlg;
    use crate::merkle::MemoryTree;
    use crate::note::NoteSigner;

    const ORIGIN: &str = "trace.example.cn/log";

    struct Fixture {
        log_key: NoteSigner,
        trusted: TrustedLog,
        tree: MemoryTree,
    }

    impl Fixture {
        fn new() -> Self {
            let log_key = NoteSigner::from_seed(ORIGIN, [1; 32]).unwrap();
            let trusted = TrustedLog::new(log_key.verifier(), HashAlg::Sha256);
            Fixture {
                log_key,
                trusted,
                tree: MemoryTree::new(HashAlg::Sha256),
            }
        }

        fn grow_to(&mut self, size: u64) {
            while self.tree.size() < size {
                let i = self.tree.size();
                self.tree.push_leaf(format!("record {i}").as_bytes());
            }
        }

        fn note_at(&self, size: u64) -> String {
            let cp = Checkpoint::new(ORIGIN, size, self.tree.root_at(size).unwrap()).unwrap();
            cp.sign(&self.log_key).unwrap().to_string()
        }
    }

    fn witness(name: &str, seed: u8) -> Witness {
        Witness::new(CosignerKey::from_seed(name, [seed; 32]).unwrap())
    }

    #[test]
    fn specification_example_line_parses() {
        // The cosignature line of the C2SP tlog-cosignature example (no public key is given).
        let line = "\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==";
        let c = Cosignature::parse(line).unwrap();
        assert_eq!(c.name, "witness.example.com/w1");
        assert_eq!(hex::encode(c.key_id), "8d66cf3f");
        assert_eq!(c.timestamp, 1679315147);
        assert_eq!(c.to_line().to_string(), line);
        let msg = cosigned_message(
            1679315147,
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        );
        assert_eq!(
            String::from_utf8(msg).unwrap(),
            "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        );
    }

    #[test]
    fn cosigner_keys_round_trip() {
        let mut rng = rand::thread_rng();
        let key = CosignerKey::generate("witness.example.org", &mut rng).unwrap();
        let again = CosignerKey::parse(&key.to_private_string()).unwrap();
        assert_eq!(again.verifier(), key.verifier());
        let vkey = VerifierKey::parse(&key.verifier().to_string()).unwrap();
        assert_eq!(vkey.sig_type(), SIG_TYPE_COSIGNATURE_V1);
        // Same seed and name, other type: different key ID, and not accepted as a cosigner.
        let log = NoteSigner::from_seed("witness.example.org", [3; 32]).unwrap();
        assert!(CosignerKey::parse(&log.to_private_string()).is_err());
        let w = CosignerKey::from_seed("witness.example.org", [3; 32]).unwrap();
        assert_ne!(w.verifier().key_id(), log.verifier().key_id());
    }

    #[test]
    fn witness_follows_a_growing_log() {
        let mut f = Fixture::new();
        let mut w = witness("w1.example.org", 10);
        f.grow_to(5);
        let c1 = w.cosign(&f.note_at(5), &[], &f.trusted, 1_700_000_000).unwrap();
        assert_eq!(w.state(ORIGIN).unwrap().size, 5);
        f.grow_to(13);
        let proof = f.tree.consistency_proof(5, 13).unwrap();
        let note13 = f.note_at(13);
        let c2 = w.cosign(&note13, &proof, &f.trusted, 1_700_000_060).unwrap();
        assert_eq!(
            w.state(ORIGIN).unwrap(),
            &WitnessState {
                size: 13,
                root: f.tree.root(),
                timestamp: 1_700_000_060
            }
        );
        // Re-cosigning the same checkpoint is fine.
        w.cosign(&note13, &[], &f.trusted, 1_700_000_120).unwrap();
        let body13 = Checkpoint::new(ORIGIN, 13, f.tree.root()).unwrap().body();
        c2.verify(&w.verifier(), &body13).unwrap();
        assert!(matches!(
            c1.verify(&w.verifier(), &body13),
            Err(CosignatureError::Invalid { .. })
        ));
        // Resuming from persisted state keeps the protection.
        let resumed = Witness::with_states(
            CosignerKey::from_seed("w1.example.org", [10; 32]).unwrap(),
            w.states().clone(),
        );
        assert_eq!(resumed.state(ORIGIN), w.state(ORIGIN));
    }

    #[test]
    fn witness_refuses_rollback() {
        let mut f = Fixture::new();
        let mut w = witness("w1.example.org", 10);
        f.grow_to(8);
        w.cosign(&f.note_at(8), &[], &f.trusted, 1).unwrap();
        assert_eq!(
            w.cosign(&f.note_at(6), &[], &f.trusted, 2),
            Err(WitnessError::Rollback {
                origin: ORIGIN.into(),
                cosigned_size: 8,
                offered_size: 6
            })
        );
        assert_eq!(w.state(ORIGIN).unwrap().size, 8);
    }

    #[test]
    fn witness_refuses_forks() {
        let mut f = Fixture::new();
        let mut w = witness("w1.example.org", 10);
        f.grow_to(8);
        w.cosign(&f.note_at(8), &[], &f.trusted, 1).unwrap();

        // The log signs another history: leaf 3 differs.
        let mut forked = MemoryTree::new(HashAlg::Sha256);
        for i in 0..12u64 {
            let data = if i == 3 {
                "rewritten".to_owned()
            } else {
                format!("record {i}")
            };
            forked.push_leaf(data.as_bytes());
        }
        // Same size, different root.
        let same_size = Checkpoint::new(ORIGIN, 8, forked.root_at(8).unwrap()).unwrap();
        let note = same_size.sign(&f.log_key).unwrap().to_string();
        assert!(matches!(
            w.cosign(&note, &[], &f.trusted, 2),
            Err(WitnessError::Fork { size: 8, .. })
        ));
        // Larger size on the forked history, with the forked history's own proof.
        let bigger = Checkpoint::new(ORIGIN, 12, forked.root()).unwrap();
        let note = bigger.sign(&f.log_key).unwrap().to_string();
        let proof = forked.consistency_proof(8, 12).unwrap();
        assert!(matches!(
            w.cosign(&note, &proof, &f.trusted, 3),
            Err(WitnessError::Inconsistent {
                old_size: 8,
                new_size: 12,
                ..
            })
        ));
        // A missing proof is refused too.
        f.grow_to(12);
        assert!(matches!(
            w.cosign(&f.note_at(12), &[], &f.trusted, 4),
            Err(WitnessError::Inconsistent {
                source: ProofError::WrongLength { .. },
                ..
            })
        ));
        assert_eq!(w.state(ORIGIN).unwrap().size, 8);
    }

    #[test]
    fn witness_refuses_checkpoints_not_signed_by_the_log() {
        let mut f = Fixture::new();
        f.grow_to(3);
        let mut w = witness("w1.example.org", 10);
        let other = NoteSigner::from_seed(ORIGIN, [2; 32]).unwrap();
        let cp = Checkpoint::new(ORIGIN, 3, f.tree.root()).unwrap();
        let note = cp.sign(&other).unwrap().to_string();
        assert!(matches!(
            w.cosign(&note, &[], &f.trusted, 1),
            Err(WitnessError::Checkpoint(CheckpointError::Note(
                NoteError::NoTrustedSignature(_)
            )))
        ));
        assert!(w.state(ORIGIN).is_none());
    }

    #[test]
    fn quorum_counts_distinct_valid_cosignatures() {
        let mut f = Fixture::new();
        f.grow_to(4);
        let text = f.note_at(4);
        let mut ws: Vec<Witness> = (0..3)
            .map(|i| witness(&format!("w{i}.example.org"), 20 + i))
            .collect();
        let keys: Vec<VerifierKey> = ws.iter().map(Witness::verifier).collect();
        let policy = |k| Quorum {
            witnesses: keys.clone(),
            k,
        };
        let mut note = Note::parse(&text).unwrap();
        // No cosignatures.
        assert_eq!(
            policy(1).check(&note),
            Err(QuorumError::Insufficient { got: 0, k: 1 })
        );
        assert_eq!(policy(0).check(&note).unwrap(), vec![]);
        // Two witnesses cosign; one of them twice; plus a stranger.
        for w in ws.iter_mut().take(2) {
            let c = w.cosign(&text, &[], &f.trusted, 100).unwrap();
            add_cosignature(&mut note, &c).unwrap();
        }
        let again = ws[0].cosign(&text, &[], &f.trusted, 101).unwrap();
        add_cosignature(&mut note, &again).unwrap();
        let mut stranger = witness("stranger.example.org", 99);
        add_cosignature(&mut note, &stranger.cosign(&text, &[], &f.trusted, 100).unwrap()).unwrap();
        let reparsed = Note::parse(&note.to_string()).unwrap();
        assert_eq!(policy(2).check(&reparsed).unwrap().len(), 2);
        assert_eq!(
            policy(3).check(&reparsed),
            Err(QuorumError::Insufficient { got: 2, k: 3 })
        );
        assert_eq!(
            policy(4).check(&reparsed),
            Err(QuorumError::Unreachable { k: 4, n: 3 })
        );
        // A duplicated witness in the policy does not count twice.
        let mut dup = policy(2);
        dup.witnesses.push(dup.witnesses[0].clone());
        assert_eq!(dup.check(&reparsed).unwrap().len(), 2);
        assert_eq!(
            Quorum { k: 3, ..dup }.check(&reparsed),
            Err(QuorumError::Insufficient { got: 2, k: 3 })
        );
        // A tampered cosignature from a configured witness rejects the note.
        let mut tampered = Note::parse(&text).unwrap();
        let mut c = ws[1].cosign(&text, &[], &f.trusted, 102).unwrap();
        c.timestamp += 1;
        add_cosignature(&mut tampered, &c).unwrap();
        assert!(matches!(
            policy(1).check(&tampered),
            Err(QuorumError::BadCosignature {
                line: 2,
                source: CosignatureError::Invalid { .. }
            })
        ));
        // Log keys are not witness keys.
        let bad_policy = Quorum {
            witnesses: vec![f.trusted.key.clone()],
            k: 1,
        };
        assert!(matches!(
            bad_policy.check(&reparsed),
            Err(QuorumError::NotACosignerKey(_))
        ));
    }
}
