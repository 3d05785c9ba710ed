//! `suyuan demo`: a realistic starting picture in a fresh embedded database —
//! a pepper cooperative in Sichuan with its base, plots, suppliers and input
//! purchases; a packing house; a cold-chain carrier; a supermarket in
//! Chengdu; a testing lab; the county regulator — then serves it.
//!
//! The demo lives in its own folder (`./suyuan-demo`), which it rebuilds on
//! every run; it never touches the data folder of a real deployment.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::json;
use suyuan_core::codes::trace::TraceUnit;
use suyuan_core::codes::{gs1_check_digit, Uscc};
use suyuan_core::model::{
    CertificationKind, Duty, InputKind, OrgKind, PlaceKind, ProducerForm, ProductCategory, Role,
};
use suyuan_core::stages::AGRI_NS;
use suyuan_store::inputs::{NewInput, NewPurchase, NewSupplier};
use suyuan_store::orgs::{DutyAssignment, NewOrganisation, StatusChange};
use suyuan_store::places::{GeoPoint, NewPlace};
use suyuan_store::products::{Certification, NewProduct};
use suyuan_store::trace::capture::{ErrorBehaviour, ORG_URN_PREFIX, PLACE_URN_PREFIX};
use suyuan_store::trace::units::NewLot;
use suyuan_store::users::{hash_password, NewUser};
use suyuan_store::{Backend, Caller, Store};

use crate::config::{DbArgs, ServeArgs, Settings};
use crate::serve::{init_logging, listen_and_serve, open_store};

const DEMO_DIR: &str = "suyuan-demo";
const MARKER: &str = ".suyuan-demo";
/// The password of every demo account (the operator's too, unless
/// SUYUAN_ADMIN_PASSWORD is set).
pub const DEMO_PASSWORD: &str = "Demo-Pass-2026";

/// A credit code with a correct check character for the given first 17.
pub fn uscc_with_check(first17: &str) -> Result<String> {
    let probe = Uscc::parse(&format!("{first17}0")).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(format!("{first17}{}", probe.expected_check()))
}

/// A GTIN-13 with a correct check digit for the given first 12 digits.
pub fn gtin13(first12: &str) -> String {
    format!("{first12}{}", gs1_check_digit(first12))
}

fn reset_demo_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        if !dir.join(MARKER).exists() {
            bail!(
                "{} exists but is not a suyuan demo folder; move it away first",
                dir.display()
            );
        }
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(MARKER), "suyuan demo data; rebuilt by `suyuan demo`\n")?;
    Ok(())
}

pub async fn run(db: &DbArgs, serve: &ServeArgs) -> Result<()> {
    if db.database_url.is_some() {
        bail!("the demo always uses a fresh embedded database; drop --database-url");
    }
    let dir = Path::new(DEMO_DIR);
    reset_demo_dir(dir)?;
    let demo_db = DbArgs {
        data_dir: Some(dir.to_path_buf()),
        database_url: None,
        ..db.clone()
    };
    let settings = Settings::resolve(&demo_db, serve)?;
    debug_assert!(matches!(settings.backend, Backend::Sqlite(_)));
    init_logging(settings.log_json);
    let store = open_store(&settings).await?;
    let password = std::env::var("SUYUAN_ADMIN_PASSWORD").unwrap_or_else(|_| DEMO_PASSWORD.into());
    let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
    store
        .bootstrap(&settings.operator_name, &settings.operator_region, &hash)
        .await?;
    let summary = seed(&store)
        .await
        .map_err(|e| anyhow::anyhow!("building the demo: {e:#}"))?;
    let base = settings.public_url.clone();
    println!("\n  演示数据已生成 / demo chain loaded.");
    println!(
        "  消费者扫码页 / consumer page of a box:  {base}{}",
        summary.item_path
    );
    println!(
        "  采收批次 / harvested lot:              {base}{}",
        summary.lot_path
    );
    println!("  单品追溯码 / item trace code:          {}", summary.item_code);
    println!("  查询框 / query box:                    {base}/trace");
    println!(
        "  农药批次（正向追溯）/ pesticide lot:    {}",
        summary.pesticide_lot
    );
    println!(
        "  承诺达标合格证 / certificate:           {base}/c/{}",
        summary.certificate
    );
    println!(
        "  已召回的一盒 / a recalled box:           {base}{}",
        summary.recalled_path
    );
    println!(
        "  检验检测报告 / lab test report:         {base}/r/{}",
        summary.test_report
    );
    println!("\n  Accounts (password {DEMO_PASSWORD}):");
    for (user, what) in DEMO_USERS {
        println!("    {user:<14} {what}");
    }
    println!("    admin          平台运营方 / platform operator\n");
    listen_and_serve(store, &settings).await
}

const DEMO_USERS: &[(&str, &str)] = &[
    ("coop-admin", "郫都区红油辣椒专业合作社 / pepper cooperative"),
    ("coop-recorder", "合作社记录员 / cooperative recorder"),
    ("pack-admin", "成都蜀鲜农产品包装有限公司 / packing house"),
    ("cold-admin", "川运冷链物流有限公司 / cold-chain carrier"),
    ("mart-admin", "成都惠民超市有限公司 / supermarket"),
    ("lab-admin", "四川农检检测技术有限公司 / testing lab"),
    ("reg-officer", "郫都区农业农村局 / county regulator (officer)"),
];

struct DemoOrg<'a> {
    kind: OrgKind,
    form: Option<ProducerForm>,
    name: &'a str,
    uscc17: &'a str,
    region: &'a str,
    admin: &'a str,
}

/// Registers, verifies and logs in (as a `Caller`) one demo organisation.
async fn org(store: &Store, op: &Caller, hash: &str, d: DemoOrg<'_>) -> Result<Caller, anyhow::Error> {
    let new = NewOrganisation {
        kind: d.kind,
        producer_form: d.form,
        name: d.name.into(),
        uscc: uscc_with_check(d.uscc17)?,
        region: d.region.into(),
        address: Some(format!("{}（演示地址）", d.name)),
        legal_rep_name: "张三".into(),
        legal_rep_id_number: "110105199003071239".into(),
        contact_name: "李四".into(),
        contact_phone: "13800138000".into(),
        contact_email: None,
    };
    let o = store.create_organisation(op, &new).await?;
    store
        .change_organisation_status(op, o.id, StatusChange::Verify, None)
        .await?;
    let admin = NewUser {
        username: d.admin.into(),
        display_name: format!("{}管理员", d.name),
        password: DEMO_PASSWORD.into(),
        role: Role::OrgAdmin,
        jurisdiction: None,
    };
    store.create_user(op, o.id, &admin, hash).await?;
    store
        .caller_for_username(d.admin)
        .await?
        .context("demo user just created")
}

/// What the demo prints for a visitor to open.
pub struct DemoSummary {
    pub item_code: String,
    pub item_path: String,
    pub lot_path: String,
    pub pesticide_lot: String,
    /// The 承诺达标合格证 of the truck to the supermarket.
    pub certificate: String,
    /// A recalled box's page.
    pub recalled_path: String,
    /// The lab's signed test report of the harvested lot (`/r/{id}`).
    pub test_report: uuid::Uuid,
}

/// Builds the demonstration chain through the same store calls the API uses.
pub async fn seed(store: &Store) -> Result<DemoSummary> {
    let op = store.caller_for_username("admin").await?.context("operator")?;
    let hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD)).await??;
    let coop = org(
        store,
        &op,
        &hash,
        DemoOrg {
            kind: OrgKind::Producer,
            form: Some(ProducerForm::Cooperative),
            name: "郫都区红油辣椒专业合作社",
            uscc17: "93510117MA6C12349",
            region: "510117",
            admin: "coop-admin",
        },
    )
    .await?;
    let pack = org(
        store,
        &op,
        &hash,
        DemoOrg {
            kind: OrgKind::Processor,
            form: None,
            name: "成都蜀鲜农产品包装有限公司",
            uscc17: "91510112MA6C56789",
            region: "510112",
            admin: "pack-admin",
        },
    )
    .await?;
    let cold = org(
        store,
        &op,
        &hash,
        DemoOrg {
            kind: OrgKind::Logistics,
            form: None,
            name: "川运冷链物流有限公司",
            uscc17: "91510106MA6C24689",
            region: "510106",
            admin: "cold-admin",
        },
    )
    .await?;
    let mart = org(
        store,
        &op,
        &hash,
        DemoOrg {
            kind: OrgKind::Retailer,
            form: None,
            name: "成都惠民超市有限公司",
            uscc17: "91510104MA6C13579",
            region: "510104",
            admin: "mart-admin",
        },
    )
    .await?;
    let lab = org(
        store,
        &op,
        &hash,
        DemoOrg {
            kind: OrgKind::TestingAgency,
            form: None,
            name: "四川农检检测技术有限公司",
            uscc17: "91510107MA6C97539",
            region: "510107",
            admin: "lab-admin",
        },
    )
    .await?;
    let reg = org(
        store,
        &op,
        &hash,
        DemoOrg {
            kind: OrgKind::Regulator,
            form: None,
            name: "成都市郫都区农业农村局",
            uscc17: "11510117MB1A2B3C9",
            region: "510117",
            admin: "reg-admin",
        },
    )
    .await?;
    let _ = &cold;
    // The regulator's officer oversees the county (created by the
    // regulator's own admin: the operator only onboards first admins).
    store
        .create_user(
            &reg,
            reg.org_id,
            &NewUser {
                username: "reg-officer".into(),
                display_name: "王监管".into(),
                password: DEMO_PASSWORD.into(),
                role: Role::Officer,
                jurisdiction: Some("510117".into()),
            },
            &hash,
        )
        .await?;
    store
        .create_user(
            &coop,
            coop.org_id,
            &NewUser {
                username: "coop-recorder".into(),
                display_name: "赵记录".into(),
                password: DEMO_PASSWORD.into(),
                role: Role::Recorder,
                jurisdiction: None,
            },
            &hash,
        )
        .await?;
    for (duty, person) in [
        (Duty::Recording, "赵记录"),
        (Duty::Verification, "钱质检"),
        (Duty::Reporting, "孙上报"),
        (Duty::SystemMaintenance, "周运维"),
    ] {
        store
            .set_duty(
                &coop,
                duty,
                &DutyAssignment {
                    person_name: person.into(),
                    phone: Some("028-87654321".into()),
                },
            )
            .await?;
    }

    // The cooperative's base, plots and warehouse.
    let base_fill = |p: &mut NewPlace| {
        p.region = Some("510117".into());
        p.address = Some("四川省成都市郫都区唐昌镇".into());
        p.location = Some(GeoPoint {
            latitude: 30.8736,
            longitude: 103.8241,
        });
        p.area_m2 = Some(200_000.0);
    };
    let base_name = "唐昌镇辣椒种植基地";
    let base = store
        .create_place(
            &coop,
            &place(PlaceKind::ProductionBase, base_name, None, base_fill),
        )
        .await?;
    // Its address made precise: an edit, logged as its second version.
    let precise = place(PlaceKind::ProductionBase, base_name, None, |p| {
        base_fill(p);
        p.address = Some("四川省成都市郫都区唐昌镇战旗村".into());
    });
    store.edit_place(&coop, base.id, &precise, None).await?;
    let mut plots = Vec::new();
    for (name, lat) in [("一号地块", 30.8741), ("二号地块", 30.8752)] {
        let plot = store
            .create_place(
                &coop,
                &place(PlaceKind::Plot, name, Some(base.id), |p| {
                    p.location = Some(GeoPoint {
                        latitude: lat,
                        longitude: 103.8250,
                    });
                    p.area_m2 = Some(20_000.0);
                    p.crops = vec!["二荆条辣椒".into()];
                    p.soil_type = Some("水稻土（潮土）".into());
                    p.water_source = Some("都江堰灌区徐堰河".into());
                    p.irrigation = Some("沟灌 + 滴灌".into());
                    p.environment_tests = vec![
                        "川农检(2026)土字第0412号".into(),
                        "川农检(2026)水字第0413号".into(),
                    ];
                }),
            )
            .await?;
        plots.push(plot);
    }
    let store_room = store
        .create_place(
            &coop,
            &place(PlaceKind::Warehouse, "合作社农资仓库", None, |p| {
                p.temperature_controlled = Some(false);
            }),
        )
        .await?;
    // The packing house has a GS1 company prefix and its packing hall a
    // GLN: its cold-room logger gets a GIAI, attached there by an EPCIS
    // AssociationEvent.
    let packer_prefix = crate::demo_devices::verified_prefix(store, &op, &pack, "6971234").await?;
    let packing_house = store
        .create_place(
            &pack,
            &place(PlaceKind::PackingHouse, "蜀鲜包装车间", None, |p| {
                p.gln = Some(gtin13(&format!("{packer_prefix}00001")));
                p.region = Some("510112".into());
                p.temperature_controlled = Some(true);
                p.temperature_min = Some(2.0);
                p.temperature_max = Some(8.0);
            }),
        )
        .await?;
    store
        .create_place(
            &cold,
            &place(PlaceKind::Vehicle, "冷藏车 川A·D1234", None, |p| {
                p.plate_number = Some("川A·D1234".into());
                p.temperature_controlled = Some(true);
                p.temperature_min = Some(2.0);
                p.temperature_max = Some(8.0);
            }),
        )
        .await?;
    let shop = store
        .create_place(
            &mart,
            &place(PlaceKind::Store, "惠民超市春熙路店", None, |p| {
                p.region = Some("510104".into());
                p.address = Some("四川省成都市锦江区春熙路".into());
            }),
        )
        .await?;

    // Products.
    let peppers = store
        .create_product(
            &coop,
            &NewProduct {
                gtin: gtin13("952012345678"),
                company_prefix: None,
                name: "郫县二荆条鲜辣椒".into(),
                category: ProductCategory::Vegetable,
                variety: Some("二荆条".into()),
                specification: Some("散装".into()),
                unit: "KGM".into(),
                shelf_life_days: Some(10),
                origin_region: Some("510117".into()),
                origin: Some("四川省成都市郫都区唐昌镇".into()),
                description: Some("合作社基地种植的二荆条辣椒，皮薄肉厚，香辣适中。".into()),
                certifications: vec![Certification {
                    kind: CertificationKind::GreenFood,
                    number: "LB-15-24050612345A".into(),
                    issuer: Some("中国绿色食品发展中心".into()),
                    valid_from: "2024-05-01".into(),
                    valid_until: "2027-04-30".into(),
                }],
            },
        )
        .await?;
    let boxed = store
        .create_product(
            &pack,
            &NewProduct {
                gtin: gtin13("952012345679"),
                company_prefix: None,
                name: "二荆条辣椒 500 克装".into(),
                category: ProductCategory::Vegetable,
                variety: Some("二荆条".into()),
                specification: Some("500 g/盒".into()),
                unit: "盒".into(),
                shelf_life_days: Some(7),
                origin_region: Some("510117".into()),
                origin: Some("四川省成都市郫都区".into()),
                description: None,
                certifications: vec![],
            },
        )
        .await?;

    // Suppliers, inputs, purchases.
    let supplier = store
        .create_supplier(
            &coop,
            &NewSupplier {
                name: "郫都区丰收农资经营部".into(),
                uscc: Some(uscc_with_check("92510117MA6C00019")?),
                contact_name: Some("吴老板".into()),
                contact_phone: Some("13900139000".into()),
                address: Some("郫都区唐昌镇农资市场".into()),
                licence_number: Some("农药经营许可证 川农药经(2024)0117号".into()),
            },
        )
        .await?;
    let inputs = [
        (InputKind::Seed, "二荆条辣椒种子", None, None, "袋", "S2026-031"),
        (
            InputKind::Fertiliser,
            "腐熟有机肥",
            None,
            None,
            "KGM",
            "F2026-118",
        ),
        (
            InputKind::Pesticide,
            "吡虫啉可湿性粉剂",
            Some("PD20080005"),
            Some(7),
            "袋",
            "P2026-045",
        ),
    ];
    let mut input_lots = Vec::new();
    for (kind, name, reg_no, phi, unit, lot) in inputs {
        let input = store
            .create_input(
                &coop,
                &NewInput {
                    kind,
                    name: name.into(),
                    manufacturer: Some("四川示例农业科技有限公司".into()),
                    registration_number: reg_no.map(Into::into),
                    active_ingredient: (kind == InputKind::Pesticide).then(|| "吡虫啉 10%".into()),
                    pre_harvest_interval_days: phi,
                    specification: None,
                    unit: unit.into(),
                },
            )
            .await?;
        let purchase = store
            .create_purchase(
                &coop,
                &NewPurchase {
                    input_id: input.id,
                    supplier_id: supplier.id,
                    lot_number: lot.into(),
                    quantity: 20.0,
                    unit: unit.into(),
                    purchased_on: "2026-03-02".into(),
                    storage_place_id: Some(store_room.id),
                    storage_conditions: Some("阴凉干燥，农药单独上锁存放".into()),
                },
            )
            .await?;
        input_lots.push((suyuan_core::refs::input_lot_canonical(purchase.id), name));
    }

    // A season on plot 1, then the chain to the supermarket shelf.
    let plot = format!("{PLACE_URN_PREFIX}{}", plots[0].id);
    let (seed_lot, fert_lot, pest_lot) = (&input_lots[0], &input_lots[1], &input_lots[2]);
    let harvest_lot = store
        .create_lot(
            &coop,
            &NewLot {
                product_id: peppers.id,
                date: "2026-05-20".into(),
                site: "A1".into(),
                origin_place_id: Some(plots[0].id),
            },
        )
        .await?;
    let l1 = harvest_lot.epc.clone();
    let field = |step: &str| format!("https://suyuan.dev/ns/agri/bizstep/{step}");
    let coop_events = vec![
        record(
            "sowing",
            "2026-03-05T08:30:00+08:00",
            "ObjectEvent",
            &field("sowing"),
            json!({
            "action": "OBSERVE", "epcList": [], "bizLocation": {"id": plot},
            "agri:variety": "二荆条", "agri:inputLot": seed_lot.0, "agri:inputName": seed_lot.1,
            "agri:operator": "赵记录"}),
        ),
        record(
            "fertilising",
            "2026-03-20T09:00:00+08:00",
            "ObjectEvent",
            &field("fertilising"),
            json!({
            "action": "OBSERVE", "epcList": [], "bizLocation": {"id": plot},
            "agri:inputLot": fert_lot.0, "agri:inputName": fert_lot.1, "agri:dose": "每亩 200 千克",
            "agri:method": "沟施", "agri:operator": "赵记录"}),
        ),
        record(
            "irrigation",
            "2026-04-10T07:00:00+08:00",
            "ObjectEvent",
            &field("irrigation"),
            json!({
            "action": "OBSERVE", "epcList": [], "bizLocation": {"id": plot},
            "agri:waterSource": "都江堰灌区徐堰河", "agri:volume": "每亩 30 立方米", "agri:operator": "赵记录"}),
        ),
        record(
            "pest_control",
            "2026-05-01T16:00:00+08:00",
            "ObjectEvent",
            &field("pest_control"),
            json!({
            "action": "OBSERVE", "epcList": [], "bizLocation": {"id": plot},
            "agri:inputLot": pest_lot.0, "agri:inputName": pest_lot.1, "agri:registrationNumber": "PD20080005",
            "agri:dose": "每亩 20 克", "agri:method": "叶面喷雾", "agri:target": "蚜虫",
            "agri:preHarvestIntervalDays": 7, "agri:operator": "赵记录"}),
        ),
        record(
            "harvest",
            "2026-05-20T06:30:00+08:00",
            "ObjectEvent",
            "commissioning",
            json!({
            "action": "ADD", "epcList": [], "bizLocation": {"id": plot}, "disposition": "active",
            "quantityList": [{"epcClass": l1, "quantity": 1200, "uom": "KGM"}],
            "agri:harvestMethod": "人工采摘", "agri:operator": "赵记录"}),
        ),
    ];
    capture_all(store, &coop, coop_events).await?;
    // The cooperative has a sample of L1 taken for the lab (委托检测): only
    // then may the lab record its test on the lot.
    let sample = record(
        "sampling",
        "2026-05-20T15:00:00+08:00",
        "ObjectEvent",
        "sampling",
        json!({
        "action": "OBSERVE", "quantityList": [{"epcClass": l1, "quantity": 2, "uom": "KGM"}],
        "agri:sampleId": "CNJ-2026-05-0217",
        "destinationList": [{"type": "owning_party", "destination": org_urn(&lab)}]}),
    );
    capture_all(store, &coop, vec![sample]).await?;
    let test = record(
        "testing",
        "2026-05-21T10:00:00+08:00",
        "ObjectEvent",
        "inspecting",
        json!({
        "action": "OBSERVE", "quantityList": [{"epcClass": l1}],
        "agri:sampleId": "CNJ-2026-05-0217", "agri:agency": "四川农检检测技术有限公司",
        "agri:testItems": [
            {"item": "吡虫啉", "method": "GB 23200.113-2018", "result": "0.02 mg/kg", "limit": "0.2 mg/kg", "pass": true},
            {"item": "铅", "method": "GB 5009.12-2023", "result": "0.03 mg/kg", "limit": "0.1 mg/kg", "pass": true}],
        "agri:conclusion": "pass"}),
    );
    capture_all(store, &lab, vec![test]).await?;
    // The lab's signed report of it, printed with a QR code to `/r/{id}`.
    let test_report = store
        .entrusted_samples(&lab)
        .await?
        .into_iter()
        .find_map(|s| s.report)
        .context("the lab's test report")?;
    let l1_qty = json!({"quantityList": [{"epcClass": l1, "quantity": 1200, "uom": "KGM"}]});
    capture_all(
        store,
        &coop,
        vec![shipping(
            "2026-05-21T14:00:00+08:00",
            "SC-2026-0521-01",
            &l1_qty,
            &coop,
            &pack,
        )],
    )
    .await?;
    let packing_uri = format!("{PLACE_URN_PREFIX}{}", packing_house.id);
    capture_all(
        store,
        &pack,
        vec![receiving(
            "2026-05-21T17:30:00+08:00",
            "SC-2026-0521-01",
            &l1_qty,
            &packing_uri,
        )],
    )
    .await?;

    // The packer grades and boxes the peppers: lot L1 becomes lot L2 of boxes.
    let box_lot = store
        .create_lot(
            &pack,
            &NewLot {
                product_id: boxed.id,
                date: "2026-05-22".into(),
                site: "P1".into(),
                origin_place_id: None,
            },
        )
        .await?;
    let items = store.issue_items(&pack, box_lot.id, 12, None).await?;
    let item_epcs: Vec<String> = items
        .codes
        .iter()
        .filter_map(|c| TraceUnit::parse_flat(c).ok())
        .filter_map(|u| suyuan_store::trace::canonical_epc(&u).ok())
        .collect();
    let sscc17 = "95201234500000001";
    let pallet = format!("https://id.gs1.org/00/{sscc17}{}", gs1_check_digit(sscc17));
    capture_all(
        store,
        &pack,
        vec![
            record(
                "processing",
                "2026-05-22T09:00:00+08:00",
                "TransformationEvent",
                "commissioning",
                json!({
            "inputQuantityList": [{"epcClass": l1, "quantity": 1200, "uom": "KGM"}],
            "outputQuantityList": [{"epcClass": box_lot.epc, "quantity": 2000, "uom": "H87"}],
            "outputEPCList": item_epcs,
            "bizLocation": {"id": packing_uri}, "agri:method": "清洗、分级、500 克盒装"}),
            ),
            record(
                "packing",
                "2026-05-22T11:00:00+08:00",
                "AggregationEvent",
                "packing",
                json!({
            "action": "ADD", "parentID": pallet, "childEPCs": item_epcs,
            "bizLocation": {"id": packing_uri}, "agri:method": "纸箱装托，缠绕膜固定"}),
            ),
        ],
    )
    .await?;
    let pallet_epcs = json!({"epcList": [pallet]});
    capture_all(
        store,
        &pack,
        vec![shipping(
            "2026-05-23T06:00:00+08:00",
            "SC-2026-0523-07",
            &pallet_epcs,
            &pack,
            &mart,
        )],
    )
    .await?;
    let shop_uri = format!("{PLACE_URN_PREFIX}{}", shop.id);
    let restaurant = crate::demo_archives::mart_customer(store, &mart).await?;
    capture_all(
        store,
        &mart,
        vec![
            receiving(
                "2026-05-23T09:20:00+08:00",
                "SC-2026-0523-07",
                &pallet_epcs,
                &shop_uri,
            ),
            record(
                "storage_in",
                "2026-05-23T09:40:00+08:00",
                "ObjectEvent",
                "storing",
                json!({
            "action": "OBSERVE", "epcList": [item_epcs[0]], "bizLocation": {"id": shop_uri},
            "agri:position": "冷柜 3 号", "agri:conditions": "2–8 ℃ 冷藏"}),
            ),
            record(
                "sale",
                "2026-05-24T18:05:00+08:00",
                "ObjectEvent",
                "retail_selling",
                json!({
            "action": "OBSERVE", "epcList": [item_epcs[0]], "disposition": "retail_sold",
            "bizLocation": {"id": shop_uri}, "agri:channel": "超市零售"}),
            ),
            record(
                "sale",
                "2026-05-24T10:30:00+08:00",
                "ObjectEvent",
                "retail_selling",
                json!({
            "action": "OBSERVE", "epcList": [item_epcs[1]], "disposition": "retail_sold",
            "bizLocation": {"id": shop_uri}, "agri:channel": "餐饮配送", "agri:buyer": restaurant}),
            ),
        ],
    )
    .await?;
    let quality = crate::demo_quality::quality(
        store,
        crate::demo_quality::Chain {
            coop: &coop,
            pack: &pack,
            mart: &mart,
            harvested_lot: &l1,
            box_item: &item_epcs[11],
            despatch: "SC-2026-0523-07",
            product: peppers.id,
        },
    )
    .await?;
    complaint_answered(store, &pack, &item_epcs[0]).await?;
    crate::demo_devices::cold_chain(store, &pack, &cold, packing_house.id).await?;
    crate::demo_archives::archives(store, &pack, mart.org_id).await?;
    let serial = item_epcs
        .first()
        .and_then(|e| e.rsplit('/').next())
        .unwrap_or_default()
        .to_owned();
    Ok(DemoSummary {
        item_code: items.codes.first().cloned().unwrap_or_default(),
        item_path: format!(
            "/01/{}/10/{}/21/{serial}",
            box_lot.gtin.unwrap_or_default(),
            box_lot.batch.unwrap_or_default()
        ),
        lot_path: format!(
            "/01/{}/10/{}",
            harvest_lot.gtin.unwrap_or_default(),
            harvest_lot.batch.unwrap_or_default()
        ),
        pesticide_lot: pest_lot.0.clone(),
        certificate: quality.certificate,
        recalled_path: quality.recalled_path,
        test_report,
    })
}

/// A consumer complains about the item sold (with a photo and a phone
/// number) and the packing house that produced it acknowledges and
/// answers; the reference is printed, its status at `/complaints/{reference}`.
async fn complaint_answered(store: &Store, producer: &Caller, item_epc: &str) -> Result<()> {
    let mut photo = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    photo.extend([0u8; 64]);
    let filed = store
        .file_complaint(suyuan_store::complaints::NewComplaint {
            unit_epc: item_epc.to_owned(),
            category: "quality".into(),
            description: "打开后发现辣椒有霉点，生产日期是上周。".into(),
            phone: Some("13800138000".into()),
            photos: vec![photo],
        })
        .await?;
    store
        .update_complaint(producer, &filed.reference, "acknowledged", None)
        .await?;
    store
        .update_complaint(
            producer,
            &filed.reference,
            "answered",
            Some("经核查为运输途中冷链中断所致，已为您全额退款，并已加强冷链温度记录。"),
        )
        .await?;
    println!("complaint: /complaints/{}", filed.reference);
    Ok(())
}

/// One of our records: an EPCIS event with `agri:recordKind` and its fields.
pub(crate) fn record(
    kind: &str,
    time: &str,
    ty: &str,
    step: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let mut e = json!({
        "type": ty, "eventTime": time, "eventTimeZoneOffset": "+08:00",
        "bizStep": step, "agri:recordKind": kind,
    });
    if let (Some(e), Some(b)) = (e.as_object_mut(), body.as_object()) {
        e.extend(b.clone());
    }
    e
}

fn org_urn(c: &Caller) -> String {
    format!("{ORG_URN_PREFIX}{}", c.org_id)
}

fn desadv(reference: &str) -> serde_json::Value {
    json!([{"type": "desadv", "bizTransaction": format!("urn:suyuan:desadv:{reference}")}])
}

pub(crate) fn shipping(
    time: &str,
    reference: &str,
    what: &serde_json::Value,
    from: &Caller,
    to: &Caller,
) -> serde_json::Value {
    let mut body = json!({
        "action": "OBSERVE", "disposition": "in_transit", "bizTransactionList": desadv(reference),
        "sourceList": [{"type": "owning_party", "source": org_urn(from)}],
        "destinationList": [{"type": "owning_party", "destination": org_urn(to)}],
        "agri:carrier": "川运冷链物流有限公司", "agri:vehicle": "川A·D1234",
        "agri:transportMode": "冷藏车公路运输", "agri:temperatureClass": "2–8 ℃"});
    if let (Some(b), Some(w)) = (body.as_object_mut(), what.as_object()) {
        b.extend(w.clone());
    }
    record("shipping", time, "ObjectEvent", "shipping", body)
}

pub(crate) fn receiving(
    time: &str,
    reference: &str,
    what: &serde_json::Value,
    at: &str,
) -> serde_json::Value {
    let mut body = json!({
        "action": "OBSERVE", "disposition": "in_progress", "bizLocation": {"id": at},
        "bizTransactionList": desadv(reference)});
    if let (Some(b), Some(w)) = (body.as_object_mut(), what.as_object()) {
        b.extend(w.clone());
    }
    record("receiving", time, "ObjectEvent", "receiving", body)
}

/// Captures events as one EPCIS document; any refusal is an error.
pub(crate) async fn capture_all(
    store: &Store,
    caller: &Caller,
    events: Vec<serde_json::Value>,
) -> Result<()> {
    let doc = json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"agri": AGRI_NS}],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-05-24T00:00:00Z",
        "epcisBody": {"eventList": events}
    });
    let job = store.capture(caller, &doc, ErrorBehaviour::Rollback).await?;
    if !job.success {
        bail!("demo events refused: {}", serde_json::to_string(&job.errors)?);
    }
    Ok(())
}

pub(crate) fn place(
    kind: PlaceKind,
    name: &str,
    parent: Option<uuid::Uuid>,
    fill: impl FnOnce(&mut NewPlace),
) -> NewPlace {
    let mut p = NewPlace {
        kind,
        name: name.into(),
        parent_id: parent,
        gln: None,
        region: None,
        address: None,
        location: None,
        polygon: vec![],
        area_m2: None,
        crops: vec![],
        soil_type: None,
        water_source: None,
        irrigation: None,
        environment_tests: vec![],
        temperature_controlled: None,
        temperature_min: None,
        temperature_max: None,
        plate_number: None,
    };
    fill(&mut p);
    p
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use suyuan_store::{OpenOptions, PageRequest, PersonalDataCipher};

    #[tokio::test]
    async fn demo_chain_builds() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(
            &Backend::Sqlite(dir.path().join("d.db")),
            &OpenOptions::default(),
            PersonalDataCipher::new(&[1; 32]),
        )
        .await
        .unwrap();
        store
            .bootstrap("平台运营方", "110000", &hash_password(DEMO_PASSWORD).unwrap())
            .await
            .unwrap();
        let summary = seed(&store).await.unwrap();
        // A certificate, a recall (and a drill that changes no public page).
        let cert = store.certificate(&summary.certificate).await.unwrap().unwrap();
        assert!(cert.is_valid(), "{cert:?}");
        let recalled = format!(
            "{}{}",
            suyuan_store::trace::CANONICAL_DOMAIN,
            summary.recalled_path
        );
        assert!(store.recall_of(&recalled).await.unwrap().is_some());
        // The lab's report, passing, signed with the lab's key.
        let report = store.test_report(summary.test_report).await.unwrap();
        assert_eq!(report.conclusion, "pass");
        assert!(report.signature.valid, "{:?}", report.signature);
        assert!(store.verify_log().await.unwrap().is_ok());
        let pack = store.caller_for_username("pack-admin").await.unwrap().unwrap();
        let all = PageRequest::default();
        assert_eq!(store.documents(&pack, None, all).await.unwrap().items.len(), 1);
        let customers = store.customers(&pack, None, None, all).await.unwrap();
        let ships = store
            .customer_shipments(&pack, customers.items[0].stamp.entry_id)
            .await
            .unwrap();
        assert!(
            !ships.is_empty(),
            "the supermarket's shipments are listed with it"
        );
        assert_eq!(store.trainings(&pack, None, all).await.unwrap().items.len(), 1);
        let mart = store.caller_for_username("mart-admin").await.unwrap().unwrap();
        let restaurant = store.customers(&mart, None, None, all).await.unwrap();
        let sales = store
            .customer_sales(&mart, restaurant.items[0].stamp.entry_id)
            .await
            .unwrap();
        assert_eq!(sales.len(), 1, "the restaurant's sale is listed with it");
        let ncs = store.nonconformities(&pack, None, all).await.unwrap();
        assert_eq!(ncs.items[0].status, "closed");
        let coop = store.caller_for_username("coop-admin").await.unwrap().unwrap();
        let places = store
            .list_places(&coop, None, PageRequest::default())
            .await
            .unwrap();
        assert_eq!(places.items.len(), 4);
        let base = places
            .items
            .iter()
            .find(|p| p.parent_id.is_none() && p.area_m2 == Some(200_000.0));
        let history = store.place_history(&coop, base.unwrap().id).await.unwrap();
        assert_eq!(history.versions.len(), 2, "the base's address was edited");
        let officer = store.caller_for_username("reg-officer").await.unwrap().unwrap();
        // The county officer sees the cooperative's products, not the packer's (another district).
        let seen = store
            .list_products(&officer, None, PageRequest::default())
            .await
            .unwrap();
        assert_eq!(seen.items.len(), 1);
        assert_eq!(seen.items[0].org_id, coop.org_id);
        // The box's consumer page shows its cold chain, with the truck's
        // small excursion.
        let item =
            suyuan_store::trace::canonical_epc(&TraceUnit::parse_flat(&summary.item_code).unwrap()).unwrap();
        let page = store
            .public_trace(&item, suyuan_store::trace::public::Scan::NotCounted, 50)
            .await
            .unwrap();
        let cc = page.cold_chain.expect("a cold chain");
        assert!(!cc.kept);
        assert_eq!(cc.stays.len(), 2, "{cc:?}");
        let worst = cc.worst_excursion.unwrap();
        assert_eq!((worst.extreme, worst.minutes), (8.6, 20));
    }
}
