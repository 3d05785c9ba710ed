//! Pages of text, rules and QR codes ([`Sheet`], e.g. a 承诺达标合格证
//! sticker) as printer command files for the roll printers, in the same
//! command set as the labels (`printer`): TSPL (TSC, Gprinter/佳博,
//! Xprinter/芯烨) and ZPL II (Zebra), at 203 or 300 dpi.
//!
//! * text: bitmaps drawn from the label font (TSPL `BITMAP`, ZPL `^GFA`), so
//!   Chinese prints the same on every printer;
//! * rules and frame edges: TSPL `BAR x,y,w,h`, ZPL `^GBw,h,t` (a filled
//!   box: its thickness is its smaller side);
//! * the QR code: drawn by the printer from its data (TSPL `QRCODE`, ZPL
//!   `^BQN`), error correction M, a whole number of dots per module no
//!   smaller than the labels' least QR module (0.30 mm), inside the box the
//!   sheet gives it (its quiet zone kept).
//!
//! One printed label per sheet; every sheet of a file is the stock's size
//! (the first sheet's).

use std::fmt::Write as _;

use suyuan_core::Invalid;

use crate::font::{font, Font};
use crate::layout::{Line, QR_MIN_MODULE_MM, QR_QUIET};
use crate::printer::{d, tspl_bitmap, tspl_head, tspl_quote, zpl_bitmap, zpl_escape, zpl_start};
use crate::sheet::{Item, Sheet};
use crate::{symbols, Format};

/// A QR code on the dot grid: its first module's top-left and dots per module.
struct QrDots {
    x: u32,
    y: u32,
    cell: u32,
}

/// The QR of `data` in a box of `size` mm at (`x`, `y`), quiet zone inside.
fn qr_dots(data: &str, (x, y, size): (f32, f32, f32), dot: f32) -> Result<QrDots, Invalid> {
    let matrix = symbols::qr(data)?;
    let modules = (matrix.width + 2 * QR_QUIET) as f32;
    let cell = ((size / modules) / dot + 1e-4).floor() as u32;
    let least = (QR_MIN_MODULE_MM / dot - 1e-4).ceil() as u32;
    if cell < least {
        return Err(Invalid::new(
            "label_data_too_long",
            format!("the QR code's data is too long for its {size} mm box at this resolution"),
            format!("二维码数据过长：在该分辨率下放不进 {size} 毫米的位置"),
        ));
    }
    let quiet = QR_QUIET as f32 * cell as f32 * dot;
    Ok(QrDots {
        x: d(x + quiet, dot),
        y: d(y + quiet, dot),
        cell,
    })
}

/// A text item as a line for the bitmap writers.
fn text_line(x: f32, y: f32, size_pt: f32, text: &str) -> Line {
    Line {
        x,
        baseline: y,
        size_pt,
        text: text.to_owned(),
    }
}

/// The sheets as a TSPL or ZPL file at `dpi` (203 or 300).
pub(crate) fn render(sheets: &[Sheet], format: Format, dpi: u32) -> Result<Vec<u8>, Invalid> {
    let font = font()?;
    let dot = 25.4 / dpi as f32;
    let mut out = Vec::new();
    let Some(first) = sheets.first() else {
        return Ok(out);
    };
    let stock = (first.width_mm, first.height_mm);
    match format {
        Format::Tspl => {
            tspl_head(&mut out, stock);
            for s in sheets {
                tspl_sheet(&mut out, font, s, dot)?;
            }
        }
        _ => {
            for s in sheets {
                let text = zpl_sheet(font, s, stock, dot)?;
                out.extend_from_slice(text.as_bytes());
            }
        }
    }
    Ok(out)
}

fn tspl_sheet(out: &mut Vec<u8>, font: &Font, sheet: &Sheet, dot: f32) -> Result<(), Invalid> {
    out.extend_from_slice(b"CLS\r\n");
    for item in &sheet.items {
        match item {
            Item::Rule { x, y, w, h } => {
                let bar = format!(
                    "BAR {},{},{},{}\r\n",
                    d(*x, dot),
                    d(*y, dot),
                    d(*w, dot).max(1),
                    d(*h, dot).max(1)
                );
                out.extend_from_slice(bar.as_bytes());
            }
            Item::Qr { x, y, size, data } => {
                let q = qr_dots(data, (*x, *y, *size), dot)?;
                let cmd = format!(
                    "QRCODE {},{},M,{},A,0,\"{}\"\r\n",
                    q.x,
                    q.y,
                    q.cell,
                    tspl_quote(data)
                );
                out.extend_from_slice(cmd.as_bytes());
            }
            Item::Text { x, y, size_pt, text } => {
                tspl_bitmap(out, font, &text_line(*x, *y, *size_pt, text), dot);
            }
        }
    }
    out.extend_from_slice(b"PRINT 1,1\r\n");
    Ok(())
}

fn zpl_sheet(font: &Font, sheet: &Sheet, stock: (f32, f32), dot: f32) -> Result<String, Invalid> {
    let mut s = String::new();
    zpl_start(&mut s, stock, dot);
    for item in &sheet.items {
        match item {
            Item::Rule { x, y, w, h } => {
                let (w, h) = (d(*w, dot).max(1), d(*h, dot).max(1));
                let _ = writeln!(s, "^FO{},{}^GB{w},{h},{}^FS", d(*x, dot), d(*y, dot), w.min(h));
            }
            Item::Qr { x, y, size, data } => {
                let q = qr_dots(data, (*x, *y, *size), dot)?;
                let _ = writeln!(
                    s,
                    "^FO{},{}^BQN,2,{}^FH\\^FDMA,{}^FS",
                    q.x,
                    q.y,
                    q.cell,
                    zpl_escape(data)
                );
            }
            Item::Text { x, y, size_pt, text } => {
                zpl_bitmap(&mut s, font, &text_line(*x, *y, *size_pt, text), dot);
            }
        }
    }
    s.push_str("^PQ1\n^XZ\n");
    Ok(s)
}
