//! Renders every size to PDF (A4 sheets also from a used sheet's first free
//! position), rasterises each page at 300 dpi with
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

/// Renders `labels` at `size` from position `skip` of the first sheet and
/// decodes every label where its position puts it.
fn check_size(size: Size, labels: &[Label], skip: usize) {
    let dir = scratch(&format!("{}-{skip}", size.name()));
    let pdf = dir.join("labels.pdf");
    let opts = Options {
        skip,
        ..Options::new(size, Format::Pdf)
    };
    std::fs::write(&pdf, render(labels, opts).expect("renders")).expect("write");
    let (w, h) = size.label_mm();
    let (cols, rows) = size.grid();
    let per_page = cols * rows;
    for (i, label) in labels.iter().enumerate() {
        let at = i + skip;
        let page = at / per_page + 1;
        let slot = at % per_page;
        // The grid centred on the page (a roll's page is its label).
        let (x, y) = if size.is_roll() {
            (0.0, 0.0)
        } else {
            (
                (210.0 - cols as f32 * w) / 2.0 + (slot % cols) as f32 * w,
                (297.0 - rows as f32 * h) / 2.0 + (slot / cols) as f32 * h,
            )
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
        check_size(size, &common::labels(2), 0);
    }
    // Three A4 pages: twenty items and the lot (enough labels to be drawn
    // on several threads).
    check_size(Size::A4, &common::labels(20), 0);
    // The 24- and 40-up sheets, each from a used sheet's first free
    // position, running over onto a second sheet.
    check_size(Size::A4x3x8, &common::labels(5), 21);
    check_size(Size::A4x4x10, &common::labels(5), 37);
    // A 2x5 sheet from its last position.
    check_size(Size::A4, &common::labels(2), 9);
}

/// A 承诺达标合格证 in every printed size: the QR code decodes to the
/// certificate's public page, whatever the size (and when void too).
#[test]
fn every_certificate_size_decodes_to_its_page() {
    use suyuan_labels::certificate::{certificates_pdf, CertificateSize};
    if tool_missing("pdftoppm") || tool_missing("ZXingReader") {
        return;
    }
    let (url, form) = (common::CERTIFICATE_URL, common::certificate);
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
