//! Renders every size to PDF, rasterises each page at 300 dpi with
//! `pdftoppm` (poppler-utils) and decodes every symbol with `ZXingReader`
//! (zxing-cpp-tools), a decoder independent of the encoders: each QR must
//! hold the label's Digital Link, each DataMatrix and GS1-128 its element
//! string.
//!
//! Without the tools the test fails when `CI=true` and is skipped (with a
//! message) elsewhere.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use suyuan_labels::{render, Format, Label, Options, Size};

fn tool_missing(name: &str) -> bool {
    let found = Command::new(name).arg("-v").output().is_ok();
    if !found {
        let msg = format!(
            "{name} is not installed (Debian: poppler-utils for pdftoppm, zxing-cpp-tools for ZXingReader); \
             the label decoding test cannot run"
        );
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
        eprintln!("SKIPPED: {msg}");
    }
    !found
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("suyuan-labels-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Rasterises page `page` (1-based) of `pdf`, cropped to the label whose
/// top-left corner is at (`x`, `y`) mm and `w` x `h` mm in size.
fn rasterise(pdf: &Path, page: usize, (x, y, w, h): (f32, f32, f32, f32), out: &Path) {
    let px = |mm: f32| ((mm / 25.4) * 300.0).round() as i64;
    let status = Command::new("pdftoppm")
        .args(["-r", "300", "-png", "-singlefile", "-gray"])
        .args(["-f", &page.to_string(), "-l", &page.to_string()])
        .args(["-x", &px(x).to_string(), "-y", &px(y).to_string()])
        .args(["-W", &px(w).to_string(), "-H", &px(h).to_string()])
        .arg(pdf)
        .arg(out.with_extension(""))
        .status()
        .expect("pdftoppm runs");
    assert!(status.success(), "pdftoppm failed on {}", pdf.display());
}

/// What ZXingReader reads of `format` in `png`, one text per symbol, with
/// non-graphical characters (GS) escaped as `<GS>`.
fn decode(png: &Path, format: &str) -> Vec<String> {
    let out = Command::new("ZXingReader")
        .args(["-format", format, "-1", "-escape"])
        .arg(png)
        .output()
        .expect("ZXingReader runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        // `<file> <format> "<text>"`, or `<file> None`.
        .filter_map(|l| {
            let (start, end) = (l.find('"')?, l.rfind('"')?);
            (end > start).then(|| l[start + 1..end].to_owned())
        })
        .collect()
}

/// The element string as ZXingReader shows GS1 data.
fn scanned(label: &Label) -> Vec<String> {
    vec![label.element_data.replace('\u{1d}', "<GS>")]
}

fn check_size(size: Size, labels: &[Label]) {
    let dir = scratch(size.name());
    let pdf = dir.join("labels.pdf");
    std::fs::write(
        &pdf,
        render(labels, Options::new(size, Format::Pdf)).expect("renders"),
    )
    .expect("write");
    let (w, h) = size.label_mm();
    let per_page = if size == Size::A4 { 10 } else { 1 };
    for (i, label) in labels.iter().enumerate() {
        let page = i / per_page + 1;
        let slot = i % per_page;
        let (x, y) = if size == Size::A4 {
            (
                (210.0 - 2.0 * w) / 2.0 + (slot % 2) as f32 * w,
                (297.0 - 5.0 * h) / 2.0 + (slot / 2) as f32 * h,
            )
        } else {
            (0.0, 0.0)
        };
        let png = dir.join(format!("label-{i}.png"));
        rasterise(&pdf, page, (x, y, w, h), &png);
        assert_eq!(
            decode(&png, "QRCode"),
            vec![label.digital_link.clone()],
            "{size} label {i}: QR"
        );
        assert_eq!(
            decode(&png, "DataMatrix"),
            scanned(label),
            "{size} label {i}: DataMatrix"
        );
        if size.has_gs1_128() {
            assert_eq!(
                decode(&png, "Code128"),
                scanned(label),
                "{size} label {i}: GS1-128"
            );
        }
    }
    // SUYUAN_KEEP_LABELS=1 keeps the PDFs and PNGs to look at.
    if std::env::var_os("SUYUAN_KEEP_LABELS").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        eprintln!("kept {}", dir.display());
    }
}

#[test]
fn every_symbol_of_every_size_decodes_to_the_issued_codes() {
    if tool_missing("pdftoppm") || tool_missing("ZXingReader") {
        return;
    }
    for size in [Size::Roll40x30, Size::Roll50x30, Size::Roll60x40] {
        check_size(size, &common::labels(2));
    }
    // Three A4 pages: twenty items and the lot (enough labels to be drawn
    // on several threads).
    check_size(Size::A4, &common::labels(20));
}

/// A 承诺达标合格证 in every printed size: the QR code decodes to the
/// certificate's public page, whatever the size (and when void too).
#[test]
fn every_certificate_size_decodes_to_its_page() {
    use suyuan_labels::certificate::{certificates_pdf, CertificateForm, CertificateSize};
    if tool_missing("pdftoppm") || tool_missing("ZXingReader") {
        return;
    }
    let url = "https://trace.example.cn/c/HG20261207-4K9Q2M7XRT";
    let form = |void: bool| CertificateForm {
        title: "承诺达标合格证".into(),
        number: "HG20261207-4K9Q2M7XRT".into(),
        rows: vec![
            ("产品名称".into(), "赣南脐橙（特级果，单果 80–85 mm）".into()),
            ("数量（重量）".into(), "500 千克".into()),
            ("产地".into(), "江西省赣州市信丰县安西镇大塘村三组".into()),
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
            ("自行检测合格".into(), true),
            ("委托检测合格".into(), false),
        ],
        url: url.into(),
        void_note: void.then(|| "已作废 VOID".into()),
    };
    for size in CertificateSize::ALL {
        let dir = scratch(&format!("cert-{}", size.name()));
        let pdf = dir.join("certificate.pdf");
        let bytes = certificates_pdf(&[form(false), form(true)], size).expect("renders");
        std::fs::write(&pdf, bytes).expect("written");
        let (w, h) = size.mm();
        for page in [1, 2] {
            let png = dir.join(format!("page{page}.png"));
            rasterise(&pdf, page, (0.0, 0.0, w, h), &png);
            assert_eq!(
                decode(&png, "QRCode"),
                vec![url.to_owned()],
                "{} page {page}",
                size.name()
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
