//! Documents other than labels: certificates (承诺达标合格证) and reports,
//! drawn as pages of text, rules and QR codes with the label font.
//!
//! A [`Sheet`] is one page: items placed in millimetres from its top-left
//! corner. [`Flow`] lays text out down the page and starts a new page when
//! one is full, for reports of any length. [`render_sheets`] writes the PDF
//! (the font subset to the glyphs used, as for labels).

use std::collections::BTreeMap;

use pdf_writer::{Content, Pdf, Ref, Str};
use subsetter::GlyphRemapper;
use suyuan_core::Invalid;

use crate::font::font;
use crate::layout::{Placed2d, QR_QUIET};
use crate::pdf::{add_page, deflate, draw_matrix, finish, pt, subset_cff, Fonts, FONT_NAME};
use crate::symbols;

/// One thing on a page.
#[derive(Debug, Clone)]
pub enum Item {
    /// Text whose baseline is `y` mm from the top.
    Text {
        x: f32,
        y: f32,
        size_pt: f32,
        text: String,
    },
    /// A QR code (quiet zone included) of `size` mm whose top-left is at (`x`, `y`).
    Qr { x: f32, y: f32, size: f32, data: String },
    /// A filled rectangle (a rule or a box edge).
    Rule { x: f32, y: f32, w: f32, h: f32 },
}

/// One page.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub width_mm: f32,
    pub height_mm: f32,
    pub items: Vec<Item>,
}

impl Sheet {
    pub fn new(width_mm: f32, height_mm: f32) -> Self {
        Sheet {
            width_mm,
            height_mm,
            items: Vec::new(),
        }
    }

    /// Text at (`x`, baseline `y`).
    pub fn text(&mut self, x: f32, y: f32, size_pt: f32, text: impl Into<String>) {
        self.items.push(Item::Text {
            x,
            y,
            size_pt,
            text: text.into(),
        });
    }

    /// A box outline.
    pub fn frame(&mut self, x: f32, y: f32, w: f32, h: f32, line: f32) {
        self.items.extend([
            Item::Rule { x, y, w, h: line },
            Item::Rule {
                x,
                y: y + h - line,
                w,
                h: line,
            },
            Item::Rule { x, y, w: line, h },
            Item::Rule {
                x: x + w - line,
                y,
                w: line,
                h,
            },
        ]);
    }
}

/// The width of `text` at `size_pt`, mm.
pub fn text_width_mm(text: &str, size_pt: f32) -> Result<f32, Invalid> {
    Ok(font()?.width_em(text) * size_pt * crate::font::MM_PER_PT)
}

/// `text` wrapped to `width_mm` at `size_pt`, at most `max_lines` lines.
pub fn wrap(text: &str, size_pt: f32, width_mm: f32, max_lines: usize) -> Result<Vec<String>, Invalid> {
    Ok(font()?.wrap(text, size_pt, width_mm, max_lines))
}

/// Text flowing down pages of one size, with margins.
pub struct Flow {
    width: f32,
    height: f32,
    margin: f32,
    y: f32,
    pages: Vec<Sheet>,
}

impl Flow {
    pub fn new(width_mm: f32, height_mm: f32, margin_mm: f32) -> Self {
        Flow {
            width: width_mm,
            height: height_mm,
            margin: margin_mm,
            y: margin_mm,
            pages: vec![Sheet::new(width_mm, height_mm)],
        }
    }

    fn page(&mut self) -> &mut Sheet {
        let n = self.pages.len();
        &mut self.pages[n - 1]
    }

    /// Room for `mm` more on this page, or a new page.
    fn room(&mut self, mm: f32) {
        if self.y + mm > self.height - self.margin {
            self.pages.push(Sheet::new(self.width, self.height));
            self.y = self.margin;
        }
    }

    /// A paragraph at `size_pt`, indented `indent` mm, wrapped to the page.
    pub fn para(&mut self, size_pt: f32, indent: f32, text: &str) -> Result<(), Invalid> {
        let line_mm = size_pt * crate::font::MM_PER_PT * 1.45;
        let width = self.width - 2.0 * self.margin - indent;
        for line in wrap(text, size_pt, width, 1000)? {
            self.room(line_mm);
            self.y += line_mm;
            let (x, y) = (self.margin + indent, self.y - line_mm * 0.3);
            self.page().text(x, y, size_pt, line);
        }
        Ok(())
    }

    /// A row of cells at `size_pt`: each cell's text at its x offset (mm
    /// from the left margin), cut to its width.
    pub fn row(&mut self, size_pt: f32, cells: &[(f32, f32, String)]) -> Result<(), Invalid> {
        let line_mm = size_pt * crate::font::MM_PER_PT * 1.45;
        self.room(line_mm);
        self.y += line_mm;
        let y = self.y - line_mm * 0.3;
        let margin = self.margin;
        for (x, w, text) in cells {
            let cut = wrap(text, size_pt, *w, 1)?.into_iter().next().unwrap_or_default();
            self.page().text(margin + x, y, size_pt, cut);
        }
        Ok(())
    }

    /// A horizontal rule across the text width, then a little space.
    pub fn rule(&mut self) {
        self.room(2.0);
        let (x, y, w) = (self.margin, self.y + 0.8, self.width - 2.0 * self.margin);
        self.page().items.push(Item::Rule { x, y, w, h: 0.2 });
        self.y += 2.0;
    }

    /// Vertical space.
    pub fn gap(&mut self, mm: f32) {
        self.y += mm;
    }

    /// A QR code at the right margin, level with the next text.
    pub fn qr_right(&mut self, size: f32, data: &str) {
        self.room(size);
        let x = self.width - self.margin - size;
        let y = self.y;
        self.page().items.push(Item::Qr {
            x,
            y,
            size,
            data: data.to_owned(),
        });
    }

    pub fn finish(self) -> Vec<Sheet> {
        self.pages
    }
}

/// Renders pages as one PDF.
pub fn render_sheets(sheets: &[Sheet]) -> Result<Vec<u8>, Invalid> {
    let font = font()?;
    let mut remapper = GlyphRemapper::new();
    let mut to_unicode: BTreeMap<u16, char> = BTreeMap::new();
    for s in sheets {
        for item in &s.items {
            if let Item::Text { text, .. } = item {
                for g in font.glyphs(text) {
                    to_unicode.insert(remapper.remap(g.id), g.ch);
                }
            }
        }
    }
    // The font needs one glyph at least.
    remapper.remap(0);
    let cff = subset_cff(&remapper)?;

    let mut pdf = Pdf::new();
    let mut next = Ref::new(1);
    let mut alloc = || next.bump();
    let (catalog, tree, type0, cid, descriptor, file, cmap) =
        (alloc(), alloc(), alloc(), alloc(), alloc(), alloc(), alloc());
    let mut kids = Vec::new();
    for s in sheets {
        let mut c = Content::new();
        c.set_fill_gray(0.0);
        let h = s.height_mm;
        let x = |mm: f32| pt(mm);
        let y = |mm: f32| pt(h - mm);
        for item in &s.items {
            match item {
                Item::Rule {
                    x: rx,
                    y: ry,
                    w,
                    h: rh,
                } => {
                    c.rect(x(*rx), y(ry + rh), pt(*w), pt(*rh));
                    c.fill_nonzero();
                }
                Item::Qr {
                    x: qx,
                    y: qy,
                    size,
                    data,
                } => {
                    let matrix = symbols::qr(data)?;
                    let module = size / (matrix.width + 2 * QR_QUIET) as f32;
                    let placed = Placed2d {
                        x: qx + module * QR_QUIET as f32,
                        y: qy + module * QR_QUIET as f32,
                        module,
                        matrix,
                    };
                    draw_matrix(&mut c, &placed, &x, &y);
                }
                Item::Text {
                    x: tx,
                    y: ty,
                    size_pt,
                    text,
                } => {
                    let mut bytes = Vec::with_capacity(text.len() * 2);
                    for g in font.glyphs(text) {
                        bytes.extend(remapper.get(g.id).unwrap_or(0).to_be_bytes());
                    }
                    c.begin_text();
                    c.set_font(FONT_NAME, *size_pt);
                    c.set_text_matrix([1.0, 0.0, 0.0, 1.0, x(*tx), y(*ty)]);
                    c.show(Str(&bytes));
                    c.end_text();
                }
            }
        }
        let data = deflate(&c.finish());
        let (page, content) = (alloc(), alloc());
        kids.push(page);
        add_page(
            &mut pdf,
            [page, content, tree, type0],
            &data,
            (s.width_mm, s.height_mm),
        );
    }
    Ok(finish(
        pdf,
        &kids,
        Fonts {
            font,
            remapper: &remapper,
            to_unicode: &to_unicode,
            cff: &cff,
        },
        [catalog, tree, type0, cid, descriptor, file, cmap],
    ))
}
