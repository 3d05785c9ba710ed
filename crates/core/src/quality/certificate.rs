//! The 承诺达标合格证 (commitment certificate of conformity): its template
//! and the rules for issuing one, in one place so that the printed form can
//! follow the official annex of 农产品质量安全承诺达标合格证管理办法
//! (农业农村部令 2025 年第 4 号) line by line.
//!
//! Two styles: a **producer** (种植养殖生产者) commits that it used no
//! prohibited pesticides, veterinary drugs or other compounds and that
//! residues of permitted ones are within limits; a **buyer** (收购者: a
//! processor, distributor or retailer selling what it bought) commits that
//! it collected and keeps the certificates of the lots it bought and used
//! no preservatives or additives unlawfully. Testing agencies, regulators
//! and the platform operator issue none.
//!
//! The basis (承诺依据) must be what the trace shows: `self_test` needs a
//! passing test recorded by the issuer itself, `commissioned_test` one
//! recorded by another organisation (a testing agency); a failed test makes
//! the lot non-conformant, and a non-conformant lot gets no certificate.

use crate::model::{CertificateBasis, OrgKind, QuantityUnit};
use crate::Invalid;

/// The certificate's title.
pub const TITLE_ZH: &str = "承诺达标合格证";
pub const TITLE_EN: &str = "Certificate of Commitment to Conformity";

/// Who commits: the style of the commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    Producer,
    Buyer,
}

impl Style {
    pub fn as_str(self) -> &'static str {
        match self {
            Style::Producer => "producer",
            Style::Buyer => "buyer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Style::Producer, Style::Buyer]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    /// The style an organisation of this kind issues, or why it issues none.
    pub fn of(kind: OrgKind) -> Result<Style, Invalid> {
        match kind {
            OrgKind::Producer => Ok(Style::Producer),
            OrgKind::Processor | OrgKind::Logistics | OrgKind::Retailer => Ok(Style::Buyer),
            _ => Err(Invalid::new(
                "certificate_issuer",
                "only producers and the businesses that buy and sell their products issue 承诺达标合格证",
                "只有生产主体和收购销售农产品的经营主体可开具承诺达标合格证",
            )),
        }
    }

    /// The committing party's title on the form.
    pub fn party(self) -> (&'static str, &'static str) {
        match self {
            Style::Producer => ("生产者", "Producer"),
            Style::Buyer => ("收购者", "Buyer"),
        }
    }

    /// The commitment, line by line (Chinese, English).
    pub fn commitment(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Style::Producer => &[
                (
                    "不使用禁用农药兽药、停用兽药和非法添加物",
                    "No prohibited pesticides, veterinary drugs or illegal additives were used",
                ),
                (
                    "常规农药兽药残留不超标",
                    "Residues of permitted pesticides and veterinary drugs are within limits",
                ),
                ("对承诺的真实性负责", "We answer for the truth of this commitment"),
            ],
            Style::Buyer => &[
                (
                    "已收取并留存所收购农产品的承诺达标合格证",
                    "The certificates of the products bought were collected and are kept",
                ),
                (
                    "未违法使用保鲜剂、防腐剂、添加剂等",
                    "No preservatives or additives were used unlawfully",
                ),
                ("对承诺的真实性负责", "We answer for the truth of this commitment"),
            ],
        }
    }
}

/// A test of the certified lot the trace holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOnRecord {
    pub event_id: String,
    /// Recorded by the issuing organisation itself.
    pub by_issuer: bool,
    pub passed: bool,
}

/// The test a basis rests on: `None` for `control`; for a test basis the
/// latest passing test of the right kind, or why there is none.
pub fn supporting_test(basis: CertificateBasis, tests: &[TestOnRecord]) -> Result<Option<String>, Invalid> {
    let own = match basis {
        CertificateBasis::Control => return Ok(None),
        CertificateBasis::SelfTest => true,
        CertificateBasis::CommissionedTest => false,
    };
    let of_kind: Vec<&TestOnRecord> = tests.iter().filter(|t| t.by_issuer == own).collect();
    if let Some(t) = of_kind.iter().rev().find(|t| t.passed) {
        return Ok(Some(t.event_id.clone()));
    }
    let (en_kind, zh_kind) = if own {
        ("a test recorded by your organisation", "本单位记录的自行检测")
    } else {
        ("a test recorded by a testing agency", "检测机构记录的委托检测")
    };
    if of_kind.is_empty() {
        Err(Invalid::new(
            "basis_without_test",
            format!(
                "the basis '{}' needs {en_kind} of this lot, and the trace has none",
                basis.as_str()
            ),
            format!(
                "承诺依据“{}”需要该批次的{zh_kind}记录，追溯记录中没有",
                basis.zh()
            ),
        ))
    } else {
        Err(Invalid::new(
            "basis_test_failed",
            format!(
                "the basis '{}' needs {en_kind} that passed; this lot's did not",
                basis.as_str()
            ),
            format!("承诺依据“{}”需要检测合格，该批次的检测不合格", basis.zh()),
        ))
    }
}

/// The most a certificate's quantity may be.
pub const QUANTITY_MAX: f64 = 1.0e9;

/// A certificate's quantity: a finite number above zero, at most
/// [`QUANTITY_MAX`], with its unit.
pub fn quantity(value: f64, unit: &str) -> Result<(f64, QuantityUnit), Invalid> {
    if !value.is_finite() || value <= 0.0 || value > QUANTITY_MAX {
        return Err(Invalid::new(
            "quantity_range",
            format!("the quantity must be a number above 0 and at most {QUANTITY_MAX}"),
            format!("数量应为大于 0 且不超过 {QUANTITY_MAX} 的数值"),
        ));
    }
    Ok((value, QuantityUnit::parse(unit)?))
}

/// The same quantity in kilograms, when its unit is a mass.
pub fn in_kg(value: f64, unit: QuantityUnit) -> Option<f64> {
    match unit {
        QuantityUnit::Kg => Some(value),
        QuantityUnit::Jin => Some(value * 0.5),
        QuantityUnit::T => Some(value * 1000.0),
        QuantityUnit::G => Some(value / 1000.0),
        _ => None,
    }
}

/// The kilograms a UN/CEFACT unit code (`uom` of an EPCIS quantity) stands
/// for, when it is a mass.
pub fn uom_kg(uom: &str) -> Option<f64> {
    match uom {
        "KGM" => Some(1.0),
        "TNE" => Some(1000.0),
        "GRM" => Some(0.001),
        _ => None,
    }
}

/// A voiding reason: 2 to 500 characters.
pub fn void_reason(reason: &str) -> Result<String, Invalid> {
    let r = reason.trim();
    let n = r.chars().count();
    if !(2..=500).contains(&n) {
        return Err(Invalid::new(
            "reason_length",
            "give a reason of 2 to 500 characters",
            "请填写 2 至 500 字的原因",
        ));
    }
    Ok(r.to_owned())
}

/// A certificate number: `HG` + issue date (YYYYMMDD) + ten characters of
/// Crockford base32 from `random`, e.g. `HG20261207-4K9Q2M7XRT`.
pub fn number(date_yyyymmdd: &str, random: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut tail = String::with_capacity(10);
    let mut r = random;
    for _ in 0..10 {
        tail.push(ALPHABET[(r & 31) as usize] as char);
        r >>= 5;
    }
    format!("HG{date_yyyymmdd}-{tail}")
}

/// Whether text has the form of a certificate number.
pub fn is_number(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 21
        && s.starts_with("HG")
        && b[2..10].iter().all(u8::is_ascii_digit)
        && b[10] == b'-'
        && b[11..]
            .iter()
            .all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !b"ILOU".contains(c)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t(id: &str, own: bool, passed: bool) -> TestOnRecord {
        TestOnRecord {
            event_id: id.into(),
            by_issuer: own,
            passed,
        }
    }

    #[test]
    fn a_test_basis_needs_a_passing_test_of_its_kind() {
        let tests = [t("a", true, false), t("b", false, true)];
        assert_eq!(supporting_test(CertificateBasis::Control, &tests), Ok(None));
        assert_eq!(
            supporting_test(CertificateBasis::CommissionedTest, &tests),
            Ok(Some("b".into()))
        );
        assert_eq!(
            supporting_test(CertificateBasis::SelfTest, &tests)
                .unwrap_err()
                .code,
            "basis_test_failed"
        );
        assert_eq!(
            supporting_test(CertificateBasis::SelfTest, &[]).unwrap_err().code,
            "basis_without_test"
        );
        let later = [t("a", true, false), t("c", true, true)];
        assert_eq!(
            supporting_test(CertificateBasis::SelfTest, &later),
            Ok(Some("c".into()))
        );
    }

    #[test]
    fn styles_follow_the_kind_of_organisation() {
        assert_eq!(Style::of(OrgKind::Producer), Ok(Style::Producer));
        assert_eq!(Style::of(OrgKind::Retailer), Ok(Style::Buyer));
        assert_eq!(
            Style::of(OrgKind::Regulator).unwrap_err().code,
            "certificate_issuer"
        );
        assert_eq!(
            Style::of(OrgKind::TestingAgency).unwrap_err().code,
            "certificate_issuer"
        );
    }

    #[test]
    fn quantities_and_numbers() {
        assert!(quantity(0.0, "kg").is_err());
        assert!(quantity(f64::NAN, "kg").is_err());
        assert_eq!(quantity(2.0, "parsec").unwrap_err().code, "quantity_unit_unknown");
        assert_eq!(in_kg(10.0, QuantityUnit::Jin), Some(5.0));
        let n = number("20261207", 0x1234_5678_9abc);
        assert!(is_number(&n), "{n}");
        assert!(!is_number("HG20261207-0000000000I"));
        assert!(!is_number("XX20261207-0000000000"));
    }
}
