//! The devices page (R-5.3.2.1): the organisation's devices with their
//! kind, state and latest reading, a button to disable or enable each, and
//! the alerts of the periodic check (silent devices, temperature
//! excursions with their duration and extreme), and each device's section
//! ([`super::device_forms`]: its GIAI, places, the lots and units it is
//! attached to, the move and attach forms). An officer sees those of the
//! jurisdiction, read only. Registering a device (its token is shown
//! once) is done through the API, `POST /api/v1/devices`. An admin also
//! manages the organisation's alert webhook here ([`super::webhooks`]).

use std::fmt::Write as _;

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use suyuan_store::devices::Device;
use suyuan_store::PageRequest;
use uuid::Uuid;

use super::device_forms::{section, Context, Refused};
use super::layout::{self, csrf_field, esc, local_time, table};
use super::{store_error, Console, PageResult, Posted};
use crate::error::deliberate;
use crate::extract::Id;
use crate::AppState;

/// The devices and their alerts.
pub(crate) async fn index(State(state): State<AppState>, c: Console) -> PageResult {
    render(&state, &c, None).await
}

/// The page; `secret`: a webhook secret just made, shown once.
pub(crate) async fn render(state: &AppState, c: &Console, secret: Option<&str>) -> PageResult {
    page(state, c, secret, None).await
}

/// The page, with a device's refused form (`refused`) beside its field.
pub(crate) async fn page(
    state: &AppState,
    c: &Console,
    secret: Option<&str>,
    refused: Option<&Refused>,
) -> PageResult {
    let err = |e| store_error(c.lang, e);
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let devices = state
        .store
        .list_devices(&c.caller, PageRequest::first(PageRequest::MAX_LIMIT))
        .await
        .map_err(err)?;
    let alerts = state
        .store
        .list_alerts(&c.caller, PageRequest::first(PageRequest::MAX_LIMIT))
        .await
        .map_err(err)?;
    let manages = c.caller.require_verified_recorder().is_ok();
    let rows: Vec<Vec<String>> = devices
        .items
        .iter()
        .map(|d| {
            let state_text = if d.enabled { l("启用", "enabled") } else { l("停用", "disabled") };
            let action = if !manages {
                String::new()
            } else {
                let (path, label) = if d.enabled {
                    ("disable", l("停用", "Disable"))
                } else {
                    ("enable", l("启用", "Enable"))
                };
                format!(
                    "<form method=\"post\" action=\"/console/devices/{}/{path}\">{}<button class=\"alt\">{label}</button></form>",
                    d.id,
                    csrf_field(c)
                )
            };
            vec![
                esc(&d.name),
                esc(c.lang.pick(d.kind.zh(), d.kind.as_str())),
                state_text.to_owned(),
                d.last_reading_at
                    .map(|t| esc(&local_time(&t, "+08:00")))
                    .unwrap_or_else(|| l("尚无读数", "no reading yet").to_owned()),
                format!("<code>{}</code>", d.id),
                action,
            ]
        })
        .collect();
    let mut b = format!("<h1>{}</h1>", l("设备", "Devices"));
    if rows.is_empty() {
        let _ = write!(
            b,
            "<div class=\"card\"><p>{}</p></div>",
            l(
                "尚未登记设备：通过 POST /api/v1/devices 登记。",
                "No device yet: register one with POST /api/v1/devices."
            )
        );
    } else {
        b.push_str(&table(
            &[
                l("名称", "Name"),
                l("类型", "Kind"),
                l("状态", "State"),
                l("最新读数", "Latest reading"),
                "ID",
                "",
            ],
            &rows,
        ));
    }
    b.push_str(
        &sections(state, c, &devices.items, manages, refused)
            .await
            .map_err(err)?,
    );
    let _ = write!(b, "<h2>{}</h2>", l("告警", "Alerts"));
    let rows: Vec<Vec<String>> = alerts
        .items
        .iter()
        .map(|a| {
            let kind = match a.kind.as_str() {
                "silent" => l("超时未上报", "silent"),
                _ => l("温度超限", "temperature excursion"),
            };
            vec![
                esc(&a.device_name),
                kind.to_owned(),
                esc(&local_time(&a.started_at, "+08:00")),
                a.ended_at
                    .map(|t| esc(&local_time(&t, "+08:00")))
                    .unwrap_or_else(|| l("持续中", "ongoing").to_owned()),
                a.minutes.map(|m| m.to_string()).unwrap_or_default(),
                a.extreme.map(|x| format!("{x} ℃")).unwrap_or_default(),
            ]
        })
        .collect();
    if rows.is_empty() {
        let _ = write!(
            b,
            "<div class=\"card\"><p>{}</p></div>",
            l("没有告警。", "No alerts.")
        );
    } else {
        b.push_str(&table(
            &[
                l("设备", "Device"),
                l("类型", "Kind"),
                l("开始", "From"),
                l("结束", "Until"),
                l("分钟", "Minutes"),
                l("极值", "Extreme"),
            ],
            &rows,
        ));
    }
    if super::webhooks::manages(c) {
        b.push_str(&super::webhooks::section(state, c, secret).await.map_err(err)?);
    }
    let status = refused.map_or(StatusCode::OK, |r| r.error.status);
    Ok(deliberate(
        (status, Html(layout::page(c, l("设备", "Devices"), &b))).into_response(),
    ))
}

/// Each device's section: its GIAI, places, units and forms.
async fn sections(
    state: &AppState,
    c: &Console,
    devices: &[Device],
    manages: bool,
    refused: Option<&Refused>,
) -> Result<String, suyuan_store::StoreError> {
    if devices.is_empty() {
        return Ok(String::new());
    }
    let places = state
        .store
        .list_places(&c.caller, None, PageRequest::first(PageRequest::MAX_LIMIT))
        .await?
        .items;
    let names: HashMap<Uuid, String> = places.iter().map(|p| (p.id, p.name.clone())).collect();
    let own: Vec<(String, String)> = places
        .iter()
        .filter(|p| p.org_id == c.caller.org_id)
        .map(|p| (p.id.to_string(), p.name.clone()))
        .collect();
    let cx = Context {
        names: &names,
        own: &own,
        manages,
        refused,
    };
    let mut b = String::new();
    for d in devices {
        let history = state.store.device_attachments(&c.caller, d.id).await?;
        b.push_str(&section(c, d, &history, &cx));
    }
    Ok(b)
}

/// Disables a device, back to the page.
pub(crate) async fn disable(State(state): State<AppState>, Id(id): Id, Posted(c, _): Posted) -> PageResult {
    set(&state, &c, id, false).await
}

/// Enables a device, back to the page.
pub(crate) async fn enable(State(state): State<AppState>, Id(id): Id, Posted(c, _): Posted) -> PageResult {
    set(&state, &c, id, true).await
}

async fn set(state: &AppState, c: &Console, id: uuid::Uuid, enabled: bool) -> PageResult {
    state
        .store
        .set_device_enabled(&c.caller, id, enabled)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    Ok(Redirect::to("/console/devices").into_response())
}

/// A row under a storage or transport record on a lot's timeline: the
/// readings of the stay it began (minimum, maximum, mean per quantity and
/// device) and the devices' silences longer than two hours.
pub(crate) fn conditions_row(
    c: &Console,
    cond: &suyuan_store::devices::conditions::StayConditions,
) -> String {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let mut parts: Vec<String> = Vec::new();
    for element in &cond.sensor_element_list {
        for r in element["sensorReport"].as_array().into_iter().flatten() {
            let kind = r["type"].as_str().unwrap_or("");
            let (name, unit) = match kind {
                "Temperature" => (l("温度", "temperature"), "℃"),
                "RelativeHumidity" => (l("相对湿度", "humidity"), "%"),
                _ => (l("光照度", "illuminance"), " lx"),
            };
            let num = |k: &str| r[k].as_f64().map(|v| format!("{v}{unit}")).unwrap_or_default();
            parts.push(format!(
                "{name} {} {} · {} {} · {} {}",
                l("最低", "min"),
                esc(&num("minValue")),
                l("最高", "max"),
                esc(&num("maxValue")),
                l("平均", "mean"),
                esc(&num("meanValue"))
            ));
        }
    }
    if parts.is_empty() {
        parts.push(l("本段无读数", "no readings in this stay").to_owned());
    }
    for g in &cond.gaps {
        parts.push(format!(
            "<b class=\"gap\">{} {} {} – {} ({} {})</b>",
            esc(&g.device_name),
            l("未上报", "silent"),
            esc(&local_time(&g.from, "+08:00")),
            esc(&local_time(&g.until, "+08:00")),
            g.minutes,
            l("分钟", "min")
        ));
    }
    format!(
        "<tr class=\"conditions\"><td></td><td colspan=\"3\">{} {} – {}: {}</td></tr>",
        l("储运条件", "Conditions"),
        esc(&local_time(&cond.from, "+08:00")),
        esc(&local_time(&cond.until, "+08:00")),
        parts.join("; ")
    )
}
