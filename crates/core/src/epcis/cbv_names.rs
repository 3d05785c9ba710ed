//! The name people read for every standard CBV 2.0 business step and
//! disposition, in Chinese and English: a plain EPCIS `commissioning` event
//! reads 赋码 / Commissioning, not a URI. One table, used by the console
//! and the consumer page alike; a test checks it names every word of
//! [`Vocabulary::BizStep`] and [`Vocabulary::Disposition`].
//!
//! Our own record kinds keep their names in [`crate::stages::RecordKind`];
//! these names are for events that are not one of them.

use super::vocab::Vocabulary;

/// (CBV word, Chinese, English) of every business step.
const BIZ_STEP_NAMES: &[(&str, &str, &str)] = &[
    ("accepting", "接收", "Accepting"),
    ("arriving", "到达", "Arriving"),
    ("assembling", "组装", "Assembling"),
    ("collecting", "收集", "Collecting"),
    ("commissioning", "赋码", "Commissioning"),
    ("consigning", "托运", "Consigning"),
    (
        "creating_class_instance",
        "创建批次实例",
        "Creating class instance",
    ),
    ("cycle_counting", "循环盘点", "Cycle counting"),
    ("decommissioning", "注销标识", "Decommissioning"),
    ("departing", "离开", "Departing"),
    ("destroying", "销毁", "Destroying"),
    ("disassembling", "拆解", "Disassembling"),
    ("dispensing", "分发", "Dispensing"),
    ("encoding", "编码", "Encoding"),
    ("entering_exiting", "进出", "Entering or exiting"),
    ("holding", "暂扣", "Holding"),
    ("inspecting", "检验", "Inspecting"),
    ("installing", "安装", "Installing"),
    ("killing", "灭活", "Killing"),
    ("loading", "装车", "Loading"),
    ("other", "其他", "Other"),
    ("packing", "包装", "Packing"),
    ("picking", "拣货", "Picking"),
    ("receiving", "收货", "Receiving"),
    ("removing", "移除", "Removing"),
    ("repackaging", "重新包装", "Repackaging"),
    ("repairing", "维修", "Repairing"),
    ("replacing", "更换", "Replacing"),
    ("reserving", "预留", "Reserving"),
    ("retail_selling", "零售", "Retail selling"),
    ("sampling", "抽样", "Sampling"),
    ("sensor_reporting", "传感器上报", "Sensor reporting"),
    ("shipping", "发货", "Shipping"),
    ("staging_outbound", "备货待发", "Staging outbound"),
    ("stock_taking", "盘点", "Stock taking"),
    ("stocking", "上架", "Stocking"),
    ("storing", "入库", "Storing"),
    ("transporting", "运输", "Transporting"),
    ("unloading", "卸货", "Unloading"),
    ("unpacking", "拆包", "Unpacking"),
    ("void_shipping", "取消发货", "Void shipping"),
];

/// (CBV word, Chinese, English) of every disposition.
const DISPOSITION_NAMES: &[(&str, &str, &str)] = &[
    ("active", "已激活", "Active"),
    ("available", "可用", "Available"),
    ("completeness_verified", "完整性已核实", "Completeness verified"),
    ("completeness_inferred", "完整性已推定", "Completeness inferred"),
    ("conformant", "合格", "Conformant"),
    ("container_closed", "容器已封闭", "Container closed"),
    ("container_open", "容器已打开", "Container open"),
    ("damaged", "已损坏", "Damaged"),
    ("destroyed", "已销毁", "Destroyed"),
    ("dispensed", "已分发", "Dispensed"),
    ("disposed", "已处置", "Disposed"),
    ("encoded", "已编码", "Encoded"),
    ("expired", "已过期", "Expired"),
    ("in_progress", "处理中", "In progress"),
    ("in_transit", "运输中", "In transit"),
    ("inactive", "未激活", "Inactive"),
    ("mismatch_instance", "实例不符", "Instance mismatch"),
    ("mismatch_class", "类别不符", "Class mismatch"),
    ("mismatch_quantity", "数量不符", "Quantity mismatch"),
    ("needs_replacement", "需更换", "Needs replacement"),
    ("no_pedigree_match", "谱系不符", "No pedigree match"),
    ("non_conformant", "不合格", "Non-conformant"),
    ("non_sellable_other", "不可销售", "Not sellable"),
    ("partially_dispensed", "部分分发", "Partially dispensed"),
    ("recalled", "已召回", "Recalled"),
    ("reserved", "已预留", "Reserved"),
    ("retail_sold", "已零售", "Sold at retail"),
    ("returned", "已退回", "Returned"),
    ("sellable_accessible", "可售（可取用）", "Sellable, accessible"),
    (
        "sellable_not_accessible",
        "可售（不可取用）",
        "Sellable, not accessible",
    ),
    ("stolen", "被盗", "Stolen"),
    ("unavailable", "不可用", "Unavailable"),
    ("unknown", "未知", "Unknown"),
];

fn lookup(
    table: &'static [(&'static str, &'static str, &'static str)],
    vocabulary: Vocabulary,
    value: &str,
) -> Option<(&'static str, &'static str)> {
    let word = vocabulary.word(value)?;
    table
        .iter()
        .find(|(w, _, _)| *w == word)
        .map(|(_, zh, en)| (*zh, *en))
}

/// The (Chinese, English) name of a business step written in any of its
/// spellings (`shipping`, `urn:epcglobal:cbv:bizstep:shipping`, its Web URI);
/// `None` for a step that is not standard.
pub fn biz_step_name(value: &str) -> Option<(&'static str, &'static str)> {
    lookup(BIZ_STEP_NAMES, Vocabulary::BizStep, value)
}

/// The (Chinese, English) name of a disposition in any of its spellings.
pub fn disposition_name(value: &str) -> Option<(&'static str, &'static str)> {
    lookup(DISPOSITION_NAMES, Vocabulary::Disposition, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_standard_word_has_both_names() {
        for (vocabulary, table) in [
            (Vocabulary::BizStep, BIZ_STEP_NAMES),
            (Vocabulary::Disposition, DISPOSITION_NAMES),
        ] {
            for word in vocabulary.words() {
                let n = table.iter().filter(|(w, _, _)| w == word).count();
                assert_eq!(n, 1, "{vocabulary:?} {word}");
            }
            assert_eq!(table.len(), vocabulary.words().len(), "{vocabulary:?}");
            for (w, zh, en) in table {
                assert!(!zh.is_empty() && !en.is_empty(), "{w}");
            }
        }
    }

    #[test]
    fn any_spelling_is_named() {
        assert_eq!(biz_step_name("commissioning"), Some(("赋码", "Commissioning")));
        assert_eq!(
            biz_step_name("https://ref.gs1.org/cbv/BizStep-shipping"),
            Some(("发货", "Shipping"))
        );
        assert_eq!(
            biz_step_name("urn:epcglobal:cbv:bizstep:receiving").map(|n| n.0),
            Some("收货")
        );
        assert_eq!(disposition_name("in_transit").map(|n| n.0), Some("运输中"));
        assert_eq!(biz_step_name("https://suyuan.dev/ns/agri/bizstep/sowing"), None);
    }
}
