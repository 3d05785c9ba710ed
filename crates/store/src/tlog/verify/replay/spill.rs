//! The replay's state within a memory budget: each map keeps the values
//! touched lately in memory and the rest in a private scratch SQLite file,
//! so that what a replay holds does not grow with the log.
//!
//! - keys are 128-bit keyed hashes of the texts they stand for ([`Keys`],
//!   random keys per replay: no one can make two texts share one), so a map
//!   holds no text it does not need;
//! - a value is read back from the scratch file when it is asked for and is
//!   not in memory ([`Spill::get`], [`Spill::update`]); values go to the file
//!   only between pages ([`Spill::trim`]), the least lately touched first,
//!   so what a page reads stays in memory while it is replayed;
//! - a filter of the keys written ([`Written`], fixed in size) answers most
//!   "is it there?" for new keys without reading the file.

use std::borrow::Cow;
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension};

use super::compact::Prehashed;
use crate::{Result, StoreError};

/// A key: a keyed hash of a text.
pub(super) type K = u128;

/// The keyed hash that makes texts keys.
pub(super) struct Keys(RandomState, RandomState);

impl Default for Keys {
    fn default() -> Self {
        Keys(RandomState::new(), RandomState::new())
    }
}

impl Keys {
    pub(super) fn of(&self, s: &str) -> K {
        (u128::from(self.0.hash_one(s)) << 64) | u128::from(self.1.hash_one(s))
    }
}

/// Rows written by one statement when values leave memory.
const ROWS_PER_INSERT: usize = 64;

/// A value a [`Spill`] can write to its file and read back, and roughly
/// what it costs in memory.
pub(super) trait Codec: Sized + Clone {
    fn encode(&self, out: &mut Enc);
    fn decode(d: &mut Dec<'_>) -> Option<Self>;
    /// Bytes on the heap besides the value itself.
    fn heap(&self) -> usize;
}

/// Writes values as bytes.
#[derive(Default)]
pub(super) struct Enc(pub Vec<u8>);

impl Enc {
    pub(super) fn u8(&mut self, n: u8) {
        self.0.push(n);
    }
    pub(super) fn u32(&mut self, n: u32) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }
    pub(super) fn i64(&mut self, n: i64) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }
    pub(super) fn u128(&mut self, n: u128) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }
    pub(super) fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s.as_bytes());
    }
    pub(super) fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
        }
    }
}

/// Reads back what [`Enc`] wrote.
pub(super) struct Dec<'a>(pub &'a [u8]);

impl<'a> Dec<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    pub(super) fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    pub(super) fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    pub(super) fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    pub(super) fn u128(&mut self) -> Option<u128> {
        Some(u128::from_le_bytes(self.take(16)?.try_into().ok()?))
    }
    pub(super) fn str(&mut self) -> Option<&'a str> {
        let n = self.u32()? as usize;
        std::str::from_utf8(self.take(n)?).ok()
    }
    pub(super) fn opt_str(&mut self) -> Option<Option<&'a str>> {
        match self.u8()? {
            0 => Some(None),
            _ => Some(Some(self.str()?)),
        }
    }
}

impl Codec for Vec<K> {
    fn encode(&self, out: &mut Enc) {
        out.u32(self.len() as u32);
        for k in self {
            out.u128(*k);
        }
    }
    fn decode(d: &mut Dec<'_>) -> Option<Self> {
        let n = d.u32()? as usize;
        (0..n).map(|_| d.u128()).collect()
    }
    fn heap(&self) -> usize {
        self.capacity() * 16
    }
}

impl Codec for u32 {
    fn encode(&self, out: &mut Enc) {
        out.u32(*self);
    }
    fn decode(d: &mut Dec<'_>) -> Option<Self> {
        d.u32()
    }
    fn heap(&self) -> usize {
        0
    }
}

/// The scratch file the maps write to: a SQLite database in a directory
/// only this user may enter, made for the replay and removed with it; its
/// cache small. Once the replay is done, other connections read it
/// ([`Scratch::reader`]) so that the final comparisons share the cores.
pub(super) struct Scratch {
    conn: Mutex<Connection>,
    tables: usize,
    /// The file, and whether this connection made it (and removes it).
    file: std::path::PathBuf,
    owner: bool,
}

/// Each connection to the scratch file: no journal, a small cache, and its
/// lock kept from the first statement on (no other process uses the file:
/// each statement need not look for changes made by one).
const SCRATCH_PRAGMAS: &str = "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; \
     PRAGMA cache_size = -8192; PRAGMA temp_store = FILE; PRAGMA locking_mode = EXCLUSIVE;";

impl Scratch {
    pub(super) fn open() -> Result<Self> {
        let dir = private_dir()?;
        let file = dir.join("replay.db");
        let opened = Connection::open(&file).and_then(|c| {
            c.execute_batch(&format!("PRAGMA page_size = 16384; {SCRATCH_PRAGMAS}"))?;
            Ok(c)
        });
        let conn = opened.inspect_err(|_| {
            let _ = std::fs::remove_file(&file);
            let _ = std::fs::remove_dir(&dir);
        })?;
        Ok(Scratch {
            conn: Mutex::new(conn),
            tables: 0,
            file,
            owner: true,
        })
    }

    /// Another connection to the file, for reading what was written once
    /// no more is (this one lets go of its lock; a reader keeps its own from
    /// its first read on).
    pub(super) fn reader(&self) -> Result<Self> {
        self.conn()
            .execute_batch("PRAGMA locking_mode = NORMAL; SELECT count(*) FROM sqlite_master;")?;
        let conn = Connection::open_with_flags(&self.file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.execute_batch(SCRATCH_PRAGMAS)?;
        Ok(Scratch {
            conn: Mutex::new(conn),
            tables: self.tables,
            file: self.file.clone(),
            owner: false,
        })
    }

    /// A new table for one map.
    fn table(&mut self) -> Result<String> {
        let name = format!("spill{}", self.tables);
        self.tables += 1;
        self.conn().execute_batch(&format!(
            "CREATE TABLE {name} (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID"
        ))?;
        Ok(name)
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while the lock was held leaves nothing half-done that a
        // later statement could see (each statement is whole).
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read<T: Codec>(&self, table: &str, k: K) -> Result<Option<T>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("SELECT v FROM {table} WHERE k = ?1"))?;
        let bytes: Option<Vec<u8>> = stmt.query_row([k.to_be_bytes()], |r| r.get(0)).optional()?;
        bytes.map(|b| decoded(&b)).transpose()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.owner {
            if let Some(dir) = self.file.parent() {
                // Removed while the connection is still open (its field is
                // dropped after this body): the file lives until it closes.
                let _ = std::fs::remove_file(&self.file);
                let _ = std::fs::remove_dir(dir);
            }
        }
    }
}

/// A new directory in the temporary directory that only this user may
/// enter (made, never reused: a name taken is tried again under another).
fn private_dir() -> Result<std::path::PathBuf> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    let mut tries = 0;
    loop {
        let random = RandomState::new().hash_one(tries);
        let name = format!("suyuan-replay-{}-{random:016x}", uuid::Uuid::now_v7().simple());
        let dir = std::env::temp_dir().join(name);
        match builder.create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && tries < 8 => tries += 1,
            Err(e) => {
                return Err(StoreError::Config(format!(
                    "cannot make the replay's scratch directory in {}: {e}",
                    std::env::temp_dir().display()
                )))
            }
        }
    }
}

fn decoded<T: Codec>(bytes: &[u8]) -> Result<T> {
    T::decode(&mut Dec(bytes))
        .ok_or_else(|| StoreError::Corrupt("a value of the replay's scratch file".into()))
}

/// A fixed-size filter of the keys a map has written to its file: "no"
/// is certain, "maybe" is asked of the file. Two bits a key, from the
/// key's own (random) bits.
struct Written {
    bits: Vec<u64>,
}

/// The filter's size in bits (1 MiB): few false answers up to millions of
/// keys (one in twenty at two million), and no more memory after.
const WRITTEN_BITS: u64 = 1 << 23;

impl Written {
    fn new() -> Self {
        Written { bits: Vec::new() }
    }
    fn places(k: K) -> [u64; 2] {
        [(k as u64) % WRITTEN_BITS, ((k >> 64) as u64) % WRITTEN_BITS]
    }
    fn add(&mut self, k: K) {
        if self.bits.is_empty() {
            self.bits = vec![0; (WRITTEN_BITS / 64) as usize];
        }
        for p in Self::places(k) {
            self.bits[(p / 64) as usize] |= 1 << (p % 64);
        }
    }
    fn may_have(&self, k: K) -> bool {
        !self.bits.is_empty()
            && Self::places(k)
                .iter()
                .all(|p| self.bits[(p / 64) as usize] & (1 << (p % 64)) != 0)
    }
}

struct Slot<T> {
    value: T,
    /// The page it was last touched on.
    touched: u32,
    /// Changed since it was last written.
    dirty: bool,
}

/// A map from keys to values, the values touched lately in memory and the
/// others in the scratch file.
pub(super) struct Spill<T> {
    table: String,
    hot: HashMap<K, Slot<T>, BuildHasherDefault<Prehashed>>,
    /// What the values in memory cost, roughly.
    weight: usize,
    written: Written,
    /// The page being replayed.
    page: u32,
}

impl<T: Codec> Spill<T> {
    pub(super) fn new(scratch: &mut Scratch) -> Result<Self> {
        Ok(Spill {
            table: scratch.table()?,
            hot: HashMap::default(),
            weight: 0,
            written: Written::new(),
            page: 0,
        })
    }

    fn cost(value: &T) -> usize {
        std::mem::size_of::<(K, Slot<T>)>() + 8 + value.heap()
    }

    /// Brings `k` into memory if it is in the file; whether it is there.
    fn load(&mut self, s: &Scratch, k: K) -> Result<bool> {
        if let Some(slot) = self.hot.get_mut(&k) {
            slot.touched = self.page;
            return Ok(true);
        }
        if !self.written.may_have(k) {
            return Ok(false);
        }
        let Some(value) = s.read::<T>(&self.table, k)? else {
            return Ok(false);
        };
        self.weight += Self::cost(&value);
        let touched = self.page;
        self.hot.insert(
            k,
            Slot {
                value,
                touched,
                dirty: false,
            },
        );
        Ok(true)
    }

    pub(super) fn get(&mut self, s: &Scratch, k: K) -> Result<Option<&T>> {
        self.load(s, k)?;
        Ok(self.hot.get(&k).map(|slot| &slot.value))
    }

    /// Changes the value of `k`, if there is one (it is written again when
    /// it leaves memory, its cost counted again now).
    pub(super) fn update<R>(&mut self, s: &Scratch, k: K, f: impl FnOnce(&mut T) -> R) -> Result<Option<R>> {
        if !self.load(s, k)? {
            return Ok(None);
        }
        Ok(Some(self.change(k, f)))
    }

    /// Changes the value of `k`, made with `make` first if there is none.
    pub(super) fn upsert<R>(
        &mut self,
        s: &Scratch,
        k: K,
        make: impl FnOnce() -> T,
        f: impl FnOnce(&mut T) -> R,
    ) -> Result<R> {
        if !self.load(s, k)? {
            self.put(k, make());
        }
        Ok(self.change(k, f))
    }

    fn change<R>(&mut self, k: K, f: impl FnOnce(&mut T) -> R) -> R {
        let slot = self.hot.get_mut(&k).expect("loaded");
        let before = Self::cost(&slot.value);
        let out = f(&mut slot.value);
        slot.dirty = true;
        self.weight = self.weight + Self::cost(&slot.value) - before;
        out
    }

    /// `value` under `k`, replacing any (in memory or in the file); whether
    /// there was one.
    pub(super) fn insert(&mut self, s: &Scratch, k: K, value: T) -> Result<bool> {
        let had = self.load(s, k)?;
        self.put(k, value);
        Ok(had)
    }

    fn put(&mut self, k: K, value: T) {
        self.weight += Self::cost(&value);
        let slot = Slot {
            value,
            touched: self.page,
            dirty: true,
        };
        if let Some(old) = self.hot.insert(k, slot) {
            self.weight -= Self::cost(&old.value);
        }
    }

    /// The value of `k` if it is in memory (nothing is read).
    pub(super) fn peek(&self, k: K) -> Option<&T> {
        self.hot.get(&k).map(|slot| &slot.value)
    }

    /// The value of `k`, from memory or the file, leaving memory as it is
    /// (for the comparison at the end, which reads each value once).
    pub(super) fn fetch(&self, s: &Scratch, k: K) -> Result<Option<Cow<'_, T>>> {
        if let Some(slot) = self.hot.get(&k) {
            return Ok(Some(Cow::Borrowed(&slot.value)));
        }
        if !self.written.may_have(k) {
            return Ok(None);
        }
        Ok(s.read(&self.table, k)?.map(Cow::Owned))
    }

    /// Every value, those in memory first (for reports of rows missing).
    pub(super) fn for_each(&self, s: &Scratch, mut f: impl FnMut(&T)) -> Result<()> {
        for slot in self.hot.values() {
            f(&slot.value);
        }
        if self.written.bits.is_empty() {
            return Ok(());
        }
        let conn = s.conn();
        let mut stmt = conn.prepare(&format!("SELECT k, v FROM {}", self.table))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let k: Vec<u8> = r.get(0)?;
            let k = K::from_be_bytes(k.as_slice().try_into().unwrap_or_default());
            if !self.hot.contains_key(&k) {
                let v: Vec<u8> = r.get(1)?;
                f(&decoded(&v)?);
            }
        }
        Ok(())
    }

    /// A new page begins: values touched from now on are kept over older ones.
    fn next_page(&mut self) {
        self.page += 1;
    }

    /// Writes the values least lately touched to the file, and drops them
    /// from memory, until what stays costs at most `keep`.
    fn trim(&mut self, s: &Scratch, keep: usize) -> Result<()> {
        if self.weight <= keep {
            return Ok(());
        }
        let mut ages: Vec<(u32, K)> = self.hot.iter().map(|(k, s)| (s.touched, *k)).collect();
        ages.sort_unstable();
        let mut leaving = Vec::new();
        for (_, k) in ages {
            if self.weight <= keep {
                break;
            }
            let slot = self.hot.remove(&k).expect("listed");
            self.weight -= Self::cost(&slot.value);
            if slot.dirty {
                leaving.push((k, slot.value));
            }
        }
        // Written in key order: each page of the file's tree is met once.
        leaving.sort_unstable_by_key(|(k, _)| *k);
        let mut conn = s.conn();
        let tx = conn.transaction()?;
        // Many rows a statement: fewer statements, each cheaper per row.
        let mut enc = Enc::default();
        // Full statements, then the rest a row at a time (two statements
        // a table, kept prepared).
        let (full, rest) = leaving.split_at(leaving.len() / ROWS_PER_INSERT * ROWS_PER_INSERT);
        for chunk in full.chunks(ROWS_PER_INSERT).chain(rest.chunks(1)) {
            let rows = vec!["(?, ?)"; chunk.len()].join(", ");
            let sql = format!("INSERT OR REPLACE INTO {} (k, v) VALUES {rows}", self.table);
            let mut stmt = tx.prepare_cached(&sql)?;
            enc.0.clear();
            let mut ends = Vec::with_capacity(chunk.len());
            for (_, value) in chunk {
                value.encode(&mut enc);
                ends.push(enc.0.len());
            }
            let mut start = 0;
            for (i, ((k, _), end)) in chunk.iter().zip(ends).enumerate() {
                stmt.raw_bind_parameter(2 * i + 1, k.to_be_bytes())?;
                stmt.raw_bind_parameter(2 * i + 2, &enc.0[start..end])?;
                start = end;
                self.written.add(*k);
            }
            stmt.raw_execute()?;
        }
        tx.commit()?;
        self.hot.shrink_to_fit();
        Ok(())
    }
}

/// The maps of one replay, kept together within one budget.
pub(super) trait Trim {
    fn weight(&self) -> usize;
    fn next_page(&mut self);
    fn trim(&mut self, s: &Scratch, keep: usize) -> Result<()>;
}

impl<T: Codec> Trim for Spill<T> {
    fn weight(&self) -> usize {
        self.weight
    }
    fn next_page(&mut self) {
        Spill::next_page(self)
    }
    fn trim(&mut self, s: &Scratch, keep: usize) -> Result<()> {
        Spill::trim(self, s, keep)
    }
}

/// Between pages: when the maps together cost more than `budget`, each is
/// trimmed to its share of three quarters of it, so that the next trims are
/// a while off.
pub(super) fn trim_all(maps: &mut [&mut dyn Trim], s: &Scratch, budget: usize) -> Result<()> {
    let weights: Vec<usize> = maps.iter().map(|m| m.weight()).collect();
    let total: usize = weights.iter().sum();
    if total > budget {
        let keep = budget / 4 * 3;
        for (m, w) in maps.iter_mut().zip(weights) {
            m.trim(s, (w as u128 * keep as u128 / total as u128) as usize)?;
        }
    }
    for m in maps.iter_mut() {
        m.next_page();
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn values_leave_memory_and_come_back_unchanged() {
        let mut s = Scratch::open().unwrap();
        let keys = Keys::default();
        let mut m: Spill<Vec<K>> = Spill::new(&mut s).unwrap();
        for i in 0..1000u128 {
            m.insert(&s, keys.of(&i.to_string()), vec![i, i + 1]).unwrap();
        }
        let mut maps: [&mut dyn Trim; 1] = [&mut m];
        trim_all(&mut maps, &s, 10_000).unwrap();
        assert!(m.weight <= 7_500 && m.hot.len() < 1000, "{}", m.weight);
        for i in 0..1000u128 {
            let k = keys.of(&i.to_string());
            assert_eq!(m.fetch(&s, k).unwrap().unwrap().as_ref(), &vec![i, i + 1]);
        }
        // Changed after coming back, written again when trimmed again.
        let k = keys.of("0");
        m.update(&s, k, |v| v.push(7)).unwrap().unwrap();
        m.trim(&s, 0).unwrap();
        assert!(m.hot.is_empty());
        assert_eq!(m.get(&s, k).unwrap().unwrap(), &vec![0, 1, 7]);
        assert_eq!(m.get(&s, keys.of("none")).unwrap(), None);
        let mut n = 0;
        m.for_each(&s, |_| n += 1).unwrap();
        assert_eq!(n, 1000);
    }

    #[test]
    fn readers_see_what_was_written_and_the_file_goes_with_the_replay() {
        let mut s = Scratch::open().unwrap();
        let file = s.file.clone();
        let mut m: Spill<u32> = Spill::new(&mut s).unwrap();
        for i in 0..100u32 {
            m.insert(&s, K::from(i), i * 2).unwrap();
        }
        m.trim(&s, 0).unwrap();
        // Written again after a reader let the writer's lock go.
        let first = s.reader().unwrap();
        m.insert(&s, 500, 7).unwrap();
        m.trim(&s, 0).unwrap();
        let second = s.reader().unwrap();
        for via in [&first, &second] {
            assert_eq!(m.fetch(via, 3).unwrap().as_deref(), Some(&6));
        }
        assert_eq!(m.fetch(&second, 500).unwrap().as_deref(), Some(&7));
        assert_eq!(m.fetch(&second, 100).unwrap().as_deref(), None);
        // Only this user may enter its directory.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        drop((first, second));
        assert!(file.exists());
        drop(s);
        assert!(!file.exists() && !file.parent().unwrap().exists());
    }

    #[test]
    fn the_values_touched_lately_stay() {
        let mut s = Scratch::open().unwrap();
        let mut m: Spill<Vec<K>> = Spill::new(&mut s).unwrap();
        m.insert(&s, 1, vec![1]).unwrap();
        m.next_page();
        m.insert(&s, 2, vec![2]).unwrap();
        let one = Spill::<Vec<K>>::cost(&vec![2]);
        m.trim(&s, one).unwrap();
        assert!(m.peek(2).is_some() && m.peek(1).is_none());
        assert!(m.written.may_have(1) && !m.written.may_have(3));
        // Not changed since it was read back: not written again.
        m.get(&s, 1).unwrap();
        m.next_page();
        m.trim(&s, one).unwrap();
        assert_eq!(m.get(&s, 1).unwrap(), Some(&vec![1]));
    }

    #[test]
    fn codec_round_trips() {
        let mut e = Enc::default();
        e.u8(3);
        e.u32(70_000);
        e.i64(-5);
        e.u128(u128::MAX - 1);
        e.str("田");
        e.opt_str(None);
        e.opt_str(Some(""));
        let mut d = Dec(&e.0);
        assert_eq!(d.u8(), Some(3));
        assert_eq!(d.u32(), Some(70_000));
        assert_eq!(d.i64(), Some(-5));
        assert_eq!(d.u128(), Some(u128::MAX - 1));
        assert_eq!(d.str(), Some("田"));
        assert_eq!(d.opt_str(), Some(None));
        assert_eq!(d.opt_str(), Some(Some("")));
        assert_eq!(d.u8(), None);
    }
}
