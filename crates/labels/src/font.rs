//! The label font: the subset of Noto Sans CJK SC in `fonts/` (SIL OFL 1.1;
//! `fonts/make-subset.sh` makes it), compiled into the binary so labels
//! render the same on a fresh machine.
//!
//! Characters outside the subset are drawn as [`REPLACEMENT`] (□); control
//! characters as a space. Text is measured with the font's advance widths
//! (no kerning or shaping: labels carry Chinese, digits and Latin letters,
//! none of which need them).

use std::sync::OnceLock;

use suyuan_core::Invalid;
use ttf_parser::{Face, GlyphId};

/// The font file.
pub(crate) static FONT_DATA: &[u8] = include_bytes!("../fonts/NotoSansSC-labels.otf");

/// Drawn for a character the font lacks.
pub const REPLACEMENT: char = '\u{25a1}';

/// Millimetres per typographic point.
pub(crate) const MM_PER_PT: f32 = 25.4 / 72.0;

/// The parsed font and what is looked up often.
pub(crate) struct Font {
    pub face: Face<'static>,
    /// Font units per em.
    pub upem: f32,
    replacement: u16,
}

/// A character as drawn: the glyph and the character it stands for (the
/// replacement's own for a missing one, so a PDF's text copies as what it
/// shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Glyph {
    pub id: u16,
    pub ch: char,
}

static FONT: OnceLock<Result<Font, String>> = OnceLock::new();

/// The font, parsed once.
pub(crate) fn font() -> Result<&'static Font, Invalid> {
    FONT.get_or_init(|| {
        let face = Face::parse(FONT_DATA, 0).map_err(|e| e.to_string())?;
        let replacement = face
            .glyph_index(REPLACEMENT)
            .ok_or_else(|| "the label font has no replacement glyph".to_owned())?
            .0;
        Ok(Font {
            upem: f32::from(face.units_per_em()),
            face,
            replacement,
        })
    })
    .as_ref()
    .map_err(|e| {
        Invalid::new(
            "label_font",
            format!("the embedded label font cannot be read: {e}"),
            "内置标签字体无法读取",
        )
    })
}

impl Font {
    /// The glyphs of `text`, missing characters replaced.
    pub fn glyphs(&self, text: &str) -> Vec<Glyph> {
        text.chars()
            .map(|c| {
                let c = if c.is_control() { ' ' } else { c };
                match self.face.glyph_index(c) {
                    Some(g) => Glyph { id: g.0, ch: c },
                    None => Glyph {
                        id: self.replacement,
                        ch: REPLACEMENT,
                    },
                }
            })
            .collect()
    }

    /// Advance width of a glyph, in ems.
    pub fn advance(&self, id: u16) -> f32 {
        f32::from(self.face.glyph_hor_advance(GlyphId(id)).unwrap_or(0)) / self.upem
    }

    /// Width of `text` in ems.
    pub fn width_em(&self, text: &str) -> f32 {
        self.glyphs(text).iter().map(|g| self.advance(g.id)).sum()
    }

    /// Ascender, in ems (positive, above the baseline). The typographic
    /// one: CJK glyphs fill the em box, and hhea's line metrics add a
    /// leading labels have no room for.
    pub fn ascent(&self) -> f32 {
        let a = self.face.typographic_ascender().unwrap_or(self.face.ascender());
        f32::from(a) / self.upem
    }

    /// Descender, in ems (positive, below the baseline).
    pub fn descent(&self) -> f32 {
        let d = self.face.typographic_descender().unwrap_or(self.face.descender());
        -f32::from(d) / self.upem
    }

    /// `text` broken into lines at most `width_mm` wide at `size_pt`: at
    /// spaces when a line has one, else between any two characters (Chinese
    /// breaks anywhere). At most `max_lines`; the last one kept ends in `…`
    /// when text was cut.
    pub fn wrap(&self, text: &str, size_pt: f32, width_mm: f32, max_lines: usize) -> Vec<String> {
        let width_em = width_mm / (size_pt * MM_PER_PT);
        let mut lines: Vec<String> = Vec::new();
        let mut line = String::new();
        let mut used = 0.0;
        for c in text.trim().chars() {
            let w = self.width_em(c.encode_utf8(&mut [0; 4]));
            if used + w > width_em && !line.is_empty() {
                let (keep, carry) = match line.rfind(' ') {
                    Some(i) if c != ' ' && i > 0 => (line[..i].to_owned(), line[i + 1..].to_owned()),
                    _ => (line.clone(), String::new()),
                };
                lines.push(keep.trim_end().to_owned());
                line = carry;
                used = self.width_em(&line);
                if c == ' ' {
                    continue;
                }
            }
            line.push(c);
            used += w;
        }
        if !line.trim().is_empty() {
            lines.push(line.trim_end().to_owned());
        }
        if lines.len() > max_lines {
            lines.truncate(max_lines);
            if let Some(last) = lines.last_mut() {
                while !last.is_empty() && self.width_em(&format!("{last}…")) > width_em {
                    last.pop();
                }
                last.push('…');
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_ascii_and_punctuation_are_in_the_subset() {
        let f = font().expect("font");
        for g in f.glyphs("赣南脐橙 批号：20240615A107（一级）") {
            assert_ne!(g.ch, REPLACEMENT, "{g:?}");
        }
    }

    #[test]
    fn pesticide_and_crop_names_are_in_the_subset() {
        let f = font().expect("font");
        let names = "吡虫啉 毒死蜱 啶虫脒 嘧菌酯 噻虫嗪 多菌灵 甲维盐 氯氰菊酯 高效氯氟氰菊酯 \
                     阿维菌素 吡唑醚菌酯 苯醚甲环唑 戊唑醇 咪鲜胺 代森锰锌 草甘膦 百菌清 \
                     腈菌唑 噁霜灵 霜霉威 烯酰吗啉 啶酰菌胺 螺螨酯 哒螨灵 乙螨唑 \
                     脐橙 猕猴桃 荔枝 枇杷 柑橘 芒果 葡萄 枸杞 山药 莴笋 茼蒿 藠头 \
                     粳稻 籼稻 玉米 大豆 马铃薯 茶叶 香菇 木耳 鲟鱼 鳜鱼";
        let missing: String = names
            .chars()
            .filter(|c| !c.is_whitespace() && f.glyphs(&c.to_string())[0].ch == REPLACEMENT)
            .collect();
        assert!(missing.is_empty(), "missing glyphs: {missing}");
    }

    /// Every CJK character the workspace's sources and fixtures use (what
    /// the demo and the tests print) has a glyph: `fonts/make-subset.sh`
    /// scans the same files, so a new name fails here until it is rerun.
    #[test]
    fn every_cjk_character_the_project_uses_is_in_the_subset() {
        let f = font().expect("font");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut missing = std::collections::BTreeSet::new();
        let mut scanned = 0;
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("read_dir").flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if path.is_dir() {
                    if !name.starts_with('.') && name != "target" {
                        dirs.push(path);
                    }
                    continue;
                }
                let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
                if !["rs", "json", "csv", "toml", "sql", "html", "txt"].contains(&ext) {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                scanned += 1;
                for c in text.chars() {
                    let hanzi = matches!(c, '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}');
                    if hanzi && f.glyphs(&c.to_string())[0].ch == REPLACEMENT {
                        missing.insert((c, path.display().to_string()));
                    }
                }
            }
        }
        assert!(scanned > 100, "only {scanned} files scanned");
        assert!(
            missing.is_empty(),
            "rerun fonts/make-subset.sh; missing: {missing:?}"
        );
    }

    #[test]
    fn missing_characters_are_replaced_not_dropped() {
        let f = font().expect("font");
        // 𠀀 (an extension-B hanzi) and 😀 are outside the subset.
        let gs = f.glyphs("橙𠀀😀");
        assert_eq!(gs.len(), 3);
        assert_eq!(gs[1].ch, REPLACEMENT);
        assert_eq!(gs[2].ch, REPLACEMENT);
        assert!(f.advance(gs[1].id) > 0.0);
    }

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_with_an_ellipsis() {
        let f = font().expect("font");
        let lines = f.wrap("0690 1234 5678 9220 2406 15A1 07U7", 6.0, 20.0, 5);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| !l.starts_with(' ') && !l.ends_with(' ')));
        assert_eq!(lines.join(" "), "0690 1234 5678 9220 2406 15A1 07U7");
        let cut = f.wrap(&"橙".repeat(100), 6.0, 20.0, 2);
        assert_eq!(cut.len(), 2);
        assert!(cut[1].ends_with('…'));
    }
}
