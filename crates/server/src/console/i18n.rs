//! The console's language and every fixed text of its pages, in one table
//! ([`T`]). Vocabularies (stages, record kinds, CBV words, field names)
//! carry their own names in `suyuan_core`; this table holds only the
//! console's own words.
//!
//! The language is `?lang=zh|en` when given (and then remembered in the
//! [`super::LANG_COOKIE`] cookie), else the cookie, else Chinese: a clerk's
//! console does not follow the browser's language, since the people who
//! share one office computer read Chinese.

use axum::http::request::Parts;

pub(crate) use crate::public::Lang;

/// `zh` or `en` from a query string's `lang` parameter.
pub(crate) fn lang_param(query: &str) -> Option<Lang> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| match v.as_ref() {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        })
}

/// The language of a console request.
pub(crate) fn language(parts: &Parts) -> Lang {
    if let Some(l) = parts.uri.query().and_then(lang_param) {
        return l;
    }
    match crate::extract::cookie(&parts.headers, super::LANG_COOKIE) {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    }
}

macro_rules! texts {
    ($($k:ident => $zh:literal, $en:literal;)+) => {
        /// Every fixed text of the console, in Chinese and English.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum T { $($k),+ }
        impl T {
            #[cfg(test)]
            pub(crate) const ALL: &'static [T] = &[$(T::$k),+];
            pub(crate) fn get(self, lang: Lang) -> &'static str {
                match self { $(T::$k => lang.pick($zh, $en)),+ }
            }
        }
    };
}

texts! {
    Console => "溯源 · 企业控制台", "Suyuan · console";
    SignIn => "登录", "Sign in";
    SignOut => "退出", "Sign out";
    Username => "用户名", "Username";
    Password => "密码", "Password";
    Dashboard => "首页", "Dashboard";
    Records => "记录", "Records";
    Lots => "批次", "Lots";
    Receiving => "收货", "Receiving";
    Search => "查询", "Search";
    SearchPlaceholder => "追溯码（任意格式）", "A trace code (any form)";
    Code => "错误代码", "Error code";
    NotFound => "未找到", "Not found";
    Refused => "操作未完成", "Not done";
    RecentRecords => "最近记录", "Recent records";
    NoneYet => "暂无。", "None yet.";
    OpenShipments => "待收货的发运", "Shipments on their way to you";
    LotsWarnings => "需要关注的批次", "Lots needing attention";
    CodesIssued => "已发放追溯码", "Item codes issued";
    CodesScanned => "被扫码的追溯码", "Codes scanned";
    Scans => "扫码次数", "Scans";
    Time => "时间", "Time";
    Place => "场所", "Place";
    Status => "状态", "Status";
    Reason => "原因", "Reason";
    From => "发货方", "From";
    Units => "货品", "Units";
    Despatch => "发货单号", "Despatch advice";
    ReceiveAt => "收货场所", "Receive at";
    ReceiveOne => "一键收货", "Receive";
    NewRecord => "新增记录", "New record";
    Required => "必填", "required";
    Optional => "选填", "optional";
    ChooseOne => "— 请选择 —", "— choose —";
    EventTime => "发生时间", "When";
    Lot => "批次", "Lot";
    OrCode => "或输入追溯码（托盘、箱、单品）", "or a code (pallet, case, item)";
    QuantityKg => "数量（千克）", "Quantity (kg)";
    Partner => "目的方", "Destination";
    InputLots => "投入品批次", "Input lot";
    InputLotsOf => "产出批次", "Output lot";
    ChildLot => "装入的批次", "Lot packed";
    ParentCode => "托盘或箱码（SSCC）", "Pallet or case code (SSCC)";
    TestItemsHelp => "每行一项：项目 | 结果 | 限量 | 合格或不合格", "One item a line: item | result | limit | pass or fail";
    Pass => "合格", "pass";
    Fail => "不合格", "fail";
    Preview => "预览", "Preview";
    PreviewTitle => "请核对后签名保存", "Check, then sign and store";
    Confirm => "签名并保存", "Sign and store";
    Edit => "返回修改", "Edit";
    Stored => "已签名保存", "Signed and stored";
    FixBelow => "记录未保存，请按提示修改：", "The record was not stored; see below:";
    Record => "记录", "Record";
    Correct => "声明此记录有误（更正）", "Declare this record wrong (correction)";
    CorrectReason => "更正原因", "Reason";
    DidNotOccur => "未发生", "did not occur";
    IncorrectData => "数据有误", "incorrect data";
    Corrected => "已更正", "corrected";
    Declared => "已声明有误", "declared wrong";
    AllocateLot => "分配新批次", "Allocate a lot";
    Product => "产品", "Product";
    Date => "日期", "Date";
    Site => "场所代码（两位）", "Site code (two characters)";
    OriginPlace => "来源地块", "Origin plot";
    Allocate => "分配", "Allocate";
    IssueItems => "发放单品追溯码", "Issue item codes";
    Count => "数量", "Count";
    Issue => "发放", "Issue";
    Issued => "已发放追溯码", "Codes issued";
    Labels => "打印标签", "Print labels";
    DigitalLink => "数字链接", "Digital Link";
    ElementString => "GS1 元素串", "GS1 element string";
    FlatCode => "追溯码", "Trace code";
    TraceBack => "向上追溯（来源）", "Trace back (where from)";
    TraceForward => "向下追踪（去向）", "Trace forward (where to)";
    Depth => "追溯深度", "Depth reached";
    Gaps => "缺口（来源未记录）", "Gaps (origin unrecorded)";
    Timeline => "全程记录", "Timeline";
    NoSuchCode => "平台上没有您可查看的这个追溯码。", "No unit of yours has this code.";
    Organisation => "机构", "Organisation";
    Pending => "待审核：可以查看，暂不能记录", "pending: you may look, not record yet";
    Suspended => "已暂停：不能修改记录", "suspended: you may not change records";
    Switch => "English", "中文";
    Kind => "类型", "Kind";
    MasterData => "基础信息", "Master data";
    Region => "行政区划", "Region";
    Address => "地址", "Address";
    Contact => "联系人", "Contact";
    Duties => "职责", "Duties";
    Person => "负责人", "Person";
    Phone => "电话", "Phone";
    Users => "用户", "Users";
    DisplayName => "姓名", "Name";
    Role => "角色", "Role";
    ChangeRole => "修改角色", "Change role";
    Disable => "停用", "Disable";
    Disabled => "已停用", "disabled";
    NewUser => "新增用户", "New user";
    Create => "创建", "Create";
    ApiKeys => "API 密钥", "API keys";
    KeyOnce => "新密钥只显示这一次，请妥善保存：", "The new key is shown this once; keep it safe:";
    Revoke => "吊销", "Revoke";
    Revoked => "已吊销", "revoked";
    Name => "名称", "Name";
    Prefix => "前缀", "Prefix";
    Complaints => "投诉", "Complaints";
    ComplaintInbox => "消费者投诉", "Consumers' complaints";
    Reference => "投诉编号", "Reference";
    Category => "类别", "Category";
    Filed => "提交时间", "Filed";
    AcknowledgeBy => "受理时限", "Acknowledge by";
    Overdue => "逾期未受理", "overdue";
    OverdueNote => "以下投诉未在 3 个工作日内受理，已提示监管部门：", "Not acknowledged within 3 working days; flagged to the regulator:";
    Description => "描述", "Description";
    Photos => "照片", "Photos";
    History => "处理记录", "History";
    Reply => "回复消费者", "Reply to the consumer";
    ChangeStatus => "更新状态", "Update the status";
    ReadOnly => "只读：监管部门查看，不代企业答复", "Read only: officers see complaints, they do not answer for the enterprise";
    ReviewQueue => "注册审核", "Registration review";
    PendingOrgs => "待审核的注册", "Registrations waiting for review";
    SuspendedOrgs => "已暂停的机构", "Suspended organisations";
    VerifyOrg => "核验通过", "Verify";
    SuspendOrg => "暂停", "Suspend";
    RestoreOrg => "恢复", "Restore";
    Unlock => "解除锁定", "Unlock";
    ResetPassword => "发放重置密码链接", "Issue a password reset";
    ResetOnce => "请将此一次性链接交给用户本人，由其自行设置新密码（只显示这一次，24 小时内有效）：", "Give this one-time link to the user, who sets the new password (shown this once, valid 24 hours):";
    ValidUntil => "有效期至", "Valid until";
    LockedUntil => "锁定至", "locked until";
    Health => "平台状态", "Platform health";
    Jurisdiction => "辖区监管", "Jurisdiction";
    Enterprises => "辖区企业", "Enterprises";
    LastRecorded => "最近记录时间", "Last recorded";
    Silent => "30 天未记录", "silent for 30 days";
    NeverRecorded => "从未记录", "never recorded";
    FlaggedLots => "不合格或召回的批次", "Lots not conformant or recalled";
    RecordsCheck => "记录抽查", "Records sampling check";
    PeriodFrom => "期间开始", "From";
    PeriodTo => "期间结束", "To";
    SampleSize => "抽取条数", "Records to draw";
    Drawn => "条抽取", "drawn";
    Failed => "条不符", "failed";
    Inspection => "记录巡查", "Record an inspection";
    Findings => "检查发现", "Findings";
    Conclusion => "结论", "Conclusion";
    Satisfactory => "合格", "satisfactory";
    Rectify => "责令整改", "rectification required";
    Samples => "收到的样品", "Samples received";
    SampleId => "样品编号", "Sample number";
    SampledBy => "抽样方", "Sampled by";
    Tested => "已检测", "Tested";
    Results => "录入检测结果", "Enter the results for";
    TestItems => "检测项目", "Test items";
    TestItemsLines => "每行一项：项目 | 结果 | 限量 | 标准，如 吡虫啉 | 0.9 mg/kg | 0.2 mg/kg | GB 2763-2021；判定与结论自动计算", "One item a line: item | result | limit | standard, e.g. imidacloprid | 0.9 mg/kg | 0.2 mg/kg | GB 2763-2021; verdicts and the conclusion are computed";
    SignReport => "签名并保存检测报告", "Sign and store the report";
    SamplingTask => "下达抽检任务", "Assign a sampling task";
    Agency => "检测机构", "Testing agency";
    RescueNote => "平台可为任何机构的用户解除锁定或签发一次性密码重置（密码由用户本人设置）；每次操作均记录在案，并显示给该机构管理员", "The platform may unlock any organisation's user or issue a one-time password reset (the user sets the password); each is logged and shown to the organisation's admin";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_has_both_languages() {
        for t in T::ALL {
            assert!(
                !t.get(Lang::Zh).is_empty() && !t.get(Lang::En).is_empty(),
                "{t:?}"
            );
        }
    }

    #[test]
    fn the_parameter_chooses() {
        assert_eq!(lang_param("a=1&lang=en"), Some(Lang::En));
        assert_eq!(lang_param("lang=zh"), Some(Lang::Zh));
        assert_eq!(lang_param("lang=fr"), None);
    }
}
