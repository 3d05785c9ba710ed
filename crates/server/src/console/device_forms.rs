//! A device's section on the devices page (R-5.3.2.1, R-4.2.4): its GIAI
//! (or why no EPCIS event records what it is attached to), the place it is
//! at and the places it was at, the lots and units it is attached to, and,
//! for a recorder of a verified organisation, the forms moving it to
//! another of the organisation's places and attaching it to (or detaching
//! it from) a lot or unit. Each form carries the session's CSRF token and
//! calls the store as the API does, so its refusals are the API's, shown
//! beside the field they name (others as an error page).

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use suyuan_store::devices::units::DeviceAttachments;
use suyuan_store::devices::Device;
use uuid::Uuid;

use super::layout::{csrf_field, esc, hidden, local_time, table};
use super::{error_page, Console, PageResult, Posted};
use crate::error::ApiError;
use crate::extract::Id;
use crate::AppState;

/// A refused form of one device's section, shown beside its field.
pub(crate) struct Refused {
    pub device: Uuid,
    /// `place`, `attach` or `detach`.
    pub form: &'static str,
    pub error: ApiError,
    /// What was typed or chosen.
    pub value: String,
}

/// What the section needs besides the device.
pub(crate) struct Context<'a> {
    /// Names of the places the caller may read, by id.
    pub names: &'a HashMap<Uuid, String>,
    /// The caller's own places: (id, name), for the move form.
    pub own: &'a [(String, String)],
    /// The caller may move and attach its devices.
    pub manages: bool,
    pub refused: Option<&'a Refused>,
}

fn note(c: &Console, d: &Device) -> String {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let why = match d.epcis_note.as_deref() {
        Some("no_company_prefix") => l(
            "登记时本机构尚无经核验的厂商识别代码，设备没有 GIAI：其关联只以留痕记录保存，不生成 EPCIS 事件",
            "its organisation had no verified company prefix when it was registered, so it has no GIAI: what it is attached to is kept as logged records, without EPCIS events",
        ),
        Some(_) => l(
            "当前场所没有 GLN：此次安装未生成 EPCIS 事件",
            "its current place has no GLN: no EPCIS event records this attachment",
        ),
        None => "",
    };
    let giai = d.giai.as_deref().map_or_else(
        || l("无", "none").to_owned(),
        |g| format!("<code>{}</code>", esc(g)),
    );
    let mut s = format!("<p>GIAI：{giai}</p>");
    if !why.is_empty() {
        let _ = write!(s, "<p class=\"note\" data-note=\"epcis\">{why}</p>");
    }
    s
}

/// The refusal of `form` of device `d`, if that is what was refused.
fn refusal<'a>(cx: &'a Context<'_>, d: &Device, form: &str) -> Option<&'a Refused> {
    cx.refused.filter(|r| r.device == d.id && r.form == form)
}

fn said(c: &Console, r: Option<&Refused>) -> String {
    r.map_or_else(String::new, |r| {
        format!(
            "<p class=\"err\" data-field=\"{}\">{} <small>({})</small></p>",
            esc(r.error.field.as_deref().unwrap_or(r.form)),
            esc(c.lang.pick(&r.error.zh, &r.error.en)),
            esc(&r.error.code)
        )
    })
}

/// One device's section.
pub(crate) fn section(c: &Console, d: &Device, history: &DeviceAttachments, cx: &Context<'_>) -> String {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let name_of = |p: &Uuid| cx.names.get(p).map_or_else(|| p.to_string(), |n| n.clone());
    let mut b = format!(
        "<section class=\"card\" id=\"device-{}\"><h3>{}</h3>{}<p>{}：{}</p>",
        d.id,
        esc(&d.name),
        note(c, d),
        l("当前场所", "Current place"),
        esc(&name_of(&d.place_id))
    );
    let rows: Vec<Vec<String>> = history
        .places
        .iter()
        .rev()
        .map(|p| {
            vec![
                esc(&name_of(&p.place_id)),
                esc(&local_time(&p.from, "+08:00")),
                p.until
                    .map(|t| esc(&local_time(&t, "+08:00")))
                    .unwrap_or_else(|| l("至今", "now").to_owned()),
            ]
        })
        .collect();
    let _ = write!(b, "<h4>{}</h4>", l("场所记录", "Place history"));
    b.push_str(&table(
        &[l("场所", "Place"), l("自", "From"), l("至", "Until")],
        &rows,
    ));
    let _ = write!(b, "<h4>{}</h4>", l("随行批次与单元", "Lots and units attached"));
    b.push_str(&said(c, refusal(cx, d, "detach")));
    if history.units.is_empty() {
        let _ = write!(b, "<p>{}</p>", l("未关联批次或单元。", "None."));
    }
    for u in &history.units {
        let unit_link = format!(
            "<a href=\"/console/lots/{}\"><code>{}</code></a>",
            suyuan_store::trace::unit_id(&u.unit),
            esc(&u.unit)
        );
        let _ = write!(
            b,
            "<p data-unit=\"{}\">{unit_link} · {} {}",
            esc(&u.unit),
            l("关联于", "since"),
            esc(&local_time(&u.created_at, "+08:00"))
        );
        if cx.manages {
            let _ = write!(
                b,
                " <form class=\"inline\" method=\"post\" action=\"/console/devices/{}/detach\">{}{}<button class=\"alt\">{}</button></form>",
                d.id,
                csrf_field(c),
                hidden("code", &u.unit),
                l("解除关联", "Detach")
            );
        }
        b.push_str("</p>");
    }
    if cx.manages {
        b.push_str(&forms(c, d, cx));
    }
    b.push_str("</section>");
    b
}

/// The move and attach forms of a device.
fn forms(c: &Console, d: &Device, cx: &Context<'_>) -> String {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let moved = refusal(cx, d, "place");
    let chosen = moved.map_or_else(|| d.place_id.to_string(), |r| r.value.clone());
    let attached = refusal(cx, d, "attach");
    let mut picker = format!("<select name=\"place\" id=\"place-{}\">", d.id);
    for (value, label) in cx.own {
        let sel = if *value == chosen { " selected" } else { "" };
        let _ = write!(
            picker,
            "<option value=\"{}\"{sel}>{}</option>",
            esc(value),
            esc(label)
        );
    }
    picker.push_str("</select>");
    format!(
        "<form method=\"post\" action=\"/console/devices/{id}/place\">{csrf}\
         <label for=\"place-{id}\">{pl}</label>{picker}{pe}<button>{mv}</button></form>\
         <form method=\"post\" action=\"/console/devices/{id}/attach\">{csrf}\
         <label for=\"code-{id}\">{cl}</label><input id=\"code-{id}\" name=\"code\" value=\"{typed}\" \
         placeholder=\"(01)…(10)… / https://…/01/…/10/…\">{ae}<button>{at}</button></form>",
        id = d.id,
        csrf = csrf_field(c),
        pl = l("移到本机构的场所", "Move to one of your places"),
        pe = said(c, moved),
        mv = l("移动", "Move"),
        cl = l(
            "关联到批次或单元（追溯码、GS1 码、SSCC）",
            "Attach to a lot or unit (trace code, GS1 code, SSCC)"
        ),
        typed = esc(attached.map_or("", |r| r.value.as_str())),
        ae = said(c, attached),
        at = l("关联", "Attach"),
    )
}

/// After a form: back to the device's section, or the page with the
/// refusal beside the field it names (any other refusal: an error page).
async fn after(
    state: &AppState,
    c: &Console,
    device: Uuid,
    form: &'static str,
    done: Result<(), ApiError>,
    value: String,
) -> PageResult {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/console/devices#device-{device}")).into_response()),
        Err(error) if matches!(error.field.as_deref(), Some("place" | "code")) => {
            let refused = Refused {
                device,
                form,
                error,
                value,
            };
            super::devices::page(state, c, None, Some(&refused)).await
        }
        Err(e) => Err(error_page(c.lang, e)),
    }
}

/// Moves a device to another of the organisation's places.
pub(crate) async fn move_to(State(state): State<AppState>, Id(id): Id, Posted(c, f): Posted) -> PageResult {
    let place = f.text("place");
    let done = state
        .store
        .move_device(&c.caller, id, &place)
        .await
        .map(|_| ())
        .map_err(ApiError::from);
    after(&state, &c, id, "place", done, place).await
}

/// Attaches a device to a lot or unit.
pub(crate) async fn attach(State(state): State<AppState>, Id(id): Id, Posted(c, f): Posted) -> PageResult {
    attach_or_detach(&state, &c, id, &f.text("code"), true).await
}

/// Detaches a device from a lot or unit.
pub(crate) async fn detach(State(state): State<AppState>, Id(id): Id, Posted(c, f): Posted) -> PageResult {
    attach_or_detach(&state, &c, id, &f.text("code"), false).await
}

async fn attach_or_detach(state: &AppState, c: &Console, id: Uuid, code: &str, attach: bool) -> PageResult {
    let done = crate::api::devices::attach_or_detach(state, &c.caller, id, code, attach)
        .await
        .map(|_| ());
    let form = if attach { "attach" } else { "detach" };
    after(state, c, id, form, done, code.to_owned()).await
}
