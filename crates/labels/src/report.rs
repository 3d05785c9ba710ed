//! A testing agency's test report (检验检测报告), printed on A4: the
//! report's particulars beside a QR code of its public verification page,
//! one line per test item (item, result, limit, standard, verdict), the
//! conclusion, and who signed it with which key. What it says comes from
//! the stored report (`suyuan_store::test_reports`); this module only
//! places it, with the label font, on as many pages as the items need.
//!
//! ```text
//! ┌──────────────────────────────────────┐
//! │ 检验检测报告 Test report              │
//! │ 报告编号 …                  ┌──────┐ │
//! │ 检测机构 …                  │  QR  │ │  QR: the report's public page
//! │ …                           └──────┘ │
//! │ 检测项目  结果  限量  标准  判定      │
//! │ …                                    │
//! │ 检验结论：不合格                      │
//! │ 签名 …                                │
//! └──────────────────────────────────────┘
//! ```

use suyuan_core::Invalid;

use crate::sheet::{render_sheets, Flow};

/// A4, mm.
const PAGE: (f32, f32) = (210.0, 297.0);
const MARGIN: f32 = 15.0;
const QR_MM: f32 = 34.0;

/// What one report prints.
#[derive(Debug, Clone)]
pub struct ReportForm {
    pub title: String,
    /// (label, value) rows beside the QR code: number, agency, lot, sample…
    pub rows: Vec<(String, String)>,
    /// The items table's headings.
    pub headings: [String; 5],
    /// One row per item: item, result, limit, standard, verdict.
    pub items: Vec<[String; 5]>,
    /// The conclusion line (`检验结论：不合格`).
    pub conclusion: String,
    /// Lines under the conclusion: the signature and how to check it.
    pub notes: Vec<String>,
    /// The QR code's content: the report's public page.
    pub url: String,
}

/// Column offsets and widths of the items table, mm from the left margin.
const COLUMNS: [(f32, f32); 5] = [
    (0.0, 44.0),
    (45.0, 30.0),
    (76.0, 30.0),
    (107.0, 50.0),
    (158.0, 22.0),
];

/// The report as a PDF of one or more A4 pages.
pub fn report_pdf(form: &ReportForm) -> Result<Vec<u8>, Invalid> {
    let mut f = Flow::new(PAGE.0, PAGE.1, MARGIN);
    f.para(18.0, 0.0, &form.title)?;
    f.gap(2.0);
    f.qr_right(QR_MM, &form.url);
    // The rows beside the QR code stop short of it; at least enough of
    // them (blank ones if need be) to clear it.
    let beside = PAGE.0 - 2.0 * MARGIN - QR_MM - 4.0;
    let row_mm = 10.5 * crate::font::MM_PER_PT * 1.45;
    let needed = (QR_MM / row_mm).ceil() as usize;
    for i in 0..form.rows.len().max(needed) {
        let cells = match form.rows.get(i) {
            Some((label, value)) => vec![(0.0, 28.0, label.clone()), (29.0, beside - 29.0, value.clone())],
            None => vec![(0.0, 1.0, String::new())],
        };
        f.row(10.5, &cells)?;
    }
    f.gap(2.0);
    f.rule();
    let heading: Vec<(f32, f32, String)> = COLUMNS
        .iter()
        .zip(&form.headings)
        .map(|((x, w), h)| (*x, *w, h.clone()))
        .collect();
    f.row(10.0, &heading)?;
    f.rule();
    for item in &form.items {
        let cells: Vec<(f32, f32, String)> = COLUMNS
            .iter()
            .zip(item)
            .map(|((x, w), t)| (*x, *w, t.clone()))
            .collect();
        f.row(10.0, &cells)?;
    }
    f.rule();
    f.gap(2.0);
    f.para(14.0, 0.0, &form.conclusion)?;
    f.gap(3.0);
    for note in &form.notes {
        f.para(9.0, 0.0, note)?;
    }
    render_sheets(&f.finish())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn form(items: usize) -> ReportForm {
        ReportForm {
            title: "检验检测报告 Test report".into(),
            rows: vec![
                ("报告编号".into(), "0190f5b2-0000-7000-8000-000000000001".into()),
                ("检测机构".into(), "四川农检检测技术有限公司".into()),
                ("批次".into(), "https://id.gs1.org/01/06901234567892/10/L1".into()),
            ],
            headings: ["检测项目", "结果", "限量", "标准", "判定"].map(String::from),
            items: (0..items)
                .map(|i| {
                    [
                        format!("吡虫啉 {i}"),
                        "0.9 mg/kg".into(),
                        "0.2 mg/kg".into(),
                        "GB 2763-2021".into(),
                        "不合格".into(),
                    ]
                })
                .collect(),
            conclusion: "检验结论：不合格".into(),
            notes: vec!["本报告由检测机构以其机构密钥签名。".into()],
            url: "http://127.0.0.1:8080/r/0190f5b2-0000-7000-8000-000000000001".into(),
        }
    }

    #[test]
    fn a_report_renders_on_one_page_or_more() {
        let one = report_pdf(&form(2)).unwrap();
        assert!(one.starts_with(b"%PDF-"));
        let long = report_pdf(&form(120)).unwrap();
        // Page objects (not the page tree, `/Type /Pages`).
        let pages = |pdf: &[u8]| {
            pdf.windows(12)
                .filter(|w| w.starts_with(b"/Type /Page") && w[11] != b's')
                .count()
        };
        assert_eq!(pages(&one), 1);
        assert!(pages(&long) > 1, "{}", pages(&long));
    }
}
