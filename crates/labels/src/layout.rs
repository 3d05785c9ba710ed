//! Where things go on one label, in millimetres from the top-left corner;
//! the PDF and the printer files draw the same placement.
//!
//! ```text
//! ┌──────────────────────────────┐
//! │ ┌───────┐ product name       │   QR box: quiet zone included
//! │ │  QR   │ 批号 lot           │   text flows down the right column,
//! │ │       │ date       ┌────┐  │   narrower beside the DataMatrix,
//! │ │       │ date       │ DM │  │   then full width below the QR
//! │ └───────┘            └────┘  │
//! │ ▌▌▌▌▌ GS1-128 (A4 only) ▌▌▌▌ │
//! │ (01)…(10)…(21)…              │
//! │ 追溯码 0690 1234 5678 …      │   the flat code, always, at the bottom
//! └──────────────────────────────┘
//! ```
//!
//! Sizes per label (mm; text in pt):
//!
//! | size   | margin | QR box | DM box | text | code |
//! |--------|--------|--------|--------|------|------|
//! | 40x30  | 1.2    | 17     | 8.5    | 5.5  | 5.5  |
//! | 50x30  | 1.2    | 18.5   | 9.5    | 6    | 6    |
//! | 60x40  | 1.5    | 24     | 12     | 7.5  | 7    |
//! | A4 cell 105x57 | 4 | 28  | 14     | 9    | 8    |
//! | A4 cell 70x37 (3x8) | 2 | 24 | 12 | 7.5 | 7 |
//! | A4 cell 52.5x29.7 (4x10) | 1.5 | 18.5 | 9.5 | 6 | 6 |
//!
//! Dates that do not fit are left off (most important first); the product
//! name takes at most two lines and is cut with `…`.

use suyuan_core::Invalid;

use crate::font::{Font, MM_PER_PT};
use crate::symbols::{self, Matrix};
use crate::{Label, Size};

/// The smallest QR module, mm: what phone cameras read reliably.
pub(crate) const QR_MIN_MODULE_MM: f32 = 0.30;
/// The smallest DataMatrix module, mm: for scanners at the packing line.
pub(crate) const DM_MIN_MODULE_MM: f32 = 0.25;
/// QR quiet zone, modules.
pub(crate) const QR_QUIET: usize = 4;
/// DataMatrix quiet zone, modules.
pub(crate) const DM_QUIET: usize = 1;
/// GS1-128 quiet zone, X.
pub(crate) const BARS_QUIET: usize = 10;
/// GS1-128 X dimension wanted, and the least accepted for long data, mm.
pub(crate) const BARS_X_MM: f32 = 0.20;
pub(crate) const BARS_MIN_X_MM: f32 = 0.17;
/// Most data characters in a GS1-128 (GS1 General Specifications).
pub(crate) const GS1_128_MAX_DATA: usize = 48;
/// GS1-128 bar height, mm.
pub(crate) const BARS_HEIGHT_MM: f32 = 9.0;

struct Geometry {
    pad: f32,
    qr_box: f32,
    dm_box: f32,
    text_pt: f32,
    code_pt: f32,
}

impl Geometry {
    /// Space between the QR and what is beside or below it, mm.
    fn gap(&self) -> f32 {
        self.pad.min(1.5)
    }
}

fn geometry(size: Size) -> Geometry {
    let (pad, qr_box, dm_box, text_pt, code_pt) = match size {
        Size::Roll40x30 => (1.2, 17.0, 8.5, 5.5, 5.5),
        Size::Roll50x30 => (1.2, 18.5, 9.5, 6.0, 6.0),
        Size::Roll60x40 => (1.5, 24.0, 12.0, 7.5, 7.0),
        Size::A4 => (4.0, 28.0, 14.0, 9.0, 8.0),
        // Sheet cells are die-cut: a little more margin than a roll.
        Size::A4x3x8 => (2.0, 24.0, 12.0, 7.5, 7.0),
        Size::A4x4x10 => (1.5, 18.5, 9.5, 6.0, 6.0),
    };
    Geometry {
        pad,
        qr_box,
        dm_box,
        text_pt,
        code_pt,
    }
}

/// A 2D symbol placed: top-left of its first module (quiet zone outside).
#[derive(Debug, Clone)]
pub(crate) struct Placed2d {
    pub x: f32,
    pub y: f32,
    pub module: f32,
    pub matrix: Matrix,
}

/// The GS1-128 placed: top-left of its first bar.
#[derive(Debug, Clone)]
pub(crate) struct PlacedBars {
    pub x: f32,
    pub y: f32,
    pub x_dim: f32,
    pub height: f32,
    pub bars: Vec<bool>,
}

/// One line of text: left end of its baseline.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub x: f32,
    pub baseline: f32,
    pub size_pt: f32,
    pub text: String,
}

/// Everything on one label.
#[derive(Debug, Clone)]
pub(crate) struct Placement {
    pub qr: Placed2d,
    pub dm: Placed2d,
    pub bars: Option<PlacedBars>,
    pub lines: Vec<Line>,
}

/// The module size fitting `n` modules (quiet zone included) in `room` mm:
/// a whole number of device dots when `dot` is given.
fn module_size(room: f32, n: usize, dot: Option<f32>, least: f32, what: &str) -> Result<f32, Invalid> {
    let m = room / n as f32;
    let (m, min) = match dot {
        Some(d) => ((m / d + 1e-4).floor() * d, (least / d - 1e-4).ceil() * d),
        None => (m, least),
    };
    if m + 1e-6 < min {
        return Err(Invalid::new(
            "label_data_too_long",
            format!(
                "the data is too long for the {what} of this label size (module {m:.3} mm < {min:.3} mm)"
            ),
            format!("数据过长：该尺寸标签上的{what}模块仅 {m:.3} 毫米，小于 {min:.3} 毫米"),
        ));
    }
    Ok(m)
}

/// Places one label of `size`. `dot` is the printer's dot in mm (symbols
/// then get whole dots per module), `None` for PDF.
pub(crate) fn place(font: &Font, label: &Label, size: Size, dot: Option<f32>) -> Result<Placement, Invalid> {
    let g = geometry(size);
    let (w, h) = size.label_mm();

    let qr = symbols::qr(&label.digital_link)?;
    let qm = module_size(g.qr_box, qr.width + 2 * QR_QUIET, dot, QR_MIN_MODULE_MM, "QR")?;
    let qr = Placed2d {
        x: g.pad + QR_QUIET as f32 * qm,
        y: g.pad + QR_QUIET as f32 * qm,
        module: qm,
        matrix: qr,
    };
    let dm = symbols::datamatrix(&label.element_data)?;
    let dmm = module_size(
        g.dm_box,
        dm.width + 2 * DM_QUIET,
        dot,
        DM_MIN_MODULE_MM,
        "DataMatrix",
    )?;
    let dm = Placed2d {
        x: w - g.pad - (dm.width + DM_QUIET) as f32 * dmm,
        y: g.pad + g.qr_box - (dm.height + DM_QUIET) as f32 * dmm,
        module: dmm,
        matrix: dm,
    };

    let mut lines = Vec::new();
    let code_lh = g.code_pt * MM_PER_PT * 1.25;
    let code = font.wrap(
        &format!("追溯码 {}", label.flat_code_display()),
        g.code_pt,
        w - 2.0 * g.pad,
        3,
    );
    let code_top = h - g.pad - code.len() as f32 * code_lh;

    // The middle band: from below the QR to above the code.
    let mid_y = g.pad + g.qr_box + g.gap() * 0.5;
    let (bars, mid_y) = match size
        .has_gs1_128()
        .then(|| gs1_128_fitting(label, w - 2.0 * g.pad))
    {
        Some(Some((bars, x_dim))) => {
            let (placed, hri, below) = place_bars(&g, label, bars, x_dim, mid_y);
            lines.push(hri);
            (Some(placed), below)
        }
        _ => (None, mid_y),
    };
    flow_fields(font, label, &g, w, (mid_y, code_top), &mut lines)?;
    for (i, text) in code.into_iter().enumerate() {
        lines.push(line(
            font,
            g.pad,
            code_top + i as f32 * code_lh,
            code_lh,
            g.code_pt,
            text,
        ));
    }
    Ok(Placement { qr, dm, bars, lines })
}

/// The GS1-128 at the top of the middle band (`y`), its human-readable
/// element string below it, and where the band continues.
fn place_bars(g: &Geometry, label: &Label, bars: Vec<bool>, x_dim: f32, y: f32) -> (PlacedBars, Line, f32) {
    let placed = PlacedBars {
        x: g.pad + BARS_QUIET as f32 * x_dim,
        y,
        x_dim,
        height: BARS_HEIGHT_MM,
        bars,
    };
    let hri_pt = g.code_pt * 0.9;
    let baseline = y + BARS_HEIGHT_MM + hri_pt * MM_PER_PT * 1.2;
    let hri = Line {
        x: placed.x,
        baseline,
        size_pt: hri_pt,
        text: label.element_human.clone(),
    };
    (placed, hri, baseline + g.gap() * 0.5)
}

/// The text fields (name, lot, dates) flowing down the right column,
/// narrower beside the DataMatrix, then across the middle band
/// (`band`: its top and bottom). Dates that do not fit are left off; the
/// name and lot must fit.
fn flow_fields(
    font: &Font,
    label: &Label,
    g: &Geometry,
    w: f32,
    (mid_y, code_top): (f32, f32),
    lines: &mut Vec<Line>,
) -> Result<(), Invalid> {
    let gap = g.gap();
    let lh = g.text_pt * MM_PER_PT * 1.25;
    let col_x = g.pad + g.qr_box + gap;
    let col_w = w - g.pad - col_x;
    let (dm_box_x, dm_box_y) = (w - g.pad - g.dm_box, g.pad + g.qr_box - g.dm_box);
    let mut fields: Vec<(String, bool)> = font
        .wrap(&label.product_name, g.text_pt, col_w, 2)
        .into_iter()
        .map(|l| (l, true))
        .collect();
    fields.push((format!("批号 {}", label.lot), true));
    fields.extend(
        label
            .dates
            .iter()
            .map(|d| (format!("{} {}", d.name, d.value), false)),
    );
    let mut y = g.pad;
    let mut in_column = true;
    for (text, must) in fields {
        let need = font.width_em(&text) * g.text_pt * MM_PER_PT;
        if in_column {
            let beside_dm = y + lh > dm_box_y;
            let width = if beside_dm { dm_box_x - gap - col_x } else { col_w };
            if y + lh <= g.pad + g.qr_box && need <= width {
                lines.push(line(font, col_x, y, lh, g.text_pt, text));
                y += lh;
                continue;
            }
            // On to the middle band; later fields follow it there, so the
            // order of the fields is kept.
            in_column = false;
            y = mid_y;
        }
        if y + lh <= code_top + 1e-3 {
            let text = font.wrap(&text, g.text_pt, w - 2.0 * g.pad, 1).concat();
            lines.push(line(font, g.pad, y, lh, g.text_pt, text));
            y += lh;
        } else if must {
            return Err(Invalid::new(
                "label_data_too_long",
                "the product name and lot do not fit this label size",
                "品名和批号在该尺寸标签上放不下",
            ));
        }
    }
    Ok(())
}

/// The GS1-128 bars and X dimension, if the element string fits `room` mm
/// (quiet zones included) at X ≥ 0.17 mm and within GS1's 48 data
/// characters; otherwise the label goes without (its DataMatrix carries the
/// same data). The platform's own codes (43 characters at most) always fit
/// an A4 label.
fn gs1_128_fitting(label: &Label, room: f32) -> Option<(Vec<bool>, f32)> {
    if label.element_data.len() > GS1_128_MAX_DATA {
        return None;
    }
    let bars = symbols::gs1_128(&label.element_data).ok()?;
    let x_dim = BARS_X_MM.min(room / (bars.len() + 2 * BARS_QUIET) as f32);
    (x_dim >= BARS_MIN_X_MM).then_some((bars, x_dim))
}

/// A line whose box starts at `top` and is `lh` tall: the baseline sits so
/// the font's ascent and descent share the box.
fn line(font: &Font, x: f32, top: f32, lh: f32, size_pt: f32, text: String) -> Line {
    let em = size_pt * MM_PER_PT;
    Line {
        x,
        baseline: top + (lh - em) / 2.0 + em * font.ascent(),
        size_pt,
        text,
    }
}
