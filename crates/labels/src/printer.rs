//! Printer command files for roll labels: TSPL (TSC, Gprinter/佳博,
//! Xprinter/芯烨) and ZPL II (Zebra), at 203 dpi by default (or 300).
//!
//! The placement is the PDF's (`layout`), on the printer's dot grid: the
//! symbols get a whole number of dots per module, and the printer draws them
//! from the data with its own encoders:
//!
//! * TSPL: `QRCODE x,y,M,cell,A,0,"<Digital Link>"` and
//!   `DMATRIX x,y,w,h,c126,x<cell>,r<rows>,a<cols>,"~1<data>"`, where `~`
//!   (ASCII 126) is the escape character and `~1` is FNC1, first (GS1 mode)
//!   and as the separator; a `"` in data is written `\["]`.
//! * ZPL: `^BQN,2,<cell>` with `^FDMA,<Digital Link>` (error correction M,
//!   automatic mode; `^FH\` hex-escapes `^`, `~` and `\`) and
//!   `^BXN,<cell>,200,<cols>,<rows>,,\` with `\1` as FNC1.
//!
//! **Text is sent as bitmaps** drawn from the label font (`BITMAP` in TSPL,
//! `^GFA` in ZPL), not with the printers' resident fonts: resident Chinese
//! fonts differ between brands and models (TSC `TSS24.BF2` only on Chinese
//! models, Zebra needs a downloaded font), and GBK text would need encoding
//! tables; a bitmap prints the same on all of them. The cost is size: about
//! 1-3 KB per label. TSPL bitmaps are binary (a 0 bit prints, as in TSPL
//! `BITMAP` mode 0); ZPL bitmaps are hex (a 1 bit prints).
//!
//! The GS1-128 is not carried on rolls (see the crate doc); both files carry
//! the QR and the GS1 DataMatrix.

use std::fmt::Write as _;

use suyuan_core::Invalid;

use crate::font::{font, Font, MM_PER_PT};
use crate::layout::{self, Placed2d, Placement};
use crate::raster;
use crate::symbols::GS;
use crate::{Format, Label, Options};

/// Renders a printer file: one label printed per entry.
pub(crate) fn render(labels: &[Label], opts: Options) -> Result<Vec<u8>, Invalid> {
    let font = font()?;
    let dot = 25.4 / opts.dpi as f32;
    let mut out = Vec::with_capacity(labels.len() * 3000);
    let (w, h) = opts.size.label_mm();
    if opts.format == Format::Tspl {
        // Once per file: the label stock and print direction.
        tspl_head(&mut out, (w, h));
    }
    let files = crate::par_map(labels, |label| {
        let p = layout::place(font, label, opts.size, Some(dot))?;
        let mut one = Vec::with_capacity(3000);
        match opts.format {
            Format::Tspl => tspl_label(&mut one, font, label, &p, dot),
            _ => zpl_label(&mut one, font, label, &p, dot, (w, h)),
        }
        Ok(one)
    })?;
    for one in files {
        out.extend(one);
    }
    Ok(out)
}

/// mm to dots.
pub(crate) fn d(mm: f32, dot: f32) -> u32 {
    (mm / dot).round().max(0.0) as u32
}

/// A placed 2D symbol on the dot grid: top-left corner, module size,
/// columns and rows.
struct SymbolDots {
    x: u32,
    y: u32,
    cell: u32,
    cols: usize,
    rows: usize,
}

impl SymbolDots {
    fn of(s: &Placed2d, dot: f32) -> Self {
        SymbolDots {
            x: d(s.x, dot),
            y: d(s.y, dot),
            cell: d(s.module, dot).max(1),
            cols: s.matrix.width,
            rows: s.matrix.height,
        }
    }
}

/// A text line as a bitmap: its top-left corner in dots and the bitmap.
fn text_bitmap(font: &Font, line: &layout::Line, dot: f32) -> (u32, u32, raster::Bitmap) {
    let em_dots = line.size_pt * MM_PER_PT / dot;
    let bitmap = raster::text(font, &line.text, em_dots);
    let top = line.baseline - font.ascent() * line.size_pt * MM_PER_PT;
    (d(line.x, dot), d(top, dot), bitmap)
}

/// A TSPL string: `"` becomes `\["]`.
pub fn tspl_quote(s: &str) -> String {
    s.replace('"', "\\[\"]")
}

fn tspl_label(out: &mut Vec<u8>, font: &Font, label: &Label, p: &Placement, dot: f32) {
    let (q, m) = (SymbolDots::of(&p.qr, dot), SymbolDots::of(&p.dm, dot));
    let link = tspl_quote(&label.digital_link);
    let data = tspl_quote(&label.element_data).replace(GS, "~1");
    let side = m.cell * m.cols as u32;
    let s = format!(
        "CLS\r\nQRCODE {},{},M,{},A,0,\"{link}\"\r\n\
         DMATRIX {},{},{side},{side},c126,x{},r{},a{},\"~1{data}\"\r\n",
        q.x, q.y, q.cell, m.x, m.y, m.cell, m.rows, m.cols
    );
    out.extend_from_slice(s.as_bytes());
    for line in &p.lines {
        tspl_bitmap(out, font, line, dot);
    }
    out.extend_from_slice(b"PRINT 1,1\r\n");
}

/// A text line as a TSPL `BITMAP` (binary, a 0 bit prints).
pub(crate) fn tspl_bitmap(out: &mut Vec<u8>, font: &Font, line: &layout::Line, dot: f32) {
    let (x, y, b) = text_bitmap(font, line, dot);
    let row_bytes = b.width.div_ceil(8);
    out.extend_from_slice(format!("BITMAP {x},{y},{row_bytes},{},0,", b.height).as_bytes());
    for row in 0..b.height {
        out.extend(b.packed_row(row, false));
    }
    out.extend_from_slice(b"\r\n");
}

/// A text line as a ZPL `^GFA` field (hex, a 1 bit prints).
pub(crate) fn zpl_bitmap(s: &mut String, font: &Font, line: &layout::Line, dot: f32) {
    let (x, y, b) = text_bitmap(font, line, dot);
    let row_bytes = b.width.div_ceil(8);
    let total = row_bytes * b.height;
    let _ = write!(s, "^FO{x},{y}^GFA,{total},{total},{row_bytes},");
    for row in 0..b.height {
        for byte in b.packed_row(row, true) {
            let _ = write!(s, "{byte:02X}");
        }
    }
    s.push_str("^FS\n");
}

/// The ZPL label start: UTF-8, the label's width and length in dots.
pub(crate) fn zpl_start(s: &mut String, (w, h): (f32, f32), dot: f32) {
    let _ = write!(s, "^XA\n^CI28\n^PW{}\n^LL{}\n^LH0,0\n", d(w, dot), d(h, dot));
}

/// The TSPL file head: the label stock and print direction.
pub(crate) fn tspl_head(out: &mut Vec<u8>, (w, h): (f32, f32)) {
    let head = format!(
        "SIZE {w} mm,{h} mm\r\nGAP 2 mm,0 mm\r\nDIRECTION 1,0\r\nREFERENCE 0,0\r\nDENSITY 8\r\nSPEED 4\r\n"
    );
    out.extend_from_slice(head.as_bytes());
}

/// ZPL field data with `^`, `~` and `\` hex-escaped (for `^FH\`).
pub fn zpl_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '^' | '~' | '\\' => {
                let _ = write!(out, "\\{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn zpl_label(out: &mut Vec<u8>, font: &Font, label: &Label, p: &Placement, dot: f32, (w, h): (f32, f32)) {
    let mut s = String::new();
    zpl_start(&mut s, (w, h), dot);
    let (q, m) = (SymbolDots::of(&p.qr, dot), SymbolDots::of(&p.dm, dot));
    // In ^BX data `\` is the escape character (set by the last parameter):
    // `\1` is FNC1. Element data (GS1 character set 82) has no `\`, `^` or `~`.
    let data = label.element_data.replace(GS, "\\1");
    let _ = write!(
        s,
        "^FO{},{}^BQN,2,{}^FH\\^FDMA,{}^FS\n^FO{},{}^BXN,{},200,{},{},,\\^FD\\1{data}^FS\n",
        q.x,
        q.y,
        q.cell,
        zpl_escape(&label.digital_link),
        m.x,
        m.y,
        m.cell,
        m.cols,
        m.rows
    );
    for line in &p.lines {
        zpl_bitmap(&mut s, font, line, dot);
    }
    s.push_str("^PQ1\n^XZ\n");
    out.extend_from_slice(s.as_bytes());
}
