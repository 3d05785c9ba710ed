//! The demo's archives (chapter 4.3 of the standard): the packing house
//! keeps its quality policy (with the text as a PDF), the supermarket as a
//! distributor (its shipments listed with it), a training session on the
//! pre-harvest interval, and an internal audit whose nonconformity was
//! corrected, verified and closed. See `/console/archives` as `pack-admin`.
//! The supermarket keeps a restaurant among its customers, and its sale
//! record of a box to it names it as the buyer ([`mart_customer`]): the
//! sale is listed with the customer (`/console/archives` as `mart-admin`).

use anyhow::Result;
use suyuan_labels::sheet::{render_sheets, Flow};
use suyuan_store::archives::audits::{ChecklistItem, NewAudit, NewNonconformity};
use suyuan_store::archives::customers::NewCustomer;
use suyuan_store::archives::documents::NewDocument;
use suyuan_store::archives::training::NewTraining;
use suyuan_store::archives::{Attach, NewAttachment};
use suyuan_store::{Caller, Store};
use uuid::Uuid;

/// The policy's text, as a one-page PDF.
fn policy_pdf() -> Result<Vec<u8>> {
    let mut f = Flow::new(210.0, 297.0, 20.0);
    let e = |e: suyuan_core::Invalid| anyhow::anyhow!(e.en);
    f.para(16.0, 0.0, "质量安全管理制度").map_err(e)?;
    for line in [
        "一、每批产品采收前核对农药安全间隔期，未满不得采收。",
        "二、每批产品出货前须有合格的检测结果或承诺达标合格证。",
        "三、生产、包装、贮运和销售记录当日录入追溯系统。",
        "四、发现不合格产品立即标识、隔离，按召回程序处理。",
    ] {
        f.para(11.0, 0.0, line).map_err(e)?;
    }
    render_sheets(&f.finish()).map_err(e)
}

/// Records the supermarket's customer, a restaurant it supplies; answers
/// the reference a sale record names it by.
pub async fn mart_customer(store: &Store, mart: &Caller) -> Result<String> {
    let made = store
        .record_customer(
            mart,
            None,
            &NewCustomer {
                kind: "customer".into(),
                name: "蓉城川菜馆".into(),
                contact_name: Some("何师傅".into()),
                contact_phone: Some("028-85551234".into()),
                address: Some("成都市锦江区春熙路 8 号".into()),
                ..NewCustomer::default()
            },
        )
        .await?;
    Ok(suyuan_core::refs::customer_canonical(made.current.stamp.entry_id))
}

/// Records the packing house's archives; `mart` is the supermarket it ships to.
pub async fn archives(store: &Store, pack: &Caller, mart: Uuid) -> Result<()> {
    store
        .record_document(
            pack,
            None,
            &NewDocument {
                kind: "quality_policy".into(),
                title: "质量安全管理制度".into(),
                effective_from: "2026-01-01".into(),
                summary: Some("采收、出货、记录与不合格品处理的基本要求".into()),
                attachment: Attach::New(NewAttachment {
                    file_name: "质量安全管理制度.pdf".into(),
                    bytes: policy_pdf()?,
                }),
            },
        )
        .await?;
    store
        .record_customer(
            pack,
            None,
            &NewCustomer {
                kind: "distributor".into(),
                name: "锦江生鲜超市".into(),
                party_org_id: Some(mart),
                contact_name: Some("陈经理".into()),
                contact_phone: Some("028-86661234".into()),
                ..NewCustomer::default()
            },
        )
        .await?;
    store
        .record_training(
            pack,
            None,
            &NewTraining {
                held_on: "2026-03-02".into(),
                topic: "农药安全间隔期与采收记录".into(),
                content: "安全间隔期的含义、查询登记证、采收前核对、记录当日录入".into(),
                trainer: "质量负责人 刘芳".into(),
                attendees: vec!["张伟".into(), "王秀英".into(), "李强".into()],
                attachment: Attach::Keep,
            },
        )
        .await?;
    let audit = store
        .record_audit(
            pack,
            None,
            &NewAudit {
                audited_on: "2026-04-15".into(),
                scope: "追溯体系运行（一季度）".into(),
                auditor: "内审员 周敏".into(),
                checklist: vec![
                    ChecklistItem {
                        item: "投入品采购与贮存记录完整".into(),
                        result: "conforms".into(),
                        note: None,
                    },
                    ChecklistItem {
                        item: "包装记录当日录入".into(),
                        result: "nonconforms".into(),
                        note: Some("3 月 28 日两批次次日补录".into()),
                    },
                ],
                findings: Some("包装记录存在次日补录".into()),
            },
        )
        .await?;
    let mut nc = NewNonconformity {
        description: "3 月 28 日两批包装记录次日补录".into(),
        cause: "包装线夜班无人负责录入".into(),
        corrective_action: "夜班班长负责当班录入，质量负责人每日核对".into(),
        owner: "夜班班长 李强".into(),
        due_on: "2026-04-30".into(),
        ..NewNonconformity::default()
    };
    let opened = store
        .record_nonconformity(pack, Some(audit.current.stamp.entry_id), None, &nc)
        .await?;
    nc.status = Some("closed".into());
    nc.verification = Some("抽查 4 月 20–29 日全部包装记录，均当班录入".into());
    store
        .record_nonconformity(pack, None, Some(opened.current.stamp.entry_id), &nc)
        .await?;
    Ok(())
}
