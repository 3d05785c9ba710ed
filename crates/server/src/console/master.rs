//! The organisation's master records: places, products, suppliers, inputs
//! and input purchases, each listed with a form creating one. A form posts
//! the fields of the API's request body: the console builds that JSON body,
//! parses it with the API's own strict parser (`parse_json`, unknown fields
//! and wrong types refused by name) and calls the store function the API
//! calls, so the refusals are the API's, shown beside the field they name.
//!
//! Products carry their certifications: listed beside each product and
//! entered in its create form (`certifications`); each product links to its
//! own page (`product`), where certifications are added and withdrawn.
//!
//! Places, products, suppliers and inputs each link to their own page
//! (`master_entry`): the edit form, prefilled, that records a new version,
//! the deactivate or activate button and the version history. Lists hide
//! deactivated entries unless `?all=true`; pickers offer active ones only.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::{Map, Value};
use suyuan_core::model::{InputKind, PlaceKind, ProductCategory};

use super::certifications;
use super::layout::{csrf_field, esc, page, select, table};
use super::recordform::PICK;
use super::{error_page, store_error, Console, Fields, Lang, PageResult, Posted, T};
use crate::error::{deliberate, ApiError};
use crate::extract::parse_json;
use crate::AppState;

/// How a field is entered.
#[derive(Debug, Clone, Copy)]
pub(super) enum Ty {
    Text,
    Number,
    Int,
    Date,
    Choice(fn(Lang) -> Vec<(String, String)>),
    /// One of the organisation's records of this list.
    Pick(&'static str),
}

/// A field of a request body: its JSON name, type, names, whether required.
pub(super) type MasterField = (&'static str, Ty, &'static str, &'static str, bool);

fn vocab<V: Copy>(
    all: &[V],
    s: fn(V) -> &'static str,
    zh: fn(V) -> &'static str,
    en: fn(V) -> &'static str,
    l: Lang,
) -> Vec<(String, String)> {
    all.iter()
        .map(|v| (s(*v).to_owned(), l.pick(zh(*v), en(*v)).to_owned()))
        .collect()
}

fn place_kinds(l: Lang) -> Vec<(String, String)> {
    vocab(PlaceKind::ALL, PlaceKind::as_str, PlaceKind::zh, PlaceKind::en, l)
}
fn categories(l: Lang) -> Vec<(String, String)> {
    vocab(
        ProductCategory::ALL,
        ProductCategory::as_str,
        ProductCategory::zh,
        ProductCategory::en,
        l,
    )
}
fn input_kinds(l: Lang) -> Vec<(String, String)> {
    vocab(InputKind::ALL, InputKind::as_str, InputKind::zh, InputKind::en, l)
}

/// A list: its path segment, names, and the fields of its create form.
pub(super) struct List {
    pub(super) slug: &'static str,
    pub(super) zh: &'static str,
    pub(super) en: &'static str,
    pub(super) fields: &'static [MasterField],
}

pub(super) const LISTS: &[List] = &[
    List {
        slug: "places",
        zh: "场所",
        en: "Places",
        fields: &[
            ("kind", Ty::Choice(place_kinds), "类型", "Kind", true),
            ("name", Ty::Text, "名称", "Name", true),
            ("parent_id", Ty::Pick("places"), "所属基地", "Part of", false),
            ("gln", Ty::Text, "全球位置码 GLN", "GLN", false),
            ("region", Ty::Text, "行政区划代码", "Region code", false),
            ("address", Ty::Text, "地址", "Address", false),
            ("area_m2", Ty::Number, "面积（平方米）", "Area (m²)", false),
            ("soil_type", Ty::Text, "土壤", "Soil", false),
            ("water_source", Ty::Text, "水源", "Water source", false),
            ("irrigation", Ty::Text, "灌溉方式", "Irrigation", false),
            ("plate_number", Ty::Text, "车牌号", "Plate number", false),
        ],
    },
    List {
        slug: "products",
        zh: "产品",
        en: "Products",
        fields: &[
            ("gtin", Ty::Text, "商品条码 GTIN", "GTIN", true),
            ("name", Ty::Text, "名称", "Name", true),
            ("category", Ty::Choice(categories), "类别", "Category", true),
            ("unit", Ty::Text, "计量单位", "Unit", true),
            ("variety", Ty::Text, "品种", "Variety", false),
            ("specification", Ty::Text, "规格", "Specification", false),
            (
                "shelf_life_days",
                Ty::Int,
                "保质期（天）",
                "Shelf life (days)",
                false,
            ),
            (
                "origin_region",
                Ty::Text,
                "产地行政区划代码",
                "Origin region code",
                false,
            ),
            ("origin", Ty::Text, "产地", "Origin", false),
        ],
    },
    List {
        slug: "suppliers",
        zh: "供应商",
        en: "Suppliers",
        fields: &[
            ("name", Ty::Text, "名称", "Name", true),
            ("uscc", Ty::Text, "统一社会信用代码", "Credit code (USCC)", false),
            ("contact_name", Ty::Text, "联系人", "Contact", false),
            ("contact_phone", Ty::Text, "电话", "Phone", false),
            ("address", Ty::Text, "地址", "Address", false),
            (
                "licence_number",
                Ty::Text,
                "经营许可证号",
                "Licence number",
                false,
            ),
        ],
    },
    List {
        slug: "inputs",
        zh: "投入品",
        en: "Inputs",
        fields: &[
            ("kind", Ty::Choice(input_kinds), "类别", "Kind", true),
            ("name", Ty::Text, "名称", "Name", true),
            ("unit", Ty::Text, "计量单位", "Unit", true),
            ("manufacturer", Ty::Text, "生产企业", "Manufacturer", false),
            (
                "registration_number",
                Ty::Text,
                "农药登记证号",
                "Registration number",
                false,
            ),
            (
                "active_ingredient",
                Ty::Text,
                "有效成分",
                "Active ingredient",
                false,
            ),
            (
                "pre_harvest_interval_days",
                Ty::Int,
                "安全间隔期（天）",
                "Pre-harvest interval (days)",
                false,
            ),
            ("specification", Ty::Text, "规格", "Specification", false),
        ],
    },
    List {
        slug: "input-purchases",
        zh: "投入品采购",
        en: "Input purchases",
        fields: &[
            ("input_id", Ty::Pick("inputs"), "投入品", "Input", true),
            ("supplier_id", Ty::Pick("suppliers"), "供应商", "Supplier", true),
            ("lot_number", Ty::Text, "批号", "Lot number", true),
            ("quantity", Ty::Number, "数量", "Quantity", true),
            ("unit", Ty::Text, "单位", "Unit", true),
            ("purchased_on", Ty::Date, "采购日期", "Purchased on", true),
            (
                "storage_place_id",
                Ty::Pick("places"),
                "存放场所",
                "Stored at",
                false,
            ),
            (
                "storage_conditions",
                Ty::Text,
                "存放条件",
                "Storage conditions",
                false,
            ),
        ],
    },
];

pub(super) fn list_of(c: &Console, slug: &str) -> Result<&'static List, Response> {
    LISTS
        .iter()
        .find(|l| l.slug == slug)
        .ok_or_else(|| error_page(c.lang, ApiError::not_found("page")))
}

/// The organisation's records of a list, as the API shows them: active
/// ones, or `all`.
async fn records(state: &AppState, c: &Console, slug: &str, all: bool) -> Result<Vec<Value>, Response> {
    let s = &state.store;
    let own = Some(c.caller.org_id);
    let json = |v: Result<Value, serde_json::Error>| v.unwrap_or(Value::Null);
    let items = match slug {
        "places" => s
            .list_places_with(&c.caller, own, all, PICK)
            .await
            .map(|p| json(serde_json::to_value(p.items))),
        "products" => s
            .list_products_with(&c.caller, own, all, PICK)
            .await
            .map(|p| json(serde_json::to_value(p.items))),
        "suppliers" => s
            .list_suppliers_with(&c.caller, own, all, PICK)
            .await
            .map(|p| json(serde_json::to_value(p.items))),
        "inputs" => s
            .list_inputs_with(&c.caller, own, all, PICK)
            .await
            .map(|p| json(serde_json::to_value(p.items))),
        _ => s
            .list_purchases(&c.caller, own, PICK)
            .await
            .map(|p| json(serde_json::to_value(p.items))),
    }
    .map_err(|e| store_error(c.lang, e))?;
    Ok(items.as_array().cloned().unwrap_or_default())
}

/// A record's name in a picker.
fn title_of(v: &Value) -> String {
    ["name", "lot_number"]
        .iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))
        .unwrap_or("")
        .to_owned()
}

pub(crate) async fn show(State(state): State<AppState>, c: Console, Path(slug): Path<String>) -> PageResult {
    let list = list_of(&c, &slug)?;
    list_page(&state, &c, list, &Fields::default(), None).await
}

/// Whether the page was asked for deactivated entries too (`?all=true`).
fn wants_all(c: &Console) -> bool {
    c.here.contains("all=true")
}

async fn list_page(
    state: &AppState,
    c: &Console,
    list: &List,
    f: &Fields,
    problem: Option<ApiError>,
) -> PageResult {
    let lang = c.lang;
    let versioned = list.slug != "input-purchases";
    let items = records(state, c, list.slug, wants_all(c)).await?;
    let title = lang.pick(list.zh, list.en);
    let mut b = String::from("<nav class=\"sub\">");
    for l in LISTS {
        let _ = write!(
            b,
            "<a class=\"btn alt\" href=\"/console/master/{}\">{}</a>",
            l.slug,
            lang.pick(l.zh, l.en)
        );
    }
    let _ = write!(b, "</nav><h1>{}</h1>", esc(title));
    if versioned {
        let (href, label) = if wants_all(c) {
            (String::new(), lang.pick("只看启用的", "Active only"))
        } else {
            (
                "?all=true".to_owned(),
                lang.pick("含已停用的", "Include deactivated"),
            )
        };
        let _ = write!(
            b,
            "<p><a id=\"show-all\" href=\"/console/master/{}{href}\">{label}</a></p>",
            list.slug
        );
    }
    let shown: Vec<&MasterField> = list.fields.iter().filter(|f| f.4).collect();
    let products = list.slug == "products";
    let certs = if products {
        state
            .store
            .own_certifications(&c.caller)
            .await
            .map_err(|e| store_error(lang, e))?
    } else {
        Default::default()
    };
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|v| {
            let mut row: Vec<String> = shown.iter().map(|f| esc(&cell(v.get(f.0)))).collect();
            if versioned {
                let id = v.get("id").and_then(Value::as_str).unwrap_or("");
                let off = if v.get("active") == Some(&Value::Bool(false)) {
                    lang.pick("（已停用）", " (deactivated)")
                } else {
                    ""
                };
                row.push(format!(
                    "<a href=\"/console/master/{}/{}\">{}</a>{off}",
                    list.slug,
                    esc(id),
                    lang.pick("查看／修改", "View / edit")
                ));
            }
            if products {
                let id = v.get("id").and_then(Value::as_str).and_then(|i| i.parse().ok());
                row.push(certifications::cell(c, id.and_then(|i| certs.get(&i))));
                row.push(id.map_or(String::new(), |i: uuid::Uuid| {
                    format!(
                        "<a href=\"/console/products/{i}\">{}</a>",
                        lang.pick("认证变更", "Certifications")
                    )
                }));
            }
            row
        })
        .collect();
    let mut head: Vec<&str> = shown.iter().map(|f| lang.pick(f.2, f.3)).collect();
    if versioned {
        head.push("");
    }
    if products {
        head.push(lang.pick("认证", "Certifications"));
        head.push("");
    }
    let _ = write!(b, "<div class=\"card\">{}</div>", table(&head, &rows));
    // A certification's field is named as the form names it.
    let field = problem
        .as_ref()
        .and_then(|e| e.field.clone())
        .map(|f| certifications::form_field(&f).map_or(f, str::to_owned));
    let cert_field = field.as_deref().filter(|f| f.starts_with("cert_"));
    let said = problem
        .as_ref()
        .map(|e| esc(lang.pick(&e.zh, &e.en)))
        .unwrap_or_default();
    if problem.is_some() && cert_field.is_none() && !list.fields.iter().any(|f| Some(f.0) == field.as_deref())
    {
        let _ = write!(b, "<p class=\"err\" id=\"form-refused\">{said}</p>");
    }
    let _ = write!(
        b,
        "<form class=\"card\" method=\"post\" action=\"/console/master/{}\">{}<h2>{}</h2>",
        list.slug,
        csrf_field(c),
        c.t(T::Create)
    );
    b.push_str(&inputs(state, c, list, f, field.as_deref(), &said).await?);
    if products {
        b.push_str(&certifications::inputs(
            c,
            f,
            cert_field.map(|f| (f, said.as_str())),
        ));
    }
    let _ = write!(b, "<button id=\"create\">{}</button></form>", c.t(T::Create));
    let status = problem.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(deliberate((status, Html(page(c, title, &b))).into_response()))
}

/// The inputs of a list's form, valued from `f`, with the refusal `said`
/// beside the field it names.
pub(super) async fn inputs(
    state: &AppState,
    c: &Console,
    list: &List,
    f: &Fields,
    field: Option<&str>,
    said: &str,
) -> Result<String, Response> {
    let lang = c.lang;
    let mut b = String::new();
    for mf in list.fields {
        let (name, ty, zh, en, required) = *mf;
        let value = f.text(name);
        let _ = write!(
            b,
            "<label for=\"{name}\">{} <small>{}</small></label>",
            esc(lang.pick(zh, en)),
            if required {
                c.t(T::Required)
            } else {
                c.t(T::Optional)
            }
        );
        let input = |t: &str| {
            format!(
                "<input id=\"{name}\" name=\"{name}\" type=\"{t}\" value=\"{}\">",
                esc(&value)
            )
        };
        b.push_str(&match ty {
            Ty::Text => input("text"),
            Ty::Number => input("number\" step=\"any"),
            Ty::Int => input("number"),
            Ty::Date => input("date"),
            Ty::Choice(options) => select(c, name, &options(lang), &value),
            Ty::Pick(other) => {
                let options: Vec<(String, String)> = records(state, c, other, false)
                    .await?
                    .iter()
                    .map(|v| {
                        (
                            v.get("id").and_then(Value::as_str).unwrap_or("").to_owned(),
                            title_of(v),
                        )
                    })
                    .collect();
                select(c, name, &options, &value)
            }
        });
        if field == Some(name) {
            let _ = write!(b, "<p class=\"err\" data-field=\"{name}\">{said}</p>");
        }
    }
    Ok(b)
}

fn cell(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// The API's request body from the form: the fields given, typed.
pub(super) fn body(list: &List, f: &Fields) -> Result<Vec<u8>, ApiError> {
    let mut o = Map::new();
    for (name, ty, _, _, _) in list.fields {
        let Some(v) = f.get(name) else { continue };
        let value = match ty {
            Ty::Number | Ty::Int => match v.parse::<f64>() {
                Ok(n) if matches!(ty, Ty::Int) && n.fract() == 0.0 => Value::from(n as i64),
                Ok(n) => Value::from(n),
                Err(_) => {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "wrong_type",
                        format!("{name}: a number"),
                        format!("{name}：应为数字"),
                    )
                    .with_field(*name))
                }
            },
            _ => Value::from(v),
        };
        o.insert((*name).to_owned(), value);
    }
    if list.slug == "products" {
        if let Some(entry) = certifications::entry(f) {
            o.insert("certifications".to_owned(), entry);
        }
    }
    serde_json::to_vec(&Value::Object(o)).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            e.to_string(),
            e.to_string(),
        )
    })
}

/// Creates a record, exactly as the API's create endpoint does.
pub(crate) async fn create(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Posted(c, f): Posted,
) -> PageResult {
    let list = list_of(&c, &slug)?;
    let s = &state.store;
    let caller = &c.caller;
    let result: Result<(), ApiError> = async {
        let bytes = body(list, &f)?;
        match list.slug {
            "places" => s.create_place(caller, &parse_json(&bytes)?).await.map(drop),
            "products" => s.create_product(caller, &parse_json(&bytes)?).await.map(drop),
            "suppliers" => s.create_supplier(caller, &parse_json(&bytes)?).await.map(drop),
            "inputs" => s.create_input(caller, &parse_json(&bytes)?).await.map(drop),
            _ => s.create_purchase(caller, &parse_json(&bytes)?).await.map(drop),
        }
        .map_err(ApiError::from)
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/console/master/{}", list.slug)).into_response()),
        Err(e) => list_page(&state, &c, list, &f, Some(e)).await,
    }
}
