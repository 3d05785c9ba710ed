//! Encryption of personal data at rest.
//!
//! The legal representative's ID number is personal data. It is stored only
//! encrypted (AES-256-GCM, a random nonce per value) under a key from the
//! configuration, and shown only masked. Whoever reads the database without
//! the key learns nothing but the mask.
//!
//! Personal data that is only ever compared, never shown (a client's IP
//! address, to count a code's scans once per client), is kept as a
//! pseudonym instead: HMAC-SHA-256 under a key derived from the same secret
//! ([`PersonalDataCipher::pseudonym`]), so several servers sharing the secret
//! agree on it, and the database alone does not reveal the address.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::StoreError;

const VERSION: &str = "v1:";

type HmacSha256 = Hmac<Sha256>;

/// Encrypts and decrypts personal data with one 256-bit key.
#[derive(Clone)]
pub struct PersonalDataCipher {
    cipher: Aes256Gcm,
    /// HMAC key of [`PersonalDataCipher::pseudonym`], derived from the secret.
    pseudonym_key: [u8; 32],
    /// [`PersonalDataCipher::fingerprint`].
    fingerprint: String,
}

impl std::fmt::Debug for PersonalDataCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonalDataCipher(..)")
    }
}

impl PersonalDataCipher {
    pub fn new(key: &[u8; 32]) -> Self {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
        mac.update(b"suyuan-pseudonym-key/v1");
        let mut hash = <Sha256 as sha2::Digest>::new();
        sha2::Digest::update(&mut hash, b"suyuan-key-fingerprint/v1\n");
        sha2::Digest::update(&mut hash, key);
        let digest = sha2::Digest::finalize(hash);
        Self {
            cipher: Aes256Gcm::new(key.into()),
            pseudonym_key: mac.finalize().into_bytes().into(),
            fingerprint: format!("sha256:{}", hex::encode(&digest[..16])),
        }
    }

    /// Names the key without revealing it: `sha256:` and 32 hex digits of a
    /// hash of the key under a fixed label. A backup's manifest carries it,
    /// so a restore can tell whether the key at hand is the one the data
    /// was sealed with.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// A pseudonym of personal data for `purpose`: HMAC-SHA-256 of the
    /// purpose and the data under a key derived from the secret key.
    /// Equal inputs give equal pseudonyms; without the key they cannot be
    /// linked back to the data.
    pub fn pseudonym(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.pseudonym_key).expect("HMAC takes a key of any length");
        mac.update(purpose.as_bytes());
        mac.update(b"\n");
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// Parses a key written as 64 hex digits or base64 of 32 bytes.
    pub fn from_key_text(text: &str) -> Result<Self, StoreError> {
        let text = text.trim();
        let bytes = hex::decode(text)
            .ok()
            .or_else(|| B64.decode(text).ok())
            .ok_or_else(|| StoreError::Config("the secret key must be 64 hex digits or base64".into()))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| StoreError::Config("the secret key must be 32 bytes".into()))?;
        Ok(Self::new(&key))
    }

    /// A new random key as 64 hex digits.
    pub fn generate_key_text() -> String {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        hex::encode(key)
    }

    pub fn encrypt(&self, plain: &str) -> Result<String, StoreError> {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .map_err(|_| StoreError::Corrupt("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{VERSION}{}", B64.encode(out)))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, StoreError> {
        let wrong = || StoreError::Corrupt("personal data cannot be decrypted with this key".into());
        let body = stored.strip_prefix(VERSION).ok_or_else(wrong)?;
        let bytes = B64.decode(body).map_err(|_| wrong())?;
        if bytes.len() < 12 {
            return Err(wrong());
        }
        let (nonce, sealed) = bytes.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| wrong())?;
        String::from_utf8(plain).map_err(|_| wrong())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_key() {
        let a = PersonalDataCipher::from_key_text(&PersonalDataCipher::generate_key_text()).unwrap();
        let b = PersonalDataCipher::from_key_text(&PersonalDataCipher::generate_key_text()).unwrap();
        let sealed = a.encrypt("11010519491231002X").unwrap();
        assert!(!sealed.contains("1949"));
        assert_eq!(a.decrypt(&sealed).unwrap(), "11010519491231002X");
        assert!(b.decrypt(&sealed).is_err());
        assert_ne!(a.encrypt("x").unwrap(), a.encrypt("x").unwrap());
        assert!(PersonalDataCipher::from_key_text("short").is_err());
    }

    #[test]
    fn pseudonyms_depend_on_key_purpose_and_data() {
        let a = PersonalDataCipher::new(&[1; 32]);
        let b = PersonalDataCipher::new(&[2; 32]);
        assert_eq!(a.pseudonym("p", b"x"), a.pseudonym("p", b"x"));
        assert_ne!(a.pseudonym("p", b"x"), a.pseudonym("p", b"y"));
        assert_ne!(a.pseudonym("p", b"x"), a.pseudonym("q", b"x"));
        assert_ne!(a.pseudonym("p", b"x"), b.pseudonym("p", b"x"));
    }
}
