//! Traceability units and the platform's trace codes (R-6.3).
//!
//! **This module is the one place that defines the layout of the codes the
//! platform issues.** NY/T 1761-2009 Annex B and NY/T 1762-2009 ch. 5, which
//! R-6.3 refers to, could not be obtained; if a national standard later
//! dictates another layout, change it here (and only here).
//!
//! # What is traced
//!
//! A [`TraceUnit`] is one of
//!
//! * a **lot** (batch): GTIN + batch/lot, GS1 `(01)(10)`;
//! * an **item**: GTIN + batch/lot + serial, GS1 `(01)(10)(21)`;
//! * a **logistic unit** (case, pallet): SSCC, GS1 `(00)`.
//!
//! Lots and items captured from outside the platform may carry any GS1 lot
//! or serial (1 to 20 characters of GS1 character set 82). Lots and items the
//! platform issues itself use the two fixed-width IDs below, and only those
//! have a flat trace code.
//!
//! # Batch ID (our lots): 12 characters
//!
//! ```text
//! 2024 06 15  A1  07
//! └──date──┘  │   └─ sequence of the lot at that site that day, 2 chars base 36 (00..ZZ = 0..1295)
//!  YYYYMMDD   └─ site code, 2 chars [0-9A-Z]
//!  production / harvest date, a real date in 2000..=2099
//! ```
//!
//! So 1296 lots per site per day. See [`BatchId`].
//!
//! # Serial (our items): 10 characters
//!
//! Ten characters drawn uniformly by a CSPRNG from the 32-character alphabet
//! `0123456789ABCDEFGHJKMNPQRSTVWXYZ` (no I, L, O, U, which consumers confuse
//! with 1, 1, 0, V): 50 random bits, so serials cannot be guessed from one
//! another. See [`Serial`], [`random_serials`]. The store must still keep
//! (GTIN, batch, serial) unique.
//!
//! # Flat trace codes: 27 and 37 characters
//!
//! ```text
//! batch trace code  = GTIN-14 (14 digits) + batch ID (12) + check (1)               = 27
//!                     06901234567892        20240615A107    U
//! item trace code   = GTIN-14 (14 digits) + batch ID (12) + serial (10) + check (1) = 37
//!                     06901234567892        20240615A107    7K3M9QWXZP    E
//! ```
//!
//! Both codes are upper-case letters and digits only and longer than 20
//! characters (R-6.3.2). Reading tolerates spaces, dashes and lower case, as
//! consumers type them; [`group_for_display`] prints a code in groups of four
//! (`0690 1234 5678 9220 2406 15A1 07U`).
//!
//! # The check character
//!
//! One character of `0-9A-Z` (value 0 to 35) computed over every preceding
//! character by the **Damm algorithm** over a totally anti-symmetric
//! quasigroup of order 36. It detects **every** single-character
//! substitution and **every** transposition of two adjacent characters, the
//! check character included.
//!
//! * Values: `0-9` are 0 to 9, `A-Z` are 10 to 35.
//! * The quasigroup: value `v` is the pair (`v mod 4` as an element of GF(4) =
//!   {0, 1, w, w+1} with w² = w + 1, bit 0 + bit 1·w; `v div 4` in Z9), and
//!   `x ∘ y = (w·x + y, 2·x + y mod 9)` per component, recombined as
//!   `4·(Z9 part) + (GF(4) part)`. (A linear map `a·x + y` with `a` and
//!   `a − 1` invertible is totally anti-symmetric; a direct product of such
//!   quasigroups is too.)
//! * `interim = 0`; for each character `c`: `interim = interim ∘ value(c)`. The
//!   check character is the `k` with `interim ∘ k = 0`, i.e.
//!   `k = 4·(7·i₂ mod 9) + w·i₁`. A whole code is valid when running all of
//!   it, the check character included, ends at 0.
//!
//! Why not ISO/IEC 7064 MOD 37,36, the usual alphanumeric choice: as a hybrid
//! system it misses some adjacent transpositions (about 1 in 600 cases; e.g.
//! `901` and `910` get the same check character `Z`), and a swap of the last
//! data character with the check character. A pure ISO 7064 system with one
//! check character (MOD 37-2) needs `*` as a 37th symbol; MOD 1271-36 needs
//! two check characters. The tests prove the guarantee exhaustively.
//!
//! # The same unit in GS1 forms
//!
//! ```text
//! element string  (01)06901234567892(10)20240615A107(21)7K3M9QWXZP
//! scanner data    ]d2 0106901234567892 1020240615A107 <GS> 217K3M9QWXZP
//! Digital Link    https://{domain}/01/06901234567892/10/20240615A107/21/7K3M9QWXZP
//! ```
//!
//! [`TraceUnit::parse_any`] reads any of these forms (and a flat code) and
//! gives back the same unit.
//!
//! Error codes: `batch_id_length`, `batch_id_chars`, `batch_id_date`,
//! `batch_id_sequence`, `serial_length`, `serial_chars`, `trace_code_length`,
//! `trace_code_chars`, `gtin_check_digit`, `gs1_zero`, `trace_code_check_char`,
//! `trace_unit_incomplete`, `trace_unit_batch_missing`, `trace_code_empty`,
//! `trace_code_unrecognised`, and those of [`ElementString`] and the Digital
//! Link parser.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::codes::digital_link::{parse_digital_link, to_digital_link};
use crate::codes::element_string::{Ai, ElementString, GS};
use crate::codes::gs1::{Gtin, Sscc};
use crate::error::Invalid;

/// The alphabet of the check character and of batch IDs: `0-9A-Z`, values 0..=35.
const ALNUM: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The alphabet of serials: no I, L, O, U.
pub const SERIAL_ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Length of a flat batch trace code.
pub const BATCH_CODE_LEN: usize = 14 + BatchId::LEN + 1;
/// Length of a flat item trace code.
pub const ITEM_CODE_LEN: usize = 14 + BatchId::LEN + Serial::LEN + 1;

/// Value 0..=35 of an upper-case letter or digit; other bytes count as 0
/// (callers validate first).
fn alnum_value(b: u8) -> u32 {
    match b {
        b'0'..=b'9' => u32::from(b - b'0'),
        b'A'..=b'Z' => u32::from(b - b'A') + 10,
        _ => 0,
    }
}

/// Multiplies an element of GF(4) = {0, 1, w, w+1}, held as bit 0 + bit 1·w,
/// by w (where w² = w + 1).
const fn gf4_times_w(g: u32) -> u32 {
    let (x0, x1) = (g & 1, (g >> 1) & 1);
    x1 | ((x0 ^ x1) << 1)
}

/// The quasigroup of the check character: value v (0..=35) is the pair
/// (v mod 4 in GF(4), v div 4 in Z9) and x ∘ y = (w·x + y, 2·x + y) per
/// component. See the module documentation.
const fn quasigroup(x: u32, y: u32) -> u32 {
    let g = gf4_times_w(x % 4) ^ (y % 4);
    let t = (2 * (x / 4) + y / 4) % 9;
    t * 4 + g
}

/// [`quasigroup`] as a table, `TABLE[x][y] = x ∘ y`.
const QUASIGROUP: [[u8; 36]; 36] = {
    let mut table = [[0u8; 36]; 36];
    let mut x = 0;
    while x < 36 {
        let mut y = 0;
        while y < 36 {
            table[x][y] = quasigroup(x as u32, y as u32) as u8;
            y += 1;
        }
        x += 1;
    }
    table
};

/// The Damm interim value after `data`, starting from `interim` (0 at the
/// start).
fn damm_state(mut interim: u8, data: &[u8]) -> u8 {
    for &b in data {
        interim = QUASIGROUP[usize::from(interim)][alnum_value(b) as usize];
    }
    interim
}

/// The check character that brings interim value `i` back to 0: the `k`
/// with `i ∘ k = 0`, i.e. (w·i mod GF(4), −2·i = 7·i in Z9).
fn damm_check(i: u8) -> char {
    let i = u32::from(i);
    let k = ((7 * (i / 4)) % 9) * 4 + gf4_times_w(i % 4);
    char::from(ALNUM[k as usize])
}

/// The check character of the trace codes for `data` (upper-case letters and
/// digits), or `None` if `data` has any other character. A code is valid when
/// its last character is the check character of the others.
pub fn trace_check_char(data: &str) -> Option<char> {
    if !data.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()) {
        return None;
    }
    Some(damm_check(damm_state(0, data.as_bytes())))
}

fn hint_for(c: char) -> &'static str {
    match c {
        'I' | 'L' => " (did you mean 1?)",
        'O' => " (did you mean 0?)",
        'U' => " (did you mean V?)",
        _ => "",
    }
}

fn hint_for_zh(c: char) -> &'static str {
    match c {
        'I' | 'L' => "（是否应为 1？）",
        'O' => "（是否应为 0？）",
        'U' => "（是否应为 V？）",
        _ => "",
    }
}

/// The ID of a lot issued by the platform: `YYYYMMDD` + site (2) + sequence
/// (2, base 36). See the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BatchId {
    code: String,
    date: NaiveDate,
}

impl BatchId {
    /// Length of a batch ID.
    pub const LEN: usize = 12;
    /// The highest sequence number, `ZZ` in base 36.
    pub const MAX_SEQUENCE: u16 = 36 * 36 - 1;

    /// Builds the ID of lot number `sequence` (0..=1295) of `site` (two of
    /// `0-9A-Z`, lower case accepted) on `date` (2000..=2099).
    ///
    /// Errors: `batch_id_date`, `batch_id_chars`, `batch_id_sequence`.
    pub fn new(date: NaiveDate, site: &str, sequence: u16) -> Result<Self, Invalid> {
        check_batch_year(date)?;
        let site = site.to_ascii_uppercase();
        if site.len() != 2 || !site.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()) {
            return Err(Invalid::new(
                "batch_id_chars",
                format!(
                    "A site code is two letters or digits, but '{}' is not.",
                    site.escape_debug()
                ),
                format!("产地代码应为两位字母或数字，“{}”不符合。", site.escape_debug()),
            ));
        }
        if sequence > Self::MAX_SEQUENCE {
            return Err(Invalid::new(
                "batch_id_sequence",
                format!(
                    "A site can issue at most 1296 lots a day (sequence 0 to 1295), but the sequence is {sequence}."
                ),
                format!("同一产地每天最多 1296 个批次（序号 0 至 1295），实际序号为 {sequence}。"),
            ));
        }
        let seq = [
            ALNUM[usize::from(sequence / 36)],
            ALNUM[usize::from(sequence % 36)],
        ];
        let mut code = date.format("%Y%m%d").to_string();
        code.push_str(&site);
        code.extend(seq.iter().map(|&b| char::from(b)));
        Ok(Self { code, date })
    }

    /// Parses a batch ID (surrounding whitespace ignored, lower case
    /// accepted).
    ///
    /// Errors: `batch_id_length`, `batch_id_chars`, `batch_id_date`.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let code = s.trim().to_ascii_uppercase();
        let len = code.chars().count();
        if len != Self::LEN {
            return Err(Invalid::new(
                "batch_id_length",
                format!(
                    "A batch ID has 12 characters (date YYYYMMDD, site, sequence), but this one has {len}."
                ),
                format!("批次号应为 12 位（日期 YYYYMMDD、产地、序号），实际为 {len} 位。"),
            ));
        }
        if let Some((i, c)) = code
            .chars()
            .enumerate()
            .find(|(_, c)| !(c.is_ascii_digit() || c.is_ascii_uppercase()))
        {
            let pos = i + 1;
            let c = c.escape_debug();
            return Err(Invalid::new(
                "batch_id_chars",
                format!("A batch ID is letters and digits only, but character {pos} '{c}' is not."),
                format!("批次号只能由字母和数字组成，第 {pos} 个字符“{c}”不符合。"),
            ));
        }
        let date = NaiveDate::parse_from_str(&code[..8], "%Y%m%d")
            .ok()
            .filter(|_| code.as_bytes()[..8].iter().all(u8::is_ascii_digit))
            .ok_or_else(|| {
                let d = &code[..8];
                Invalid::new(
                    "batch_id_date",
                    format!("A batch ID starts with its date YYYYMMDD, but '{d}' is not a date."),
                    format!("批次号以日期 YYYYMMDD 开头，但“{d}”不是有效日期。"),
                )
            })?;
        check_batch_year(date)?;
        Ok(Self { code, date })
    }

    /// The 12 characters.
    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// The production or harvest date.
    pub fn date(&self) -> NaiveDate {
        self.date
    }

    /// The two-character site code.
    pub fn site(&self) -> &str {
        &self.code[8..10]
    }

    /// The lot's sequence number at its site that day, 0..=1295.
    pub fn sequence(&self) -> u16 {
        let b = self.code.as_bytes();
        // Both bytes are known to be in 0-9A-Z, so the values are below 36.
        (alnum_value(b[10]) * 36 + alnum_value(b[11])) as u16
    }
}

fn check_batch_year(date: NaiveDate) -> Result<(), Invalid> {
    if (2000..=2099).contains(&date.year()) {
        Ok(())
    } else {
        let d = date.format("%Y-%m-%d");
        Err(Invalid::new(
            "batch_id_date",
            format!("The date of a batch ID lies in 2000 to 2099, but it is {d}."),
            format!("批次号中的日期应在 2000 至 2099 年之间，实际为 {d}。"),
        ))
    }
}

impl fmt::Display for BatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

impl FromStr for BatchId {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::parse(s)
    }
}

impl TryFrom<String> for BatchId {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<BatchId> for String {
    fn from(b: BatchId) -> String {
        b.code
    }
}

/// The serial of an item issued by the platform: 10 random characters of
/// [`SERIAL_ALPHABET`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Serial(String);

/// Serials are 50 random bits.
const SERIAL_BITS_MASK: u64 = (1 << 50) - 1;

impl Serial {
    /// Length of a serial.
    pub const LEN: usize = 10;

    /// A fresh serial from the operating system's CSPRNG.
    pub fn random() -> Self {
        Self::from_bits(rand::rngs::OsRng.next_u64())
    }

    /// The serial whose characters are the ten 5-bit groups of the low 50
    /// bits of `v`, most significant first.
    fn from_bits(v: u64) -> Self {
        let alphabet = SERIAL_ALPHABET.as_bytes();
        let s = (0..Self::LEN)
            .rev()
            .map(|i| char::from(alphabet[((v >> (5 * i)) & 31) as usize]))
            .collect();
        Self(s)
    }

    /// Parses a serial (surrounding whitespace ignored, lower case accepted).
    ///
    /// Errors: `serial_length`, `serial_chars`.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let code = s.trim().to_ascii_uppercase();
        let len = code.chars().count();
        if len != Self::LEN {
            return Err(Invalid::new(
                "serial_length",
                format!("A serial has 10 characters, but this one has {len}."),
                format!("序列号应为 10 位，实际为 {len} 位。"),
            ));
        }
        if let Some((i, c)) = code
            .chars()
            .enumerate()
            .find(|&(_, c)| !SERIAL_ALPHABET.contains(c))
        {
            let pos = i + 1;
            let (hint, hint_zh) = (hint_for(c), hint_for_zh(c));
            let c = c.escape_debug();
            return Err(Invalid::new(
                "serial_chars",
                format!(
                    "A serial uses digits and letters other than I, L, O and U, but character {pos} is '{c}'{hint}."
                ),
                format!("序列号由数字和除 I、L、O、U 以外的字母组成，第 {pos} 个字符为“{c}”{hint_zh}。"),
            ));
        }
        Ok(Self(code))
    }

    /// The 10 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Serial {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Serial {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<Serial> for String {
    fn from(s: Serial) -> String {
        s.0
    }
}

/// `n` distinct fresh serials, fast: a CSPRNG (`thread_rng`, ChaCha seeded
/// and reseeded from the operating system) and a duplicate check within the
/// batch. Uniqueness against serials issued earlier is the store's job.
pub fn random_serials(n: usize) -> Vec<Serial> {
    let mut rng = rand::thread_rng();
    let mut seen = HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let v = rng.next_u64() & SERIAL_BITS_MASK;
        if seen.insert(v) {
            out.push(Serial::from_bits(v));
        }
    }
    out
}

/// The flat batch trace code (27 characters) of our lot.
pub fn batch_trace_code(gtin: &Gtin, batch: &BatchId) -> String {
    let mut code = String::with_capacity(BATCH_CODE_LEN);
    code.push_str(gtin.as_str());
    code.push_str(batch.as_str());
    code.push(damm_check(damm_state(0, code.as_bytes())));
    code
}

/// The flat item trace code (37 characters) of our item.
pub fn item_trace_code(gtin: &Gtin, batch: &BatchId, serial: &Serial) -> String {
    let mut code = String::with_capacity(ITEM_CODE_LEN);
    code.push_str(gtin.as_str());
    code.push_str(batch.as_str());
    code.push_str(serial.as_str());
    code.push(damm_check(damm_state(0, code.as_bytes())));
    code
}

/// The flat item trace codes of many items of one lot, in the order of
/// `serials` (the check state of the GTIN + batch prefix is computed once).
pub fn item_trace_codes(gtin: &Gtin, batch: &BatchId, serials: &[Serial]) -> Vec<String> {
    let mut prefix = String::with_capacity(14 + BatchId::LEN);
    prefix.push_str(gtin.as_str());
    prefix.push_str(batch.as_str());
    let state = damm_state(0, prefix.as_bytes());
    serials
        .iter()
        .map(|s| {
            let mut code = String::with_capacity(ITEM_CODE_LEN);
            code.push_str(&prefix);
            code.push_str(s.as_str());
            code.push(damm_check(damm_state(state, s.as_str().as_bytes())));
            code
        })
        .collect()
}

/// A code in groups of four separated by spaces, for printing under a QR
/// code: `0690 1234 5678 9220 2406 15A1 07K`. Reading accepts it back.
pub fn group_for_display(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + code.len() / 4);
    for (i, c) in code.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Removes the separators people type (spaces, dashes, also full-width ones)
/// and upper-cases.
fn normalise_typed(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '－' | '—' | '–'))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Whether upper-case `code` (letters and digits) is a valid flat code.
fn is_valid_flat(code: &[u8]) -> bool {
    let n = code.len();
    (n == BATCH_CODE_LEN || n == ITEM_CODE_LEN)
        && code.iter().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        && damm_check(damm_state(0, &code[..n - 1])) == char::from(code[n - 1])
        && std::str::from_utf8(code).is_ok_and(|s| TraceUnit::parse_flat(s).is_ok())
}

/// Whether one typing error (a wrong, swapped, missing or extra character)
/// turns a valid flat code into upper-case `code`.
fn near_flat_code(code: &[u8]) -> bool {
    let n = code.len();
    let mut buf = code.to_vec();
    if n == BATCH_CODE_LEN || n == ITEM_CODE_LEN {
        for i in 0..n {
            for &c in ALNUM {
                if c != code[i] {
                    buf[i] = c;
                    if is_valid_flat(&buf) {
                        return true;
                    }
                }
            }
            buf[i] = code[i];
            if i + 1 < n {
                buf.swap(i, i + 1);
                if is_valid_flat(&buf) {
                    return true;
                }
                buf.swap(i, i + 1);
            }
        }
    } else if n + 1 == BATCH_CODE_LEN || n + 1 == ITEM_CODE_LEN {
        for i in 0..=n {
            for &c in ALNUM {
                buf.clear();
                buf.extend_from_slice(&code[..i]);
                buf.push(c);
                buf.extend_from_slice(&code[i..]);
                if is_valid_flat(&buf) {
                    return true;
                }
            }
        }
    } else if n == BATCH_CODE_LEN + 1 || n == ITEM_CODE_LEN + 1 {
        for i in 0..n {
            buf.clear();
            buf.extend_from_slice(&code[..i]);
            buf.extend_from_slice(&code[i + 1..]);
            if is_valid_flat(&buf) {
                return true;
            }
        }
    }
    false
}

/// A unit that is traced: a lot, an item or a logistic unit.
///
/// Build one with the constructors, which validate; the fields are public for
/// matching, and the methods that format a unit re-validate it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TraceUnit {
    /// A lot: GTIN + batch/lot (1 to 20 characters of CSET 82).
    Lot { gtin: Gtin, batch: String },
    /// An item: GTIN + batch/lot + serial (each 1 to 20 characters of CSET 82).
    Item {
        gtin: Gtin,
        batch: String,
        serial: String,
    },
    /// A logistic unit: case, pallet.
    Logistic { sscc: Sscc },
}

impl TraceUnit {
    /// A lot with any GS1 batch/lot.
    ///
    /// Errors: those of AI (10) (`element_string_length`,
    /// `element_string_chars`).
    pub fn lot(gtin: Gtin, batch: &str) -> Result<Self, Invalid> {
        Ai::BATCH.validate(batch)?;
        Ok(Self::Lot {
            gtin,
            batch: batch.to_owned(),
        })
    }

    /// An item with any GS1 batch/lot and serial.
    ///
    /// Errors: those of AIs (10) and (21).
    pub fn item(gtin: Gtin, batch: &str, serial: &str) -> Result<Self, Invalid> {
        Ai::BATCH.validate(batch)?;
        Ai::SERIAL.validate(serial)?;
        Ok(Self::Item {
            gtin,
            batch: batch.to_owned(),
            serial: serial.to_owned(),
        })
    }

    /// One of our lots.
    pub fn our_lot(gtin: Gtin, batch: &BatchId) -> Self {
        Self::Lot {
            gtin,
            batch: batch.as_str().to_owned(),
        }
    }

    /// One of our items.
    pub fn our_item(gtin: Gtin, batch: &BatchId, serial: &Serial) -> Self {
        Self::Item {
            gtin,
            batch: batch.as_str().to_owned(),
            serial: serial.as_str().to_owned(),
        }
    }

    /// A logistic unit.
    pub fn logistic(sscc: Sscc) -> Self {
        Self::Logistic { sscc }
    }

    /// The GTIN of a lot or item.
    pub fn gtin(&self) -> Option<&Gtin> {
        match self {
            Self::Lot { gtin, .. } | Self::Item { gtin, .. } => Some(gtin),
            Self::Logistic { .. } => None,
        }
    }

    /// The batch/lot of a lot or item.
    pub fn batch(&self) -> Option<&str> {
        match self {
            Self::Lot { batch, .. } | Self::Item { batch, .. } => Some(batch),
            Self::Logistic { .. } => None,
        }
    }

    /// The serial of an item.
    pub fn serial(&self) -> Option<&str> {
        match self {
            Self::Item { serial, .. } => Some(serial),
            _ => None,
        }
    }

    /// The SSCC of a logistic unit.
    pub fn sscc(&self) -> Option<&Sscc> {
        match self {
            Self::Logistic { sscc } => Some(sscc),
            _ => None,
        }
    }

    /// The lot an item belongs to (a lot is its own lot).
    pub fn lot_unit(&self) -> Option<TraceUnit> {
        match self {
            Self::Lot { .. } => Some(self.clone()),
            Self::Item { gtin, batch, .. } => Some(Self::Lot {
                gtin: gtin.clone(),
                batch: batch.clone(),
            }),
            Self::Logistic { .. } => None,
        }
    }

    /// The flat trace code (27 or 37 characters) if the unit is one of ours:
    /// its batch is a [`BatchId`] and its serial a [`Serial`], exactly
    /// (GS1 lots are case sensitive, so a lower-case lot is not ours).
    pub fn flat_code(&self) -> Option<String> {
        let our_batch = |b: &str| BatchId::parse(b).ok().filter(|id| id.as_str() == b);
        match self {
            Self::Lot { gtin, batch } => Some(batch_trace_code(gtin, &our_batch(batch)?)),
            Self::Item { gtin, batch, serial } => {
                let serial = Serial::parse(serial).ok().filter(|s| s.as_str() == serial)?;
                Some(item_trace_code(gtin, &our_batch(batch)?, &serial))
            }
            Self::Logistic { .. } => None,
        }
    }

    /// The GS1 element string: `(01)(10)`, `(01)(10)(21)` or `(00)`.
    ///
    /// Errors only if a field was set to a value GS1 does not allow.
    pub fn element_string(&self) -> Result<ElementString, Invalid> {
        let mut es = ElementString::new();
        match self {
            Self::Lot { gtin, batch } => {
                es.push(Ai::GTIN, gtin.as_str())?;
                es.push(Ai::BATCH, batch)?;
            }
            Self::Item { gtin, batch, serial } => {
                es.push(Ai::GTIN, gtin.as_str())?;
                es.push(Ai::BATCH, batch)?;
                es.push(Ai::SERIAL, serial)?;
            }
            Self::Logistic { sscc } => es.push(Ai::SSCC, sscc.as_str())?,
        }
        Ok(es)
    }

    /// The GS1 Digital Link URI under `domain` (see
    /// [`crate::codes::digital_link`]).
    pub fn digital_link(&self, domain: &str) -> Result<String, Invalid> {
        to_digital_link(domain, &self.element_string()?)
    }

    /// The unit an element string names. Data attributes (dates, weights,
    /// ...) are dropped: parse an [`ElementString`] to keep them.
    ///
    /// Errors: `trace_unit_batch_missing` (a serial without its batch),
    /// `trace_unit_incomplete` (a GTIN alone, or no GTIN or SSCC).
    pub fn from_element_string(es: &ElementString) -> Result<Self, Invalid> {
        if let Some(gtin) = es.gtin() {
            return match (es.batch(), es.serial()) {
                (Some(batch), Some(serial)) => Ok(Self::Item {
                    gtin,
                    batch: batch.to_owned(),
                    serial: serial.to_owned(),
                }),
                (Some(batch), None) => Ok(Self::Lot {
                    gtin,
                    batch: batch.to_owned(),
                }),
                (None, Some(_)) => Err(Invalid::new(
                    "trace_unit_batch_missing",
                    "This code names an item by GTIN and serial but without its batch (10); \
                     the platform traces items within their batch.",
                    "该代码以 GTIN 和序列号标识单品，但缺少批号 (10)；本平台按批次追溯单品。",
                )),
                (None, None) => Err(Invalid::new(
                    "trace_unit_incomplete",
                    "This code names a product (GTIN) but no batch or item, so there is nothing to trace.",
                    "该代码只标识了产品（GTIN），没有批次或单品，无法追溯。",
                )),
            };
        }
        if let Some(sscc) = es.sscc() {
            return Ok(Self::Logistic { sscc });
        }
        Err(Invalid::new(
            "trace_unit_incomplete",
            "This code has neither a GTIN (01) nor an SSCC (00), so it names no traceable unit.",
            "该代码既无 GTIN (01) 也无 SSCC (00)，不标识任何可追溯单元。",
        ))
    }

    /// Reads a flat trace code (27 or 37 characters; spaces, dashes and lower
    /// case tolerated).
    ///
    /// Errors, in the order checked: `trace_code_chars`, `trace_code_length`,
    /// `gtin_check_digit`, `gs1_zero`, `batch_id_date`, `trace_code_check_char`.
    pub fn parse_flat(input: &str) -> Result<Self, Invalid> {
        let code = normalise_typed(input);
        if let Some((i, c)) = code
            .chars()
            .enumerate()
            .find(|(_, c)| !(c.is_ascii_digit() || c.is_ascii_uppercase()))
        {
            let pos = i + 1;
            let c = c.escape_debug();
            return Err(Invalid::new(
                "trace_code_chars",
                format!("A trace code is letters and digits only, but character {pos} '{c}' is not."),
                format!("追溯码只能由字母和数字组成，第 {pos} 个字符“{c}”不符合。"),
            ));
        }
        let len = code.len();
        if len != BATCH_CODE_LEN && len != ITEM_CODE_LEN {
            return Err(Invalid::new(
                "trace_code_length",
                format!(
                    "A trace code has 27 characters (batch) or 37 (item), but this one has {len}: \
                     a character is missing or extra."
                ),
                format!("追溯码应为 27 位（批次）或 37 位（单品），实际为 {len} 位：有字符漏输或多输。"),
            ));
        }
        if let Some((i, c)) = code[..14].chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            let pos = i + 1;
            let (hint, hint_zh) = (hint_for(c), hint_for_zh(c));
            return Err(Invalid::new(
                "trace_code_chars",
                format!(
                    "The first 14 characters of a trace code are the GTIN, digits only, but character {pos} is '{c}'{hint}."
                ),
                format!("追溯码前 14 位为 GTIN，只能是数字，但第 {pos} 个字符为“{c}”{hint_zh}。"),
            ));
        }
        let gtin = Gtin::parse(&code[..14]).map_err(|e| match e.code {
            "gtin_check_digit" => Invalid::new(
                "gtin_check_digit",
                "The GTIN in characters 1 to 14 of the trace code fails its check digit: a digit was mistyped.",
                "追溯码第 1 至 14 位的 GTIN 校验位不符：有数字输错。",
            ),
            _ => e,
        })?;
        let batch = BatchId::parse(&code[14..26])?;
        let serial = if len == ITEM_CODE_LEN {
            let part = &code[26..36];
            if let Some((i, c)) = part
                .chars()
                .enumerate()
                .find(|&(_, c)| !SERIAL_ALPHABET.contains(c))
            {
                let pos = 27 + i;
                let (hint, hint_zh) = (hint_for(c), hint_for_zh(c));
                return Err(Invalid::new(
                    "trace_code_chars",
                    format!(
                        "Characters 27 to 36 of a trace code are the serial, which never uses I, L, O or U, \
                         but character {pos} is '{c}'{hint}."
                    ),
                    format!("追溯码第 27 至 36 位为序列号，不使用 I、L、O、U，但第 {pos} 个字符为“{c}”{hint_zh}。"),
                ));
            }
            Some(Serial(part.to_owned()))
        } else {
            None
        };
        let (data, check) = code.split_at(len - 1);
        let expected = damm_check(damm_state(0, data.as_bytes()));
        if !check.starts_with(expected) {
            return Err(Invalid::new(
                "trace_code_check_char",
                "The trace code's check character does not match: a character was mistyped or two were swapped.",
                "追溯码校验位不符：有字符输错或相邻字符颠倒。",
            ));
        }
        Ok(match serial {
            Some(serial) => Self::our_item(gtin, &batch, &serial),
            None => Self::our_lot(gtin, &batch),
        })
    }

    /// Reads a unit from whatever a consumer, a scanner or another system
    /// hands over: a flat trace code, a human-readable element string, scanner
    /// data (with or without symbology identifier), or a GS1 Digital Link URI.
    ///
    /// Errors: those of the form recognised; `trace_code_unrecognised` if the
    /// input matches no form.
    pub fn parse_any(input: &str) -> Result<Self, Invalid> {
        let t = input.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
        if t.is_empty() {
            return Err(Invalid::new(
                "trace_code_empty",
                "The trace code is empty.",
                "追溯码不能为空。",
            ));
        }
        let lower = t.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
        if lower.starts_with("https://") || lower.starts_with("http://") {
            return Self::from_element_string(&parse_digital_link(t)?);
        }
        if t.starts_with('(') || t.starts_with(']') || t.contains(GS) {
            return Self::from_element_string(&ElementString::parse(t)?);
        }
        let typed = normalise_typed(t);
        if !typed.is_empty() && typed.bytes().all(|b| b.is_ascii_alphanumeric()) {
            // Typed or printed: a flat code. Scanner data without symbology
            // identifier and without GS is also letters and digits only; it
            // is tried as well, unless the input is one typing error away
            // from a valid flat code (then it is a mistyped flat code, and
            // must not be read as some other unit by coincidence).
            let flat_error = match Self::parse_flat(t) {
                Ok(unit) => return Ok(unit),
                Err(e) => e,
            };
            if !near_flat_code(typed.as_bytes()) {
                if let Ok(es) = ElementString::parse(t) {
                    return Self::from_element_string(&es);
                }
            }
            return Err(flat_error);
        }
        if t.starts_with(|c: char| c.is_ascii_digit()) {
            return Self::from_element_string(&ElementString::parse(t)?);
        }
        Err(Invalid::new(
            "trace_code_unrecognised",
            "This is not a trace code, a GS1 element string or a GS1 Digital Link.",
            "这不是追溯码、GS1 元素串或 GS1 数字链接。",
        ))
    }
}

impl fmt::Display for TraceUnit {
    /// The human-readable element string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Lot { gtin, batch } => write!(f, "(01){gtin}(10){batch}"),
            Self::Item { gtin, batch, serial } => write!(f, "(01){gtin}(10){batch}(21){serial}"),
            Self::Logistic { sscc } => write!(f, "(00){sscc}"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::codes::gs1::gs1_check_digit;
    use proptest::prelude::*;

    fn gtin() -> Gtin {
        Gtin::parse("06901234567892").unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn batch() -> BatchId {
        BatchId::new(date(2024, 6, 15), "A1", 7).unwrap()
    }

    fn serial() -> Serial {
        Serial::parse("7K3M9QWXZP").unwrap()
    }

    fn code_of<T: fmt::Debug>(r: Result<T, Invalid>) -> &'static str {
        r.unwrap_err().code
    }

    #[test]
    fn the_quasigroup_is_a_totally_anti_symmetric_latin_square() {
        for (x, row) in QUASIGROUP.iter().enumerate() {
            let row: HashSet<u8> = row.iter().copied().collect();
            let col: HashSet<u8> = QUASIGROUP.iter().map(|r| r[x]).collect();
            assert_eq!((row.len(), col.len()), (36, 36));
        }
        for c in 0..36usize {
            for x in 0..36usize {
                for y in 0..36usize {
                    if x != y {
                        let a = QUASIGROUP[usize::from(QUASIGROUP[c][x])][y];
                        let b = QUASIGROUP[usize::from(QUASIGROUP[c][y])][x];
                        assert_ne!(a, b, "c={c} x={x} y={y}");
                    }
                }
            }
        }
        for i in 0..36u8 {
            let k = alnum_value(damm_check(i) as u8);
            assert_eq!(QUASIGROUP[usize::from(i)][k as usize], 0);
        }
    }

    #[test]
    fn check_char_vectors() {
        assert_eq!(trace_check_char("0690123456789220240615A107"), Some('U'));
        assert_eq!(
            trace_check_char("0690123456789220240615A1077K3M9QWXZP"),
            Some('E')
        );
        assert_eq!(trace_check_char(""), Some('0'));
        assert_eq!(trace_check_char("a1"), None);
        // Running a whole valid code ends at 0.
        assert_eq!(damm_state(0, b"0690123456789220240615A1077K3M9QWXZPE"), 0);
    }

    /// ISO/IEC 7064 MOD 37,36, kept here only to show why it was not chosen.
    fn iso7064_mod37_36(data: &str) -> char {
        let mut p = 36;
        for b in data.bytes() {
            let mut s = (p + alnum_value(b)) % 36;
            if s == 0 {
                s = 36;
            }
            p = (2 * s) % 37;
        }
        char::from(ALNUM[((37 - p) % 36) as usize])
    }

    #[test]
    fn mod37_36_would_miss_transpositions() {
        // The GRid example of the standard: A1-2425G-ABC1234002-M.
        assert_eq!(iso7064_mod37_36("A12425GABC1234002"), 'M');
        assert_eq!(iso7064_mod37_36("901"), iso7064_mod37_36("910"));
        assert_ne!(trace_check_char("901"), trace_check_char("910"));
    }

    #[test]
    fn batch_id_layout() {
        let b = batch();
        assert_eq!(b.as_str(), "20240615A107");
        assert_eq!(b.date(), date(2024, 6, 15));
        assert_eq!(b.site(), "A1");
        assert_eq!(b.sequence(), 7);
        let last = BatchId::new(date(2099, 12, 31), "zz", 1295).unwrap();
        assert_eq!(last.as_str(), "20991231ZZZZ");
        assert_eq!(last.sequence(), 1295);
        assert_eq!(
            BatchId::new(date(2024, 6, 15), "00", 36).unwrap().as_str(),
            "202406150010"
        );
        assert_eq!(BatchId::parse(" 20240615a107 ").unwrap(), b);
        assert_eq!(b.to_string(), "20240615A107");
        assert_eq!("20240615A107".parse::<BatchId>().unwrap(), b);
    }

    #[test]
    fn batch_id_errors() {
        let d = date(2024, 6, 15);
        assert_eq!(code_of(BatchId::new(d, "A", 0)), "batch_id_chars");
        assert_eq!(code_of(BatchId::new(d, "A-", 0)), "batch_id_chars");
        assert_eq!(code_of(BatchId::new(d, "A1", 1296)), "batch_id_sequence");
        assert_eq!(
            code_of(BatchId::new(date(1999, 12, 31), "A1", 0)),
            "batch_id_date"
        );
        assert_eq!(code_of(BatchId::new(date(2100, 1, 1), "A1", 0)), "batch_id_date");
        assert_eq!(code_of(BatchId::parse("20240615A10")), "batch_id_length");
        assert_eq!(code_of(BatchId::parse("20240615A1-7")), "batch_id_chars");
        assert_eq!(code_of(BatchId::parse("20240230A107")), "batch_id_date");
        assert_eq!(code_of(BatchId::parse("2024O615A107")), "batch_id_date");
        assert_eq!(code_of(BatchId::parse("19990615A107")), "batch_id_date");
        assert_eq!(code_of(BatchId::parse("+2024061A107")), "batch_id_chars");
        assert!(BatchId::parse("20240229A107").is_ok());
    }

    #[test]
    fn serials() {
        let s = Serial::random();
        assert_eq!(s.as_str().len(), 10);
        assert!(s.as_str().chars().all(|c| SERIAL_ALPHABET.contains(c)));
        assert_eq!(Serial::parse(" 7k3m9qwxzp").unwrap(), serial());
        assert_eq!(code_of(Serial::parse("7K3M9QWXZ")), "serial_length");
        let e = Serial::parse("7K3M9QWXZO").unwrap_err();
        assert_eq!(e.code, "serial_chars");
        assert!(e.en.contains("did you mean 0?"), "{}", e.en);
        assert_eq!(code_of(Serial::parse("7K3M9QWXZI")), "serial_chars");
        assert_eq!(code_of(Serial::parse("7K3M9QWXZ-")), "serial_chars");
        assert_eq!(Serial::from_bits(0).as_str(), "0000000000");
        assert_eq!(Serial::from_bits(SERIAL_BITS_MASK).as_str(), "ZZZZZZZZZZ");
        assert_eq!(Serial::from_bits(31 << 45 | 1).as_str(), "Z000000001");
        assert_eq!(SERIAL_ALPHABET.len(), 32);
        let json = serde_json::to_string(&serial()).unwrap();
        assert_eq!(json, "\"7K3M9QWXZP\"");
        assert_eq!(serde_json::from_str::<Serial>(&json).unwrap(), serial());
        assert!(serde_json::from_str::<Serial>("\"7K3M9QWXZO\"").is_err());
        let json = serde_json::to_string(&batch()).unwrap();
        assert_eq!(json, "\"20240615A107\"");
        assert_eq!(serde_json::from_str::<BatchId>(&json).unwrap(), batch());
    }

    #[test]
    fn bulk_serials_are_distinct_and_fast_to_format() {
        let start = std::time::Instant::now();
        let serials = random_serials(100_000);
        let codes = item_trace_codes(&gtin(), &batch(), &serials);
        let elapsed = start.elapsed();
        eprintln!("random_serials(100_000) + item_trace_codes: {elapsed:?}");
        assert_eq!(serials.len(), 100_000);
        assert_eq!(serials.iter().collect::<HashSet<_>>().len(), 100_000);
        assert_eq!(codes.len(), 100_000);
        // Generous even for an unoptimised build on a busy machine.
        assert!(elapsed.as_secs() < 10, "{elapsed:?}");
        for (s, c) in serials.iter().zip(&codes).take(1000) {
            assert_eq!(*c, item_trace_code(&gtin(), &batch(), s));
            assert_eq!(
                TraceUnit::parse_flat(c).unwrap(),
                TraceUnit::our_item(gtin(), &batch(), s)
            );
        }
        assert!(random_serials(0).is_empty());
    }

    #[test]
    fn flat_code_layout() {
        let lot = batch_trace_code(&gtin(), &batch());
        assert_eq!(lot.len(), 27);
        assert!(lot.starts_with("0690123456789220240615A107"));
        assert_eq!(lot, "0690123456789220240615A107U");
        assert_eq!(Some(lot.chars().last().unwrap()), trace_check_char(&lot[..26]));
        let item = item_trace_code(&gtin(), &batch(), &serial());
        assert_eq!(item.len(), 37);
        assert!(item.starts_with("0690123456789220240615A1077K3M9QWXZP"));
        assert_eq!(item, "0690123456789220240615A1077K3M9QWXZPE");
        assert_eq!(Some(item.chars().last().unwrap()), trace_check_char(&item[..36]));
        for code in [&lot, &item] {
            assert!(code.len() > 20);
            assert!(code.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
        }
    }

    #[test]
    fn flat_codes_tolerate_typing() {
        let item = item_trace_code(&gtin(), &batch(), &serial());
        let unit = TraceUnit::our_item(gtin(), &batch(), &serial());
        assert_eq!(TraceUnit::parse_flat(&item).unwrap(), unit);
        assert_eq!(TraceUnit::parse_flat(&group_for_display(&item)).unwrap(), unit);
        assert_eq!(TraceUnit::parse_flat(&item.to_lowercase()).unwrap(), unit);
        let dashed = format!(
            "{}-{}-{}-{}",
            &item[..14],
            &item[14..26],
            &item[26..36],
            &item[36..]
        );
        assert_eq!(TraceUnit::parse_flat(&dashed).unwrap(), unit);
        assert_eq!(TraceUnit::parse_flat(&format!(" {item}\n")).unwrap(), unit);
        assert_eq!(TraceUnit::parse_flat(&item.replace('7', " 7　")).unwrap(), unit);
        assert_eq!(group_for_display("0690123456"), "0690 1234 56");
        assert_eq!(group_for_display(""), "");
    }

    #[test]
    fn flat_code_errors_say_what_is_wrong() {
        let item = item_trace_code(&gtin(), &batch(), &serial());
        let e = TraceUnit::parse_flat(&item[..36]).unwrap_err();
        assert_eq!(e.code, "trace_code_length");
        assert!(e.en.contains("36"), "{}", e.en);
        assert_eq!(
            code_of(TraceUnit::parse_flat(&format!("{item}X"))),
            "trace_code_length"
        );
        assert_eq!(code_of(TraceUnit::parse_flat("")), "trace_code_length");
        assert_eq!(
            code_of(TraceUnit::parse_flat(&item.replace('Q', "*"))),
            "trace_code_chars"
        );
        assert_eq!(
            code_of(TraceUnit::parse_flat(&item.replacen('9', "Ｑ", 1))),
            "trace_code_chars"
        );
        let e = TraceUnit::parse_flat(&item.replacen('0', "O", 1)).unwrap_err();
        assert_eq!(e.code, "trace_code_chars");
        assert!(e.en.contains("did you mean 0?"), "{}", e.en);
        // A mistyped GTIN digit.
        let mut bad = item.clone().into_bytes();
        bad[3] = b'9';
        let e = TraceUnit::parse_flat(std::str::from_utf8(&bad).unwrap()).unwrap_err();
        assert_eq!(e.code, "gtin_check_digit");
        // A zero GTIN with a valid check character is refused as zero.
        let zero = Gtin::parse("00000000000000");
        assert_eq!(code_of(zero), "gs1_zero");
        let mut bad = item.clone().into_bytes();
        bad[..14].copy_from_slice(b"00000000000000");
        let zero_code = std::str::from_utf8(&bad).unwrap().to_owned();
        let fixed = format!(
            "{}{}",
            &zero_code[..36],
            trace_check_char(&zero_code[..36]).unwrap()
        );
        assert_eq!(code_of(TraceUnit::parse_flat(&fixed)), "gs1_zero");
        // A batch with an impossible date.
        let mut bad = item.clone().into_bytes();
        bad[18] = b'1';
        bad[19] = b'3';
        assert_eq!(
            code_of(TraceUnit::parse_flat(std::str::from_utf8(&bad).unwrap())),
            "batch_id_date"
        );
        // O in the serial part.
        let mut bad = item.clone().into_bytes();
        bad[30] = b'O';
        let e = TraceUnit::parse_flat(std::str::from_utf8(&bad).unwrap()).unwrap_err();
        assert_eq!(e.code, "trace_code_chars");
        assert!(e.en.contains("character 31 is 'O' (did you mean 0?)"), "{}", e.en);
        // A mistyped serial character or check character.
        let mut bad = item.clone().into_bytes();
        bad[28] = if bad[28] == b'A' { b'B' } else { b'A' };
        let e = TraceUnit::parse_flat(std::str::from_utf8(&bad).unwrap()).unwrap_err();
        assert_eq!(e.code, "trace_code_check_char");
        assert!(e.en.contains("mistyped"), "{}", e.en);
    }

    #[test]
    fn trace_units_in_every_form() {
        let item = TraceUnit::our_item(gtin(), &batch(), &serial());
        let es = item.element_string().unwrap();
        assert_eq!(es.to_human(), "(01)06901234567892(10)20240615A107(21)7K3M9QWXZP");
        assert_eq!(item.to_string(), es.to_human());
        let uri = item.digital_link("trace.example.cn").unwrap();
        assert_eq!(
            uri,
            "https://trace.example.cn/01/06901234567892/10/20240615A107/21/7K3M9QWXZP"
        );
        let flat = item.flat_code().unwrap();
        let scanner = format!("]Q3{}", es.to_barcode_data());
        assert_eq!(
            scanner,
            "]Q3010690123456789210".to_owned() + "20240615A107\u{1d}217K3M9QWXZP"
        );
        for form in [
            flat.clone(),
            group_for_display(&flat),
            es.to_human(),
            scanner.clone(),
            es.to_barcode_data(),
            uri.clone(),
            "https://x.cn/q/01/6901234567892/10/20240615A107/21/7K3M9QWXZP?linkType=all".to_owned(),
        ] {
            assert_eq!(TraceUnit::parse_any(&form).unwrap(), item, "{form}");
        }
        assert_eq!(item.lot_unit().unwrap(), TraceUnit::our_lot(gtin(), &batch()));

        let lot = TraceUnit::our_lot(gtin(), &batch());
        let flat = lot.flat_code().unwrap();
        assert_eq!(flat.len(), 27);
        for form in [
            flat,
            lot.element_string().unwrap().to_human(),
            lot.element_string().unwrap().to_barcode_data(),
            lot.digital_link("trace.example.cn").unwrap(),
        ] {
            assert_eq!(TraceUnit::parse_any(&form).unwrap(), lot, "{form}");
        }

        let pallet = TraceUnit::logistic(Sscc::parse("069012340000000016").unwrap());
        assert_eq!(pallet.flat_code(), None);
        assert_eq!(pallet.to_string(), "(00)069012340000000016");
        for form in [
            "(00)069012340000000016".to_owned(),
            "]C100069012340000000016".to_owned(),
            "00069012340000000016".to_owned(),
            pallet.digital_link("example.com").unwrap(),
        ] {
            assert_eq!(TraceUnit::parse_any(&form).unwrap(), pallet, "{form}");
        }
    }

    #[test]
    fn reference_vector_is_a_foreign_item() {
        let unit = TraceUnit::parse_any("(01)06901234567892(10)B20240615A01(21)000123").unwrap();
        assert_eq!(unit, TraceUnit::item(gtin(), "B20240615A01", "000123").unwrap());
        // Not our format: no flat code, but every GS1 form.
        assert_eq!(unit.flat_code(), None);
        assert_eq!(
            TraceUnit::parse_any("https://trace.example.cn/01/06901234567892/10/B20240615A01/21/000123")
                .unwrap(),
            unit
        );
        assert_eq!(
            TraceUnit::parse_any(&("]d20106901234567892".to_owned() + "10B20240615A01\u{1d}21000123"))
                .unwrap(),
            unit
        );
        // Our layout but lower case: a different GS1 lot, so not ours.
        let lower = TraceUnit::lot(gtin(), "20240615a107").unwrap();
        assert_eq!(lower.flat_code(), None);
        // Data attributes are dropped from the unit.
        let with_dates = TraceUnit::parse_any("(01)06901234567892(10)L1(17)240630").unwrap();
        assert_eq!(with_dates, TraceUnit::lot(gtin(), "L1").unwrap());
    }

    #[test]
    fn parse_any_errors() {
        let p = |s: &str| code_of(TraceUnit::parse_any(s));
        assert_eq!(p("(01)06901234567892"), "trace_unit_incomplete");
        assert_eq!(p("https://x.cn/01/06901234567892"), "trace_unit_incomplete");
        assert_eq!(p("(01)06901234567892(21)5"), "trace_unit_batch_missing");
        assert_eq!(p("(414)6901234000009"), "trace_unit_incomplete");
        assert_eq!(p("hello world!"), "trace_code_unrecognised");
        assert_eq!(p(""), "trace_code_empty");
        assert_eq!(p(" \n"), "trace_code_empty");
        assert_eq!(p("0690-1234-5678"), "trace_code_length");
        assert_eq!(p("(01)06901234567891(10)A"), "gtin_check_digit");
        // A zero GTIN names nothing, in every form a code is read.
        assert_eq!(p("(01)00000000000000(10)A"), "gs1_zero");
        assert_eq!(p("]d20100000000000000"), "gs1_zero");
        assert_eq!(p("https://x.cn/01/00000000000000/10/A"), "gs1_zero");
        assert_eq!(p("https://x.cn/00/000000000000000000"), "gs1_zero");
        assert_eq!(p("(414)0000000000000"), "gs1_zero");
        assert_eq!(
            p("https://x.cn/01/06901234567892/21/S/10/L"),
            "digital_link_qualifier_order"
        );
        let item = item_trace_code(&gtin(), &batch(), &serial());
        let mut bad = item.into_bytes();
        bad.swap(30, 31);
        assert_eq!(p(std::str::from_utf8(&bad).unwrap()), "trace_code_check_char");
    }

    #[test]
    fn constructors_validate() {
        assert!(TraceUnit::lot(gtin(), "").is_err());
        assert_eq!(code_of(TraceUnit::lot(gtin(), "A B")), "element_string_chars");
        assert_eq!(
            code_of(TraceUnit::item(gtin(), "A", &"9".repeat(21))),
            "element_string_length"
        );
        let bad = TraceUnit::Lot {
            gtin: gtin(),
            batch: "A B".to_owned(),
        };
        assert_eq!(code_of(bad.element_string()), "element_string_chars");
        assert_eq!(code_of(bad.digital_link("x.cn")), "element_string_chars");
    }

    fn arb_gtin() -> impl Strategy<Value = Gtin> {
        "[0-9]{13}".prop_map(|d| Gtin::parse(&format!("{d}{}", gs1_check_digit(&d))).unwrap())
    }

    fn arb_batch() -> impl Strategy<Value = BatchId> {
        (0u32..36525, "[0-9A-Z]{2}", 0u16..=1295).prop_map(|(days, site, seq)| {
            let d = date(2000, 1, 1) + chrono::Days::new(u64::from(days));
            BatchId::new(d, &site, seq).unwrap()
        })
    }

    fn arb_serial() -> impl Strategy<Value = Serial> {
        any::<u64>().prop_map(Serial::from_bits)
    }

    /// Every flat code of an item or lot, as the property tests use them.
    fn arb_flat() -> impl Strategy<Value = String> {
        (arb_gtin(), arb_batch(), arb_serial(), any::<bool>()).prop_map(|(g, b, s, is_item)| {
            if is_item {
                item_trace_code(&g, &b, &s)
            } else {
                batch_trace_code(&g, &b)
            }
        })
    }

    proptest! {
        #[test]
        fn the_forms_round_trip_to_the_same_unit(g in arb_gtin(), b in arb_batch(), s in arb_serial()) {
            for unit in [TraceUnit::our_item(g.clone(), &b, &s), TraceUnit::our_lot(g.clone(), &b)] {
                let es = unit.element_string().unwrap();
                let flat = unit.flat_code().unwrap();
                let forms = [
                    flat.clone(),
                    group_for_display(&flat).to_lowercase(),
                    es.to_human(),
                    es.to_barcode_data(),
                    format!("]d2{}", es.to_barcode_data()),
                    unit.digital_link("trace.example.cn").unwrap(),
                ];
                for form in forms {
                    prop_assert_eq!(TraceUnit::parse_any(&form).unwrap(), unit.clone(), "{}", form);
                }
                prop_assert_eq!(TraceUnit::from_element_string(&es).unwrap(), unit.clone());
            }
        }

        #[test]
        fn every_single_substitution_is_detected(code in arb_flat(), pos in 0usize..37, c in 0usize..36) {
            let pos = pos % code.len();
            let mut bytes = code.clone().into_bytes();
            let new = ALNUM[c];
            prop_assume!(bytes[pos] != new);
            bytes[pos] = new;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(TraceUnit::parse_flat(&changed).is_err(), "{} -> {}", code, changed);
            prop_assert!(TraceUnit::parse_any(&changed).is_err(), "{} -> {}", code, changed);
        }

        #[test]
        fn every_adjacent_transposition_is_detected(code in arb_flat(), pos in 0usize..36) {
            let pos = pos % (code.len() - 1);
            let mut bytes = code.clone().into_bytes();
            prop_assume!(bytes[pos] != bytes[pos + 1]);
            bytes.swap(pos, pos + 1);
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(TraceUnit::parse_flat(&changed).is_err(), "{} -> {}", code, changed);
            prop_assert!(TraceUnit::parse_any(&changed).is_err(), "{} -> {}", code, changed);
        }

        #[test]
        fn parse_any_never_panics(s in "\\PC{0,60}") {
            let _ = TraceUnit::parse_any(&s);
            let _ = TraceUnit::parse_flat(&s);
        }
    }

    #[test]
    fn all_single_errors_are_caught_exhaustively_on_one_code() {
        let code = item_trace_code(&gtin(), &batch(), &serial());
        let data = &code.as_bytes()[..36];
        let check = code.as_bytes()[36];
        let ok = |d: &[u8], c: u8| damm_check(damm_state(0, d)) as u8 == c;
        assert!(ok(data, check));
        let mut full = code.clone().into_bytes();
        for i in 0..full.len() {
            let orig = full[i];
            for &c in ALNUM {
                if c != orig {
                    full[i] = c;
                    assert!(!ok(&full[..36], full[36]), "substitution at {i}");
                }
            }
            full[i] = orig;
            if i + 1 < full.len() && full[i] != full[i + 1] {
                full.swap(i, i + 1);
                assert!(!ok(&full[..36], full[36]), "transposition at {i}");
                full.swap(i, i + 1);
            }
        }
    }
}
