//! Offline proof bundles: everything needed to check one record without the platform.
//!
//! A bundle is a JSON document a consumer, auditor or regulator can keep and verify years
//! later with nothing but the log's public key (and, ideally, their own list of trusted
//! witnesses). It carries the record (or only its hash), the organisation's signature and
//! public key, the leaf position, the inclusion proof, and the signed checkpoint with its
//! witness cosignatures. [`verify_bundle`] checks, in order: the record hash, its place in
//! its signed batch (version 3), the record signature, the leaf hash, the log's signature on the checkpoint, the inclusion proof
//! against the checkpoint root, and the k-of-n witness cosignatures.
//!
//! The format is specified for independent implementers in `crates/ledger/README.md`.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::checkpoint::{Checkpoint, CheckpointError, SignedCheckpoint, TrustedLog};
use crate::cosignature::{CountedCosignature, Quorum, QuorumError};
use crate::hash::{Hash, HashAlg};
use crate::keys::{Fingerprint, KeyError, Signature, VerifyingKey};
use crate::merkle::{self, ProofError};
use crate::note::{Note, VerifierKey};
use crate::record::{self, BatchPosition, SignedRecord};

/// The bundle format version of a record whose signature covers its record hash.
pub const BUNDLE_VERSION: u32 = 1;
/// The bundle format version of a record with a detached signature (`signed_hash`
/// present, leaf version 2).
pub const BUNDLE_VERSION_DETACHED: u32 = 2;
/// The bundle format version of a record signed in a batch (`batch` present, leaf
/// version 3).
pub const BUNDLE_VERSION_BATCH: u32 = 3;

/// Where a batch-signed record sits in its batch, and the proof of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleBatch {
    /// Merkle tree hash over the batch's record hashes, hex.
    pub root: Hash,
    /// The record's position in the batch, from 0.
    pub index: u32,
    /// Records in the batch.
    pub size: u32,
    /// Inclusion proof of the record hash in the batch tree, hex hashes, leaf to root.
    pub proof: Vec<Hash>,
}

impl BundleBatch {
    fn position(&self) -> BatchPosition {
        BatchPosition {
            root: self.root,
            index: self.index,
            size: self.size,
        }
    }
}

/// The JSON proof bundle (see the crate README for the normative description).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofBundle {
    /// Format version: 1, 2 when `signed_hash` is present, 3 when `batch` is.
    pub version: u32,
    /// Hash algorithm of the log: `"sha256"` or `"sm3"`.
    pub hash_alg: HashAlg,
    /// The record's canonical bytes, standard base64. Optional if `record_hash` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// Hash of the record's canonical bytes, hex. Optional if `record` is given; must
    /// match it if both are present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_hash: Option<Hash>,
    /// The hash a detached signature covers (version 2 only), hex: for an event the
    /// client signed, its CBV 2.0 event hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_hash: Option<Hash>,
    /// For a record signed in a batch (version 3 only): its place in the batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<BundleBatch>,
    /// The signing organisation's public key, `ed25519:<base64>` or `sm2:<hex>`.
    pub signer_key: VerifyingKey,
    /// The organisation's signature over the record signing message, base64.
    pub signature: Signature,
    /// Position of the leaf in the log, from 0.
    pub leaf_index: u64,
    /// `H(0x00 || leaf data)`, hex.
    pub leaf_hash: Hash,
    /// Inclusion proof from the leaf to the checkpoint root, hex hashes, leaf to root.
    pub inclusion_proof: Vec<Hash>,
    /// Tree size of the checkpoint.
    pub tree_size: u64,
    /// The signed checkpoint note (C2SP signed-note text), with witness cosignature lines.
    pub checkpoint: String,
    /// Witness verifier keys (C2SP vkeys of type 0x04) suggested by the log.
    pub witnesses: Vec<VerifierKey>,
    /// How many of `witnesses` must have cosigned.
    pub quorum: usize,
}

/// Why a bundle was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// The JSON is malformed or a field cannot be decoded.
    #[error("bundle JSON: {0}")]
    Json(String),
    /// Unknown format version.
    #[error("unsupported bundle version {0}")]
    UnsupportedVersion(u32),
    /// The bundle's hash algorithm is not the trusted log's.
    #[error("bundle uses {bundle}, but the trusted log uses {trusted}")]
    HashAlgMismatch {
        /// In the bundle.
        bundle: HashAlg,
        /// Of the trusted log.
        trusted: HashAlg,
    },
    /// Neither the record nor its hash is present.
    #[error("bundle has neither the record nor its hash")]
    MissingRecord,
    /// The record field is not valid base64.
    #[error("record is not valid base64")]
    BadRecordEncoding,
    /// The record's hash differs from the stated record hash.
    #[error("record hashes to {computed}, but the bundle states {stated}")]
    RecordHashMismatch {
        /// Hash of the record bytes.
        computed: Hash,
        /// `record_hash` field.
        stated: Hash,
    },
    /// The record is not where the bundle says in its signed batch.
    #[error("batch inclusion: {0}")]
    BatchInclusion(ProofError),
    /// The organisation's signature does not verify under the stated key.
    #[error("record signature: {0}")]
    RecordSignature(KeyError),
    /// The leaf hash recomputed from record hash, key and signature differs.
    #[error("leaf hash recomputes to {computed}, but the bundle states {stated}")]
    LeafHashMismatch {
        /// Recomputed.
        computed: Hash,
        /// `leaf_hash` field.
        stated: Hash,
    },
    /// The checkpoint is malformed, not signed by the trusted log, or for another origin.
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The bundle's tree size is not the checkpoint's.
    #[error("bundle tree size {bundle} differs from checkpoint size {checkpoint}")]
    TreeSizeMismatch {
        /// `tree_size` field.
        bundle: u64,
        /// Checkpoint size.
        checkpoint: u64,
    },
    /// The inclusion proof does not lead to the checkpoint root.
    #[error("inclusion proof: {0}")]
    Inclusion(#[from] ProofError),
    /// Not enough valid witness cosignatures, or a bad one.
    #[error("witness cosignatures: {0}")]
    Quorum(#[from] QuorumError),
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBundle {
    /// Hash of the record's canonical bytes.
    pub record_hash: Hash,
    /// The hash a detached signature covers, if the record has one.
    pub signed_hash: Option<Hash>,
    /// The batch the record was signed in, if it was.
    pub batch: Option<BatchPosition>,
    /// The record bytes, when the bundle carried them.
    pub record: Option<Vec<u8>>,
    /// The organisation key that signed the record.
    pub signer: VerifyingKey,
    /// Its fingerprint.
    pub signer_fingerprint: Fingerprint,
    /// Leaf position.
    pub leaf_index: u64,
    /// Leaf hash.
    pub leaf_hash: Hash,
    /// The checkpoint the record is included in.
    pub checkpoint: Checkpoint,
    /// Witnesses whose cosignatures counted, with their timestamps.
    pub cosigners: Vec<CountedCosignature>,
}

impl ProofBundle {
    /// Assemble a bundle. `checkpoint_note` is the signed checkpoint with its cosignatures
    /// (its tree size becomes `tree_size`), `proof` the inclusion proof of `leaf_index` in the
    /// checkpoint's tree, and `record_bytes` the canonical record (`None` ships only its hash).
    /// A batch-signed record also needs its proof in the batch: see
    /// [`ProofBundle::with_batch_proof`].
    /// Nothing is verified here; run [`verify_bundle`] on the result before handing it out.
    pub fn build(
        alg: HashAlg,
        record: &SignedRecord,
        record_bytes: Option<&[u8]>,
        leaf_index: u64,
        proof: Vec<Hash>,
        checkpoint_note: &Note,
        witnesses: &Quorum,
    ) -> Result<Self, CheckpointError> {
        let tree_size = Checkpoint::parse_body(checkpoint_note.text())?.size;
        Ok(ProofBundle {
            version: match (record.signed_hash, record.batch) {
                (_, Some(_)) => BUNDLE_VERSION_BATCH,
                (Some(_), None) => BUNDLE_VERSION_DETACHED,
                (None, None) => BUNDLE_VERSION,
            },
            hash_alg: alg,
            record: record_bytes.map(|b| B64.encode(b)),
            record_hash: Some(record.record_hash),
            signed_hash: record.signed_hash,
            batch: record.batch.map(|b| BundleBatch {
                root: b.root,
                index: b.index,
                size: b.size,
                proof: Vec::new(),
            }),
            signer_key: record.signer.clone(),
            signature: record.signature,
            leaf_index,
            leaf_hash: record.leaf_hash(alg),
            inclusion_proof: proof,
            tree_size,
            checkpoint: checkpoint_note.to_string(),
            witnesses: witnesses.witnesses.clone(),
            quorum: witnesses.k,
        })
    }

    /// Sets the inclusion proof of a batch-signed record in its batch (from
    /// [`record::batch_tree`] over the batch's record hashes). No effect on other records.
    pub fn with_batch_proof(mut self, proof: Vec<Hash>) -> Self {
        if let Some(batch) = &mut self.batch {
            batch.proof = proof;
        }
        self
    }

    /// Parse bundle JSON.
    pub fn from_json(json: &str) -> Result<Self, BundleError> {
        serde_json::from_str(json).map_err(|e| BundleError::Json(e.to_string()))
    }

    /// Pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Serialising this struct cannot fail: every field is a string, number or list.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The witness policy the bundle suggests.
    pub fn quorum(&self) -> Quorum {
        Quorum {
            witnesses: self.witnesses.clone(),
            k: self.quorum,
        }
    }
}

/// Verify a bundle against the trusted log, using the witness policy carried in the bundle.
///
/// The bundle's witness list comes from the log, so it proves only that those witnesses
/// cosigned; a verifier that wants protection against a log showing it a private fork must
/// pin its own witnesses with [`verify_bundle_with_quorum`] (or compare
/// [`VerifiedBundle::cosigners`] with a list it trusts).
pub fn verify_bundle(bundle: &ProofBundle, trusted_log: &TrustedLog) -> Result<VerifiedBundle, BundleError> {
    verify_bundle_with_quorum(bundle, trusted_log, &bundle.quorum())
}

/// Verify a bundle against the trusted log and the verifier's own witness policy.
pub fn verify_bundle_with_quorum(
    bundle: &ProofBundle,
    trusted_log: &TrustedLog,
    quorum: &Quorum,
) -> Result<VerifiedBundle, BundleError> {
    let expected_version = match (&bundle.signed_hash, &bundle.batch) {
        (None, None) => BUNDLE_VERSION,
        (Some(_), None) => BUNDLE_VERSION_DETACHED,
        (None, Some(_)) => BUNDLE_VERSION_BATCH,
        (Some(_), Some(_)) => return Err(BundleError::UnsupportedVersion(bundle.version)),
    };
    if bundle.version != expected_version {
        return Err(BundleError::UnsupportedVersion(bundle.version));
    }
    let alg = bundle.hash_alg;
    if alg != trusted_log.alg {
        return Err(BundleError::HashAlgMismatch {
            bundle: alg,
            trusted: trusted_log.alg,
        });
    }

    // 1. The record hash, from the record bytes and/or the stated hash.
    let record_bytes = match &bundle.record {
        Some(b64) => Some(B64.decode(b64).map_err(|_| BundleError::BadRecordEncoding)?),
        None => None,
    };
    let record_hash = match (&record_bytes, bundle.record_hash) {
        (Some(bytes), stated) => {
            let computed = record::record_hash(alg, bytes);
            if let Some(stated) = stated {
                if stated != computed {
                    return Err(BundleError::RecordHashMismatch { computed, stated });
                }
            }
            computed
        }
        (None, Some(stated)) => stated,
        (None, None) => return Err(BundleError::MissingRecord),
    };

    // 2. A batch-signed record: its place in the batch.
    let batch = bundle.batch.as_ref().map(BundleBatch::position);
    if let (Some(position), Some(b)) = (&batch, &bundle.batch) {
        record::verify_batch_inclusion(alg, &record_hash, position, &b.proof)
            .map_err(BundleError::BatchInclusion)?;
    }

    // 3. The organisation's signature.
    let signed = SignedRecord {
        record_hash,
        signed_hash: bundle.signed_hash,
        signer: bundle.signer_key.clone(),
        signature: bundle.signature,
        batch,
    };
    signed.verify(alg).map_err(BundleError::RecordSignature)?;

    // 4. The leaf hash.
    let leaf_hash = signed.leaf_hash(alg);
    if leaf_hash != bundle.leaf_hash {
        return Err(BundleError::LeafHashMismatch {
            computed: leaf_hash,
            stated: bundle.leaf_hash,
        });
    }

    // 5. The log's signature on the checkpoint.
    let opened = SignedCheckpoint::open(&bundle.checkpoint, trusted_log)?;
    if opened.checkpoint.size != bundle.tree_size {
        return Err(BundleError::TreeSizeMismatch {
            bundle: bundle.tree_size,
            checkpoint: opened.checkpoint.size,
        });
    }

    // 6. Inclusion of the leaf under the checkpoint root.
    merkle::verify_inclusion(
        alg,
        &leaf_hash,
        bundle.leaf_index,
        opened.checkpoint.size,
        &bundle.inclusion_proof,
        &opened.checkpoint.root,
    )?;

    // 7. Witness cosignatures.
    let cosigners = quorum.check(&opened.note)?;

    Ok(VerifiedBundle {
        record_hash,
        signed_hash: bundle.signed_hash,
        batch,
        record: record_bytes,
        signer_fingerprint: signed.signer.fingerprint(),
        signer: signed.signer,
        leaf_index: bundle.leaf_index,
        leaf_hash,
        checkpoint: opened.checkpoint,
        cosigners,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::cosignature::{add_cosignature, CosignerKey, Witness};
    use crate::keys::SigningKey;
    use crate::merkle::MemoryTree;
    use crate::note::NoteSigner;

    const ORIGIN: &str = "log.suyuan.example/2025";
    const ALG: HashAlg = HashAlg::Sha256;

    struct World {
        log_key: NoteSigner,
        trusted: TrustedLog,
        witnesses: Vec<Witness>,
        quorum: Quorum,
        org: SigningKey,
        records: Vec<(Vec<u8>, SignedRecord)>,
        tree: MemoryTree,
    }

    fn record_bytes(i: usize) -> Vec<u8> {
        format!("{{\"event\":\"harvest\",\"lot\":\"LOT-{i:04}\"}}").into_bytes()
    }

    /// A deterministic log of six records, with three witnesses of whom two must cosign.
    fn world() -> World {
        let log_key = NoteSigner::from_seed(ORIGIN, [1; 32]).unwrap();
        let trusted = TrustedLog::new(log_key.verifier(), ALG);
        let witnesses: Vec<Witness> = [
            "witness-a.example.org",
            "witness-b.example.org",
            "witness-c.example.org",
        ]
        .iter()
        .zip([2u8, 3, 4])
        .map(|(name, seed)| Witness::new(CosignerKey::from_seed(name, [seed; 32]).unwrap()))
        .collect();
        let quorum = Quorum {
            witnesses: witnesses.iter().map(Witness::verifier).collect(),
            k: 2,
        };
        let org = SigningKey::ed25519_from_seed(&[5; 32]);
        let mut tree = MemoryTree::new(ALG);
        let mut records = Vec::new();
        for i in 0..6 {
            let bytes = record_bytes(i);
            let rec = SignedRecord::sign(ALG, &org, &bytes).unwrap();
            tree.push_leaf_hash(rec.leaf_hash(ALG));
            records.push((bytes, rec));
        }
        World {
            log_key,
            trusted,
            witnesses,
            quorum,
            org,
            records,
            tree,
        }
    }

    /// Checkpoint the whole tree and have the first `cosigners` witnesses cosign it.
    fn checkpoint(w: &mut World, cosigners: usize) -> Note {
        let cp = Checkpoint::new(ORIGIN, w.tree.size(), w.tree.root()).unwrap();
        let mut note = cp.sign(&w.log_key).unwrap();
        let text = note.to_string();
        for (i, witness) in w.witnesses.iter_mut().take(cosigners).enumerate() {
            let c = witness
                .cosign(&text, &[], &w.trusted, 1_750_000_000 + i as u64)
                .unwrap();
            add_cosignature(&mut note, &c).unwrap();
        }
        note
    }

    fn bundle_for(w: &mut World, index: usize, with_record: bool, cosigners: usize) -> ProofBundle {
        let note = checkpoint(w, cosigners);
        let size = w.tree.size();
        let proof = w.tree.inclusion_proof(index as u64, size).unwrap();
        let (bytes, rec) = &w.records[index];
        let bytes = if with_record { Some(bytes.as_slice()) } else { None };
        ProofBundle::build(ALG, rec, bytes, index as u64, proof, &note, &w.quorum).unwrap()
    }

    #[test]
    fn a_good_bundle_verifies_with_or_without_the_record() {
        let mut w = world();
        let b = bundle_for(&mut w, 4, true, 2);
        let v = verify_bundle(&ProofBundle::from_json(&b.to_json()).unwrap(), &w.trusted).unwrap();
        assert_eq!(v.record.as_deref(), Some(record_bytes(4).as_slice()));
        assert_eq!(v.signer, w.org.verifying_key());
        assert_eq!(v.checkpoint.size, 6);
        assert_eq!(v.cosigners.len(), 2);
        let mut hash_only = b.clone();
        hash_only.record = None;
        verify_bundle(&hash_only, &w.trusted).unwrap();
        let mut record_only = b;
        record_only.record_hash = None;
        verify_bundle(&record_only, &w.trusted).unwrap();
    }

    #[test]
    fn a_batch_signed_bundle_verifies_and_binds_the_record_to_its_batch() {
        let mut w = world();
        // Records 6 to 9: one capture, signed once over its batch root.
        let bodies: Vec<Vec<u8>> = (6..10).map(record_bytes).collect();
        let hashes: Vec<Hash> = bodies.iter().map(|b| ALG.digest(b)).collect();
        let batch = SignedRecord::sign_batch(ALG, &w.org, &hashes).unwrap();
        for (body, rec) in bodies.into_iter().zip(batch) {
            w.tree.push_leaf_hash(rec.leaf_hash(ALG));
            w.records.push((body, rec));
        }
        let batch_tree = record::batch_tree(ALG, &hashes);
        let b = bundle_for(&mut w, 8, true, 2).with_batch_proof(batch_tree.inclusion_proof(2, 4).unwrap());
        assert_eq!(b.version, BUNDLE_VERSION_BATCH);
        let v = verify_bundle(&ProofBundle::from_json(&b.to_json()).unwrap(), &w.trusted).unwrap();
        assert_eq!(v.batch.map(|p| (p.index, p.size)), Some((2, 4)));
        assert_eq!(v.record.as_deref(), Some(record_bytes(8).as_slice()));
        // Another record of the batch does not pass for this one.
        let mut other = b.clone();
        other.record = Some(B64.encode(record_bytes(7)));
        other.record_hash = None;
        assert!(matches!(
            verify_bundle(&other, &w.trusted),
            Err(BundleError::BatchInclusion(_))
        ));
        // Nor does a wrong position, a missing proof or a batch dropped from the bundle.
        let mut moved = b.clone();
        if let Some(batch) = &mut moved.batch {
            batch.index = 1;
        }
        assert!(verify_bundle(&moved, &w.trusted).is_err());
        let mut no_proof = b.clone();
        if let Some(batch) = &mut no_proof.batch {
            batch.proof.clear();
        }
        assert!(matches!(
            verify_bundle(&no_proof, &w.trusted),
            Err(BundleError::BatchInclusion(_))
        ));
        let mut dropped = b.clone();
        dropped.batch = None;
        dropped.version = BUNDLE_VERSION;
        assert!(matches!(
            verify_bundle(&dropped, &w.trusted),
            Err(BundleError::RecordSignature(_))
        ));
        let mut both = b;
        both.signed_hash = Some(hashes[2]);
        assert!(matches!(
            verify_bundle(&both, &w.trusted),
            Err(BundleError::UnsupportedVersion(3))
        ));
    }

    #[test]
    fn a_detached_signature_bundle_verifies_and_binds_both_hashes() {
        let mut w = world();
        // Record 6: the client signed a hash of what it sent; the log stores more.
        let signed_hash = ALG.digest(b"the event as the client sent it");
        let record = SignedRecord {
            record_hash: ALG.digest(b"the event as stored, with its recordTime"),
            signed_hash: Some(signed_hash),
            signer: w.org.verifying_key(),
            signature: w.org.sign(&record::signed_message(ALG, &signed_hash)).unwrap(),
            batch: None,
        };
        w.tree.push_leaf_hash(record.leaf_hash(ALG));
        w.records
            .push((b"the event as stored, with its recordTime".to_vec(), record));
        let b = bundle_for(&mut w, 6, true, 2);
        assert_eq!(b.version, BUNDLE_VERSION_DETACHED);
        let v = verify_bundle(&ProofBundle::from_json(&b.to_json()).unwrap(), &w.trusted).unwrap();
        assert_eq!(v.signed_hash, Some(signed_hash));
        // Without its signed hash (or with another), the bundle fails.
        let mut dropped = b.clone();
        dropped.signed_hash = None;
        assert!(verify_bundle(&dropped, &w.trusted).is_err());
        dropped.version = BUNDLE_VERSION;
        assert!(matches!(
            verify_bundle(&dropped, &w.trusted),
            Err(BundleError::RecordSignature(_))
        ));
        let mut other = b.clone();
        other.record = None;
        other.record_hash = Some(ALG.digest(b"edited"));
        assert!(matches!(
            verify_bundle(&other, &w.trusted),
            Err(BundleError::LeafHashMismatch { .. })
        ));
    }

    #[test]
    fn the_readme_example_is_current_and_verifies() {
        let mut w = world();
        let b = bundle_for(&mut w, 4, true, 2);
        let example = include_str!("../testdata/example-bundle.json");
        assert_eq!(
            b.to_json(),
            example.trim_end(),
            "regenerate testdata/example-bundle.json and the README"
        );
        let readme = include_str!("../README.md");
        assert!(
            readme.contains(example.trim_end()),
            "README example differs from testdata/example-bundle.json"
        );
        assert!(
            readme.contains(&w.trusted.key.to_string()),
            "README must show the example log key"
        );
        verify_bundle(&ProofBundle::from_json(example).unwrap(), &w.trusted).unwrap();
    }

    #[test]
    fn refuses_a_bad_record_signature() {
        let mut w = world();
        let mut b = bundle_for(&mut w, 2, true, 2);
        b.signature.0[10] ^= 1;
        assert!(matches!(
            verify_bundle(&b, &w.trusted),
            Err(BundleError::RecordSignature(KeyError::InvalidSignature { .. }))
        ));
    }

    #[test]
    fn refuses_a_signature_by_the_wrong_key() {
        let mut w = world();
        let good = bundle_for(&mut w, 2, true, 2);
        let mallory = SigningKey::ed25519_from_seed(&[66; 32]);
        // Mallory's key stated, the organisation's signature kept: the signature fails.
        let mut b = good.clone();
        b.signer_key = mallory.verifying_key();
        assert!(matches!(
            verify_bundle(&b, &w.trusted),
            Err(BundleError::RecordSignature(_))
        ));
        // Mallory re-signs the record with her own key: the signature holds, but the logged
        // leaf names the organisation's key, so the leaf hash no longer matches.
        let forged = SignedRecord::sign(ALG, &mallory, &w.records[2].0).unwrap();
        let mut b = good.clone();
        b.signer_key = forged.signer.clone();
        b.signature = forged.signature;
        assert!(matches!(
            verify_bundle(&b, &w.trusted),
            Err(BundleError::LeafHashMismatch { .. })
        ));
        // ... and with a leaf hash to match, the inclusion proof fails.
        b.leaf_hash = forged.leaf_hash(ALG);
        assert!(matches!(
            verify_bundle(&b, &w.trusted),
            Err(BundleError::Inclusion(ProofError::RootMismatch { .. }))
        ));
        // The same with an SM2 key.
        let sm2 = SigningKey::sm2_from_bytes(&[7; 32]).unwrap();
        let mut b = good;
        b.signer_key = sm2.verifying_key();
        assert!(matches!(
            verify_bundle(&b, &w.trusted),
            Err(BundleError::RecordSignature(_))
        ));
    }

    #[test]
    fn refuses_a_tampered_record_or_leaf() {
        let mut w = world();
        let good = bundle_for(&mut w, 3, true, 2);
        // Record bytes changed: no longer the stated hash.
        let mut b = good.clone();
        b.record = Some(B64.encode(b"{\"event\":\"harvest\",\"lot\":\"LOT-9999\"}"));
        assert!(matches!(
            verify_bundle(&b, &w.trusted),
            Err(BundleError::RecordHashMismatch { .. })
        ));
        // Record changed and stated hash dropped: the signature no longer covers it.
        b.record_hash = None;
        assert!(matches!(
            verify_bundle(&b, &w.trusted),
            Err(BundleError::RecordSignature(_))
        ));
        // Leaf hash changed.
        let mut b = good.clone();
        b.leaf_hash.0[0] ^= 1;
        assert!(matches!(
            verify_bundle(&b, &w.trusted),
            Err(BundleError::LeafHashMismatch { .. })
        ));
        // Another record's data with this record's proof.
        let mut b = good.clone();
        let (bytes, rec) = &w.records[1];
        b.record = Some(B64.encode(bytes));
        b.record_hash = Some(rec.record_hash);
        b.signature = rec.signature;
        b.leaf_hash = rec.leaf_hash(ALG);
        assert!(matches!(
            verify_bundle(&b, &w.trusted),
            Err(BundleError::Inclusion(_))
        ));
        let mut b = good;
        b.record = Some("not base64!".into());
        assert_eq!(verify_bundle(&b, &w.trusted), Err(BundleError::BadRecordEncoding));
        b.record = None;
        b.record_hash = None;
        assert_eq!(verify_bundle(&b, &w.trusted), Err(BundleError::MissingRecord));
    }

    #[test]
    fn refuses_a_wrong_index_or_tampered_proof() {
        let mut w = world();
        let good = bundle_for(&mut w, 4, false, 2);
        for index in [0, 3, 5, 6, 100] {
            let mut b = good.clone();
            b.leaf_index = index;
            assert!(
                matches!(verify_bundle(&b, &w.trusted), Err(BundleError::Inclusion(_))),
                "index {index}"
            );
        }
        for i in 0..good.inclusion_proof.len() {
            let mut b = good.clone();
            b.inclusion_proof[i].0[7] ^= 0x40;
            assert!(matches!(
                verify_bundle(&b, &w.trusted),
                Err(BundleError::Inclusion(ProofError::RootMismatch { .. }))
            ));
        }
        let mut b = good.clone();
        b.inclusion_proof.pop();
        assert!(matches!(
            verify_bundle(&b, &w.trusted),
            Err(BundleError::Inclusion(ProofError::WrongLength { .. }))
        ));
        let mut b = good;
        b.tree_size = 5;
        assert_eq!(
            verify_bundle(&b, &w.trusted),
            Err(BundleError::TreeSizeMismatch {
                bundle: 5,
                checkpoint: 6
            })
        );
    }

    #[test]
    fn refuses_a_checkpoint_signed_by_another_key() {
        let mut w = world();
        let good = bundle_for(&mut w, 1, true, 2);
        // The checkpoint as signed by an impostor log key of the same name.
        let impostor = NoteSigner::from_seed(ORIGIN, [77; 32]).unwrap();
        let cp = Checkpoint::new(ORIGIN, w.tree.size(), w.tree.root()).unwrap();
        let mut b = good.clone();
        b.checkpoint = cp.sign(&impostor).unwrap().to_string();
        assert!(matches!(
            verify_bundle(&b, &w.trusted),
            Err(BundleError::Checkpoint(CheckpointError::Note(_)))
        ));
        // The genuine bundle checked against another trusted log key.
        let other = TrustedLog::new(impostor.verifier(), ALG);
        assert!(matches!(
            verify_bundle(&good, &other),
            Err(BundleError::Checkpoint(_))
        ));
        // Or against a log using another hash algorithm.
        let sm3 = TrustedLog::new(w.trusted.key.clone(), HashAlg::Sm3);
        assert!(matches!(
            verify_bundle(&good, &sm3),
            Err(BundleError::HashAlgMismatch { .. })
        ));
        // A checkpoint whose root was altered after signing.
        let mut b = good;
        let root = w.tree.root().to_base64();
        let mut other_root = w.tree.root();
        other_root.0[0] ^= 1;
        b.checkpoint = b.checkpoint.replacen(&root, &other_root.to_base64(), 1);
        assert!(matches!(
            verify_bundle(&b, &w.trusted),
            Err(BundleError::Checkpoint(_))
        ));
    }

    #[test]
    fn refuses_insufficient_cosignatures() {
        let mut w = world();
        let one = bundle_for(&mut w, 0, true, 1);
        assert_eq!(
            verify_bundle(&one, &w.trusted),
            Err(BundleError::Quorum(QuorumError::Insufficient { got: 1, k: 2 }))
        );
        // The verifier's own policy decides, not the bundle's.
        let mut lenient = one.clone();
        lenient.quorum = 1;
        verify_bundle(&lenient, &w.trusted).unwrap();
        assert!(matches!(
            verify_bundle_with_quorum(&lenient, &w.trusted, &w.quorum),
            Err(BundleError::Quorum(QuorumError::Insufficient { .. }))
        ));
        // A cosignature from a witness the verifier does not trust does not count.
        let stranger = CosignerKey::from_seed("stranger.example.org", [88; 32]).unwrap();
        let strict = Quorum {
            witnesses: vec![stranger.verifier()],
            k: 1,
        };
        assert!(matches!(
            verify_bundle_with_quorum(&lenient, &w.trusted, &strict),
            Err(BundleError::Quorum(QuorumError::Insufficient { got: 0, k: 1 }))
        ));
    }

    /// A log that shows a forked history signs it with its real key, but the witnesses,
    /// who saw the honest tree, will not cosign it, so the bundle fails the quorum.
    #[test]
    fn a_forked_checkpoint_gets_no_quorum() {
        let mut w = world();
        let honest = checkpoint(&mut w, 3);
        assert_eq!(w.quorum.check(&honest).unwrap().len(), 3);
        let mut forked = MemoryTree::new(ALG);
        let evil = SignedRecord::sign(ALG, &w.org, b"{\"event\":\"recall-hidden\"}").unwrap();
        for (i, (_, rec)) in w.records.iter().enumerate() {
            forked.push_leaf_hash(if i == 2 {
                evil.leaf_hash(ALG)
            } else {
                rec.leaf_hash(ALG)
            });
        }
        let cp = Checkpoint::new(ORIGIN, forked.size(), forked.root()).unwrap();
        let mut note = cp.sign(&w.log_key).unwrap();
        let text = note.to_string();
        for witness in &mut w.witnesses {
            assert!(witness.cosign(&text, &[], &w.trusted, 1_750_000_100).is_err());
        }
        // The log could only attach its own (invalid) lines, which are caught.
        note.add_signature(garbage_cosignature(&w.witnesses[0].verifier()))
            .unwrap();
        let proof = forked.inclusion_proof(2, 6).unwrap();
        let b = ProofBundle::build(ALG, &evil, None, 2, proof, &note, &w.quorum).unwrap();
        assert!(matches!(
            verify_bundle(&b, &w.trusted),
            Err(BundleError::Quorum(_))
        ));
    }

    /// A syntactically valid cosignature line for `key` with a garbage signature.
    fn garbage_cosignature(key: &VerifierKey) -> crate::note::SignatureLine {
        let mut signature = 1_750_000_100u64.to_be_bytes().to_vec();
        signature.extend_from_slice(&[0x5a; 64]);
        crate::note::SignatureLine {
            name: key.name().to_owned(),
            key_id: key.key_id(),
            signature,
        }
    }

    #[test]
    fn refuses_malformed_json_and_versions() {
        let mut w = world();
        let b = bundle_for(&mut w, 0, true, 2);
        assert!(matches!(ProofBundle::from_json("{}"), Err(BundleError::Json(_))));
        let mut v: serde_json::Value = serde_json::from_str(&b.to_json()).unwrap();
        v["extra"] = serde_json::Value::Bool(true);
        assert!(ProofBundle::from_json(&v.to_string()).is_err());
        let mut v: serde_json::Value = serde_json::from_str(&b.to_json()).unwrap();
        v["signer_key"] = serde_json::Value::String("ed25519:AAAA".into());
        assert!(ProofBundle::from_json(&v.to_string()).is_err());
        let mut b2 = b;
        b2.version = 2;
        assert_eq!(
            verify_bundle(&b2, &w.trusted),
            Err(BundleError::UnsupportedVersion(2))
        );
    }

    /// Prints the example values used in the README. Run with `--ignored --nocapture`.
    #[test]
    #[ignore]
    fn print_readme_example() {
        let mut w = world();
        let b = bundle_for(&mut w, 4, true, 2);
        let (bytes, rec) = &w.records[4];
        println!("log vkey: {}", w.trusted.key);
        for wi in &w.witnesses {
            println!("witness vkey: {}", wi.verifier());
        }
        println!("record: {}", String::from_utf8_lossy(bytes));
        println!("record hash: {}", rec.record_hash);
        println!(
            "signed message hex: {}",
            hex::encode(record::signed_message(ALG, &rec.record_hash))
        );
        println!("fingerprint: {}", rec.signer.fingerprint());
        println!("leaf data hex: {}", hex::encode(rec.leaf_data()));
        println!("leaf hash: {}", rec.leaf_hash(ALG));
        println!("root: {} / {}", w.tree.root(), w.tree.root().to_base64());
        println!("{}", b.to_json());
    }
}
