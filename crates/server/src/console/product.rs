//! A product's own page in the console: what the product is, the
//! certifications it holds now with a form withdrawing each, and a form
//! adding one (绿色食品, 有机产品, GAP, 地理标志) to the existing product. The
//! add form posts the fields of `POST /api/v1/products/{id}/certifications`;
//! the console builds that body, parses it with the API's strict parser and
//! calls the store function the API calls, so a refusal is the API's, shown
//! beside the field it names. Every change is a logged row state with the
//! acting user (`suyuan_store::certifications`), listed in the page's
//! certification history (every certification added and withdrawn, when
//! and by whom). The product's edits and versions are on its entry page
//! (`master_entry`).

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use serde_json::Value;
use suyuan_store::certifications::CertificationChange;
use suyuan_store::products::Certification;
use uuid::Uuid;

use super::archives::at;
use super::certifications;
use super::layout::{csrf_field, esc, page, table};
use super::{error_page, store_error, Console, Fields, PageResult, Posted, T};
use crate::error::{deliberate, ApiError};
use crate::extract::{parse_json, Id};
use crate::AppState;

pub(crate) async fn show(State(state): State<AppState>, c: Console, Id(id): Id) -> PageResult {
    product_page(&state, &c, id, &Fields::default(), None).await
}

async fn product_page(
    state: &AppState,
    c: &Console,
    id: Uuid,
    f: &Fields,
    problem: Option<ApiError>,
) -> PageResult {
    let lang = c.lang;
    let l = |zh: &'static str, en: &'static str| lang.pick(zh, en);
    let err = |e| store_error(lang, e);
    let product = state.store.get_product(&c.caller, id).await.map_err(err)?;
    let held = state
        .store
        .held_certifications(&c.caller, id)
        .await
        .map_err(err)?;
    // Changes are offered to those who may make them: the store refuses
    // everyone else anyway.
    let manages = product.org_id == c.caller.org_id && c.caller.require_verified_recorder().is_ok();
    let mut b = format!(
        "<nav class=\"sub\"><a class=\"btn alt\" href=\"/console/master/products\">{}</a></nav><h1>{}</h1>",
        l("产品", "Products"),
        esc(&product.name)
    );
    let facts = [
        ("GTIN", product.gtin.clone()),
        (
            l("类别", "Category"),
            lang.pick(product.category.zh(), product.category.en()).to_owned(),
        ),
        (
            l("规格", "Specification"),
            product.specification.clone().unwrap_or_default(),
        ),
        (l("单位", "Unit"), product.unit.clone()),
        (l("产地", "Origin"), product.origin.clone().unwrap_or_default()),
    ];
    let rows: Vec<Vec<String>> = facts.iter().map(|(k, v)| vec![esc(k), esc(v)]).collect();
    let _ = write!(
        b,
        "<div class=\"card\">{}</div>",
        table(&[l("项目", "Field"), ""], &rows)
    );
    let _ = write!(
        b,
        "<p><a id=\"entry\" href=\"/console/master/products/{id}\">{}</a></p>",
        l(
            "修改产品信息、停用及版本历史",
            "Edit, deactivate and version history"
        )
    );
    let _ = write!(b, "<h2>{}</h2>", l("持有的认证", "Certifications held"));
    let rows: Vec<Vec<String>> = held
        .iter()
        .map(|h| {
            let k = &h.certification;
            let withdraw = if manages {
                format!(
                    "<form method=\"post\" action=\"/console/products/{id}/certifications/{}/withdraw\">{}\
                     <button class=\"alt\" id=\"withdraw-{}\">{}</button></form>",
                    h.id,
                    csrf_field(c),
                    h.id,
                    l("撤销", "Withdraw")
                )
            } else {
                String::new()
            };
            vec![
                esc(lang.pick(k.kind.zh(), k.kind.en())),
                esc(&k.number),
                esc(k.issuer.as_deref().unwrap_or("")),
                format!("{}–{}", esc(&k.valid_from), esc(&k.valid_until)),
                withdraw,
            ]
        })
        .collect();
    if rows.is_empty() {
        let _ = write!(
            b,
            "<div class=\"card\"><p>{}</p></div>",
            l("尚无认证。", "No certification yet.")
        );
    } else {
        let head = [
            l("认证类别", "Certification"),
            l("证书编号", "Number"),
            l("发证机构", "Issued by"),
            l("有效期", "Valid"),
            "",
        ];
        let _ = write!(b, "<div class=\"card\">{}</div>", table(&head, &rows));
    }
    // A refusal's field, as the add form names it.
    let field = problem.as_ref().and_then(|e| e.field.as_deref()).and_then(|f| {
        certifications::form_field(&format!("certifications[0].{f}")).filter(|_| f != "certifications")
    });
    let said = problem
        .as_ref()
        .map(|e| esc(lang.pick(&e.zh, &e.en)))
        .unwrap_or_default();
    if problem.is_some() && field.is_none() {
        let _ = write!(b, "<p class=\"err\" id=\"form-refused\">{said}</p>");
    }
    if manages {
        let _ = write!(
            b,
            "<form class=\"card\" method=\"post\" action=\"/console/products/{id}/certifications\">{}{}\
             <button id=\"add-certification\">{}</button></form>",
            csrf_field(c),
            certifications::inputs(c, f, field.map(|f| (f, said.as_str()))),
            c.t(T::Create)
        );
    }
    let _ = write!(
        b,
        "<h2>{}</h2><div class=\"card\" id=\"certification-history\">{}</div>",
        l("认证变更历史", "Certification history"),
        certification_history(
            c,
            &state
                .store
                .certification_history(&c.caller, id)
                .await
                .map_err(err)?
        )
    );
    let status = problem.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(deliberate(
        (status, Html(page(c, &product.name, &b))).into_response(),
    ))
}

/// Every certification added and withdrawn, with who and when.
fn certification_history(c: &Console, changes: &[CertificationChange]) -> String {
    let lang = c.lang;
    let rows: Vec<Vec<String>> = changes
        .iter()
        .map(|h| {
            let action = match h.action.as_str() {
                "withdrawn" => lang.pick("撤销", "Withdrawn"),
                "created" => lang.pick("随产品登记", "With the product"),
                _ => lang.pick("添加", "Added"),
            };
            let (kind, number, valid) = h.certification.as_ref().map_or_else(Default::default, |k| {
                (
                    lang.pick(k.kind.zh(), k.kind.en()).to_owned(),
                    k.number.clone(),
                    format!("{}–{}", k.valid_from, k.valid_until),
                )
            });
            vec![
                esc(&at(h.at)),
                esc(action),
                esc(&kind),
                esc(&number),
                esc(&valid),
                esc(h.acting_username.as_deref().unwrap_or("—")),
            ]
        })
        .collect();
    let head = [
        lang.pick("时间", "When"),
        lang.pick("操作", "Action"),
        lang.pick("认证类别", "Certification"),
        lang.pick("证书编号", "Number"),
        lang.pick("有效期", "Valid"),
        lang.pick("操作人", "By"),
    ];
    table(&head, &rows)
}

/// Adds a certification, exactly as `POST /api/v1/products/{id}/certifications` does.
pub(crate) async fn add(State(state): State<AppState>, Id(id): Id, Posted(c, f): Posted) -> PageResult {
    let result: Result<(), ApiError> = async {
        let entry = certifications::entry(&f)
            .and_then(|v| v.as_array().and_then(|a| a.first().cloned()))
            .unwrap_or(Value::Object(Default::default()));
        let bytes = serde_json::to_vec(&entry).unwrap_or_default();
        let cert: Certification = parse_json(&bytes)?;
        state.store.add_certification(&c.caller, id, &cert).await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/console/products/{id}")).into_response()),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            product_page(&state, &c, id, &f, Some(e)).await
        }
        Err(e) => Err(error_page(c.lang, e)),
    }
}

/// Withdraws a certification, exactly as the API's `DELETE` does.
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    Path((product, cert)): Path<(String, String)>,
    Posted(c, _): Posted,
) -> PageResult {
    let ids = Uuid::parse_str(&product).and_then(|p| Uuid::parse_str(&cert).map(|k| (p, k)));
    let (product, cert) = ids.map_err(|_| error_page(c.lang, ApiError::not_found("record")))?;
    state
        .store
        .withdraw_certification(&c.caller, product, cert)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    Ok(Redirect::to(&format!("/console/products/{product}")).into_response())
}
