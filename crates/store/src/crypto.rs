//! Encryption of personal data at rest.
//!
//! The legal representative's ID number is personal data. It is stored only
//! encrypted (AES-256-GCM, a random nonce per value) under a key from the
//! configuration, and shown only masked. Whoever reads the database without
//! the key learns nothing but the mask.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;

use crate::StoreError;

const VERSION: &str = "v1:";

/// Encrypts and decrypts personal data with one 256-bit key.
#[derive(Clone)]
pub struct PersonalDataCipher {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for PersonalDataCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonalDataCipher(..)")
    }
}

impl PersonalDataCipher {
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(key.into()),
        }
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
}
