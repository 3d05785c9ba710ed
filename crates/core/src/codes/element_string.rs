//! GS1 element strings: the `(AI)value` pairs that GS1-128 barcodes, GS1
//! DataMatrix and GS1 QR codes carry.
//!
//! Two textual forms are read:
//!
//! * the **human-readable** form printed under a barcode,
//!   `(01)06901234567892(10)B20240615A01(21)000123`;
//! * **barcode (scanner) data**: what a scanner transmits, optionally opened
//!   by a symbology identifier (`]C1` GS1-128, `]d2` GS1 DataMatrix, `]Q3`
//!   GS1 QR, `]e0` GS1 DataBar, `]J1` GS1 DotCode). Fixed-length AIs whose
//!   first two digits are 00, 01-04, 11-20, 31-36 or 41 need no separator; any
//!   other field runs to the next GS (ASCII 29, how FNC1 is transmitted) or to
//!   the end of the data.
//!   Example: `]d2` + `0106901234567892` + `10B20240615A01` + GS + `21000123`.
//!
//! Only the application identifiers this platform meets are known (see
//! [`Ai::all`]); any other AI is refused with `element_string_unknown_ai`
//! rather than skipped, because its length — and so where the next field
//! starts — is unknown.
//!
//! Values are checked when they enter an [`ElementString`]: GTIN, SSCC and GLN
//! check digits, CSET 82 for free text (batch, serial, variant, internal
//! data), YYMMDD dates (day 00 allowed: "end of the month"), harvest date
//! 7007 as a date or a date range. [`ElementString::parse`] also checks GS1's
//! mandatory associations (a serial needs its GTIN, and so on);
//! [`ElementString::parse_partial`] does not, for a GS1-128 label whose data is
//! split over several barcodes.
//!
//! The pairs are kept in one canonical order (primary key, then the key
//! qualifiers 22, 10, 21, 254, then the other AIs by number), so two element
//! strings that say the same thing compare equal whatever order they were
//! written in.
//!
//! The human-readable form is ambiguous if a free-text value itself contains
//! something like `(10)`: such a value is read as a new AI. Barcode data and
//! Digital Link URIs have no such ambiguity.
//!
//! Error codes: `element_string_empty`, `element_string_syntax`,
//! `element_string_symbology`, `element_string_unknown_ai`,
//! `element_string_chars`, `element_string_digits`, `element_string_length`,
//! `element_string_date`, `element_string_duplicate_ai`,
//! `element_string_missing_ai`, `element_string_conflicting_ai`, and the key
//! codes `gtin_check_digit`, `sscc_check_digit`, `gln_check_digit`, `gs1_zero`.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

use crate::codes::gs1::{Gln, Gtin, Sscc};
use crate::error::Invalid;

/// ASCII group separator (29): how a scanner transmits FNC1 between fields.
pub const GS: char = '\u{1d}';
const GS_BYTE: u8 = 0x1d;

/// Symbology identifiers of GS1 carriers that a scanner may put first.
const SYMBOLOGY_IDS: [&str; 5] = ["]C1", "]d2", "]Q3", "]e0", "]J1"];

/// What a value of an AI looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// Digits only.
    Numeric,
    /// GS1 AI encodable character set 82.
    Cset82,
    /// YYMMDD, DD may be 00.
    Date,
    /// YYMMDD or YYMMDDYYMMDD.
    DateOrRange,
    /// GTIN-14 with its check digit.
    Gtin,
    /// SSCC with its check digit.
    Sscc,
    /// GLN with its check digit.
    Gln,
}

/// The definition of one application identifier.
#[derive(Debug)]
struct AiDef {
    code: &'static str,
    en: &'static str,
    zh: &'static str,
    min: usize,
    max: usize,
    format: Format,
    /// Mandatory associations: for each inner list, at least one of its AIs
    /// must be present in the same element string.
    requires: &'static [&'static [&'static str]],
}

const NEEDS_TRADE_ITEM: &[&[&str]] = &[&["01", "02"]];

macro_rules! ai_def {
    ($name:ident, $code:literal, $en:literal, $zh:literal, $min:literal, $max:literal, $format:ident, $req:expr) => {
        const $name: AiDef = AiDef {
            code: $code,
            en: $en,
            zh: $zh,
            min: $min,
            max: $max,
            format: Format::$format,
            requires: $req,
        };
    };
}

ai_def!(
    AI_00,
    "00",
    "SSCC",
    "系列货运包装箱代码（SSCC）",
    18,
    18,
    Sscc,
    &[]
);
ai_def!(AI_01, "01", "GTIN", "全球贸易项目代码（GTIN）", 14, 14, Gtin, &[]);
ai_def!(
    AI_02,
    "02",
    "GTIN of contained trade items",
    "所含贸易项目的 GTIN",
    14,
    14,
    Gtin,
    &[&["37"]]
);
ai_def!(AI_10, "10", "batch/lot", "批号", 1, 20, Cset82, NEEDS_TRADE_ITEM);
ai_def!(
    AI_11,
    "11",
    "production date",
    "生产日期",
    6,
    6,
    Date,
    NEEDS_TRADE_ITEM
);
ai_def!(AI_12, "12", "due date", "付款截止日期", 6, 6, Date, &[]);
ai_def!(
    AI_13,
    "13",
    "packaging date",
    "包装日期",
    6,
    6,
    Date,
    NEEDS_TRADE_ITEM
);
ai_def!(
    AI_15,
    "15",
    "best before date",
    "保质期截止日期",
    6,
    6,
    Date,
    NEEDS_TRADE_ITEM
);
ai_def!(
    AI_16,
    "16",
    "sell by date",
    "销售截止日期",
    6,
    6,
    Date,
    NEEDS_TRADE_ITEM
);
ai_def!(
    AI_17,
    "17",
    "expiration date",
    "有效期截止日期",
    6,
    6,
    Date,
    NEEDS_TRADE_ITEM
);
ai_def!(
    AI_20,
    "20",
    "internal product variant",
    "产品变体",
    2,
    2,
    Numeric,
    NEEDS_TRADE_ITEM
);
ai_def!(AI_21, "21", "serial number", "序列号", 1, 20, Cset82, &[&["01"]]);
ai_def!(
    AI_22,
    "22",
    "consumer product variant",
    "消费产品变体",
    1,
    20,
    Cset82,
    &[&["01"]]
);
ai_def!(
    AI_254,
    "254",
    "GLN extension component",
    "全球位置码扩展代码",
    1,
    20,
    Cset82,
    &[&["414"]]
);
ai_def!(
    AI_37,
    "37",
    "count of trade items",
    "所含贸易项目数量",
    1,
    8,
    Numeric,
    &[&["02"]]
);
ai_def!(
    AI_3100,
    "3100",
    "net weight (kg)",
    "净重（千克）",
    6,
    6,
    Numeric,
    NEEDS_TRADE_ITEM
);
ai_def!(
    AI_3101,
    "3101",
    "net weight (kg)",
    "净重（千克）",
    6,
    6,
    Numeric,
    NEEDS_TRADE_ITEM
);
ai_def!(
    AI_3102,
    "3102",
    "net weight (kg)",
    "净重（千克）",
    6,
    6,
    Numeric,
    NEEDS_TRADE_ITEM
);
ai_def!(
    AI_3103,
    "3103",
    "net weight (kg)",
    "净重（千克）",
    6,
    6,
    Numeric,
    NEEDS_TRADE_ITEM
);
ai_def!(
    AI_3104,
    "3104",
    "net weight (kg)",
    "净重（千克）",
    6,
    6,
    Numeric,
    NEEDS_TRADE_ITEM
);
ai_def!(
    AI_3105,
    "3105",
    "net weight (kg)",
    "净重（千克）",
    6,
    6,
    Numeric,
    NEEDS_TRADE_ITEM
);
ai_def!(AI_410, "410", "ship to GLN", "交货地全球位置码", 13, 13, Gln, &[]);
ai_def!(AI_411, "411", "bill to GLN", "受票方全球位置码", 13, 13, Gln, &[]);
ai_def!(
    AI_412,
    "412",
    "purchased from GLN",
    "供货方全球位置码",
    13,
    13,
    Gln,
    &[]
);
ai_def!(
    AI_413,
    "413",
    "ship for GLN",
    "最终收货方全球位置码",
    13,
    13,
    Gln,
    &[]
);
ai_def!(
    AI_414,
    "414",
    "location GLN",
    "物理位置全球位置码",
    13,
    13,
    Gln,
    &[]
);
ai_def!(
    AI_415,
    "415",
    "invoicing party GLN",
    "开票方全球位置码",
    13,
    13,
    Gln,
    &[]
);
ai_def!(
    AI_416,
    "416",
    "production or service location GLN",
    "生产或服务地全球位置码",
    13,
    13,
    Gln,
    &[]
);
ai_def!(AI_417, "417", "party GLN", "参与方全球位置码", 13, 13, Gln, &[]);
ai_def!(
    AI_422,
    "422",
    "country of origin",
    "原产国",
    3,
    3,
    Numeric,
    NEEDS_TRADE_ITEM
);
ai_def!(
    AI_7007,
    "7007",
    "harvest date",
    "收获日期",
    6,
    12,
    DateOrRange,
    NEEDS_TRADE_ITEM
);
ai_def!(
    AI_99,
    "99",
    "company internal information",
    "企业内部信息",
    1,
    90,
    Cset82,
    &[]
);

/// Every known AI, in numeric order.
const TABLE: &[&AiDef] = &[
    &AI_00, &AI_01, &AI_02, &AI_10, &AI_11, &AI_12, &AI_13, &AI_15, &AI_16, &AI_17, &AI_20, &AI_21, &AI_22,
    &AI_254, &AI_3100, &AI_3101, &AI_3102, &AI_3103, &AI_3104, &AI_3105, &AI_37, &AI_410, &AI_411, &AI_412,
    &AI_413, &AI_414, &AI_415, &AI_416, &AI_417, &AI_422, &AI_7007, &AI_99,
];

/// AI pairs that may not appear together.
const CONFLICTS: &[(&str, &str)] = &[("01", "02")];

/// A GS1 application identifier known to this platform.
///
/// Built only from the table of known AIs ([`Ai::from_code`] or the
/// constants), so holding an `Ai` means its format is known. Compared,
/// ordered and hashed by its digits.
#[derive(Clone, Copy)]
pub struct Ai(&'static AiDef);

impl Ai {
    /// (00) SSCC, the key of a logistic unit.
    pub const SSCC: Ai = Ai(&AI_00);
    /// (01) GTIN, the key of a trade item.
    pub const GTIN: Ai = Ai(&AI_01);
    /// (02) GTIN of the trade items contained in a logistic unit.
    pub const CONTENT: Ai = Ai(&AI_02);
    /// (10) batch or lot number.
    pub const BATCH: Ai = Ai(&AI_10);
    /// (11) production date.
    pub const PROD_DATE: Ai = Ai(&AI_11);
    /// (12) due date.
    pub const DUE_DATE: Ai = Ai(&AI_12);
    /// (13) packaging date.
    pub const PACK_DATE: Ai = Ai(&AI_13);
    /// (15) best before date.
    pub const BEST_BEFORE: Ai = Ai(&AI_15);
    /// (16) sell by date.
    pub const SELL_BY: Ai = Ai(&AI_16);
    /// (17) expiration date.
    pub const EXPIRY: Ai = Ai(&AI_17);
    /// (20) internal product variant.
    pub const VARIANT: Ai = Ai(&AI_20);
    /// (21) serial number.
    pub const SERIAL: Ai = Ai(&AI_21);
    /// (22) consumer product variant.
    pub const CPV: Ai = Ai(&AI_22);
    /// (254) GLN extension component.
    pub const GLN_EXTENSION: Ai = Ai(&AI_254);
    /// (37) count of trade items in a logistic unit.
    pub const COUNT: Ai = Ai(&AI_37);
    /// (3100) to (3105): net weight in kg with 0 to 5 decimals, in that order.
    pub const NET_WEIGHT_KG: [Ai; 6] = [
        Ai(&AI_3100),
        Ai(&AI_3101),
        Ai(&AI_3102),
        Ai(&AI_3103),
        Ai(&AI_3104),
        Ai(&AI_3105),
    ];
    /// (410) ship to / deliver to GLN.
    pub const SHIP_TO: Ai = Ai(&AI_410);
    /// (414) GLN of a physical location.
    pub const LOCATION: Ai = Ai(&AI_414);
    /// (416) GLN of the production or service location.
    pub const PRODUCTION_LOCATION: Ai = Ai(&AI_416);
    /// (417) GLN of a party.
    pub const PARTY: Ai = Ai(&AI_417);
    /// (422) country of origin, ISO 3166 numeric (156 = China).
    pub const ORIGIN: Ai = Ai(&AI_422);
    /// (7007) harvest date or harvest date range.
    pub const HARVEST_DATE: Ai = Ai(&AI_7007);
    /// (99) company internal information.
    pub const INTERNAL: Ai = Ai(&AI_99);

    /// The known AI with these digits, if any.
    pub fn from_code(code: &str) -> Option<Ai> {
        TABLE.iter().find(|d| d.code == code).map(|d| Ai(d))
    }

    /// Every AI this platform knows, in numeric order.
    pub fn all() -> impl Iterator<Item = Ai> {
        TABLE.iter().map(|d| Ai(d))
    }

    /// The AI's digits, e.g. `"01"`.
    pub fn code(&self) -> &'static str {
        self.0.code
    }

    /// English name, e.g. `"batch/lot"`.
    pub fn title_en(&self) -> &'static str {
        self.0.en
    }

    /// Chinese name, e.g. `"批号"`.
    pub fn title_zh(&self) -> &'static str {
        self.0.zh
    }

    /// Shortest and longest value, in characters.
    pub fn length_range(&self) -> (usize, usize) {
        (self.0.min, self.0.max)
    }

    /// Whether the AI is one of GS1's predefined-length AIs (first two digits
    /// 00, 01-04, 11-20, 31-36, 41), which never need a separator after them
    /// in barcode data. Every other AI ends at GS or at the end of the data.
    pub fn is_predefined_length(&self) -> bool {
        predefined_length(self.0.code)
    }

    /// Checks `value` against the AI's format. The errors are those listed in
    /// the module documentation, except the association ones.
    pub fn validate(&self, value: &str) -> Result<(), Invalid> {
        validate_value(self.0, value)
    }

    /// Rank in the canonical order: primary keys, key qualifiers, the rest.
    fn rank(&self) -> u8 {
        match self.0.code {
            "00" => 0,
            "01" => 1,
            "02" => 2,
            "414" => 3,
            "417" => 4,
            "22" => 10,
            "10" => 11,
            "21" => 12,
            "254" => 13,
            _ => 20,
        }
    }

    /// The canonical order of AIs in an element string.
    fn canonical_cmp(&self, other: &Ai) -> Ordering {
        (self.rank(), self.0.code).cmp(&(other.rank(), other.0.code))
    }
}

impl PartialEq for Ai {
    fn eq(&self, other: &Self) -> bool {
        self.0.code == other.0.code
    }
}

impl Eq for Ai {}

impl Hash for Ai {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.code.hash(state);
    }
}

impl PartialOrd for Ai {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ai {
    /// Numeric GS1 order, i.e. the order of the digit strings.
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.code.cmp(other.0.code)
    }
}

impl fmt::Debug for Ai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ai({})", self.0.code)
    }
}

impl fmt::Display for Ai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.code)
    }
}

/// GS1's table of AIs whose length is predefined by their first two digits.
fn predefined_length(code: &str) -> bool {
    match code.get(..2).and_then(|p| p.parse::<u8>().ok()) {
        Some(p) => matches!(p, 0..=4 | 11..=20 | 31..=36 | 41),
        None => false,
    }
}

/// Whether `b` is in GS1 AI encodable character set 82.
pub fn is_cset82(b: u8) -> bool {
    matches!(b,
        b'!' | b'"' | b'%'..=b'?' | b'A'..=b'Z' | b'_' | b'a'..=b'z')
}

/// An error about the value of AI `def`: the message names the AI.
fn value_error(def: &AiDef, code: &'static str, en: String, zh: String) -> Invalid {
    Invalid::new(
        code,
        format!("AI ({}) {}: {}", def.code, def.en, en),
        format!("AI ({}) {}：{}", def.code, def.zh, zh),
    )
}

fn validate_value(def: &AiDef, value: &str) -> Result<(), Invalid> {
    let numeric = def.format != Format::Cset82;
    if let Some((i, c)) = value.chars().enumerate().find(|&(_, c)| {
        if numeric {
            !c.is_ascii_digit()
        } else {
            !c.is_ascii() || !is_cset82(c as u8)
        }
    }) {
        let pos = i + 1;
        let shown = c.escape_debug();
        return Err(if numeric {
            value_error(
                def,
                "element_string_digits",
                format!("the value is digits only, but character {pos} '{shown}' is not a digit."),
                format!("取值只能是数字，第 {pos} 个字符“{shown}”不是数字。"),
            )
        } else {
            value_error(
                def,
                "element_string_chars",
                format!(
                    "character {pos} '{shown}' is not allowed (GS1 character set 82: letters, digits and \
                     !\"%&'()*+,-./:;<=>?_ but no spaces)."
                ),
                format!(
                    "第 {pos} 个字符“{shown}”不允许使用（GS1 字符集 82：字母、数字及 !\"%&'()*+,-./:;<=>?_，不含空格）。"
                ),
            )
        });
    }
    // ASCII from here on.
    let len = value.len();
    let length_ok = match def.format {
        Format::DateOrRange => len == 6 || len == 12,
        _ => (def.min..=def.max).contains(&len),
    };
    if !length_ok {
        let (want_en, want_zh) = match def.format {
            Format::DateOrRange => ("6 or 12 digits".to_owned(), "6 或 12 位数字".to_owned()),
            _ if def.min == def.max => (
                format!("exactly {} characters", def.min),
                format!("{} 个字符", def.min),
            ),
            _ => (
                format!("{} to {} characters", def.min, def.max),
                format!("{} 至 {} 个字符", def.min, def.max),
            ),
        };
        return Err(value_error(
            def,
            "element_string_length",
            format!("the value has {want_en}, but this one has {len}."),
            format!("取值应为 {want_zh}，实际为 {len} 个。"),
        ));
    }
    let key_error = |e: Invalid| value_error(def, e.code, e.en, e.zh);
    match def.format {
        Format::Numeric | Format::Cset82 => Ok(()),
        Format::Date => check_date(def, value),
        Format::DateOrRange => {
            check_date(def, &value[..6])?;
            if len == 12 {
                check_date(def, &value[6..])?;
            }
            Ok(())
        }
        Format::Gtin => Gtin::parse(value).map(|_| ()).map_err(key_error),
        Format::Sscc => Sscc::parse(value).map(|_| ()).map_err(key_error),
        Format::Gln => Gln::parse(value).map(|_| ()).map_err(key_error),
    }
}

/// Days in `month` of a year ending in `yy`. Within GS1's sliding century
/// window (about 50 years either side of today) every year divisible by 4 is
/// a leap year, 2000 included.
fn days_in_month(yy: u32, month: u32) -> u32 {
    match month {
        // (`is_multiple_of` is newer than the crate's minimum Rust version.)
        2 if yy % 4 < 1 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Checks six digits as YYMMDD with DD = 00 allowed.
fn check_date(def: &AiDef, yymmdd: &str) -> Result<(), Invalid> {
    let num = |r: std::ops::Range<usize>| yymmdd.get(r).and_then(|s| s.parse::<u32>().ok()).unwrap_or(99);
    let (yy, mm, dd) = (num(0..2), num(2..4), num(4..6));
    if !(1..=12).contains(&mm) {
        return Err(value_error(
            def,
            "element_string_date",
            format!("'{yymmdd}' is not a date YYMMDD: month {mm:02} does not exist."),
            format!("“{yymmdd}”不是 YYMMDD 格式的日期：不存在 {mm:02} 月。"),
        ));
    }
    let max = days_in_month(yy, mm);
    if dd > max {
        return Err(value_error(
            def,
            "element_string_date",
            format!("'{yymmdd}' is not a date YYMMDD: month {mm:02} has {max} days (day 00 means the whole month)."),
            format!("“{yymmdd}”不是 YYMMDD 格式的日期：{mm:02} 月只有 {max} 天（日为 00 表示整月）。"),
        ));
    }
    Ok(())
}

/// Converts a GS1 date YYMMDD to a calendar date, using GS1's century rule
/// relative to `today`: a year more than 50 years ahead is in the previous
/// century, one 50 or more years back in the next one. Day 00 means the last
/// day of the month. `None` if `yymmdd` is not a valid GS1 date.
pub fn gs1_date(yymmdd: &str, today: NaiveDate) -> Option<NaiveDate> {
    if yymmdd.len() != 6 || !yymmdd.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let yy: i32 = yymmdd[..2].parse().ok()?;
    let mm: u32 = yymmdd[2..4].parse().ok()?;
    let dd: u32 = yymmdd[4..].parse().ok()?;
    let current = today.year();
    let century = current - current.rem_euclid(100);
    let diff = yy - current.rem_euclid(100);
    let year = if diff >= 51 {
        century - 100 + yy
    } else if diff <= -50 {
        century + 100 + yy
    } else {
        century + yy
    };
    if dd == 0 {
        let first_of_next = match mm {
            12 => NaiveDate::from_ymd_opt(year + 1, 1, 1),
            1..=11 => NaiveDate::from_ymd_opt(year, mm + 1, 1),
            _ => None,
        };
        return first_of_next?.pred_opt();
    }
    NaiveDate::from_ymd_opt(year, mm, dd)
}

/// A validated GS1 element string: AI/value pairs in canonical order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ElementString {
    pairs: Vec<(Ai, String)>,
}

impl ElementString {
    /// An empty element string, to fill with [`ElementString::push`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the human-readable form (it starts with `(`) or barcode data
    /// (anything else), and checks GS1's mandatory associations.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let es = Self::parse_partial(input)?;
        es.check_associations()?;
        Ok(es)
    }

    /// Like [`ElementString::parse`] without the association check: for one
    /// barcode of a label whose data is split over several.
    pub fn parse_partial(input: &str) -> Result<Self, Invalid> {
        let s = input.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
        if s.is_empty() {
            return Err(empty_error());
        }
        if let Some((i, c)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii()) {
            let pos = i + 1;
            let shown = c.escape_debug();
            return Err(Invalid::new(
                "element_string_chars",
                format!("A GS1 element string is plain ASCII, but character {pos} '{shown}' is not."),
                format!("GS1 元素串只能包含 ASCII 字符，第 {pos} 个字符“{shown}”不是。"),
            ));
        }
        if s.starts_with('(') {
            parse_human(s)
        } else {
            parse_barcode(s)
        }
    }

    /// Adds a pair after checking the value against the AI's format. The same
    /// pair twice is kept once; the same AI with another value is an error
    /// (`element_string_duplicate_ai`).
    pub fn push(&mut self, ai: Ai, value: &str) -> Result<(), Invalid> {
        ai.validate(value)?;
        if let Some((_, old)) = self.pairs.iter().find(|(a, _)| *a == ai) {
            if old == value {
                return Ok(());
            }
            return Err(value_error(
                ai.0,
                "element_string_duplicate_ai",
                format!("the AI appears twice, with '{old}' and '{value}'."),
                format!("该 AI 出现两次，取值分别为“{old}”和“{value}”。"),
            ));
        }
        let at = self
            .pairs
            .partition_point(|(a, _)| a.canonical_cmp(&ai) == Ordering::Less);
        self.pairs.insert(at, (ai, value.to_owned()));
        Ok(())
    }

    /// Checks GS1's mandatory associations and invalid pairs, e.g. a serial
    /// (21) needs a GTIN (01) and (01) excludes (02).
    ///
    /// Errors: `element_string_missing_ai`, `element_string_conflicting_ai`.
    pub fn check_associations(&self) -> Result<(), Invalid> {
        for (ai, _) in &self.pairs {
            for alternatives in ai.0.requires {
                if !alternatives.iter().any(|code| self.get_code(code).is_some()) {
                    let needed = alternatives
                        .iter()
                        .map(|c| format!("({c})"))
                        .collect::<Vec<_>>()
                        .join(" or ");
                    let needed_zh = needed.replace(" or ", " 或 ");
                    return Err(value_error(
                        ai.0,
                        "element_string_missing_ai",
                        format!("GS1 allows it only together with AI {needed}, which is missing."),
                        format!("按 GS1 规则，它必须与 AI {needed_zh} 一同出现，但后者缺失。"),
                    ));
                }
            }
        }
        for (a, b) in CONFLICTS {
            if self.get_code(a).is_some() && self.get_code(b).is_some() {
                return Err(Invalid::new(
                    "element_string_conflicting_ai",
                    format!("AI ({a}) and AI ({b}) may not appear in the same element string."),
                    format!("AI ({a}) 与 AI ({b}) 不能出现在同一个元素串中。"),
                ));
            }
        }
        Ok(())
    }

    /// The pairs, in canonical order.
    pub fn pairs(&self) -> &[(Ai, String)] {
        &self.pairs
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The value of `ai`, if present.
    pub fn get(&self, ai: Ai) -> Option<&str> {
        self.get_code(ai.code())
    }

    fn get_code(&self, code: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(a, _)| a.code() == code)
            .map(|(_, v)| v.as_str())
    }

    /// The GTIN (01).
    pub fn gtin(&self) -> Option<Gtin> {
        self.get(Ai::GTIN).and_then(|v| Gtin::parse(v).ok())
    }

    /// The batch/lot (10).
    pub fn batch(&self) -> Option<&str> {
        self.get(Ai::BATCH)
    }

    /// The serial number (21).
    pub fn serial(&self) -> Option<&str> {
        self.get(Ai::SERIAL)
    }

    /// The SSCC (00).
    pub fn sscc(&self) -> Option<Sscc> {
        self.get(Ai::SSCC).and_then(|v| Sscc::parse(v).ok())
    }

    /// The location GLN (414).
    pub fn location(&self) -> Option<Gln> {
        self.get(Ai::LOCATION).and_then(|v| Gln::parse(v).ok())
    }

    /// The net weight in kg (3100-3105) as a decimal string, e.g. `"1.250"`
    /// for `(3103)001250`.
    pub fn net_weight_kg(&self) -> Option<String> {
        Ai::NET_WEIGHT_KG.iter().enumerate().find_map(|(decimals, ai)| {
            let v = self.get(*ai)?;
            let (int, frac) = v.split_at(v.len() - decimals);
            let int = int.trim_start_matches('0');
            let int = if int.is_empty() { "0" } else { int };
            Some(if frac.is_empty() {
                int.to_owned()
            } else {
                format!("{int}.{frac}")
            })
        })
    }

    /// The human-readable form, `(01)06901234567892(10)B20240615A01`, in
    /// canonical order.
    pub fn to_human(&self) -> String {
        let mut out = String::new();
        for (ai, v) in &self.pairs {
            out.push('(');
            out.push_str(ai.code());
            out.push(')');
            out.push_str(v);
        }
        out
    }

    /// Barcode data: predefined-length fields first, the others after them,
    /// each but the last of those followed by GS. No symbology identifier and
    /// no leading FNC1: the encoder adds those.
    pub fn to_barcode_data(&self) -> String {
        let mut out = String::new();
        let (fixed, variable): (Vec<_>, Vec<_>) =
            self.pairs.iter().partition(|(ai, _)| ai.is_predefined_length());
        for (ai, v) in fixed {
            out.push_str(ai.code());
            out.push_str(v);
        }
        for (i, (ai, v)) in variable.iter().enumerate() {
            if i > 0 {
                out.push(GS);
            }
            out.push_str(ai.code());
            out.push_str(v);
        }
        out
    }
}

impl fmt::Display for ElementString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_human())
    }
}

impl FromStr for ElementString {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::parse(s)
    }
}

fn empty_error() -> Invalid {
    Invalid::new(
        "element_string_empty",
        "The GS1 element string is empty.",
        "GS1 元素串不能为空。",
    )
}

fn unknown_ai_error(code: &str, pos: usize) -> Invalid {
    Invalid::new(
        "element_string_unknown_ai",
        format!("'{code}' at character {pos} is not a GS1 application identifier this system knows."),
        format!("第 {pos} 个字符处的“{code}”不是本系统支持的 GS1 应用标识符。"),
    )
}

/// Whether `b[j..]` starts with `(` + 2 to 4 digits + `)`.
fn ai_bracket_at(b: &[u8], j: usize) -> Option<usize> {
    if b.get(j) != Some(&b'(') {
        return None;
    }
    let digits = b[j + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
    ((2..=4).contains(&digits) && b.get(j + 1 + digits) == Some(&b')')).then_some(digits)
}

/// `(AI)value(AI)value...`; `s` is ASCII and starts with `(`.
fn parse_human(s: &str) -> Result<ElementString, Invalid> {
    let b = s.as_bytes();
    let mut es = ElementString::new();
    let mut i = 0;
    while i < b.len() {
        let Some(digits) = ai_bracket_at(b, i) else {
            let pos = i + 1;
            return Err(Invalid::new(
                "element_string_syntax",
                format!(
                    "Expected an application identifier in parentheses, 2 to 4 digits such as (01), at character {pos}."
                ),
                format!("第 {pos} 个字符处应为括号中的应用标识符（2 至 4 位数字，如 (01)）。"),
            ));
        };
        let code = &s[i + 1..i + 1 + digits];
        let ai = Ai::from_code(code).ok_or_else(|| unknown_ai_error(code, i + 2))?;
        let start = i + digits + 2;
        let end = (start..b.len())
            .find(|&j| ai_bracket_at(b, j).is_some())
            .unwrap_or(b.len());
        let value = s[start..end].trim_matches(|c| c == ' ' || c == '\t');
        es.push(ai, value)?;
        i = end;
    }
    Ok(es)
}

/// The known AI that `b` starts with (AIs are prefix-free).
fn ai_at(b: &[u8]) -> Option<Ai> {
    Ai::all().find(|ai| b.starts_with(ai.code().as_bytes()))
}

/// Scanner or barcode data; `s` is ASCII.
fn parse_barcode(s: &str) -> Result<ElementString, Invalid> {
    let b = s.as_bytes();
    let mut i = 0;
    if b[0] == b']' {
        let id = s.get(..3).unwrap_or(s);
        if !SYMBOLOGY_IDS.contains(&id) {
            return Err(Invalid::new(
                "element_string_symbology",
                format!(
                    "The data starts with symbology identifier '{}', which is not a GS1 carrier (]C1, ]d2, ]Q3, ]e0, ]J1).",
                    id.escape_debug()
                ),
                format!(
                    "数据以码制标识符“{}”开头，它不是 GS1 载体（]C1、]d2、]Q3、]e0、]J1）。",
                    id.escape_debug()
                ),
            ));
        }
        i = 3;
    }
    // FNC1 in first position, transmitted by some scanners.
    if b.get(i) == Some(&GS_BYTE) {
        i += 1;
    }
    if i >= b.len() {
        return Err(empty_error());
    }
    let mut es = ElementString::new();
    let mut after_fixed = false;
    while i < b.len() {
        if b[i] == GS_BYTE {
            if after_fixed {
                // A superfluous FNC1 after a predefined-length field is harmless.
                after_fixed = false;
                i += 1;
                continue;
            }
            let pos = i + 1;
            return Err(Invalid::new(
                "element_string_syntax",
                format!("The data has an empty field: a separator (GS) at character {pos} follows another."),
                format!("数据中有空字段：第 {pos} 个字符处的分隔符（GS）紧接在另一个分隔符之后。"),
            ));
        }
        let rest = &b[i..];
        let Some(ai) = ai_at(rest) else {
            let digits = rest.iter().take(4).take_while(|c| c.is_ascii_digit()).count();
            if digits < 2 {
                let pos = i + 1;
                let shown = char::from(b[i]).escape_debug();
                return Err(Invalid::new(
                    "element_string_syntax",
                    format!(
                        "Expected an application identifier (digits) at character {pos}, found '{shown}'."
                    ),
                    format!("第 {pos} 个字符处应为应用标识符（数字），实际为“{shown}”。"),
                ));
            }
            let pos = i + 1;
            let start = &s[i..i + digits];
            return Err(Invalid::new(
                "element_string_unknown_ai",
                format!(
                    "No GS1 application identifier this system knows starts the field at character {pos} ('{start}...')."
                ),
                format!("第 {pos} 个字符处的字段（“{start}…”）不以本系统支持的 GS1 应用标识符开头。"),
            ));
        };
        let start = i + ai.code().len();
        if ai.is_predefined_length() {
            let end = start + ai.0.max;
            let avail = b[start..]
                .iter()
                .take(ai.0.max)
                .take_while(|&&c| c != GS_BYTE)
                .count();
            if end > b.len() || avail < ai.0.max {
                return Err(value_error(
                    ai.0,
                    "element_string_length",
                    format!(
                        "the value has exactly {} characters, but only {avail} follow.",
                        ai.0.max
                    ),
                    format!("取值应为 {} 个字符，但其后只有 {avail} 个。", ai.0.max),
                ));
            }
            es.push(ai, &s[start..end])?;
            i = end;
            after_fixed = true;
        } else {
            let end = b[start..]
                .iter()
                .position(|&c| c == GS_BYTE)
                .map_or(b.len(), |p| start + p);
            es.push(ai, &s[start..end])?;
            i = end + 1;
            after_fixed = false;
        }
    }
    Ok(es)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HUMAN: &str = "(01)06901234567892(10)B20240615A01(21)000123";

    fn scanner_vector() -> String {
        format!("]d20106901234567892{}{GS}21000123", "10B20240615A01")
    }

    fn code(r: Result<ElementString, Invalid>) -> &'static str {
        r.unwrap_err().code
    }

    #[test]
    fn human_vector_parses_and_prints_back() {
        let es = ElementString::parse(HUMAN).unwrap();
        assert_eq!(es.gtin().unwrap().as_str(), "06901234567892");
        assert_eq!(es.batch(), Some("B20240615A01"));
        assert_eq!(es.serial(), Some("000123"));
        assert_eq!(es.sscc(), None);
        assert_eq!(es.to_human(), HUMAN);
        assert_eq!(es.to_string(), HUMAN);
        assert_eq!(es.len(), 3);
    }

    #[test]
    fn scanner_vector_parses_and_is_produced() {
        let es = ElementString::parse(&scanner_vector()).unwrap();
        assert_eq!(es, ElementString::parse(HUMAN).unwrap());
        assert_eq!(format!("]d2{}", es.to_barcode_data()), scanner_vector());
    }

    #[test]
    fn every_symbology_identifier_and_none() {
        let data = ElementString::parse(HUMAN).unwrap().to_barcode_data();
        for prefix in ["", "]C1", "]d2", "]Q3", "]e0", "]J1", "\u{1d}", "]C1\u{1d}"] {
            let es = ElementString::parse(&format!("{prefix}{data}")).unwrap();
            assert_eq!(es.to_human(), HUMAN, "{prefix:?}");
        }
        assert_eq!(
            code(ElementString::parse(&format!("]Q1{data}"))),
            "element_string_symbology"
        );
        assert_eq!(code(ElementString::parse("]d")), "element_string_symbology");
        assert_eq!(code(ElementString::parse("]d2")), "element_string_empty");
    }

    #[test]
    fn fixed_fields_need_no_separator_but_tolerate_one() {
        let a = ElementString::parse("010690123456789217240630\u{1d}10ABC").unwrap();
        let b = ElementString::parse("01069012345678921724063010ABC").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_human(), "(01)06901234567892(10)ABC(17)240630");
        assert_eq!(a.to_barcode_data(), "01069012345678921724063010ABC");
    }

    #[test]
    fn variable_fields_go_last_and_are_separated() {
        let es = ElementString::parse(
            "(01)06901234567892(10)LOT1(21)S1(7007)240601240615(422)156(3102)001250(99)X(11)240601",
        )
        .unwrap();
        assert_eq!(
            es.to_human(),
            "(01)06901234567892(10)LOT1(21)S1(11)240601(3102)001250(422)156(7007)240601240615(99)X"
        );
        let data = es.to_barcode_data();
        assert_eq!(
            data,
            "0106901234567892112406013102001250\
             10LOT1\u{1d}21S1\u{1d}422156\u{1d}7007240601240615\u{1d}99X"
        );
        assert_eq!(ElementString::parse(&data).unwrap(), es);
        assert_eq!(es.net_weight_kg().as_deref(), Some("12.50"));
        assert_eq!(es.get(Ai::ORIGIN), Some("156"));
    }

    #[test]
    fn net_weight_decimals() {
        let w = |ai: &str, v: &str| {
            ElementString::parse(&format!("(01)06901234567892({ai}){v}"))
                .unwrap()
                .net_weight_kg()
        };
        assert_eq!(w("3100", "000250").as_deref(), Some("250"));
        assert_eq!(w("3103", "001250").as_deref(), Some("1.250"));
        assert_eq!(w("3105", "000001").as_deref(), Some("0.00001"));
        assert_eq!(w("3100", "000000").as_deref(), Some("0"));
    }

    #[test]
    fn order_of_input_does_not_matter() {
        let a = ElementString::parse("(21)XYZ(01)12312312312333(10)ABC123(99)XYZ").unwrap();
        let b = ElementString::parse("(01)12312312312333(10)ABC123(21)XYZ(99)XYZ").unwrap();
        assert_eq!(a, b);
        let cpv = ElementString::parse("(21)GHI(10)DEF(22)ABC(01)12312312312326").unwrap();
        assert_eq!(cpv.to_human(), "(01)12312312312326(22)ABC(10)DEF(21)GHI");
    }

    #[test]
    fn sscc_gln_and_logistic_content() {
        let es = ElementString::parse("(00)069012340000000016(02)06901234567892(37)24(10)L1").unwrap();
        assert_eq!(es.sscc().unwrap().as_str(), "069012340000000016");
        assert_eq!(
            es.to_human(),
            "(00)069012340000000016(02)06901234567892(10)L1(37)24"
        );
        assert_eq!(ElementString::parse(&es.to_barcode_data()).unwrap(), es);
        let loc = ElementString::parse("(414)6901234000009(254)A1").unwrap();
        assert_eq!(loc.location().unwrap().as_str(), "6901234000009");
        assert_eq!(loc.to_barcode_data(), "4146901234000009254A1");
        assert_eq!(ElementString::parse("4146901234000009254A1").unwrap(), loc);
    }

    #[test]
    fn check_digits_are_enforced() {
        assert_eq!(
            code(ElementString::parse("(01)06901234567891")),
            "gtin_check_digit"
        );
        assert_eq!(
            code(ElementString::parse("(00)069012340000000017")),
            "sscc_check_digit"
        );
        assert_eq!(
            code(ElementString::parse("(414)6901234000008")),
            "gln_check_digit"
        );
        assert_eq!(
            code(ElementString::parse(
                "(00)069012340000000016(02)06901234567891(37)1"
            )),
            "gtin_check_digit"
        );
        let e = ElementString::parse("(01)06901234567891").unwrap_err();
        assert!(e.en.starts_with("AI (01) GTIN: "), "{}", e.en);
        assert!(e.en.contains("should be 2"), "{}", e.en);
    }

    #[test]
    fn value_formats_are_enforced() {
        let p = |s: &str| code(ElementString::parse(s));
        assert_eq!(p("(01)0690123456789"), "element_string_length");
        assert_eq!(p("(01)0690123456789X"), "element_string_digits");
        assert_eq!(
            p("(01)06901234567892(10)123456789012345678901"),
            "element_string_length"
        );
        assert_eq!(p("(01)06901234567892(10)"), "element_string_length");
        assert_eq!(p("(01)06901234567892(10)AB#1"), "element_string_chars");
        assert_eq!(p("(01)06901234567892(10)AB 1"), "element_string_chars");
        assert_eq!(p("(01)06901234567892(21)AB~1"), "element_string_chars");
        assert_eq!(p("(01)06901234567892(17)241301"), "element_string_date");
        assert_eq!(p("(01)06901234567892(17)240230"), "element_string_date");
        assert_eq!(p("(01)06901234567892(17)230229"), "element_string_date");
        assert_eq!(p("(01)06901234567892(17)24063"), "element_string_length");
        assert_eq!(p("(01)06901234567892(7007)2406011"), "element_string_length");
        assert_eq!(p("(01)06901234567892(7007)240601241301"), "element_string_date");
        assert_eq!(p("(01)06901234567892(422)1560"), "element_string_length");
        assert_eq!(p("(01)06901234567892(3103)12345"), "element_string_length");
        assert_eq!(
            p("(00)069012340000000016(02)06901234567892(37)123456789"),
            "element_string_length"
        );
        assert_eq!(p("(99)"), "element_string_length");
        assert!(ElementString::parse(&format!("(99){}", "A".repeat(90))).is_ok());
        assert_eq!(p(&format!("(99){}", "A".repeat(91))), "element_string_length");
        // Day 00 and leap days.
        for ok in ["240600", "240229", "000229", "991231"] {
            assert!(
                ElementString::parse(&format!("(01)06901234567892(17){ok}")).is_ok(),
                "{ok}"
            );
        }
        // Every CSET 82 character is accepted.
        let all82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
        assert_eq!((0u8..=127).filter(|&b| is_cset82(b)).count(), 82);
        assert!(all82.bytes().all(is_cset82));
        let mut es = ElementString::new();
        es.push(Ai::INTERNAL, all82).unwrap();
        assert_eq!(es.get(Ai::INTERNAL), Some(all82));
    }

    #[test]
    fn syntax_and_unknown_ais() {
        let p = |s: &str| code(ElementString::parse(s));
        assert_eq!(p(""), "element_string_empty");
        assert_eq!(p("   "), "element_string_empty");
        assert_eq!(p("(98)ABC"), "element_string_unknown_ai");
        assert_eq!(p("(01)06901234567892(98)ABC"), "element_string_unknown_ai");
        assert_eq!(p("9812345"), "element_string_unknown_ai");
        assert_eq!(p("(1)ABC"), "element_string_syntax");
        assert_eq!(p("(01"), "element_string_syntax");
        assert_eq!(p("ABC"), "element_string_syntax");
        assert_eq!(p("(01)06901234567892（10）ABC"), "element_string_chars");
        assert_eq!(p("0106901234567892\u{1d}\u{1d}10A"), "element_string_syntax");
        assert_eq!(p("10A\u{1d}\u{1d}21B"), "element_string_syntax");
        assert_eq!(p("01069012345678"), "element_string_length");
        assert_eq!(p("010690123456\u{1d}7892"), "element_string_length");
        let e = ElementString::parse("(01)06901234567892(98)ABC").unwrap_err();
        assert!(e.en.contains("'98'"), "{}", e.en);
    }

    #[test]
    fn duplicates_and_associations() {
        let p = |s: &str| code(ElementString::parse(s));
        assert!(ElementString::parse("(01)06901234567892(10)A(10)A").is_ok());
        assert_eq!(p("(01)06901234567892(10)A(10)B"), "element_string_duplicate_ai");
        assert_eq!(p("(21)123"), "element_string_missing_ai");
        assert_eq!(p("(10)123"), "element_string_missing_ai");
        assert_eq!(p("(254)A(01)06901234567892"), "element_string_missing_ai");
        assert_eq!(
            p("(00)069012340000000016(02)06901234567892"),
            "element_string_missing_ai"
        );
        assert_eq!(
            p("(01)06901234567892(02)06901234567892(37)5(00)069012340000000016"),
            "element_string_conflicting_ai"
        );
        assert!(ElementString::parse_partial("(10)123").is_ok());
        let e = ElementString::parse("(21)123").unwrap_err();
        assert!(e.en.contains("(01)"), "{}", e.en);
    }

    #[test]
    fn human_form_tolerates_spaces_between_elements() {
        let es = ElementString::parse(" (01) 06901234567892 (10) B20240615A01 (21) 000123 ").unwrap();
        assert_eq!(es.to_human(), HUMAN);
    }

    #[test]
    fn human_values_may_contain_parentheses_that_are_not_ais() {
        let es = ElementString::parse("(01)06901234567892(10)A(1)B(99)(X)").unwrap();
        assert_eq!(es.batch(), Some("A(1)B"));
        assert_eq!(es.get(Ai::INTERNAL), Some("(X)"));
    }

    #[test]
    fn gs1_dates_with_the_century_rule() {
        let today = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        let d = |s| gs1_date(s, today);
        assert_eq!(d("240615"), NaiveDate::from_ymd_opt(2024, 6, 15));
        assert_eq!(d("240200"), NaiveDate::from_ymd_opt(2024, 2, 29));
        assert_eq!(d("241200"), NaiveDate::from_ymd_opt(2024, 12, 31));
        assert_eq!(d("991231"), NaiveDate::from_ymd_opt(1999, 12, 31));
        assert_eq!(d("750101"), NaiveDate::from_ymd_opt(2075, 1, 1));
        assert_eq!(d("760101"), NaiveDate::from_ymd_opt(1976, 1, 1));
        assert_eq!(d("241301"), None);
        assert_eq!(d("241300"), None);
        assert_eq!(d("240230"), None);
        assert_eq!(d("24023"), None);
        assert_eq!(d("2402a0"), None);
    }

    #[test]
    fn ai_table_is_prefix_free_and_sorted() {
        let all: Vec<Ai> = Ai::all().collect();
        for a in &all {
            for b in &all {
                if a != b {
                    assert!(!b.code().starts_with(a.code()), "{a} is a prefix of {b}");
                }
            }
            assert_eq!(Ai::from_code(a.code()), Some(*a));
            assert!(a.length_range().0 <= a.length_range().1);
        }
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        assert!(Ai::GTIN.is_predefined_length());
        assert!(Ai::NET_WEIGHT_KG[3].is_predefined_length());
        assert!(Ai::SHIP_TO.is_predefined_length());
        assert!(!Ai::ORIGIN.is_predefined_length());
        assert!(!Ai::HARVEST_DATE.is_predefined_length());
        assert!(!Ai::BATCH.is_predefined_length());
        assert_eq!(Ai::from_code("98"), None);
        assert_eq!(format!("{:?} {}", Ai::BATCH, Ai::BATCH), "Ai(10) 10");
    }

    fn cset82() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop::sample::select((0u8..=127).filter(|&b| is_cset82(b)).collect::<Vec<_>>()),
            1..=20,
        )
        .prop_map(|v| String::from_utf8(v).unwrap())
    }

    proptest! {
        #[test]
        fn parsing_never_panics(s in "\\PC{0,60}") {
            let _ = ElementString::parse(&s);
        }

        #[test]
        fn parsing_bytes_near_the_format_never_panics(s in "[\\]\\(\\)0-9A-Za-z\u{1d}dCQ ]{0,60}") {
            let _ = ElementString::parse(&s);
            let _ = ElementString::parse(&format!("]d2{s}"));
            let _ = ElementString::parse(&format!("(01)06901234567892{s}"));
        }

        #[test]
        fn barcode_data_round_trips_any_cset82_values(
            lot in cset82(),
            serial in cset82(),
            internal in cset82(),
        ) {
            let mut es = ElementString::new();
            es.push(Ai::GTIN, "06901234567892").unwrap();
            es.push(Ai::BATCH, &lot).unwrap();
            es.push(Ai::SERIAL, &serial).unwrap();
            es.push(Ai::INTERNAL, &internal).unwrap();
            es.push(Ai::EXPIRY, "240630").unwrap();
            let data = es.to_barcode_data();
            prop_assert_eq!(ElementString::parse(&data).unwrap(), es.clone());
            prop_assert_eq!(ElementString::parse(&format!("]Q3{data}")).unwrap(), es);
        }
    }
}
