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
