//! `suyuan demo`: a realistic starting picture in a fresh embedded database —
//! a pepper cooperative in Sichuan with its base, plots, suppliers and input
//! purchases; a packing house; a cold-chain carrier; a supermarket in
//! Chengdu; a testing lab; the county regulator — then serves it.
//!
//! The demo lives in its own folder (`./suyuan-demo`), which it rebuilds on
//! every run; it never touches the data folder of a real deployment.

use std::path::Path;

use anyhow::{bail, Context, Result};
use suyuan_core::codes::{gs1_check_digit, Uscc};
use suyuan_core::model::{
    CertificationKind, Duty, InputKind, OrgKind, PlaceKind, ProducerForm, ProductCategory, Role,
};
use suyuan_store::inputs::{NewInput, NewPurchase, NewSupplier};
use suyuan_store::orgs::{DutyAssignment, NewOrganisation, StatusChange};
use suyuan_store::places::{GeoPoint, NewPlace};
use suyuan_store::products::{Certification, NewProduct};
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
    seed(&store)
        .await
        .map_err(|e| anyhow::anyhow!("building the demo: {e}"))?;
    println!("\n  演示数据已生成 / demo chain loaded. Accounts (password {DEMO_PASSWORD}):");
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

/// Builds the demonstration chain through the same store calls the API uses.
pub async fn seed(store: &Store) -> Result<()> {
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
    let _ = (&lab, &cold, &mart);
    // The regulator's officer oversees the county.
    store
        .create_user(
            &op,
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
    let base = store
        .create_place(
            &coop,
            &place(
                PlaceKind::ProductionBase,
                "唐昌镇辣椒种植基地",
                None,
                |p| {
                    p.region = Some("510117".into());
                    p.address = Some("四川省成都市郫都区唐昌镇".into());
                    p.location = Some(GeoPoint {
                        latitude: 30.8736,
                        longitude: 103.8241,
                    });
                    p.area_m2 = Some(200_000.0);
                },
            ),
        )
        .await?;
    for (name, lat) in [("一号地块", 30.8741), ("二号地块", 30.8752)] {
        store
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
    }
    let store_room = store
        .create_place(
            &coop,
            &place(PlaceKind::Warehouse, "合作社农资仓库", None, |p| {
                p.temperature_controlled = Some(false);
            }),
        )
        .await?;
    store
        .create_place(
            &pack,
            &place(PlaceKind::PackingHouse, "蜀鲜包装车间", None, |p| {
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
    store
        .create_place(
            &mart,
            &place(PlaceKind::Store, "惠民超市春熙路店", None, |p| {
                p.region = Some("510104".into());
                p.address = Some("四川省成都市锦江区春熙路".into());
            }),
        )
        .await?;

    // Products.
    store
        .create_product(
            &coop,
            &NewProduct {
                gtin: gtin13("952012345678"),
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
    store
        .create_product(
            &pack,
            &NewProduct {
                gtin: gtin13("952012345679"),
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
        store
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
    }
    Ok(())
}

fn place(
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
        seed(&store).await.unwrap();
        let coop = store.caller_for_username("coop-admin").await.unwrap().unwrap();
        let places = store
            .list_places(&coop, None, PageRequest::default())
            .await
            .unwrap();
        assert_eq!(places.items.len(), 4);
        let officer = store.caller_for_username("reg-officer").await.unwrap().unwrap();
        // The county officer sees the cooperative's products, not the packer's (another district).
        let seen = store
            .list_products(&officer, None, PageRequest::default())
            .await
            .unwrap();
        assert_eq!(seen.items.len(), 1);
        assert_eq!(seen.items[0].org_id, coop.org_id);
    }
}
