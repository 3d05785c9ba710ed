//! TSPL and ZPL files checked against the commands' grammar: every line (or
//! ZPL command) is one the module emits, with well-formed arguments, inside
//! the label; and the symbols carry the label's data: the QR its Digital
//! Link, the DataMatrix FNC1 + its element string (FNC1 for each GS).

mod common;

use proptest::prelude::*;
use suyuan_core::codes::{Ai, ElementString, Gtin};
use suyuan_labels::{render, Format, Label, LabelDate, Options, Size};

/// What a printer file says about one label.
#[derive(Debug, Default, PartialEq)]
struct Printed {
    qr: String,
    datamatrix: String,
    bitmaps: usize,
    /// Rules and box edges (certificates).
    bars: usize,
}

fn nums(args: &str, n: usize) -> Vec<u32> {
    let v: Vec<u32> = args
        .split(',')
        .take(n)
        .map(|a| {
            a.trim()
                .parse()
                .unwrap_or_else(|_| panic!("not a number in {args:?}"))
        })
        .collect();
    assert_eq!(v.len(), n, "{args:?}");
    v
}

/// A TSPL quoted string at the end of `args`, unescaped.
fn tspl_string(args: &str) -> String {
    let start = args.find('"').expect("quoted data");
    assert!(
        args.ends_with('"') && args.len() > start + 1,
        "unterminated string in {args:?}"
    );
    let inner = &args[start + 1..args.len() - 1];
    assert!(
        !inner.replace("\\[\"]", "").contains('"'),
        "bare quote in {inner:?}"
    );
    inner.replace("\\[\"]", "\"")
}

/// Parses a TSPL file for stock of `(w, h)` mm; panics on anything outside
/// the grammar.
fn parse_tspl(bytes: &[u8], (w, h): (f32, f32), dpi: u32) -> Vec<Printed> {
    let (wd, hd) = ((w / 25.4 * dpi as f32) as u32, (h / 25.4 * dpi as f32) as u32);
    let mut out = Vec::new();
    let mut cur: Option<Printed> = None;
    let mut rest = bytes;
    let mut header = vec!["SIZE", "GAP", "DIRECTION", "REFERENCE", "DENSITY", "SPEED"];
    while !rest.is_empty() {
        let end = rest
            .windows(2)
            .position(|p| p == b"\r\n")
            .expect("every line ends in CRLF");
        let head_len = rest[..end].iter().position(|&b| b == b' ').unwrap_or(end);
        let cmd = std::str::from_utf8(&rest[..head_len]).expect("command name");
        if cmd == "BITMAP" {
            // BITMAP x,y,width_bytes,height,mode,<binary>
            let mut commas = 0;
            let data_at = rest.iter().position(|&b| {
                commas += usize::from(b == b',');
                commas == 5
            });
            let data_at = data_at.expect("five commas") + 1;
            let args = std::str::from_utf8(&rest[head_len + 1..data_at - 1]).expect("ascii");
            let v = nums(args, 5);
            assert_eq!(v[4], 0, "mode OVERWRITE");
            assert!(
                v[0] + v[2] * 8 <= wd + 8 && v[1] + v[3] <= hd,
                "bitmap inside the label: {v:?}"
            );
            let len = (v[2] * v[3]) as usize;
            assert_eq!(
                &rest[data_at + len..data_at + len + 2],
                b"\r\n",
                "bitmap data length"
            );
            cur.as_mut().expect("inside a label").bitmaps += 1;
            rest = &rest[data_at + len + 2..];
            continue;
        }
        let line = std::str::from_utf8(&rest[..end]).expect("text line");
        let args = line[head_len..].trim();
        rest = &rest[end + 2..];
        if !header.is_empty() {
            assert_eq!(cmd, header.remove(0), "header order");
            match cmd {
                "SIZE" => assert_eq!(args, format!("{w} mm,{h} mm")),
                "GAP" => assert_eq!(args, "2 mm,0 mm"),
                "DIRECTION" => assert_eq!(args, "1,0"),
                "REFERENCE" => assert_eq!(args, "0,0"),
                _ => assert!(nums(args, 1)[0] <= 15),
            }
            continue;
        }
        match cmd {
            "CLS" => {
                assert!(args.is_empty() && cur.is_none(), "CLS starts a label");
                cur = Some(Printed::default());
            }
            "QRCODE" => {
                let v = nums(args, 2);
                let parts: Vec<&str> = args.splitn(7, ',').collect();
                assert_eq!(&parts[2..6], &["M", parts[3], "A", "0"], "{args}");
                let cell: u32 = parts[3].parse().expect("cell width");
                assert!((1..=10).contains(&cell) && v[0] < wd && v[1] < hd);
                cur.as_mut().expect("in label").qr = tspl_string(parts[6]);
            }
            "DMATRIX" => {
                let v = nums(args, 4);
                let parts: Vec<&str> = args.splitn(9, ',').collect();
                assert_eq!(parts[4], "c126", "~ is the escape character");
                let cell: u32 = parts[5].strip_prefix('x').expect("x#").parse().expect("module");
                let rows: u32 = parts[6].strip_prefix('r').expect("r#").parse().expect("rows");
                let cols: u32 = parts[7].strip_prefix('a').expect("a#").parse().expect("cols");
                assert_eq!((v[2], v[3]), (cell * cols, cell * rows));
                assert!(
                    v[0] + v[2] <= wd && v[1] + v[3] <= hd,
                    "DataMatrix inside the label"
                );
                let data = tspl_string(parts[8]);
                let data = data.strip_prefix("~1").expect("FNC1 first (GS1)");
                cur.as_mut().expect("in label").datamatrix = data.replace("~1", "\u{1d}");
            }
            "BAR" => {
                // BAR x,y,width,height: a filled rectangle inside the label.
                let v = nums(args, 4);
                assert!(v[2] >= 1 && v[3] >= 1, "{args}");
                assert!(v[0] + v[2] <= wd && v[1] + v[3] <= hd, "bar inside: {args}");
                cur.as_mut().expect("in label").bars += 1;
            }
            "PRINT" => {
                assert_eq!(args, "1,1");
                out.push(cur.take().expect("PRINT ends a label"));
            }
            other => panic!("unknown TSPL command {other:?} in {line:?}"),
        }
    }
    assert!(cur.is_none(), "a label without PRINT");
    out
}

/// ZPL `^FH\` field data unescaped.
fn zpl_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            let hex: String = it.by_ref().take(2).collect();
            out.push(char::from(u8::from_str_radix(&hex, 16).expect("hex escape")));
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses a ZPL file for stock of `(w, h)` mm; panics on anything outside
/// the grammar.
fn parse_zpl(bytes: &[u8], (w, h): (f32, f32), dpi: u32) -> Vec<Printed> {
    let text = std::str::from_utf8(bytes).expect("ZPL is text");
    let (wd, hd) = (
        (w / 25.4 * dpi as f32).round() as u32,
        (h / 25.4 * dpi as f32).round() as u32,
    );
    let mut out = Vec::new();
    for block in text.split_terminator("^XZ\n") {
        let mut p = Printed::default();
        let cmds: Vec<&str> = block
            .split('^')
            .skip(1)
            .map(|c| c.trim_end_matches('\n'))
            .collect();
        assert_eq!(
            &cmds[..5],
            &["XA", "CI28", &format!("PW{wd}"), &format!("LL{hd}"), "LH0,0"]
        );
        assert_eq!(cmds.last(), Some(&"PQ1"));
        let mut i = 5;
        while i < cmds.len() - 1 {
            let fo = cmds[i].strip_prefix("FO").expect("a field starts with ^FO");
            let v = nums(fo, 2);
            assert!(v[0] < wd && v[1] < hd, "field origin inside the label");
            let field = cmds[i + 1];
            if let Some(a) = field.strip_prefix("BQN,2,") {
                assert!((1..=10).contains(&a.parse::<u32>().expect("magnification")));
                assert_eq!(cmds[i + 2], "FH\\");
                let data = cmds[i + 3]
                    .strip_prefix("FDMA,")
                    .expect("QR data, EC M, automatic");
                p.qr = zpl_unescape(data);
                assert_eq!(cmds[i + 4], "FS");
                i += 5;
            } else if let Some(a) = field.strip_prefix("BXN,") {
                let parts: Vec<&str> = a.split(',').collect();
                // h,s,c,r,f,g: module height, quality 200, columns, rows,
                // (format: unused at 200), escape character.
                assert_eq!(parts.len(), 6, "{a}");
                assert_eq!((parts[1], parts[4], parts[5]), ("200", "", "\\"));
                let data = cmds[i + 2].strip_prefix("FD\\1").expect("FNC1 first (GS1)");
                p.datamatrix = data.replace("\\1", "\u{1d}");
                assert_eq!(cmds[i + 3], "FS");
                i += 4;
            } else if let Some(a) = field.strip_prefix("GFA,") {
                let parts: Vec<&str> = a.split(',').collect();
                let v = nums(a, 3);
                assert_eq!(v[0], v[1]);
                assert_eq!(v[0] % v[2], 0, "whole rows");
                assert_eq!(parts[3].len(), 2 * v[0] as usize, "hex data length");
                assert!(parts[3]
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
                assert_eq!(cmds[i + 2], "FS");
                p.bitmaps += 1;
                i += 3;
            } else if let Some(a) = field.strip_prefix("GB") {
                // ^GBw,h,t: a box, filled when t is its smaller side.
                let g = nums(a, 3);
                assert!(g[2] >= 1 && g[2] <= g[0].min(g[1]), "{a}");
                assert!(v[0] + g[0] <= wd && v[1] + g[1] <= hd, "box inside: {a}");
                assert_eq!(cmds[i + 2], "FS");
                p.bars += 1;
                i += 3;
            } else {
                panic!("unknown ZPL field {field:?}");
            }
        }
        out.push(p);
    }
    out
}

fn expected(labels: &[Label]) -> Vec<(String, String)> {
    labels
        .iter()
        .map(|l| (l.digital_link.clone(), l.element_data.clone()))
        .collect()
}

fn carried(printed: &[Printed]) -> Vec<(String, String)> {
    printed
        .iter()
        .map(|p| (p.qr.clone(), p.datamatrix.clone()))
        .collect()
}

fn check(labels: &[Label], size: Size, dpi: u32) {
    for format in [Format::Tspl, Format::Zpl] {
        let bytes = render(
            labels,
            Options {
                dpi,
                ..Options::new(size, format)
            },
        )
        .expect("renders");
        let printed = match format {
            Format::Tspl => parse_tspl(&bytes, size.label_mm(), dpi),
            _ => parse_zpl(&bytes, size.label_mm(), dpi),
        };
        assert_eq!(carried(&printed), expected(labels), "{format} {size} {dpi} dpi");
        // Name, lot, code lines at least.
        assert!(printed.iter().all(|p| p.bitmaps >= 3), "{format} {size}");
    }
}

#[test]
fn tspl_and_zpl_of_every_roll_size_follow_the_grammar_and_carry_the_codes() {
    let labels = common::labels(3);
    for size in [Size::Roll40x30, Size::Roll50x30, Size::Roll60x40] {
        for dpi in [203, 300] {
            check(&labels, size, dpi);
        }
    }
}

#[test]
fn many_labels_render_in_order_whatever_the_threads() {
    // Enough labels for the work to be shared between threads.
    let labels = common::labels(40);
    for format in [Format::Tspl, Format::Zpl] {
        let opts = Options::new(Size::Roll50x30, format);
        let all = render(&labels, opts).expect("all");
        let printed = match format {
            Format::Tspl => parse_tspl(&all, Size::Roll50x30.label_mm(), 203),
            _ => parse_zpl(&all, Size::Roll50x30.label_mm(), 203),
        };
        assert_eq!(carried(&printed), expected(&labels), "{format}");
    }
    let pdf = render(&labels, Options::new(Size::A4, Format::Pdf)).expect("pdf");
    let text = String::from_utf8_lossy(&pdf);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert_eq!(pages, 5, "41 labels, 10 per sheet");
}

#[test]
fn a_link_too_long_for_a_readable_qr_is_refused_not_shrunk() {
    let mut label = common::labels(1).remove(0);
    label.digital_link = format!("https://{}.example.cn/01/06901234567892", "x".repeat(120));
    for format in [Format::Pdf, Format::Tspl] {
        let small = render(
            std::slice::from_ref(&label),
            Options::new(Size::Roll40x30, format),
        );
        assert_eq!(
            small.expect_err("too long").code,
            "label_data_too_long",
            "{format}"
        );
    }
    // A4 has room for it.
    render(&[label], Options::new(Size::A4, Format::Pdf)).expect("a4");
}

#[test]
fn printer_files_refuse_a4_and_odd_resolutions() {
    let labels = common::labels(1);
    for sheet in [Size::A4, Size::A4x3x8, Size::A4x4x10] {
        let a4 = render(&labels, Options::new(sheet, Format::Tspl)).expect_err("a4 tspl");
        assert_eq!(a4.code, "label_size", "{sheet}");
    }
    let dpi = render(
        &labels,
        Options {
            dpi: 600,
            ..Options::new(Size::Roll40x30, Format::Zpl)
        },
    )
    .expect_err("600 dpi");
    assert_eq!(dpi.code, "label_dpi");
}

#[test]
fn skipping_used_positions_is_for_sheets_and_less_than_a_sheet() {
    let labels = common::labels(1);
    let skip = |size, skip| {
        render(
            &labels,
            Options {
                skip,
                ..Options::new(size, Format::Pdf)
            },
        )
    };
    assert_eq!(skip(Size::Roll50x30, 1).expect_err("roll").code, "label_skip");
    for (size, per_page) in [(Size::A4, 10), (Size::A4x3x8, 24), (Size::A4x4x10, 40)] {
        assert_eq!(size.per_page(), per_page);
        skip(size, per_page - 1).expect("the last position");
        assert_eq!(
            skip(size, per_page).expect_err("a whole sheet").code,
            "label_skip",
            "{size}"
        );
    }
    // 2 labels from the last position of a 10-up sheet: two pages.
    let pdf = skip(Size::A4, 9).expect("pdf");
    let text = String::from_utf8_lossy(&pdf);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert_eq!(pages, 2);
}

/// 承诺达标合格证 stickers on the roll printers: each sticker a label of the
/// grammar, its QR the certificate's page, its text as bitmaps, its frame as
/// bars; A5, PDF as a "printer file" and odd resolutions refused.
#[test]
fn certificates_print_on_roll_printers_in_both_languages_of_command() {
    use suyuan_labels::certificate::{certificates_printer, CertificateSize};
    let forms = [common::certificate(false), common::certificate(true)];
    for size in [CertificateSize::R100x70, CertificateSize::R80x60] {
        for dpi in [203, 300] {
            for format in [Format::Tspl, Format::Zpl] {
                let bytes = certificates_printer(&forms, size, format, dpi).expect("renders");
                let printed = match format {
                    Format::Tspl => parse_tspl(&bytes, size.mm(), dpi),
                    _ => parse_zpl(&bytes, size.mm(), dpi),
                };
                let what = format!("{format} {} {dpi} dpi", size.name());
                assert_eq!(printed.len(), 2, "{what}");
                for p in &printed {
                    assert_eq!(p.qr, common::CERTIFICATE_URL, "{what}");
                    assert!(p.datamatrix.is_empty(), "{what}");
                    assert_eq!(p.bars, 4, "the frame: {what}");
                    // Title, number, seven rows, the commitment, the bases.
                    assert!(p.bitmaps >= 13, "{what}: {} lines", p.bitmaps);
                }
                assert!(printed[1].bitmaps > printed[0].bitmaps, "the void note: {what}");
            }
        }
    }
    let one = &forms[..1];
    let refused = |size, format, dpi| {
        certificates_printer(one, size, format, dpi)
            .expect_err("refused")
            .code
    };
    assert_eq!(
        refused(CertificateSize::A5, Format::Tspl, 203),
        "certificate_size"
    );
    assert_eq!(refused(CertificateSize::R80x60, Format::Pdf, 203), "label_format");
    assert_eq!(refused(CertificateSize::R80x60, Format::Zpl, 600), "label_dpi");
}

/// A label of arbitrary lot and serial (GS1 character set 82) and name.
fn arbitrary_label() -> impl Strategy<Value = Label> {
    let cset82 = "[!\"%&'()*+,./0-9:;<=>?A-Z_a-z-]{1,20}";
    (cset82, cset82, "\\PC{0,30}").prop_map(|(lot, serial, name)| {
        let gtin = Gtin::parse("06901234567892").expect("gtin");
        let mut es = ElementString::new();
        let ai = |c: &str| Ai::from_code(c).expect("known AI");
        es.push(ai("01"), gtin.as_str()).expect("gtin");
        es.push(ai("10"), &lot).expect("lot");
        es.push(ai("21"), &serial).expect("serial");
        let link = suyuan_core::codes::to_digital_link(common::PUBLIC_URL, &es).expect("link");
        Label {
            product_name: name,
            lot,
            dates: vec![LabelDate {
                name: "生产日期".into(),
                value: "2024-06-15".into(),
            }],
            flat_code: "0690123456789220240615A107U".into(),
            digital_link: link,
            element_data: es.to_barcode_data(),
            element_human: es.to_human(),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_cset82_data_and_any_name_print_with_the_same_data(label in arbitrary_label()) {
        check(std::slice::from_ref(&label), Size::Roll60x40, 203);
        // And the PDF renders whatever the name holds.
        render(std::slice::from_ref(&label), Options::new(Size::A4, Format::Pdf)).expect("pdf");
    }
}
