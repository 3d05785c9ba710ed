//! A testing agency's results (R-5.3.3.1): each test item's result against
//! its limit and the standard both come from (e.g. a GB 2763 maximum
//! residue limit), the item's verdict and the report's conclusion computed,
//! never typed. A line of the console's form reads
//! `item | result | limit | standard`, the result and the limit as a
//! number and a unit (`0.9 mg/kg`).

use serde_json::{json, Value};

use crate::Invalid;

/// One test item with its verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct TestItem {
    pub item: String,
    pub result: String,
    pub limit: String,
    pub standard: String,
    pub pass: bool,
}

impl TestItem {
    /// The item as the `testing` record's `agri:testItems` holds it (the
    /// standard as its `method`).
    pub fn to_json(&self) -> Value {
        json!({"item": self.item, "result": self.result, "limit": self.limit,
               "method": self.standard, "pass": self.pass})
    }
}

/// The number and the unit of `3.5 mg/kg`.
fn amount(s: &str) -> Option<(f64, String)> {
    let s = s.trim();
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
        .unwrap_or(s.len());
    let n: f64 = s[..end].trim().parse().ok()?;
    n.is_finite().then(|| (n, s[end..].trim().to_owned()))
}

fn bad_line(n: usize, en: &str, zh: &str) -> Invalid {
    Invalid::new(
        "test_item_line",
        format!("line {n}: {en}; a line is: item | result | limit | standard"),
        format!("第 {n} 行：{zh}；每行格式为：项目 | 结果 | 限量 | 标准"),
    )
}

/// Reads the form's lines; an item passes when its result is at most its
/// limit (in the same unit).
pub fn parse_items(text: &str) -> Result<Vec<TestItem>, Invalid> {
    let mut items = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let n = i + 1;
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let [item, result, limit, standard] = parts[..] else {
            return Err(bad_line(n, "four parts separated by |", "应为以 | 分隔的四部分"));
        };
        if item.is_empty() || standard.is_empty() {
            return Err(bad_line(
                n,
                "the item and its standard are required",
                "须写明项目及其标准",
            ));
        }
        let (Some((r, ru)), Some((l, lu))) = (amount(result), amount(limit)) else {
            return Err(bad_line(
                n,
                "the result and the limit are numbers with a unit",
                "结果和限量应为带单位的数值",
            ));
        };
        if ru != lu {
            return Err(bad_line(
                n,
                "the result and the limit are in the same unit",
                "结果与限量的单位应一致",
            ));
        }
        items.push(TestItem {
            item: item.to_owned(),
            result: result.to_owned(),
            limit: limit.to_owned(),
            standard: standard.to_owned(),
            pass: r <= l,
        });
    }
    if items.is_empty() {
        return Err(Invalid::new(
            "test_items_empty",
            "enter at least one test item",
            "请至少填写一个检测项目",
        ));
    }
    Ok(items)
}

/// The report's conclusion: `pass` when every item passed, else `fail`.
pub fn conclusion(items: &[TestItem]) -> &'static str {
    if items.iter().all(|i| i.pass) {
        "pass"
    } else {
        "fail"
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_and_conclusion_are_computed() {
        let items = parse_items(
            "毒死蜱 | 0.01 mg/kg | 0.02 mg/kg | GB 2763-2021\n\n吡虫啉 | 0.9 mg/kg | 0.2 mg/kg | GB 2763-2021",
        )
        .unwrap();
        assert!(items[0].pass && !items[1].pass);
        assert_eq!(conclusion(&items), "fail");
        assert_eq!(conclusion(&items[..1]), "pass");
        assert_eq!(
            parse_items("x | 1 mg/kg | 2 g/kg | GB").unwrap_err().code,
            "test_item_line"
        );
        assert_eq!(parse_items("x | 1 | 2").unwrap_err().code, "test_item_line");
        assert_eq!(parse_items(" ").unwrap_err().code, "test_items_empty");
    }
}
