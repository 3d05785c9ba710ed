//! The small parts the replay's state is built of: organisations by number
//! ([`Orgs`]), event keys as UUIDs when they are ([`Key`]), and a hasher
//! for keys that are hashes already ([`Prehashed`]).

use foldhash::HashMap;
use std::fmt;
use std::hash::Hasher;

use uuid::Uuid;

/// A hasher for keys that are hashes already (the 128-bit keys of
/// [`super::spill`], folded to a word as they are).
#[derive(Default)]
pub(super) struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = (n as u64) ^ ((n >> 64) as u64);
    }
}

/// Organisations by number.
#[derive(Default)]
pub(super) struct Orgs {
    all: Vec<Uuid>,
    ids: HashMap<Uuid, u32>,
}

impl Orgs {
    pub(super) fn id(&mut self, org: Uuid) -> u32 {
        *self.ids.entry(org).or_insert_with(|| {
            self.all.push(org);
            (self.all.len() - 1) as u32
        })
    }

    pub(super) fn uuid(&self, id: u32) -> Uuid {
        self.all[id as usize]
    }
}

/// An event's key or identifier: a UUID (bare or as `urn:uuid:`) in sixteen
/// bytes, other text as it is. Displays as the text it was made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Key {
    Uuid(Uuid),
    Urn(Uuid),
    Text(Box<str>),
}

const URN_UUID: &str = "urn:uuid:";

/// `s` as a UUID, when it is one written as [`Uuid`] writes it.
fn exact_uuid(s: &str) -> Option<Uuid> {
    if s.len() != 36 {
        return None;
    }
    let u = Uuid::parse_str(s).ok()?;
    let mut buf = Uuid::encode_buffer();
    (u.hyphenated().encode_lower(&mut buf) == s).then_some(u)
}

impl Key {
    pub(super) fn new(s: &str) -> Key {
        if let Some(u) = s.strip_prefix(URN_UUID).and_then(exact_uuid) {
            return Key::Urn(u);
        }
        match exact_uuid(s) {
            Some(u) => Key::Uuid(u),
            None => Key::Text(s.into()),
        }
    }

    /// Whether this is the key written `s`.
    pub(super) fn is(&self, s: &str) -> bool {
        match self {
            Key::Text(t) => **t == *s,
            Key::Uuid(u) => exact_uuid(s) == Some(*u),
            Key::Urn(u) => s.strip_prefix(URN_UUID).and_then(exact_uuid) == Some(*u),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Uuid(u) => write!(f, "{}", u.hyphenated()),
            Key::Urn(u) => write!(f, "{URN_UUID}{}", u.hyphenated()),
            Key::Text(t) => f.write_str(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_display_as_written() {
        for s in [
            "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
            "urn:uuid:0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
            "0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B",
            "urn:uuid:0190a1b2c3d47e5f8a9b0c1d2e3f4a5b",
            "ni:///sha-256;abc?ver=CBV2.0",
            "",
        ] {
            let k = Key::new(s);
            assert_eq!(k.to_string(), s);
            assert!(k.is(s), "{s}");
        }
        assert!(matches!(
            Key::new("urn:uuid:0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
            Key::Urn(_)
        ));
        assert!(!Key::new("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
            .is("urn:uuid:0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"));
    }
}
