//! Labels the tests print: items and a lot of the platform's layout, built
//! from `suyuan_core` codes as the server builds them.

use suyuan_core::codes::trace::{BatchId, Serial, TraceUnit};
use suyuan_core::codes::Gtin;
use suyuan_labels::certificate::CertificateForm;
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

/// The public page of the certificate the tests print.
pub const CERTIFICATE_URL: &str = "https://trace.example.cn/c/HG20261207-4K9Q2M7XRT";

/// A 承诺达标合格证 with long names (the most a sticker must hold), void
/// when `void`.
#[allow(dead_code)] // not every test binary prints certificates
pub fn certificate(void: bool) -> CertificateForm {
    CertificateForm {
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
        url: CERTIFICATE_URL.into(),
        void_note: void.then(|| "已作废 VOID".into()),
    }
}
