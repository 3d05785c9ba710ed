//! The demo's quality management: the packing house issues a 承诺达标合格证
//! for the truck it sent to the supermarket (一车一证, resting on the
//! testing lab's passing test of the harvested lot), the supermarket
//! records it as received; the cooperative runs a recall drill of the
//! harvested lot; and the packing house recalls one crushed box, which the
//! supermarket acknowledges and accounts for. The cooperative's GAP
//! certificate, granted after its product was set up, is added to it.

use anyhow::Result;
use suyuan_core::model::CertificationKind;
use suyuan_core::quality::recall::{Accounted, PlanText};
use suyuan_store::products::Certification;
use suyuan_store::quality::certificates::NewCertificate;
use suyuan_store::quality::recalls::NewRecall;
use suyuan_store::{Caller, Store};

/// What the demo's quality records left to look at.
pub struct QualityDemo {
    pub certificate: String,
    /// The recalled box's Digital Link path.
    pub recalled_path: String,
}

/// The parties and units of the demo chain this part works on.
pub struct Chain<'a> {
    pub coop: &'a Caller,
    pub pack: &'a Caller,
    pub mart: &'a Caller,
    pub harvested_lot: &'a str,
    pub box_item: &'a str,
    pub despatch: &'a str,
    /// The cooperative's product.
    pub product: uuid::Uuid,
}

pub async fn quality(store: &Store, c: Chain<'_>) -> Result<QualityDemo> {
    // A certification granted after the product was set up: a logged row state.
    let gap = Certification {
        kind: CertificationKind::Gap,
        number: "GAP-510117-2026-0088".into(),
        issuer: Some("中国质量认证中心".into()),
        valid_from: "2026-03-01".into(),
        valid_until: "2029-02-28".into(),
    };
    store.add_certification(c.coop, c.product, &gap).await?;
    let cert = store
        .issue_certificate(
            c.pack,
            &NewCertificate {
                subject: c.despatch.to_owned(),
                quantity: 12.0,
                unit: "box".into(),
                basis: "commissioned_test".into(),
            },
        )
        .await?;
    store
        .receive_certificate(c.mart, &cert.number, c.despatch)
        .await?;
    // The yearly drill: how fast is everything accounted for?
    store
        .start_recall(
            c.coop,
            &NewRecall {
                start: c.harvested_lot.to_owned(),
                test_event: None,
                level: "1".into(),
                reason: "年度召回演练：假设该批次农残超标".into(),
                drill: true,
                plan: PlanText::default(),
            },
        )
        .await?;
    let started = store
        .start_recall(
            c.pack,
            &NewRecall {
                start: c.box_item.to_owned(),
                test_event: None,
                level: "3".into(),
                reason: "包装盒破损，可能受污染".into(),
                drill: false,
                plan: PlanText {
                    notice: Some("门店公告及本平台消费者页面".into()),
                    disposal: Some("门店下架后退回包装厂销毁，费用由包装厂承担".into()),
                    ..PlanText::default()
                },
            },
        )
        .await?;
    let recalled_box = [c.box_item.to_owned()];
    for (action, accounted, units) in [
        ("acknowledged", Accounted::default(), &[][..]),
        (
            "accounted",
            Accounted {
                returned: 1.0,
                ..Accounted::default()
            },
            &recalled_box[..],
        ),
    ] {
        store
            .recall_act(c.mart, started.id, action, &accounted, Some("已下架"), units)
            .await?;
    }
    Ok(QualityDemo {
        certificate: cert.number,
        recalled_path: c
            .box_item
            .strip_prefix(suyuan_store::trace::CANONICAL_DOMAIN)
            .unwrap_or(c.box_item)
            .to_owned(),
    })
}
