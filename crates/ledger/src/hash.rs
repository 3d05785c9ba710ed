//! Hash functions and the 32-byte hash value used everywhere in the ledger.
//!
//! The transparency log is an RFC 6962 / RFC 9162 Merkle tree. Those RFCs fix the
//! tree's domain separation (a `0x00` prefix for leaves, `0x01` for interior
//! nodes) but leave the hash function a parameter; C2SP checkpoints assume
//! SHA-256, and Chinese deployments may be required to use SM3 (GM/T 0004). This
//! module keeps that choice in one enum, [`HashAlg`], so the tree algorithms,
//! record hashes and leaf hashes cannot silently mix functions.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use sm3::Sm3;

/// Length in bytes of every hash this crate produces (SHA-256 and SM3 both give 32).
pub const HASH_LEN: usize = 32;

/// Prefix byte of an RFC 6962 leaf hash input.
pub const LEAF_PREFIX: u8 = 0x00;
/// Prefix byte of an RFC 6962 interior node hash input.
pub const NODE_PREFIX: u8 = 0x01;

/// The hash function of a log.
///
/// Serialised (serde, [`fmt::Display`], [`FromStr`]) as `"sha256"` or `"sm3"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum HashAlg {
    /// SHA-256 (FIPS 180-4), the hash of RFC 6962 and of C2SP checkpoints.
    #[default]
    Sha256,
    /// SM3 (GM/T 0004-2012).
    Sm3,
}

impl HashAlg {
    /// The algorithm's name as used in text encodings: `sha256` or `sm3`.
    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "sha256",
            HashAlg::Sm3 => "sm3",
        }
    }

    /// Hash the concatenation of `parts`.
    pub fn digest_parts(self, parts: &[&[u8]]) -> Hash {
        match self {
            HashAlg::Sha256 => {
                let mut h = Sha256::new();
                for p in parts {
                    h.update(p);
                }
                Hash(h.finalize().into())
            }
            HashAlg::Sm3 => {
                let mut h = Sm3::new();
                for p in parts {
                    h.update(p);
                }
                Hash(h.finalize().into())
            }
        }
    }

    /// Hash `data`.
    pub fn digest(self, data: &[u8]) -> Hash {
        self.digest_parts(&[data])
    }

    /// RFC 6962 leaf hash: `H(0x00 || data)`.
    pub fn leaf_hash(self, data: &[u8]) -> Hash {
        self.digest_parts(&[&[LEAF_PREFIX], data])
    }

    /// RFC 6962 interior node hash: `H(0x01 || left || right)`.
    pub fn node_hash(self, left: &Hash, right: &Hash) -> Hash {
        self.digest_parts(&[&[NODE_PREFIX], &left.0, &right.0])
    }

    /// Root of the empty tree: `H("")`.
    pub fn empty_root(self) -> Hash {
        self.digest(&[])
    }
}

impl fmt::Display for HashAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for HashAlg {
    type Err = HashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sha256" => Ok(HashAlg::Sha256),
            "sm3" => Ok(HashAlg::Sm3),
            other => Err(HashError::UnknownAlgorithm(other.to_owned())),
        }
    }
}

/// Why a hash or algorithm name could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// The text is not valid hexadecimal.
    #[error("hash is not valid hex")]
    BadHex,
    /// The text is not valid standard base64 (RFC 4648 section 4, padded).
    #[error("hash is not valid base64")]
    BadBase64,
    /// The decoded value does not have 32 bytes.
    #[error("hash has {0} bytes, expected 32")]
    BadLength(usize),
    /// The hash algorithm name is neither `sha256` nor `sm3`.
    #[error("unknown hash algorithm {0:?} (expected \"sha256\" or \"sm3\")")]
    UnknownAlgorithm(String),
}

/// A 32-byte hash value (SHA-256 or SM3 output).
///
/// Displayed and serialised (serde) as lowercase hex; checkpoints use
/// [`Hash::to_base64`] instead, as C2SP requires.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; HASH_LEN]);

/// Each byte's value as a hex digit (either case); `0xff` for a byte that is none.
const HEX_DIGITS: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut i = 0;
    while i < 16 {
        table[b"0123456789abcdef"[i] as usize] = i as u8;
        table[b"0123456789ABCDEF"[i] as usize] = i as u8;
        i += 1;
    }
    table
};

impl Hash {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; HASH_LEN] {
        &self.0
    }

    /// Build from a slice that must be exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, HashError> {
        <[u8; HASH_LEN]>::try_from(bytes)
            .map(Hash)
            .map_err(|_| HashError::BadLength(bytes.len()))
    }

    /// Lowercase hex, 64 characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parse 64 hex characters (either case).
    pub fn from_hex(s: &str) -> Result<Self, HashError> {
        let text = s.as_bytes();
        if text.len() != 64 {
            // Hex of the wrong length (the length is checked before the digits).
            return Err(if text.len() % 2 == 0 && text.iter().all(u8::is_ascii_hexdigit) {
                HashError::BadLength(text.len() / 2)
            } else {
                HashError::BadHex
            });
        }
        // Read a leaf at a time by `verify`: a table, not a match per digit.
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(text.chunks_exact(2)) {
            let (high, low) = (HEX_DIGITS[usize::from(pair[0])], HEX_DIGITS[usize::from(pair[1])]);
            if (high | low) > 0x0f {
                return Err(HashError::BadHex);
            }
            *byte = (high << 4) | low;
        }
        Ok(Hash(bytes))
    }

    /// Whether `s` is this hash's lower-case hex, exactly (no allocation).
    pub fn is_hex(&self, s: &str) -> bool {
        let mut buf = [0u8; 64];
        hex::encode_to_slice(self.0, &mut buf).is_ok() && buf.as_slice() == s.as_bytes()
    }

    /// Standard padded base64 (44 characters), as in checkpoints.
    pub fn to_base64(&self) -> String {
        B64.encode(self.0)
    }

    /// Parse standard padded base64; non-canonical encodings are rejected.
    pub fn from_base64(s: &str) -> Result<Self, HashError> {
        let bytes = B64.decode(s).map_err(|_| HashError::BadBase64)?;
        let hash = Self::from_slice(&bytes)?;
        if hash.to_base64() != s {
            return Err(HashError::BadBase64);
        }
        Ok(hash)
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl FromStr for Hash {
    type Err = HashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_hex(s)
    }
}

impl From<[u8; HASH_LEN]> for Hash {
    fn from(bytes: [u8; HASH_LEN]) -> Self {
        Hash(bytes)
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Hash::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn empty_roots_are_hashes_of_nothing() {
        assert_eq!(
            HashAlg::Sha256.empty_root().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // GM/T 0004-2012 gives SM3("abc"); the empty-string value is the widely published one.
        assert_eq!(
            HashAlg::Sm3.digest(b"abc").to_hex(),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            HashAlg::Sm3.empty_root().to_hex(),
            "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"
        );
    }

    #[test]
    fn leaf_and_node_hashes_are_domain_separated() {
        // RFC 6962 leaf hash of the empty leaf (first leaf of the reference 8-leaf tree).
        assert_eq!(
            HashAlg::Sha256.leaf_hash(b"").to_hex(),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        let a = HashAlg::Sha256.leaf_hash(b"a");
        let b = HashAlg::Sha256.leaf_hash(b"b");
        let mut joined = vec![0x01];
        joined.extend_from_slice(&a.0);
        joined.extend_from_slice(&b.0);
        assert_eq!(HashAlg::Sha256.node_hash(&a, &b), HashAlg::Sha256.digest(&joined));
        assert_ne!(
            HashAlg::Sha256.node_hash(&a, &b),
            HashAlg::Sha256.node_hash(&b, &a)
        );
        assert_ne!(HashAlg::Sm3.leaf_hash(b"a"), a);
    }

    #[test]
    fn encodings_round_trip_and_reject_junk() {
        let h = HashAlg::Sha256.digest(b"x");
        assert_eq!(Hash::from_hex(&h.to_hex()).unwrap(), h);
        assert_eq!(Hash::from_hex(&h.to_hex().to_uppercase()).unwrap(), h);
        assert_eq!(Hash::from_base64(&h.to_base64()).unwrap(), h);
        assert_eq!(Hash::from_hex("zz"), Err(HashError::BadHex));
        assert_eq!(Hash::from_hex("abcd"), Err(HashError::BadLength(2)));
        assert_eq!(Hash::from_hex("abc"), Err(HashError::BadHex));
        let mut text = h.to_hex();
        text.replace_range(63.., "g");
        assert_eq!(Hash::from_hex(&text), Err(HashError::BadHex));
        text.replace_range(62.., "é");
        assert_eq!(Hash::from_hex(&text), Err(HashError::BadHex));
        assert_eq!(Hash::from_base64("AAAA"), Err(HashError::BadLength(3)));
        assert_eq!(Hash::from_base64("!!"), Err(HashError::BadBase64));
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"{}\"", h.to_hex()));
        assert_eq!(serde_json::from_str::<Hash>(&json).unwrap(), h);
        assert_eq!("sm3".parse::<HashAlg>().unwrap(), HashAlg::Sm3);
        assert!("md5".parse::<HashAlg>().is_err());
        assert_eq!(serde_json::to_string(&HashAlg::Sha256).unwrap(), "\"sha256\"");
    }

    proptest::proptest! {
        /// Any text of 64 bytes reads as the `hex` crate reads it: the same
        /// hash, or refused.
        #[test]
        fn hex_reads_as_the_hex_crate_does(text in "[0-9a-fA-FxyZ]{64}") {
            let mut expected = [0u8; 32];
            let theirs = hex::decode_to_slice(&text, &mut expected).ok().map(|()| Hash(expected));
            proptest::prop_assert_eq!(Hash::from_hex(&text).ok(), theirs);
        }
    }
}
