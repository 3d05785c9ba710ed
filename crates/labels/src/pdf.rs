//! PDF output: one page per roll label, or A4 pages of 2 x 5, 3 x 8 or
//! 4 x 10 labels (the first page from its first free position).
//!
//! Symbols are filled rectangles (one per run of dark modules in a row, one
//! per bar), so they stay sharp at any resolution. Text uses the label font
//! subset to the glyphs this document uses (`subsetter`), embedded as a CID
//! font (CFF, `Identity-H`) with a ToUnicode map so copied text is the text.
//! Streams are deflated.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use subsetter::GlyphRemapper;
use suyuan_core::Invalid;
use ttf_parser::{RawFace, Tag};

use crate::font::{font, Font, FONT_DATA, MM_PER_PT};
use crate::layout::{self, Placed2d, Placement};
use crate::{Label, Size, A4_MM};

/// The font's resource name on every page.
pub(crate) const FONT_NAME: Name = Name(b"F0");

pub(crate) fn pt(mm: f32) -> f32 {
    mm / MM_PER_PT
}

pub(crate) fn font_error(what: &str) -> Invalid {
    Invalid::new(
        "label_font",
        format!("the label font cannot be embedded: {what}"),
        "标签字体无法嵌入",
    )
}

/// The page size, mm, and where each label of a page goes: its top-left
/// corner on the page, mm.
fn page_slots(size: Size) -> (f32, f32, Vec<(f32, f32)>) {
    let (w, h) = if size.is_roll() { size.label_mm() } else { A4_MM };
    (w, h, (0..size.per_page()).map(|i| size.slot_mm(i)).collect())
}

/// The labels of each page and the slot the first one takes: the first
/// page from slot `skip`, the others from slot 0.
fn paginate<T>(items: &[T], per_page: usize, skip: usize) -> Vec<(&[T], usize)> {
    let first = items.len().min(per_page - skip);
    let (head, tail) = items.split_at(first);
    let mut pages = vec![(head, skip)];
    pages.extend(tail.chunks(per_page).map(|c| (c, 0)));
    pages
}

pub(crate) fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

/// The label font subset to the glyphs `remapper` kept: its CFF table.
pub(crate) fn subset_cff(remapper: &GlyphRemapper) -> Result<Vec<u8>, Invalid> {
    let subset = subsetter::subset(FONT_DATA, 0, remapper).map_err(|e| font_error(&format!("{e:?}")))?;
    Ok(RawFace::parse(&subset, 0)
        .ok()
        .and_then(|f| f.table(Tag::from_bytes(b"CFF ")))
        .ok_or_else(|| font_error("no CFF table"))?
        .to_vec())
}

/// Renders the labels as a PDF, leaving the first `skip` slots of the first
/// page empty.
pub(crate) fn render(labels: &[Label], size: Size, skip: usize) -> Result<Vec<u8>, Invalid> {
    let font = font()?;
    let placements = crate::par_map(labels, |l| layout::place(font, l, size, None))?;

    // The glyphs the document uses, renumbered for the subset.
    let mut remapper = GlyphRemapper::new();
    let mut to_unicode: BTreeMap<u16, char> = BTreeMap::new();
    for p in &placements {
        for line in &p.lines {
            for g in font.glyphs(&line.text) {
                to_unicode.insert(remapper.remap(g.id), g.ch);
            }
        }
    }
    let cff = subset_cff(&remapper)?;

    let mut pdf = Pdf::new();
    let mut next = Ref::new(1);
    let mut alloc = || next.bump();
    let (catalog, tree, type0, cid, descriptor, file, cmap) =
        (alloc(), alloc(), alloc(), alloc(), alloc(), alloc(), alloc());

    let (page_w, page_h, slots) = page_slots(size);
    // Each page's content, drawn and deflated on every core.
    let pages: Vec<(&[Placement], usize)> = paginate(&placements, slots.len(), skip);
    let contents = crate::par_map(&pages, |&(chunk, first)| {
        let mut c = Content::new();
        c.set_fill_gray(0.0);
        for (p, &(ox, oy)) in chunk.iter().zip(&slots[first..]) {
            draw_label(&mut c, font, &remapper, p, ox, pt(page_h - oy));
        }
        Ok(deflate(&c.finish()))
    })?;
    let mut kids = Vec::new();
    for data in contents {
        let (page, content) = (alloc(), alloc());
        kids.push(page);
        add_page(&mut pdf, [page, content, tree, type0], &data, (page_w, page_h));
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

/// Writes one page whose deflated content is `data`, `size` mm, at the
/// references `[page, content, tree, type0]`.
pub(crate) fn add_page(pdf: &mut Pdf, [page, content, tree, type0]: [Ref; 4], data: &[u8], size: (f32, f32)) {
    pdf.stream(content, data).filter(Filter::FlateDecode);
    let mut pg = pdf.page(page);
    pg.parent(tree)
        .media_box(Rect::new(0.0, 0.0, pt(size.0), pt(size.1)))
        .contents(content);
    pg.resources().fonts().pair(FONT_NAME, type0);
    pg.finish();
}

/// The font subset a document uses.
pub(crate) struct Fonts<'a> {
    pub font: &'a Font,
    pub remapper: &'a GlyphRemapper,
    pub to_unicode: &'a BTreeMap<u16, char>,
    pub cff: &'a [u8],
}

/// Writes the catalog, the page tree of `kids` and the font at the
/// references `[catalog, tree, type0, cid, descriptor, file, cmap]`.
pub(crate) fn finish(mut pdf: Pdf, kids: &[Ref], fonts: Fonts<'_>, refs: [Ref; 7]) -> Vec<u8> {
    let [catalog, tree, type0, cid, descriptor, file, cmap] = refs;
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(kids.iter().copied())
        .count(kids.len() as i32);
    write_font(
        &mut pdf,
        fonts.font,
        fonts.remapper,
        fonts.to_unicode,
        fonts.cff,
        [type0, cid, descriptor, file, cmap],
    );
    pdf.finish()
}

/// Draws one label whose top-left corner is at (`ox` mm, `top` pt from the
/// page's bottom).
fn draw_label(c: &mut Content, font: &Font, remapper: &GlyphRemapper, p: &Placement, ox: f32, top: f32) {
    let x = |mm: f32| pt(ox + mm);
    let y = |mm: f32| top - pt(mm);
    for sym in [&p.qr, &p.dm] {
        draw_matrix(c, sym, &x, &y);
    }
    if let Some(b) = &p.bars {
        let mut i = 0;
        while i < b.bars.len() {
            if b.bars[i] {
                let start = i;
                while i < b.bars.len() && b.bars[i] {
                    i += 1;
                }
                let x0 = b.x + start as f32 * b.x_dim;
                c.rect(
                    x(x0),
                    y(b.y + b.height),
                    pt((i - start) as f32 * b.x_dim),
                    pt(b.height),
                );
            } else {
                i += 1;
            }
        }
        c.fill_nonzero();
    }
    for line in &p.lines {
        let mut bytes = Vec::with_capacity(line.text.len() * 2);
        for g in font.glyphs(&line.text) {
            let id = remapper.get(g.id).unwrap_or(0);
            bytes.extend(id.to_be_bytes());
        }
        c.begin_text();
        c.set_font(FONT_NAME, line.size_pt);
        c.set_text_matrix([1.0, 0.0, 0.0, 1.0, x(line.x), y(line.baseline)]);
        c.show(Str(&bytes));
        c.end_text();
    }
}

pub(crate) fn draw_matrix(c: &mut Content, s: &Placed2d, x: &dyn Fn(f32) -> f32, y: &dyn Fn(f32) -> f32) {
    let m = s.module;
    for row in 0..s.matrix.height {
        let top = s.y + row as f32 * m;
        for (col, len) in s.matrix.runs(row) {
            c.rect(x(s.x + col as f32 * m), y(top + m), pt(len as f32 * m), pt(m));
        }
    }
    c.fill_nonzero();
}

/// The Type 0 font, its CID font, descriptor, embedded CFF and ToUnicode
/// map, at the five given references.
pub(crate) fn write_font(
    pdf: &mut Pdf,
    font: &Font,
    remapper: &GlyphRemapper,
    to_unicode: &BTreeMap<u16, char>,
    cff: &[u8],
    [type0, cid, descriptor, file, cmap]: [Ref; 5],
) {
    let base = Name(b"SUYUAN+NotoSansCJKsc-Regular");
    let info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    pdf.type0_font(type0)
        .base_font(base)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap);
    let widths: Vec<f32> = remapper
        .remapped_gids()
        .map(|old| font.advance(old) * 1000.0)
        .collect();
    let mut cf = pdf.cid_font(cid);
    cf.subtype(CidFontType::Type0)
        .base_font(base)
        .system_info(info)
        .font_descriptor(descriptor);
    cf.widths().consecutive(0, widths);
    cf.finish();
    let bbox = font.face.global_bounding_box();
    let em = |v: f32| v * 1000.0 / font.upem;
    pdf.font_descriptor(descriptor)
        .name(base)
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(
            em(f32::from(bbox.x_min)),
            em(f32::from(bbox.y_min)),
            em(f32::from(bbox.x_max)),
            em(f32::from(bbox.y_max)),
        ))
        .italic_angle(0.0)
        .ascent(font.ascent() * 1000.0)
        .descent(-font.descent() * 1000.0)
        .cap_height(em(f32::from(font.face.capital_height().unwrap_or(733))))
        .stem_v(80.0)
        .font_file3(file);
    let data = deflate(cff);
    pdf.stream(file, &data)
        .filter(Filter::FlateDecode)
        .pair(Name(b"Subtype"), Name(b"CIDFontType0C"));
    let mut map = pdf_writer::types::UnicodeCmap::new(Name(b"Custom"), info);
    for (&gid, &ch) in to_unicode {
        map.pair(gid, ch);
    }
    let map = map.finish();
    pdf.cmap(cmap, &map);
}

#[cfg(test)]
mod tests {
    use super::paginate;

    #[test]
    fn the_first_page_starts_at_its_first_free_slot() {
        let items: Vec<u32> = (0..25).collect();
        let pages = paginate(&items, 10, 7);
        let shape: Vec<(usize, usize)> = pages.iter().map(|(p, s)| (p.len(), *s)).collect();
        assert_eq!(shape, vec![(3, 7), (10, 0), (10, 0), (2, 0)]);
        assert_eq!(pages[1].0[0], 3);
        let few = paginate(&items[..2], 10, 3);
        assert_eq!(few.len(), 1);
        assert_eq!((few[0].0.len(), few[0].1), (2, 3));
    }
}
