//! Labels the tests print: items and a lot of the platform's layout, built
//! from `suyuan_core` codes as the server builds them.

use suyuan_core::codes::trace::{BatchId, Serial, TraceUnit};
use suyuan_core::codes::Gtin;
use suyuan_labels::{Label, LabelDate};

pub const PUBLIC_URL: &str = "https://trace.example.cn";

pub fn dates() -> Vec<LabelDate> {
    vec![
        LabelDate {
            name: "生产日期".into(),
            value: "2024-06-15".into(),
        },
        LabelDate {
            name: "保质期至".into(),
            value: "2024-07-15".into(),
        },
        LabelDate {
            name: "赋码日期".into(),
            value: "2024-06-16".into(),
        },
    ]
}

/// `n` items of one lot (random serials) and the lot itself last.
pub fn labels(n: usize) -> Vec<Label> {
    let gtin = Gtin::parse("06901234567892").expect("gtin");
    let batch = BatchId::parse("20240615A107").expect("batch");
    let mut out: Vec<Label> = suyuan_core::codes::trace::random_serials(n)
        .iter()
        .map(|s: &Serial| {
            let unit = TraceUnit::our_item(gtin.clone(), &batch, s);
            Label::for_unit(&unit, PUBLIC_URL, "赣南脐橙（特级）", dates()).expect("label")
        })
        .collect();
    let lot = TraceUnit::our_lot(gtin, &batch);
    out.push(Label::for_unit(&lot, PUBLIC_URL, "赣南脐橙", dates()).expect("lot label"));
    out
}
