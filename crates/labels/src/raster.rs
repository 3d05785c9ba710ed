//! Text as a 1-bit bitmap, for printer files: the glyph outlines of the
//! label font are flattened into line segments and filled by the non-zero
//! winding rule, sampling each dot at its centre. Thermal heads print whole
//! dots, so no anti-aliasing.

use ttf_parser::{GlyphId, OutlineBuilder};

use crate::font::Font;

/// A bitmap, `width` x `height` dots, row by row; `true` is a printed dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bitmap {
    pub width: usize,
    pub height: usize,
    pub dots: Vec<bool>,
}

impl Bitmap {
    /// Row `y` packed 8 dots per byte, most significant bit first, with
    /// `printed` the bit value of a printed dot.
    pub fn packed_row(&self, y: usize, printed: bool) -> Vec<u8> {
        let mut out = vec![if printed { 0 } else { 0xff }; self.width.div_ceil(8)];
        for x in 0..self.width {
            if self.dots[y * self.width + x] {
                let bit = 0x80 >> (x % 8);
                if printed {
                    out[x / 8] |= bit;
                } else {
                    out[x / 8] &= !bit;
                }
            }
        }
        out
    }
}

/// Collects a glyph's outline as line segments in dot coordinates (y down).
struct Segments {
    scale: f32,
    dx: f32,
    baseline: f32,
    start: (f32, f32),
    at: (f32, f32),
    out: Vec<[f32; 4]>,
}

impl Segments {
    fn point(&self, x: f32, y: f32) -> (f32, f32) {
        (self.dx + x * self.scale, self.baseline - y * self.scale)
    }
    fn line(&mut self, to: (f32, f32)) {
        self.out.push([self.at.0, self.at.1, to.0, to.1]);
        self.at = to;
    }
}

/// Segments per curve: glyphs at label sizes are under 40 dots tall.
const CURVE_STEPS: usize = 6;

impl OutlineBuilder for Segments {
    fn move_to(&mut self, x: f32, y: f32) {
        self.at = self.point(x, y);
        self.start = self.at;
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let p = self.point(x, y);
        self.line(p);
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let (p0, p1, p2) = (self.at, self.point(x1, y1), self.point(x, y));
        for i in 1..=CURVE_STEPS {
            let t = i as f32 / CURVE_STEPS as f32;
            let u = 1.0 - t;
            let q = (
                u * u * p0.0 + 2.0 * u * t * p1.0 + t * t * p2.0,
                u * u * p0.1 + 2.0 * u * t * p1.1 + t * t * p2.1,
            );
            self.line(q);
        }
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let (p0, p1, p2, p3) = (self.at, self.point(x1, y1), self.point(x2, y2), self.point(x, y));
        for i in 1..=CURVE_STEPS {
            let t = i as f32 / CURVE_STEPS as f32;
            let u = 1.0 - t;
            let (a, b, c, d) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
            let q = (
                a * p0.0 + b * p1.0 + c * p2.0 + d * p3.0,
                a * p0.1 + b * p1.1 + c * p2.1 + d * p3.1,
            );
            self.line(q);
        }
    }
    fn close(&mut self) {
        if self.at != self.start {
            let s = self.start;
            self.line(s);
        }
    }
}

/// `text` at `size_dots` (the em in dots) as a bitmap one em tall (ascent
/// plus descent) and as wide as the text.
pub(crate) fn text(font: &Font, text: &str, size_dots: f32) -> Bitmap {
    let glyphs = font.glyphs(text);
    let scale = size_dots / font.upem;
    let mut seg = Segments {
        scale,
        dx: 0.0,
        baseline: (font.ascent() * size_dots).round(),
        start: (0.0, 0.0),
        at: (0.0, 0.0),
        out: Vec::new(),
    };
    for g in &glyphs {
        font.face.outline_glyph(GlyphId(g.id), &mut seg);
        seg.dx += font.advance(g.id) * size_dots;
    }
    let width = seg.dx.ceil().max(1.0) as usize;
    let height = ((font.ascent() + font.descent()) * size_dots).ceil().max(1.0) as usize;
    let mut dots = vec![false; width * height];
    let mut crossings: Vec<(f32, i32)> = Vec::new();
    for y in 0..height {
        let cy = y as f32 + 0.5;
        crossings.clear();
        for &[x0, y0, x1, y1] in &seg.out {
            if (y0 <= cy) != (y1 <= cy) {
                let x = x0 + (cy - y0) * (x1 - x0) / (y1 - y0);
                crossings.push((x, if y1 > y0 { 1 } else { -1 }));
            }
        }
        crossings.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut winding = 0;
        for pair in crossings.windows(2) {
            winding += pair[0].1;
            if winding != 0 {
                // Dots whose centre lies between the two crossings.
                let from = (pair[0].0 - 0.5).ceil().max(0.0) as usize;
                let to = ((pair[1].0 - 0.5).floor() + 1.0).clamp(0.0, width as f32) as usize;
                for x in from..to {
                    dots[y * width + x] = true;
                }
            }
        }
    }
    Bitmap { width, height, dots }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::font::font;

    #[test]
    fn a_hanzi_fills_some_dots_and_a_space_none() {
        let f = font().expect("font");
        let b = text(f, "橙", 24.0);
        assert_eq!(b.height, 24);
        let inked = b.dots.iter().filter(|d| **d).count();
        assert!(inked > 40 && inked < 24 * 24 / 2, "{inked}");
        assert!(text(f, " ", 24.0).dots.iter().all(|d| !d));
    }

    #[test]
    fn packed_rows_put_the_first_dot_in_the_high_bit() {
        let b = Bitmap {
            width: 9,
            height: 1,
            dots: vec![true, false, false, false, false, false, false, false, true],
        };
        assert_eq!(b.packed_row(0, true), vec![0x80, 0x80]);
        assert_eq!(b.packed_row(0, false), vec![0x7f, 0x7f]);
    }
}
