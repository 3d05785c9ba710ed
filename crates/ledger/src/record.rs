//! Record signatures and the byte layout of log leaves.
//!
//! A record (a traceability event or a master-data record, in the canonical byte form
//! the domain layer defines) enters the log only after its organisation has signed it.
//! This module fixes exactly what is signed and what becomes the Merkle leaf, so that any
//! third party can recompute both. There are two leaf versions:
//!
//! ```text
//! record_hash    = H(canonical record bytes)                        H = the log's HashAlg
//! signed message = "suyuan-record-signature/v1\n" || hash alg name || "\n" || signed_hash
//!
//! version 0x01 (the platform signs what it stores): signed_hash = record_hash
//! leaf data      = 0x01                  leaf format version                 (1 byte)
//!               || key algorithm code    0x01 Ed25519, 0x02 SM2              (1 byte)
//!               || record_hash                                               (32 bytes)
//!               || signer key fingerprint SHA-256(UTF-8 text of public key)  (32 bytes)
//!               || signature             Ed25519 R||S or SM2 r||s            (64 bytes)
//!
//! version 0x02 (detached: the client signed a hash it computed before sending, e.g.
//! the CBV 2.0 event hash; the platform stores more than was signed, such as recordTime):
//! leaf data      = 0x02 || key algorithm code || record_hash || fingerprint || signature
//!               || signed_hash           the 32-byte hash the signature covers (32 bytes)
//!
//! version 0x03 (a batch: the platform signs the records of one capture once):
//! batch root     = RFC 6962 Merkle tree hash over the batch's record hashes, in order
//!                  (each 32-byte record hash is a Merkle leaf: H(0x00 || record_hash))
//! batch message  = "suyuan-batch-signature/v1\n" || hash alg name || "\n"
//!               || batch size (u32 big-endian) || batch root
//! leaf data      = 0x03 || key algorithm code || record_hash || fingerprint || signature
//!               || batch root            (32 bytes)
//!               || index in the batch    (u32 big-endian, from 0)
//!               || batch size            (u32 big-endian, at least 2)
//!
//! leaf hash      = H(0x00 || leaf data)                                      (RFC 6962)
//! ```
//!
//! Leaf data is 130 bytes (version 1), 162 bytes (version 2) or 170 bytes (version 3).
//! Both hashes are in a version-2 leaf: `record_hash` binds everything stored (an edit of
//! any stored field changes it), `signed_hash` is what the organisation's key vouches
//! for. Signing a hash rather than the record lets a proof bundle omit the record body
//! (for privacy) while still proving who signed what. In a version-3 leaf the signature
//! vouches for the batch root, and the record is tied to it by its inclusion proof in
//! the batch (which a proof bundle carries): one signature serves a whole capture, which
//! is what lets the platform take tens of thousands of records a second.

use serde::{Deserialize, Serialize};

use crate::hash::{Hash, HashAlg};
use crate::keys::{
    self, BatchError, Fingerprint, KeyAlgorithm, KeyError, Signature, SigningKey, VerifyingKey,
};
use crate::merkle::{self, MemoryTree, ProofError};

/// Domain-separation prefix of the message an organisation signs.
pub const RECORD_SIGNATURE_CONTEXT: &str = "suyuan-record-signature/v1\n";
/// Version byte at the start of leaf data whose signature covers `record_hash`.
pub const LEAF_VERSION: u8 = 0x01;
/// Version byte of leaf data with a detached signature over a separate `signed_hash`.
pub const LEAF_VERSION_DETACHED: u8 = 0x02;
/// Length of version-1 leaf data in bytes.
pub const LEAF_DATA_LEN: usize = 1 + 1 + 32 + 32 + 64;
/// Length of version-2 (detached) leaf data in bytes.
pub const LEAF_DATA_DETACHED_LEN: usize = LEAF_DATA_LEN + 32;
/// Domain-separation prefix of the message an organisation signs for a batch.
pub const BATCH_SIGNATURE_CONTEXT: &str = "suyuan-batch-signature/v1\n";
/// Version byte of leaf data whose signature covers the root of its batch.
pub const LEAF_VERSION_BATCH: u8 = 0x03;
/// Length of version-3 (batch) leaf data in bytes.
pub const LEAF_DATA_BATCH_LEN: usize = LEAF_DATA_LEN + 32 + 4 + 4;

/// Where a record sits in a batch its organisation signed once (a version-3 leaf).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchPosition {
    /// Merkle tree hash over the batch's record hashes.
    pub root: Hash,
    /// The record's position in the batch, from 0.
    pub index: u32,
    /// Records in the batch (at least 2).
    pub size: u32,
}

/// The message an organisation signs for a batch:
/// `"suyuan-batch-signature/v1\n" || alg name || "\n" || size (u32 BE) || root`.
pub fn batch_message(alg: HashAlg, root: &Hash, size: u32) -> Vec<u8> {
    let mut msg = Vec::with_capacity(BATCH_SIGNATURE_CONTEXT.len() + 8 + 4 + 32);
    msg.extend_from_slice(BATCH_SIGNATURE_CONTEXT.as_bytes());
    msg.extend_from_slice(alg.name().as_bytes());
    msg.push(b'\n');
    msg.extend_from_slice(&size.to_be_bytes());
    msg.extend_from_slice(root.as_bytes());
    msg
}

/// The Merkle tree of a batch: its leaves are the record hashes (as 32-byte leaf data).
pub fn batch_tree(alg: HashAlg, record_hashes: &[Hash]) -> MemoryTree {
    let mut tree = MemoryTree::new(alg);
    for h in record_hashes {
        tree.push_leaf(h.as_bytes());
    }
    tree
}

/// Checks that `record_hash` is the record at `position` of the batch whose root it names.
pub fn verify_batch_inclusion(
    alg: HashAlg,
    record_hash: &Hash,
    position: &BatchPosition,
    proof: &[Hash],
) -> Result<(), ProofError> {
    merkle::verify_inclusion(
        alg,
        &alg.leaf_hash(record_hash.as_bytes()),
        u64::from(position.index),
        u64::from(position.size),
        proof,
        &position.root,
    )
}

/// Hash of a record's canonical bytes under the log's algorithm.
pub fn record_hash(alg: HashAlg, canonical_bytes: &[u8]) -> Hash {
    alg.digest(canonical_bytes)
}

/// The message an organisation signs for a record:
/// `"suyuan-record-signature/v1\n" || alg name || "\n" || record_hash`.
pub fn signed_message(alg: HashAlg, record_hash: &Hash) -> Vec<u8> {
    let mut msg = Vec::with_capacity(RECORD_SIGNATURE_CONTEXT.len() + 8 + 32);
    msg.extend_from_slice(RECORD_SIGNATURE_CONTEXT.as_bytes());
    msg.extend_from_slice(alg.name().as_bytes());
    msg.push(b'\n');
    msg.extend_from_slice(record_hash.as_bytes());
    msg
}

/// The canonical JSON form of a value, for records whose canonical bytes are JSON:
/// object members sorted by key (byte order of their UTF-8), no whitespace, strings
/// escaped as JSON requires (`"`, `\\` and control characters; everything else raw
/// UTF-8), numbers in their shortest round-trip form.
pub fn canonical_json(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Why leaf data could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeafError {
    /// Wrong length for its version.
    #[error("leaf data has {0} bytes, expected {LEAF_DATA_LEN} (version 1), {LEAF_DATA_DETACHED_LEN} (version 2) or {LEAF_DATA_BATCH_LEN} (version 3)")]
    BadLength(usize),
    /// Unknown version byte.
    #[error("unknown leaf format version 0x{0:02x}")]
    BadVersion(u8),
    /// Unknown key algorithm code.
    #[error("unknown key algorithm code 0x{0:02x}")]
    BadAlgorithm(u8),
    /// A batch position outside its batch, or a batch of fewer than two records.
    #[error("batch position {index} of {size} is not a record of a batch of two or more")]
    BadBatchPosition { index: u32, size: u32 },
}

/// The decoded content of a leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeafData {
    /// Signature algorithm of the signer's key.
    pub key_algorithm: KeyAlgorithm,
    /// Hash of the record's canonical bytes.
    pub record_hash: Hash,
    /// Fingerprint of the signer's public key.
    pub signer: Fingerprint,
    /// The organisation's signature over [`signed_message`] of `signed_hash`
    /// (of `record_hash` when there is none).
    pub signature: Signature,
    /// The hash a detached signature covers (version 2); `None` otherwise.
    pub signed_hash: Option<Hash>,
    /// The batch whose root the signature covers (version 3); `None` otherwise.
    /// Never present together with `signed_hash`.
    pub batch: Option<BatchPosition>,
}

impl LeafData {
    /// The encoding: 130 bytes (version 1), 162 bytes (version 2, detached) or 170
    /// bytes (version 3, batch).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(LEAF_DATA_BATCH_LEN);
        out.push(match (&self.signed_hash, &self.batch) {
            (_, Some(_)) => LEAF_VERSION_BATCH,
            (Some(_), None) => LEAF_VERSION_DETACHED,
            (None, None) => LEAF_VERSION,
        });
        out.push(self.key_algorithm.code());
        out.extend_from_slice(self.record_hash.as_bytes());
        out.extend_from_slice(&self.signer.0);
        out.extend_from_slice(&self.signature.0);
        match (&self.signed_hash, &self.batch) {
            (_, Some(batch)) => {
                out.extend_from_slice(batch.root.as_bytes());
                out.extend_from_slice(&batch.index.to_be_bytes());
                out.extend_from_slice(&batch.size.to_be_bytes());
            }
            (Some(signed), None) => out.extend_from_slice(signed.as_bytes()),
            (None, None) => {}
        }
        out
    }

    /// Decode any version.
    pub fn decode(bytes: &[u8]) -> Result<Self, LeafError> {
        let expected = match bytes.first() {
            Some(&LEAF_VERSION) => LEAF_DATA_LEN,
            Some(&LEAF_VERSION_DETACHED) => LEAF_DATA_DETACHED_LEN,
            Some(&LEAF_VERSION_BATCH) => LEAF_DATA_BATCH_LEN,
            Some(&v)
                if [LEAF_DATA_LEN, LEAF_DATA_DETACHED_LEN, LEAF_DATA_BATCH_LEN].contains(&bytes.len()) =>
            {
                return Err(LeafError::BadVersion(v))
            }
            _ => 0,
        };
        if bytes.len() != expected {
            return Err(LeafError::BadLength(bytes.len()));
        }
        let key_algorithm = KeyAlgorithm::from_code(bytes[1]).ok_or(LeafError::BadAlgorithm(bytes[1]))?;
        let mut record_hash = [0u8; 32];
        record_hash.copy_from_slice(&bytes[2..34]);
        let mut signer = [0u8; 32];
        signer.copy_from_slice(&bytes[34..66]);
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&bytes[66..130]);
        let hash_at = |at: usize| {
            let mut h = [0u8; 32];
            h.copy_from_slice(&bytes[at..at + 32]);
            Hash(h)
        };
        let u32_at = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        let signed_hash = (expected == LEAF_DATA_DETACHED_LEN).then(|| hash_at(130));
        let batch = match expected == LEAF_DATA_BATCH_LEN {
            false => None,
            true => {
                let position = BatchPosition {
                    root: hash_at(130),
                    index: u32_at(162),
                    size: u32_at(166),
                };
                if position.size < 2 || position.index >= position.size {
                    return Err(LeafError::BadBatchPosition {
                        index: position.index,
                        size: position.size,
                    });
                }
                Some(position)
            }
        };
        Ok(LeafData {
            key_algorithm,
            record_hash: Hash(record_hash),
            signer: Fingerprint(signer),
            signature: Signature(signature),
            signed_hash,
            batch,
        })
    }

    /// `H(0x00 || encode())`.
    pub fn leaf_hash(&self, alg: HashAlg) -> Hash {
        alg.leaf_hash(&self.encode())
    }
}

/// A record hash with its organisation's signature: what the log appends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedRecord {
    /// Hash of the record's canonical bytes.
    pub record_hash: Hash,
    /// For a detached signature (leaf version 2): the hash the signer signed, which the
    /// platform bound to `record_hash`. `None`: the signature covers `record_hash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_hash: Option<Hash>,
    /// The signing organisation's public key.
    pub signer: VerifyingKey,
    /// Signature over [`SignedRecord::signed_bytes`].
    pub signature: Signature,
    /// For a record signed as part of a batch (leaf version 3): where it sits in the
    /// batch whose root the signature covers. `None` for versions 1 and 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<BatchPosition>,
}

impl SignedRecord {
    /// Hash and sign a record's canonical bytes.
    pub fn sign(alg: HashAlg, key: &SigningKey, canonical_bytes: &[u8]) -> Result<Self, KeyError> {
        Self::sign_hash(alg, key, record_hash(alg, canonical_bytes))
    }

    /// Sign an already computed record hash.
    pub fn sign_hash(alg: HashAlg, key: &SigningKey, record_hash: Hash) -> Result<Self, KeyError> {
        let signature = key.sign(&signed_message(alg, &record_hash))?;
        Ok(SignedRecord {
            record_hash,
            signed_hash: None,
            signer: key.verifying_key(),
            signature,
            batch: None,
        })
    }

    /// Sign the records of a batch with one signature over their batch root: version-3
    /// records, in the order given. A single record is signed alone (version 1).
    pub fn sign_batch(alg: HashAlg, key: &SigningKey, record_hashes: &[Hash]) -> Result<Vec<Self>, KeyError> {
        if let [only] = record_hashes {
            return Ok(vec![Self::sign_hash(alg, key, *only)?]);
        }
        let size = u32::try_from(record_hashes.len()).map_err(|_| KeyError::SigningFailed)?;
        let root = batch_tree(alg, record_hashes).root();
        let signature = key.sign(&batch_message(alg, &root, size))?;
        let signer = key.verifying_key();
        Ok(record_hashes
            .iter()
            .zip(0..)
            .map(|(record_hash, index)| SignedRecord {
                record_hash: *record_hash,
                signed_hash: None,
                signer: signer.clone(),
                signature,
                batch: Some(BatchPosition { root, index, size }),
            })
            .collect())
    }

    /// The hash a version-1 or -2 signature covers: `signed_hash` if detached, else
    /// `record_hash`.
    pub fn message_hash(&self) -> Hash {
        self.signed_hash.unwrap_or(self.record_hash)
    }

    /// The bytes the signature covers: the batch message of the batch root (version 3),
    /// otherwise the signed message of [`SignedRecord::message_hash`].
    pub fn signed_bytes(&self, alg: HashAlg) -> Vec<u8> {
        match &self.batch {
            Some(batch) => batch_message(alg, &batch.root, batch.size),
            None => signed_message(alg, &self.message_hash()),
        }
    }

    /// Check the signature. For a batch record this vouches for the batch root only:
    /// that the record is in the batch is [`verify_batch_inclusion`]'s to check.
    pub fn verify(&self, alg: HashAlg) -> Result<(), KeyError> {
        self.signer.verify(&self.signed_bytes(alg), &self.signature)
    }

    /// The leaf content for this record.
    pub fn leaf(&self) -> LeafData {
        LeafData {
            key_algorithm: self.signer.algorithm(),
            record_hash: self.record_hash,
            signer: self.signer.fingerprint(),
            signature: self.signature,
            signed_hash: self.signed_hash,
            batch: self.batch,
        }
    }

    /// The leaf data (130, 162 or 170 bytes).
    pub fn leaf_data(&self) -> Vec<u8> {
        self.leaf().encode()
    }

    /// The RFC 6962 leaf hash `H(0x00 || leaf data)`.
    pub fn leaf_hash(&self, alg: HashAlg) -> Hash {
        self.leaf().leaf_hash(alg)
    }
}

/// Verify the signatures of many records at once (Ed25519 in one batch), for the append path.
/// The error lists the positions of the records whose signature fails.
pub fn verify_records(alg: HashAlg, records: &[SignedRecord]) -> Result<(), BatchError> {
    let messages: Vec<Vec<u8>> = records.iter().map(|r| r.signed_bytes(alg)).collect();
    let items: Vec<(&[u8], &Signature, &VerifyingKey)> = records
        .iter()
        .zip(&messages)
        .map(|(r, m)| (m.as_slice(), &r.signature, &r.signer))
        .collect();
    keys::verify_batch(&items)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::merkle::MemoryTree;

    #[test]
    fn layout_is_as_documented() {
        let key = SigningKey::ed25519_from_seed(&[9; 32]);
        let rec = SignedRecord::sign(HashAlg::Sha256, &key, b"{\"event\":\"harvest\"}").unwrap();
        assert_eq!(
            rec.record_hash,
            HashAlg::Sha256.digest(b"{\"event\":\"harvest\"}")
        );
        let msg = signed_message(HashAlg::Sha256, &rec.record_hash);
        assert_eq!(&msg[..34], b"suyuan-record-signature/v1\nsha256\n");
        assert_eq!(msg.len(), 34 + 32);
        let data = rec.leaf_data();
        assert_eq!(data[0], 0x01);
        assert_eq!(data[1], 0x01);
        assert_eq!(&data[2..34], rec.record_hash.as_bytes());
        assert_eq!(&data[34..66], &key.verifying_key().fingerprint().0);
        assert_eq!(&data[66..], &rec.signature.0);
        let mut prefixed = vec![0u8];
        prefixed.extend_from_slice(&data);
        assert_eq!(rec.leaf_hash(HashAlg::Sha256), HashAlg::Sha256.digest(&prefixed));
        assert_eq!(LeafData::decode(&data).unwrap(), rec.leaf());
        assert_eq!(LeafData::decode(&data[1..]), Err(LeafError::BadLength(129)));
        let mut bad = data.clone();
        bad[0] = 4;
        assert_eq!(LeafData::decode(&bad), Err(LeafError::BadVersion(4)));
        bad[0] = 3;
        assert_eq!(LeafData::decode(&bad), Err(LeafError::BadLength(130)));
        bad[0] = 2;
        assert_eq!(LeafData::decode(&bad), Err(LeafError::BadLength(130)));
        bad[0] = 1;
        bad[1] = 7;
        assert_eq!(LeafData::decode(&bad), Err(LeafError::BadAlgorithm(7)));
    }

    #[test]
    fn canonical_json_sorts_and_compacts() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{ "b": [1, 2.5, {"z": null, "a": true}], "a": "x\"y\n名", "A": 0 }"#)
                .unwrap();
        assert_eq!(
            canonical_json(&v),
            r#"{"A":0,"a":"x\"y\n名","b":[1,2.5,{"a":true,"z":null}]}"#
        );
    }

    #[test]
    fn detached_layout_is_as_documented() {
        let key = SigningKey::sm2_from_bytes(&[3; 32]).unwrap();
        let signed_hash = HashAlg::Sha256.digest(b"what the client sent");
        let record_hash = HashAlg::Sha256.digest(b"what the platform stored");
        let signature = key.sign(&signed_message(HashAlg::Sha256, &signed_hash)).unwrap();
        let rec = SignedRecord {
            record_hash,
            signed_hash: Some(signed_hash),
            signer: key.verifying_key(),
            signature,
            batch: None,
        };
        rec.verify(HashAlg::Sha256).unwrap();
        let data = rec.leaf_data();
        assert_eq!(data.len(), LEAF_DATA_DETACHED_LEN);
        assert_eq!(data[0], 0x02);
        assert_eq!(data[1], 0x02);
        assert_eq!(&data[2..34], record_hash.as_bytes());
        assert_eq!(&data[34..66], &key.verifying_key().fingerprint().0);
        assert_eq!(&data[66..130], &signature.0);
        assert_eq!(&data[130..], signed_hash.as_bytes());
        assert_eq!(LeafData::decode(&data).unwrap(), rec.leaf());
        // The stored record changes the leaf without touching the signature.
        let other = SignedRecord {
            record_hash: HashAlg::Sha256.digest(b"edited"),
            ..rec.clone()
        };
        other.verify(HashAlg::Sha256).unwrap();
        assert_ne!(other.leaf_hash(HashAlg::Sha256), rec.leaf_hash(HashAlg::Sha256));
        // A signature over another hash does not verify.
        let forged = SignedRecord {
            signed_hash: Some(record_hash),
            ..rec.clone()
        };
        assert!(forged.verify(HashAlg::Sha256).is_err());
        assert!(verify_records(HashAlg::Sha256, &[rec, forged]).is_err());
    }

    #[test]
    fn batch_layout_is_as_documented() {
        let key = SigningKey::ed25519_from_seed(&[4; 32]);
        let alg = HashAlg::Sha256;
        let hashes: Vec<Hash> = (0..5u8).map(|i| alg.digest(&[i])).collect();
        let records = SignedRecord::sign_batch(alg, &key, &hashes).unwrap();
        assert_eq!(records.len(), 5);
        let tree = batch_tree(alg, &hashes);
        let root = tree.root();
        let msg = batch_message(alg, &root, 5);
        assert_eq!(&msg[..33], b"suyuan-batch-signature/v1\nsha256\n");
        assert_eq!(&msg[33..37], &[0, 0, 0, 5]);
        assert_eq!(&msg[37..], root.as_bytes());
        for (i, rec) in records.iter().enumerate() {
            rec.verify(alg).unwrap();
            assert_eq!(rec.signature, records[0].signature, "one signature for the batch");
            let position = rec.batch.unwrap();
            assert_eq!(
                (position.root, position.index as usize, position.size),
                (root, i, 5)
            );
            let proof = tree.inclusion_proof(i as u64, 5).unwrap();
            verify_batch_inclusion(alg, &hashes[i], &position, &proof).unwrap();
            // Another record's hash is not at this position.
            assert!(verify_batch_inclusion(alg, &hashes[(i + 1) % 5], &position, &proof).is_err());
            let data = rec.leaf_data();
            assert_eq!(data.len(), LEAF_DATA_BATCH_LEN);
            assert_eq!(data[0], 0x03);
            assert_eq!(&data[2..34], hashes[i].as_bytes());
            assert_eq!(&data[66..130], &rec.signature.0);
            assert_eq!(&data[130..162], root.as_bytes());
            assert_eq!(&data[162..166], &(i as u32).to_be_bytes());
            assert_eq!(&data[166..170], &5u32.to_be_bytes());
            assert_eq!(LeafData::decode(&data).unwrap(), rec.leaf());
        }
        verify_records(alg, &records).unwrap();
        // The signature covers the batch, not a record hash on its own.
        let alone = SignedRecord {
            batch: None,
            ..records[0].clone()
        };
        assert!(alone.verify(alg).is_err());
        // A position outside its batch does not decode; nor does a batch of one.
        let mut data = records[4].leaf_data();
        data[165] = 5;
        assert_eq!(
            LeafData::decode(&data),
            Err(LeafError::BadBatchPosition { index: 5, size: 5 })
        );
        data[165] = 0;
        data[169] = 1;
        assert_eq!(
            LeafData::decode(&data),
            Err(LeafError::BadBatchPosition { index: 0, size: 1 })
        );
        // A batch of one record is a version-1 record.
        let single = SignedRecord::sign_batch(alg, &key, &hashes[..1]).unwrap();
        assert_eq!(single[0].batch, None);
        assert_eq!(single[0].leaf_data()[0], 0x01);
    }

    #[test]
    fn signatures_bind_hash_algorithm_and_key() {
        let key = SigningKey::ed25519_from_seed(&[9; 32]);
        let rec = SignedRecord::sign(HashAlg::Sm3, &key, b"r").unwrap();
        rec.verify(HashAlg::Sm3).unwrap();
        assert!(rec.verify(HashAlg::Sha256).is_err());
        let other = SigningKey::ed25519_from_seed(&[10; 32]);
        let swapped = SignedRecord {
            signer: other.verifying_key(),
            ..rec.clone()
        };
        assert!(swapped.verify(HashAlg::Sm3).is_err());
        assert_ne!(swapped.leaf_hash(HashAlg::Sm3), rec.leaf_hash(HashAlg::Sm3));
    }

    #[test]
    fn batch_append_path_verifies_and_appends() {
        let keys = [
            SigningKey::ed25519_from_seed(&[1; 32]),
            SigningKey::sm2_from_bytes(&[2; 32]).unwrap(),
        ];
        let mut records: Vec<SignedRecord> = (0..50)
            .map(|i| SignedRecord::sign(HashAlg::Sha256, &keys[i % 2], format!("r{i}").as_bytes()).unwrap())
            .collect();
        verify_records(HashAlg::Sha256, &records).unwrap();
        let mut tree = MemoryTree::new(HashAlg::Sha256);
        for r in &records {
            tree.push_leaf_hash(r.leaf_hash(HashAlg::Sha256));
        }
        assert_eq!(tree.size(), 50);
        records[17].record_hash.0[0] ^= 1;
        records[30].signature.0[0] ^= 1;
        assert_eq!(
            verify_records(HashAlg::Sha256, &records),
            Err(BatchError { failed: vec![17, 30] })
        );
    }

    /// Throughput of the append-path checks (batch signature verification, leaf hashing,
    /// tree append). Run with
    /// `cargo test --release -p suyuan-ledger -- --ignored --nocapture throughput`.
    #[test]
    #[ignore]
    fn throughput() {
        let key = SigningKey::ed25519_from_seed(&[1; 32]);
        let n = 20_000;
        let records: Vec<SignedRecord> = (0..n)
            .map(|i| SignedRecord::sign(HashAlg::Sha256, &key, format!("record {i}").as_bytes()).unwrap())
            .collect();
        let start = std::time::Instant::now();
        let mut tree = MemoryTree::new(HashAlg::Sha256);
        for chunk in records.chunks(256) {
            verify_records(HashAlg::Sha256, chunk).unwrap();
            for r in chunk {
                tree.push_leaf_hash(r.leaf_hash(HashAlg::Sha256));
            }
        }
        let batch = start.elapsed();
        let start = std::time::Instant::now();
        for r in &records {
            r.verify(HashAlg::Sha256).unwrap();
        }
        let single = start.elapsed();
        println!(
            "one core: batch path {:.0} records/s, one-by-one verification {:.0} records/s",
            n as f64 / batch.as_secs_f64(),
            n as f64 / single.as_secs_f64()
        );
    }
}
