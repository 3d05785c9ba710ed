//! The small parts the replay's state is built of, so that it costs a few
//! dozen bytes per unit rather than a string per column: every identifier
//! kept once ([`Interned`], named by a dense number), organisations by
//! number ([`Orgs`]), event keys as UUIDs when they are ([`Key`]), and the
//! one-to-many relations between units as linked lists in one vector
//! ([`Links`]).

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use uuid::Uuid;

/// A number no [`Interned`] string has: "none".
pub(super) const NONE: u32 = u32::MAX;

/// A hasher for keys that are hashes already (`u64`, taken as they are) or
/// small numbers (`u32`, spread over the word by a multiplication: the map
/// files entries by the top bits of their hash).
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
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Strings kept once, in one buffer, each named by the number of its
/// first interning (0, 1, 2 …). Looked up by a keyed hash; strings whose
/// hashes clash (rare) are kept in a map of their own.
#[derive(Default)]
pub(super) struct Interned {
    text: String,
    spans: Vec<(u32, u32)>,
    by_hash: HashMap<u64, u32, BuildHasherDefault<Prehashed>>,
    clashes: HashMap<Box<str>, u32>,
    keys: RandomState,
}

impl Interned {
    /// The string numbered `id`.
    pub(super) fn text(&self, id: u32) -> &str {
        let (start, len) = self.spans[id as usize];
        &self.text[start as usize..(start + len) as usize]
    }

    /// The number of `s`, if it is kept.
    pub(super) fn get(&self, s: &str) -> Option<u32> {
        match self.by_hash.get(&self.keys.hash_one(s)) {
            Some(&id) if self.text(id) == s => Some(id),
            Some(_) => self.clashes.get(s).copied(),
            None => None,
        }
    }

    /// The number of `s`, kept now if it was not.
    pub(super) fn intern(&mut self, s: &str) -> u32 {
        let hash = self.keys.hash_one(s);
        if let Some(&id) = self.by_hash.get(&hash) {
            if self.text(id) == s {
                return id;
            }
            if let Some(&id) = self.clashes.get(s) {
                return id;
            }
            let id = self.push(s);
            self.clashes.insert(s.into(), id);
            return id;
        }
        let id = self.push(s);
        self.by_hash.insert(hash, id);
        id
    }

    fn push(&mut self, s: &str) -> u32 {
        let id = self.spans.len() as u32;
        self.spans.push((self.text.len() as u32, s.len() as u32));
        self.text.push_str(s);
        id
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

/// A one-to-many relation between numbered things, as linked lists kept in
/// one vector: eight bytes a link, one map entry per "from". A "from"'s
/// links come back newest first.
#[derive(Default)]
pub(super) struct Links {
    head: HashMap<u32, u32, BuildHasherDefault<Prehashed>>,
    /// (to, the next link of the same "from" or [`NONE`]).
    links: Vec<(u32, u32)>,
}

impl Links {
    pub(super) fn push(&mut self, from: u32, to: u32) {
        let at = self.links.len() as u32;
        let next = self.head.insert(from, at).unwrap_or(NONE);
        self.links.push((to, next));
    }

    /// What `from` links to.
    pub(super) fn of(&self, from: u32) -> impl Iterator<Item = u32> + '_ {
        let mut at = self.head.get(&from).copied().unwrap_or(NONE);
        std::iter::from_fn(move || {
            let (to, next) = *self.links.get(at as usize)?;
            at = next;
            Some(to)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interned_strings_keep_their_numbers_and_text() {
        let mut i = Interned::default();
        let a = i.intern("https://id.gs1.org/01/09520000000011/10/A");
        let b = i.intern("https://id.gs1.org/00/095200000000000018");
        assert_eq!((a, b), (0, 1));
        assert_eq!(i.intern("https://id.gs1.org/01/09520000000011/10/A"), a);
        assert_eq!(i.get("https://id.gs1.org/00/095200000000000018"), Some(b));
        assert_eq!(i.get("https://id.gs1.org/00/1"), None);
        assert_eq!(i.text(a), "https://id.gs1.org/01/09520000000011/10/A");
        assert_eq!(i.spans.len(), 2);
    }

    #[test]
    fn clashing_hashes_keep_both_strings() {
        let mut i = Interned::default();
        let a = i.intern("a");
        // "b" filed under a hash that names "a", as a clash would.
        let hash = i.keys.hash_one("b");
        i.by_hash.insert(hash, a);
        assert_eq!(i.get("b"), None);
        let b = i.intern("b");
        assert_ne!(a, b);
        assert_eq!((i.get("b"), i.intern("b"), i.text(b)), (Some(b), b, "b"));
        assert_eq!(i.get("a"), Some(a));
    }

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

    #[test]
    fn links_list_every_target_of_a_source() {
        let mut l = Links::default();
        l.push(1, 10);
        l.push(2, 20);
        l.push(1, 11);
        assert_eq!(l.of(1).collect::<Vec<_>>(), vec![11, 10]);
        assert_eq!(l.of(2).collect::<Vec<_>>(), vec![20]);
        assert_eq!(l.of(3).count(), 0);
    }
}
