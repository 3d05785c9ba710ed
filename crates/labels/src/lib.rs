//! Print-ready labels from the platform's trace codes: PDF for roll
//! labels and A4 sheets, and command files for the thermal roll printers
//! Chinese packing houses use, TSPL (TSC, Gprinter/佳博, Xprinter/芯烨) and
//! ZPL (Zebra).
//!
//! Every label carries, for one lot or item:
//!
//! * a **QR code** holding the GS1 Digital Link (the consumer URL);
//! * a **GS1 DataMatrix** and/or a **GS1-128** holding the element string
//!   (FNC1 first, GS/FNC1 after each variable-length field but the last);
//! * text: the product name (Chinese), the lot, dates, and the flat trace code
//!   in groups of four.
//!
//! # Which symbols each size carries
//!
//! | size            | QR | GS1 DataMatrix | GS1-128 |
//! |-----------------|----|----------------|---------|
//! | 40x30 mm roll   | ✓  | ✓              | –       |
//! | 50x30 mm roll   | ✓  | ✓              | –       |
//! | 60x40 mm roll   | ✓  | ✓              | –       |
//! | A4 sheet `a4` (2x5 labels of 105x57 mm, a common 10-up sticker sheet) | ✓ | ✓ | ✓ |
//! | A4 sheet `a4-3x8` (3x8 labels of 70x37 mm, 24-up) | ✓ | ✓ | – |
//! | A4 sheet `a4-4x10` (4x10 labels of 52.5x29.7 mm, 40-up) | ✓ | ✓ | – |
//!
//! A sheet's labels fill it row by row; [`Options::skip`] leaves the first
//! positions of the first sheet empty, so a partly used sheet is printed on
//! from its first free label.
//!
//! GS1-128 is a linear code: an item's element string
//! (`(01)…(10)…(21)…`, 43 characters of barcode data) needs about 390
//! modules plus 20 of quiet zone, i.e. 82 mm at X = 0.20 mm and 102 mm at
//! X = 0.25 mm (2 dots of a 203-dpi head, the smallest that head can print).
//! None of the roll sizes (nor the 70 and 52.5 mm cells of the 24- and 40-up
//! sheets) is that wide, so they carry the DataMatrix, which
//! holds the same data in 9 mm. An A4 label leaves the GS1-128 out (and keeps
//! the DataMatrix) when the element string exceeds GS1-128's 48 data
//! characters or does not fit at X = 0.17 mm; the platform's own codes
//! always fit.
//!
//! # Quiet zones and module sizes
//!
//! * QR: error correction M, quiet zone **4 modules**, module ≥ **0.30 mm**
//!   (phone cameras).
//! * GS1 DataMatrix: square symbols, quiet zone **1 module**, module ≥
//!   **0.25 mm**.
//! * GS1-128: X = **0.20 mm** (0.17 mm at the least, for long data), bar
//!   height 9 mm, quiet zone **10 X** each side.
//!
//! The module size is the largest that fits the space each size gives the
//! symbol (see `layout`), and for printer files a whole number of dots (QR
//! at least 3 dots at 203 dpi and 4 at 300, DataMatrix 2 and 3). Data too long to fit at the minimum
//! module size is refused with `label_data_too_long`, never printed
//! unreadably. The label tests render every PDF page at 300 dpi and decode
//! every symbol with an independent decoder.
//!
//! # Text
//!
//! Text is drawn with a subset of Noto Sans CJK SC embedded in the binary
//! (`fonts/`, SIL OFL 1.1): ASCII, CJK punctuation and full-width forms, all
//! 6,763 hanzi of GB 2312 (levels 1 and 2, so pesticide names such as 吡虫啉
//! print) and every CJK character the workspace's sources use (a test keeps
//! that true). Any character outside the subset is
//! drawn as □ (U+25A1), never dropped silently and never a crash. In PDFs the
//! font is subset again to the glyphs the document uses and embedded; in
//! printer files text is sent as a bitmap drawn from the same font, so it
//! prints on any printer whatever its resident fonts (see `printer`).
//!
//! Error codes: `label_size`, `label_format`, `label_dpi`, `label_skip`, `label_empty`,
//! `label_too_many`, `label_data_too_long`, `label_data`, `label_font` (the
//! embedded font unreadable: a build fault), `label_render` (a rendering
//! thread failed: a bug).

pub mod certificate;
mod font;
mod layout;
mod pdf;
mod printer;
mod raster;
pub mod report;
pub mod sheet;
mod sheet_printer;
pub mod symbols;

use std::fmt;
use std::str::FromStr;

use suyuan_core::codes::trace::{group_for_display, TraceUnit};
use suyuan_core::Invalid;

pub use font::REPLACEMENT;

/// Most labels in one file (an issue of items is at most 100,000).
pub const MAX_LABELS: usize = 100_000;

/// One date printed on a label, e.g. `生产日期` `2024-06-15`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelDate {
    /// What the date is, in Chinese (`生产日期`, `赋码日期`, `保质期至`).
    pub name: String,
    /// `YYYY-MM-DD`.
    pub value: String,
}

/// What one label shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The product's name as the consumer knows it (Chinese).
    pub product_name: String,
    /// The lot (batch) number.
    pub lot: String,
    /// Dates, most important first (a small label prints those that fit).
    pub dates: Vec<LabelDate>,
    /// The flat trace code (27 or 37 characters).
    pub flat_code: String,
    /// The GS1 Digital Link URI (what the QR code holds).
    pub digital_link: String,
    /// GS1 barcode data: AIs and values, GS (ASCII 29) after each
    /// variable-length field but the last; no symbology identifier and no
    /// leading FNC1 (the symbol adds it).
    pub element_data: String,
    /// The element string in its human-readable form, `(01)…(10)…`, printed
    /// under the GS1-128.
    pub element_human: String,
}

impl Label {
    /// The label of a unit the platform issued: the codes come from
    /// `suyuan_core::codes`, the Digital Link under `public_url`.
    pub fn for_unit(
        unit: &TraceUnit,
        public_url: &str,
        product_name: &str,
        dates: Vec<LabelDate>,
    ) -> Result<Self, Invalid> {
        let es = unit.element_string()?;
        let flat_code = unit.flat_code().ok_or_else(|| {
            Invalid::new(
                "label_data",
                "labels are printed for lots and items the platform issued (with a flat trace code)",
                "只能为平台发放的批次和单品（有追溯码）打印标签",
            )
        })?;
        Ok(Label {
            product_name: product_name.to_owned(),
            lot: unit.batch().unwrap_or_default().to_owned(),
            dates,
            flat_code,
            digital_link: unit.digital_link(public_url)?,
            element_data: es.to_barcode_data(),
            element_human: es.to_human(),
        })
    }

    /// The flat code as printed: groups of four.
    pub fn flat_code_display(&self) -> String {
        group_for_display(&self.flat_code)
    }
}

/// A label size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Size {
    /// 40 x 30 mm roll label.
    Roll40x30,
    /// 50 x 30 mm roll label.
    Roll50x30,
    /// 60 x 40 mm roll label.
    Roll60x40,
    /// A4 sheet of 2 x 5 labels of 105 x 57 mm.
    A4,
    /// A4 sheet of 3 x 8 labels of 70 x 37 mm.
    A4x3x8,
    /// A4 sheet of 4 x 10 labels of 52.5 x 29.7 mm.
    A4x4x10,
}

impl Size {
    /// Every size, rolls first.
    pub const ALL: [Size; 6] = [
        Size::Roll40x30,
        Size::Roll50x30,
        Size::Roll60x40,
        Size::A4,
        Size::A4x3x8,
        Size::A4x4x10,
    ];

    /// The name used in URLs and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Size::Roll40x30 => "40x30",
            Size::Roll50x30 => "50x30",
            Size::Roll60x40 => "60x40",
            Size::A4 => "a4",
            Size::A4x3x8 => "a4-3x8",
            Size::A4x4x10 => "a4-4x10",
        }
    }

    /// Width and height of one label in mm.
    pub fn label_mm(self) -> (f32, f32) {
        match self {
            Size::Roll40x30 => (40.0, 30.0),
            Size::Roll50x30 => (50.0, 30.0),
            Size::Roll60x40 => (60.0, 40.0),
            Size::A4 => (105.0, 57.0),
            Size::A4x3x8 => (70.0, 37.0),
            Size::A4x4x10 => (52.5, 29.7),
        }
    }

    /// Labels across and down a page: 1 x 1 for a roll.
    pub fn grid(self) -> (usize, usize) {
        match self {
            Size::A4 => (2, 5),
            Size::A4x3x8 => (3, 8),
            Size::A4x4x10 => (4, 10),
            _ => (1, 1),
        }
    }

    /// Labels on one page.
    pub fn per_page(self) -> usize {
        let (c, r) = self.grid();
        c * r
    }

    /// The top-left corner (mm from the page's top-left) of the label in
    /// position `slot` (0-based, row by row) of a page: the grid is centred
    /// on the A4 page.
    pub fn slot_mm(self, slot: usize) -> (f32, f32) {
        if self.is_roll() {
            return (0.0, 0.0);
        }
        let (cols, rows) = self.grid();
        let (w, h) = self.label_mm();
        let left = (A4_MM.0 - w * cols as f32) / 2.0;
        let top = (A4_MM.1 - h * rows as f32) / 2.0;
        (left + (slot % cols) as f32 * w, top + (slot / cols) as f32 * h)
    }

    /// Whether this is a roll size (printer files are made for those).
    pub fn is_roll(self) -> bool {
        matches!(self, Size::Roll40x30 | Size::Roll50x30 | Size::Roll60x40)
    }

    /// Whether labels of this size carry a GS1-128 (when the data fits: see
    /// the module doc).
    pub fn has_gs1_128(self) -> bool {
        self == Size::A4
    }
}

/// An A4 page, mm.
pub const A4_MM: (f32, f32) = (210.0, 297.0);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Size {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        let s = s.trim().to_ascii_lowercase().replace(['×', '*'], "x");
        Size::ALL
            .into_iter()
            .find(|z| z.name() == s.as_str())
            .ok_or_else(|| {
                Invalid::new(
                    "label_size",
                    "label size must be 40x30, 50x30, 60x40, a4, a4-3x8 or a4-4x10",
                    "标签尺寸须为 40x30、50x30、60x40、a4、a4-3x8 或 a4-4x10",
                )
            })
    }
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Pdf,
    /// TSPL/TSPL2 command file (TSC, Gprinter, Xprinter).
    Tspl,
    /// ZPL II command file (Zebra).
    Zpl,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Pdf, Format::Tspl, Format::Zpl];

    pub fn name(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Tspl => "tspl",
            Format::Zpl => "zpl",
        }
    }

    /// The HTTP content type of the file.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            // Printer command files are bytes for the printer (TSPL bitmaps
            // are binary), not text to display.
            Format::Tspl => "application/vnd.tsc.tspl",
            Format::Zpl => "application/vnd.zebra.zpl",
        }
    }

    /// The usual file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Tspl => "prn",
            Format::Zpl => "zpl",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        let s = s.trim().to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s.as_str())
            .ok_or_else(|| {
                Invalid::new(
                    "label_format",
                    "label format must be pdf, tspl or zpl",
                    "标签格式须为 pdf、tspl 或 zpl",
                )
            })
    }
}

/// How to render: size, format, the printer's resolution (printer files
/// only; 203 dpi by default, or 300), and for A4 sheets the positions of the
/// first sheet to leave empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub size: Size,
    pub format: Format,
    pub dpi: u32,
    /// A4 sheets: how many positions of the first sheet (row by row) are
    /// already used and left empty; less than the labels on a sheet. 0 for
    /// rolls.
    pub skip: usize,
}

impl Options {
    pub fn new(size: Size, format: Format) -> Self {
        Options {
            size,
            format,
            dpi: 203,
            skip: 0,
        }
    }

    /// The options checked together: printer files for roll sizes at 203 or
    /// 300 dpi, `skip` only on sheets and less than a sheet's labels.
    pub fn check(&self) -> Result<(), Invalid> {
        if self.format != Format::Pdf && !self.size.is_roll() {
            return Err(Invalid::new(
                "label_size",
                "printer files are made for roll sizes (40x30, 50x30, 60x40); use pdf for a4 sheets",
                "打印机指令文件仅支持卷标尺寸（40x30、50x30、60x40），A4 标签纸请用 pdf",
            ));
        }
        if self.format != Format::Pdf && self.dpi != 203 && self.dpi != 300 {
            return Err(Invalid::new(
                "label_dpi",
                "printer resolution must be 203 or 300 dpi",
                "打印机分辨率须为 203 或 300 dpi",
            ));
        }
        let per_page = self.size.per_page();
        if self.skip >= per_page || (self.size.is_roll() && self.skip > 0) {
            return Err(Invalid::new(
                "label_skip",
                format!(
                    "skip counts the used positions of an A4 sheet: 0 to {} for {}, 0 for roll labels",
                    per_page.saturating_sub(1),
                    self.size
                ),
                format!(
                    "skip 为 A4 标签纸上已用的位置数：{} 为 0 至 {}，卷标为 0",
                    self.size,
                    per_page.saturating_sub(1)
                ),
            ));
        }
        Ok(())
    }
}

/// `f` over `items` on every core (labels are independent; a QR code's
/// mask selection alone takes about a millisecond), results in order; the
/// first error wins.
pub(crate) fn par_map<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<R, Invalid> + Sync,
) -> Result<Vec<R>, Invalid> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || items.len() < 16 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Result<Vec<R>, Invalid>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for w in workers {
            let part = w
                .join()
                .map_err(|_| Invalid::new("label_render", "rendering the labels failed", "标签渲染失败"))??;
            out.extend(part);
        }
        Ok(out)
    })
}

/// Renders the labels as one file.
pub fn render(labels: &[Label], opts: Options) -> Result<Vec<u8>, Invalid> {
    if labels.is_empty() {
        return Err(Invalid::new(
            "label_empty",
            "no labels to print",
            "没有要打印的标签",
        ));
    }
    if labels.len() > MAX_LABELS {
        return Err(Invalid::new(
            "label_too_many",
            format!("at most {MAX_LABELS} labels per file"),
            format!("每个文件最多 {MAX_LABELS} 张标签"),
        ));
    }
    opts.check()?;
    match opts.format {
        Format::Pdf => pdf::render(labels, opts.size, opts.skip),
        Format::Tspl | Format::Zpl => printer::render(labels, opts),
    }
}
