//! The printed 承诺达标合格证, in the three common formats: A5 (148 × 210
//! mm, 一证一页), and the 100 × 70 and 80 × 60 mm stickers that go on a
//! box or a crate. What it says comes from `suyuan_core::quality::certificate`
//! (the template) and the certificate record; this module only places it.
//!
//! The stickers are also printed on the roll printers: [`certificates_printer`]
//! writes the same pages as a TSPL or ZPL file at 203 or 300 dpi
//! (`sheet_printer`); A5 is a page for an office printer, PDF only.
//!
//! ```text
//! ┌────────────────────────────┐
//! │      承诺达标合格证         │
//! │ 编号 …            ┌──────┐ │
//! │ 产品名称 …        │  QR  │ │   QR: the certificate's public page
//! │ 数量（重量）…     │      │ │
//! │ 产地 …            └──────┘ │
//! │ 生产者 / 收购者 … 信用代码 … 联系方式 … 开具日期 …
//! │ 我承诺对生产销售的食用农产品：■ … ■ … ■ …
//! │ 承诺依据：■ … □ … □ …       │
//! └────────────────────────────┘
//! ```

use std::str::FromStr;

use suyuan_core::Invalid;

use crate::sheet::{render_sheets, text_width_mm, wrap, Sheet};
use crate::Format;

/// The sizes a certificate is printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateSize {
    A5,
    R100x70,
    R80x60,
}

impl CertificateSize {
    pub const ALL: [CertificateSize; 3] = [
        CertificateSize::A5,
        CertificateSize::R100x70,
        CertificateSize::R80x60,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CertificateSize::A5 => "a5",
            CertificateSize::R100x70 => "100x70",
            CertificateSize::R80x60 => "80x60",
        }
    }

    /// Width and height, mm.
    pub fn mm(self) -> (f32, f32) {
        match self {
            CertificateSize::A5 => (148.0, 210.0),
            CertificateSize::R100x70 => (100.0, 70.0),
            CertificateSize::R80x60 => (80.0, 60.0),
        }
    }

    /// Margin, QR size (mm), title and text size (pt).
    fn geometry(self) -> (f32, f32, f32, f32) {
        match self {
            CertificateSize::A5 => (12.0, 38.0, 20.0, 11.0),
            CertificateSize::R100x70 => (3.0, 24.0, 11.0, 6.5),
            CertificateSize::R80x60 => (2.5, 21.0, 9.0, 5.3),
        }
    }
}

impl FromStr for CertificateSize {
    type Err = Invalid;

    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|z| z.name() == s).ok_or_else(|| {
            Invalid::new(
                "certificate_size",
                "the size is one of a5, 100x70, 80x60",
                "尺寸应为 a5、100x70 或 80x60",
            )
        })
    }
}

/// What one certificate prints.
#[derive(Debug, Clone)]
pub struct CertificateForm {
    pub title: String,
    pub number: String,
    /// (label, value) rows in order: product, quantity, origin, the
    /// committing party, its code, contact, issue date.
    pub rows: Vec<(String, String)>,
    /// The commitment's heading and lines.
    pub commitment_heading: String,
    pub commitment: Vec<String>,
    /// Every basis with whether it is the one claimed.
    pub bases: Vec<(String, bool)>,
    /// The QR code's content: the certificate's public page.
    pub url: String,
    /// Printed across the form when the certificate is void.
    pub void_note: Option<String>,
}

fn line_mm(size_pt: f32) -> f32 {
    size_pt * crate::font::MM_PER_PT * 1.5
}

/// Lays one certificate out on a page of `size`.
pub fn certificate_sheet(form: &CertificateForm, size: CertificateSize) -> Result<Sheet, Invalid> {
    let (w, h) = size.mm();
    let (margin, qr, title_pt, text_pt) = size.geometry();
    let mut sheet = Sheet::new(w, h);
    sheet.frame(margin / 2.0, margin / 2.0, w - margin, h - margin, 0.3);
    let title_w = text_width_mm(&form.title, title_pt)?;
    let mut y = margin + line_mm(title_pt);
    sheet.text((w - title_w) / 2.0, y, title_pt, form.title.clone());
    y += line_mm(text_pt) * 0.6;
    let qr_top = y;
    sheet.items.push(crate::sheet::Item::Qr {
        x: w - margin - qr,
        y: qr_top,
        size: qr,
        data: form.url.clone(),
    });
    let step = line_mm(text_pt);
    let mut rows = vec![("编号".to_owned(), form.number.clone())];
    rows.extend(form.rows.iter().cloned());
    for (label, value) in &rows {
        // Beside the QR the column is narrower.
        let right = if y < qr_top + qr {
            w - 2.0 * margin - qr - 1.0
        } else {
            w - 2.0 * margin
        };
        let text = format!("{label}：{value}");
        for line in wrap(&text, text_pt, right, 2)? {
            y += step;
            sheet.text(margin, y, text_pt, line);
        }
    }
    y = y.max(qr_top + qr) + step * 0.3;
    for line in wrap(&form.commitment_heading, text_pt, w - 2.0 * margin, 2)? {
        y += step;
        sheet.text(margin, y, text_pt, line);
    }
    for c in &form.commitment {
        for line in wrap(&format!("■ {c}"), text_pt, w - 2.0 * margin, 2)? {
            y += step;
            sheet.text(margin, y, text_pt, line);
        }
    }
    let bases: Vec<String> = form
        .bases
        .iter()
        .map(|(b, on)| format!("{} {b}", if *on { "■" } else { "□" }))
        .collect();
    for line in wrap(
        &format!("承诺依据：{}", bases.join("  ")),
        text_pt,
        w - 2.0 * margin,
        3,
    )? {
        y += step;
        sheet.text(margin, y, text_pt, line);
    }
    if let Some(note) = &form.void_note {
        let big = title_pt * 1.6;
        let nw = text_width_mm(note, big)?;
        sheet.text((w - nw) / 2.0, h / 2.0, big, note.clone());
    }
    if y > h - margin / 2.0 {
        return Err(Invalid::new(
            "certificate_overflow",
            format!("the certificate does not fit on {}; print it on A5", size.name()),
            format!("合格证内容超出 {} 尺寸，请用 A5 打印", size.name()),
        ));
    }
    Ok(sheet)
}

/// Certificates as one PDF, one per page.
pub fn certificates_pdf(forms: &[CertificateForm], size: CertificateSize) -> Result<Vec<u8>, Invalid> {
    let sheets = forms
        .iter()
        .map(|f| certificate_sheet(f, size))
        .collect::<Result<Vec<_>, _>>()?;
    render_sheets(&sheets)
}

/// Certificates as a printer file for the roll printers: one sticker each,
/// `format` TSPL or ZPL, at `dpi` 203 or 300. Only the sticker sizes
/// (`certificate_size` for A5); `label_format`, `label_dpi` otherwise.
pub fn certificates_printer(
    forms: &[CertificateForm],
    size: CertificateSize,
    format: Format,
    dpi: u32,
) -> Result<Vec<u8>, Invalid> {
    if format == Format::Pdf {
        return Err(Invalid::new(
            "label_format",
            "a printer file is tspl or zpl",
            "打印机指令文件须为 tspl 或 zpl",
        ));
    }
    if size == CertificateSize::A5 {
        return Err(Invalid::new(
            "certificate_size",
            "printer files are made for the 100x70 and 80x60 stickers; print a5 as a PDF",
            "打印机指令文件仅支持 100x70 和 80x60 贴纸，A5 请用 PDF 打印",
        ));
    }
    if dpi != 203 && dpi != 300 {
        return Err(Invalid::new(
            "label_dpi",
            "printer resolution must be 203 or 300 dpi",
            "打印机分辨率须为 203 或 300 dpi",
        ));
    }
    let sheets = forms
        .iter()
        .map(|f| certificate_sheet(f, size))
        .collect::<Result<Vec<_>, _>>()?;
    crate::sheet_printer::render(&sheets, format, dpi)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    pub(crate) fn form() -> CertificateForm {
        CertificateForm {
            title: "承诺达标合格证".into(),
            number: "HG20261207-4K9Q2M7XRT".into(),
            rows: vec![
                ("产品名称".into(), "赣南脐橙".into()),
                ("数量（重量）".into(), "500 千克".into()),
                ("产地".into(), "江西省赣州市信丰县安西镇".into()),
                ("生产者".into(), "信丰县绿源果业专业合作社".into()),
                ("统一社会信用代码".into(), "93360722MA35XXXXXX".into()),
                ("联系方式".into(), "0797-1234567".into()),
                ("开具日期".into(), "2026-12-07".into()),
            ],
            commitment_heading: "我承诺对生产销售的食用农产品：".into(),
            commitment: vec![
                "不使用禁用农药兽药、停用兽药和非法添加物".into(),
                "常规农药兽药残留不超标".into(),
                "对承诺的真实性负责".into(),
            ],
            bases: vec![
                ("质量安全控制符合要求".into(), false),
                ("自行检测合格".into(), false),
                ("委托检测合格".into(), true),
            ],
            url: "http://127.0.0.1:8080/c/HG20261207-4K9Q2M7XRT".into(),
            void_note: None,
        }
    }

    #[test]
    fn every_size_fits_and_renders() {
        for size in CertificateSize::ALL {
            let pdf = certificates_pdf(&[form()], size).unwrap();
            assert!(pdf.starts_with(b"%PDF-"), "{}", size.name());
            assert_eq!(size.name().parse::<CertificateSize>().ok(), Some(size));
        }
        assert_eq!(
            "a4".parse::<CertificateSize>().unwrap_err().code,
            "certificate_size"
        );
    }
}
