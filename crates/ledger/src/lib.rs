//! suyuan-ledger: the transparency log behind suyuan's "consensus-certified" records.
//!
//! The traceability standard asks for data "certified by a consensus mechanism" under
//! asymmetric cryptography. This crate answers with a transparency log instead of a
//! blockchain: every accepted record is a leaf of an RFC 6962 / RFC 9162 Merkle tree;
//! the platform signs checkpoints of the tree (C2SP signed-note and tlog-checkpoint);
//! independent witness organisations cosign them (C2SP tlog-cosignature) after checking
//! the log only ever grew; and anyone can verify an offline proof bundle without
//! trusting the platform's database.
//!
//! The crate is pure: no I/O, no clock, no database. Storage (the perfect-subtree rows)
//! sits behind [`merkle::NodeSource`]; time is passed in as UNIX seconds.
//!
//! The whole flow, with an in-memory tree standing in for the store:
//!
//! ```
//! use suyuan_ledger::{
//!     bundle::{verify_bundle, ProofBundle},
//!     checkpoint::{Checkpoint, TrustedLog},
//!     cosignature::{add_cosignature, CosignerKey, Quorum, Witness},
//!     keys::SigningKey,
//!     merkle::MemoryTree,
//!     note::NoteSigner,
//!     record::SignedRecord,
//!     HashAlg,
//! };
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let alg = HashAlg::Sha256;
//! let log_key = NoteSigner::from_seed("log.example.cn/trace", [1; 32])?;
//! let trusted = TrustedLog::new(log_key.verifier(), alg);
//! let mut witness = Witness::new(CosignerKey::from_seed("witness.example.org", [2; 32])?);
//! let quorum = Quorum { witnesses: vec![witness.verifier()], k: 1 };
//!
//! // An organisation signs a record; the log verifies it and appends its leaf.
//! let org = SigningKey::ed25519_from_seed(&[3; 32]);
//! let record = SignedRecord::sign(alg, &org, b"canonical record bytes")?;
//! record.verify(alg)?;
//! let mut tree = MemoryTree::new(alg);
//! let rows = tree.push_leaf_hash(record.leaf_hash(alg)); // (level, index, hash) rows to store
//! assert_eq!(rows.len(), 1);
//!
//! // The log signs a checkpoint; a witness checks and cosigns it.
//! let mut note = Checkpoint::new("log.example.cn/trace", tree.size(), tree.root())?.sign(&log_key)?;
//! let cosignature = witness.cosign(&note.to_string(), &[], &trusted, 1_750_000_000)?;
//! add_cosignature(&mut note, &cosignature)?;
//!
//! // Anyone can verify the offline bundle.
//! let proof = tree.inclusion_proof(0, tree.size())?;
//! let bundle = ProofBundle::build(alg, &record, Some(b"canonical record bytes"), 0, proof, &note, &quorum)?;
//! let verified = verify_bundle(&ProofBundle::from_json(&bundle.to_json())?, &trusted)?;
//! assert_eq!(verified.signer, org.verifying_key());
//! # Ok(())
//! # }
//! ```

pub mod bundle;
pub mod checkpoint;
pub mod cosignature;
pub mod hash;
pub mod keys;
pub mod merkle;
pub mod note;
pub mod record;

pub use hash::{Hash, HashAlg};
