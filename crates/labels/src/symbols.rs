//! The three symbols, drawn by well-kept crates: `qrcode` (QR, error
//! correction M), `datamatrix` (GS1 mode: FNC1 first) and `barcoders`
//! (Code 128, with FNC1). This module only prepares their input and reads
//! their output into plain module grids and bar patterns.
//!
//! GS1 separators: in the DataMatrix the GS byte (ASCII 29) between
//! variable-length fields is encoded as such, which GS1 allows as the
//! separator of GS1 DataMatrix; in GS1-128 it becomes FNC1, as GS1-128
//! requires.

use barcoders::sym::code128::Code128;
use datamatrix::{DataMatrix, SymbolList};
use qrcode::{EcLevel, QrCode};
use suyuan_core::Invalid;

/// The GS1 group separator, as element data carries it.
pub const GS: char = '\u{1d}';

/// barcoders' characters selecting Code 128 set B and set C, and FNC1.
const SET_B: char = 'Ɓ';
const SET_C: char = 'Ć';
const FNC1: char = 'Ź';

/// A 2D symbol: `width` x `height` modules, dark or light, row by row,
/// without quiet zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    pub width: usize,
    pub height: usize,
    dark: Vec<bool>,
}

impl Matrix {
    /// Whether the module at column `x`, row `y` is dark.
    pub fn dark(&self, x: usize, y: usize) -> bool {
        self.dark.get(y * self.width + x).copied().unwrap_or(false)
    }

    /// The runs of dark modules of row `y`, as (first column, length).
    pub fn runs(&self, y: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut x = 0;
        while x < self.width {
            if self.dark(x, y) {
                let start = x;
                while x < self.width && self.dark(x, y) {
                    x += 1;
                }
                out.push((start, x - start));
            } else {
                x += 1;
            }
        }
        out
    }
}

fn too_long(what: &str, zh: &str) -> Invalid {
    Invalid::new(
        "label_data_too_long",
        format!("the data is too long for a {what}"),
        format!("数据过长，无法编码为{zh}"),
    )
}

/// The QR code of `data` (the Digital Link), error correction M.
pub fn qr(data: &str) -> Result<Matrix, Invalid> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|_| too_long("QR code", "二维码"))?;
    let width = code.width();
    Ok(Matrix {
        width,
        height: width,
        dark: code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect(),
    })
}

/// The GS1 DataMatrix of element data (GS between fields), square.
pub fn datamatrix(element_data: &str) -> Result<Matrix, Invalid> {
    let code = DataMatrix::encode_gs1(element_data.as_bytes(), SymbolList::default().enforce_square())
        .map_err(|_| too_long("DataMatrix", "数据矩阵码"))?;
    let bitmap = code.bitmap();
    let (width, height) = (bitmap.width(), bitmap.height());
    let mut dark = vec![false; width * height];
    for (x, y) in bitmap.pixels() {
        if let Some(d) = dark.get_mut(y * width + x) {
            *d = true;
        }
    }
    Ok(Matrix { width, height, dark })
}

/// The input of barcoders' Code 128 for element data: FNC1 first, FNC1 for
/// each GS, set C for runs of four or more digits (two digits per symbol
/// character), set B otherwise.
pub fn gs1_128_input(element_data: &str) -> String {
    let chars: Vec<char> = element_data.chars().collect();
    let mut out = String::with_capacity(chars.len() + 8);
    let mut set: Option<char> = None;
    let mut i = 0;
    let mut start = true;
    while i < chars.len() || start {
        let run = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        // Digits go in pairs; an odd run leaves its first digit in set B.
        let (lead, pairs) = if run >= 4 { (run % 2, run / 2) } else { (run, 0) };
        if start {
            let first = if lead == 0 && pairs > 0 { SET_C } else { SET_B };
            out.push(first);
            out.push(FNC1);
            set = Some(first);
            start = false;
            continue;
        }
        let c = chars[i];
        if c == GS {
            out.push(FNC1);
            i += 1;
        } else if lead == 0 && pairs > 0 {
            if set != Some(SET_C) {
                out.push(SET_C);
                set = Some(SET_C);
            }
            out.extend(&chars[i..i + 2 * pairs]);
            i += 2 * pairs;
        } else {
            if set != Some(SET_B) {
                out.push(SET_B);
                set = Some(SET_B);
            }
            // One character (the odd lead digit, or a digit of a short run,
            // or any other character) in set B.
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The GS1-128 bars of element data: dark (`true`) or light modules from the
/// start character to the end of the stop pattern, without quiet zone.
pub fn gs1_128(element_data: &str) -> Result<Vec<bool>, Invalid> {
    if element_data.is_empty() || !element_data.chars().all(|c| c == GS || (' '..='~').contains(&c)) {
        return Err(Invalid::new(
            "label_data",
            "GS1-128 data must be printable ASCII with GS separators",
            "GS1-128 数据须为可打印 ASCII 字符及 GS 分隔符",
        ));
    }
    let code = Code128::new(gs1_128_input(element_data)).map_err(|_| {
        Invalid::new(
            "label_data",
            "the element string cannot be encoded in GS1-128",
            "该元素串无法编码为 GS1-128",
        )
    })?;
    Ok(code.encode().into_iter().map(|m| m == 1).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ITEM: &str = "01069012345678921020240615A107\u{1d}217K3M9QWXZP";

    #[test]
    fn gs1_128_input_uses_set_c_for_digit_runs_and_fnc1_for_gs() {
        let input = gs1_128_input(ITEM);
        assert_eq!(input, "ĆŹ01069012345678921020240615ƁA107Ź217K3M9QWXZP");
    }

    #[test]
    fn odd_digit_runs_start_in_set_b() {
        assert_eq!(gs1_128_input("12345"), "ƁŹ1Ć2345");
        assert_eq!(gs1_128_input("10AB"), "ƁŹ10AB");
    }

    #[test]
    fn gs1_128_bars_are_whole_symbol_characters() {
        let bars = gs1_128(ITEM).expect("encodes");
        // Every symbol character is 11 modules; the stop pattern 13.
        assert_eq!((bars.len() - 13) % 11, 0);
        assert!(bars[0] && bars[bars.len() - 1]);
    }

    #[test]
    fn qr_and_datamatrix_are_square() {
        let q = qr("https://trace.example.cn/01/06901234567892/10/20240615A107/21/7K3M9QWXZP").expect("qr");
        assert_eq!(q.width, q.height);
        let d = datamatrix(ITEM).expect("dm");
        assert_eq!(d.width, d.height);
        assert!(
            d.runs(d.height - 1).len() == 1,
            "the L finder's bottom edge is one run"
        );
    }

    /// What a GS1-128 input says, read back: set switches dropped, the first
    /// FNC1 dropped (it marks GS1), later FNC1s as GS.
    fn read_back(input: &str) -> String {
        let mut chars = input.chars();
        assert!(matches!(chars.next(), Some(SET_B | SET_C)));
        assert_eq!(chars.next(), Some(FNC1), "FNC1 right after the start character");
        chars
            .filter(|c| *c != SET_B && *c != SET_C)
            .map(|c| if c == FNC1 { GS } else { c })
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn gs1_128_input_says_what_the_element_data_says(
            fields in proptest::collection::vec("[0-9]{0,9}[!%&'()*+,./0-9:;<=>?A-Z_a-z-]{0,6}[0-9]{0,9}", 1..4)
        ) {
            let data = fields.join("\u{1d}");
            proptest::prop_assume!(!data.is_empty());
            let input = gs1_128_input(&data);
            proptest::prop_assert_eq!(read_back(&input), data.clone());
            // Set C only ever holds digit pairs.
            let mut in_c = false;
            let mut digits = 0;
            for c in input.chars() {
                match c {
                    SET_C => { in_c = true; digits = 0; }
                    SET_B => { proptest::prop_assert!(digits % 2 == 0); in_c = false; }
                    FNC1 => proptest::prop_assert!(!in_c || digits % 2 == 0),
                    c if in_c => { proptest::prop_assert!(c.is_ascii_digit()); digits += 1; }
                    _ => {}
                }
            }
            proptest::prop_assert!(gs1_128(&data).is_ok());
        }
    }

    #[test]
    fn non_ascii_is_refused_for_gs1_128() {
        assert_eq!(
            gs1_128("10批").map(|_| ()).expect_err("refused").code,
            "label_data"
        );
    }
}
