//! The label print form of a unit's page: a lot's items (from a
//! chosen one), the items just issued, or one item, as a PDF for roll labels
//! or A4 sticker sheets (from a used sheet's first free position) or as a
//! TSPL or ZPL file for the roll printers at 203 or 300 dpi. The form posts
//! with the session's CSRF token and answers with the file to download,
//! drawn by the API's own [`label_file`] with the signed-in caller, so the
//! refusals are the API's: another organisation's unit is not found (404), a
//! pending or suspended organisation prints nothing (403), and a bad choice
//! is shown beside its field on the unit's page again (422).

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use suyuan_labels::{Format, Size};
use suyuan_store::trace::units::Unit;

use super::layout::{csrf_field, esc, hidden};
use super::{error_page, store_error, Console, Fields, PageResult, Posted, T};
use crate::api::labels::{file_response, label_file, LabelQuery};
use crate::api::trace::code_forms;
use crate::error::ApiError;
use crate::extract::Id;
use crate::AppState;

/// Most codes the form carries (the API's limit for listed codes); a bigger
/// issue is printed from the lot's form.
pub(crate) const MAX_FORM_CODES: usize = 1000;

/// The fields of the form, in order.
const FIELDS: [&str; 5] = ["size", "format", "dpi", "skip", "from"];

fn size_name(c: &Console, size: Size) -> String {
    let (w, h) = size.label_mm();
    let (cols, rows) = size.grid();
    if size.is_roll() {
        format!("{w}×{h} mm {}", c.lang.pick("卷标", "roll"))
    } else {
        format!(
            "A4 {cols}×{rows}（{w}×{h} mm，{} {}）",
            cols * rows,
            c.lang.pick("张/页", "per sheet")
        )
    }
}

fn options(current: &str, all: &[(String, String)]) -> String {
    let mut s = String::new();
    for (value, label) in all {
        let sel = if value == current { " selected" } else { "" };
        let _ = write!(s, "<option value=\"{}\"{sel}>{}</option>", esc(value), esc(label));
    }
    s
}

/// The print form of `unit`'s page: for `codes` (items just issued) when
/// given, else for the lot's items or the item itself. `refused` is a
/// refused post: the problem, shown beside the field it names, and the
/// values chosen.
pub(crate) fn print_form(
    c: &Console,
    unit: &Unit,
    codes: Option<&[String]>,
    refused: Option<(&ApiError, &Fields)>,
) -> String {
    let chosen = |name: &str, default: &str| -> String {
        refused
            .and_then(|(_, f)| f.get(name))
            .unwrap_or(default)
            .to_owned()
    };
    let said = |e: &ApiError| esc(c.lang.pick(&e.zh, &e.en));
    let msg_for = |f: &str| match refused {
        Some((e, _)) if e.field.as_deref() == Some(f) => {
            format!("<p class=\"err\" data-field=\"label-{f}\">{}</p>", said(e))
        }
        _ => String::new(),
    };
    let mut b = format!(
        "<form class=\"card\" id=\"print\" method=\"post\" action=\"/console/lots/{}/labels\">{}",
        unit.id,
        csrf_field(c)
    );
    let codes = codes.filter(|cs| !cs.is_empty() && cs.len() <= MAX_FORM_CODES);
    let what = match codes {
        Some(cs) => {
            b.push_str(&hidden("codes", &cs.join(",")));
            c.lang
                .pick(
                    &format!("{}：刚发放的 {} 个单品", c.t(T::Labels), cs.len()),
                    &format!("{}: the {} items just issued", c.t(T::Labels), cs.len()),
                )
                .to_owned()
        }
        None if unit.kind == "lot" => format!(
            "{}{}",
            c.t(T::Labels),
            c.lang.pick("：该批次的单品", ": the lot's items")
        ),
        None => c
            .lang
            .pick("打印该单品的标签", "Print this item's label")
            .to_owned(),
    };
    let _ = write!(b, "<h2>{}</h2>", esc(&what));
    if let Some((e, _)) = refused.filter(|(e, _)| !FIELDS.contains(&e.field.as_deref().unwrap_or(""))) {
        let _ = write!(b, "<p class=\"err\" id=\"print-error\">{}</p>", said(e));
    }
    let sizes: Vec<(String, String)> = Size::ALL
        .iter()
        .map(|s| (s.name().to_owned(), size_name(c, *s)))
        .collect();
    let formats: Vec<(String, String)> = Format::ALL
        .iter()
        .map(|f| {
            let label = match f {
                Format::Pdf => "PDF",
                Format::Tspl => c
                    .lang
                    .pick("TSPL（TSC、佳博、芯烨）", "TSPL (TSC, Gprinter, Xprinter)"),
                Format::Zpl => "ZPL (Zebra)",
            };
            (f.name().to_owned(), label.to_owned())
        })
        .collect();
    let dpis: Vec<(String, String)> = ["203", "300"]
        .iter()
        .map(|d| (d.to_string(), format!("{d} dpi")))
        .collect();
    let _ = write!(
        b,
        "<label for=\"label-size\">{sl}</label><select id=\"label-size\" name=\"size\">{sizes}</select>{se}\
         <label for=\"label-format\">{fl}</label><select id=\"label-format\" name=\"format\">{formats}</select>{fe}\
         <label for=\"label-dpi\">{dl} <small>{dh}</small></label><select id=\"label-dpi\" name=\"dpi\">{dpis}</select>{de}\
         <label for=\"label-skip\">{kl} <small>{kh}</small></label>\
         <input id=\"label-skip\" name=\"skip\" type=\"number\" min=\"0\" max=\"39\" value=\"{skip}\">{ke}",
        sl = c.lang.pick("尺寸", "Size"),
        sizes = options(&chosen("size", "50x30"), &sizes),
        se = msg_for("size"),
        fl = c.lang.pick("格式", "Format"),
        formats = options(&chosen("format", "pdf"), &formats),
        fe = msg_for("format"),
        dl = c.lang.pick("打印机分辨率", "Printer resolution"),
        dh = c.lang.pick("仅 TSPL、ZPL", "TSPL and ZPL only"),
        dpis = options(&chosen("dpi", "203"), &dpis),
        de = msg_for("dpi"),
        kl = c.lang.pick("A4 起始位置：已用的标签数", "A4 start: labels already used"),
        kh = c.lang.pick("从左上起逐行计数", "counted row by row from the top left"),
        skip = esc(&chosen("skip", "0")),
        ke = msg_for("skip"),
    );
    if codes.is_none() && unit.kind == "lot" {
        let _ = write!(
            b,
            "<label for=\"label-from\">{} <small>{}</small></label>\
             <input id=\"label-from\" name=\"from\" type=\"number\" min=\"1\" value=\"{}\">{}",
            c.lang.pick("从第几件单品开始", "From item"),
            c.lang
                .pick("每个文件最多 20,000 张", "at most 20,000 labels a file"),
            esc(&chosen("from", "1")),
            msg_for("from"),
        );
    }
    let _ = write!(
        b,
        "<button id=\"print-labels\">{}</button></form>",
        c.lang.pick("下载标签文件", "Download the label file")
    );
    b
}

/// What the posted form asks for, as the API's query; `code` is the unit's
/// code in a form naming its lot (an item's EPC URN does not).
fn query(unit: &Unit, code: String, f: &Fields) -> Result<LabelQuery, ApiError> {
    let number = |name: &str| -> Result<Option<u32>, ApiError> {
        f.get(name)
            .map(|v| {
                v.parse::<u32>().map_err(|_| {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_value",
                        format!("{name} is a whole number"),
                        format!("{name} 应为整数"),
                    )
                    .with_field(name)
                })
            })
            .transpose()
    };
    let codes = f.get("codes").map(str::to_owned);
    let (lot, codes, from) = match codes {
        Some(codes) => (None, Some(codes), None),
        None if unit.kind == "lot" => (Some(code), None, number("from")?),
        None => (None, Some(code), None),
    };
    Ok(LabelQuery {
        lot,
        codes,
        size: f.get("size").map(str::to_owned),
        format: f.get("format").map(str::to_owned),
        dpi: number("dpi")?,
        from,
        skip: number("skip")?,
    })
}

/// Draws the labels the form asks for: the file, or the unit's page again
/// with the refusal beside its field.
pub(crate) async fn print(State(state): State<AppState>, Id(id): Id, Posted(c, f): Posted) -> PageResult {
    let unit = state
        .store
        .get_unit(&c.caller, id)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let code = unit
        .trace_unit()
        .and_then(|u| code_forms(&u, &state.config.public_url).ok())
        .map_or_else(|| unit.epc.clone(), |forms| forms.digital_link);
    let drawn = match query(&unit, code, &f) {
        Ok(q) => match q.parse() {
            Ok((target, opts)) => {
                label_file(&state.store, &c.caller, &state.config.public_url, &target, opts)
                    .await
                    .map(|bytes| file_response(opts, bytes))
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match drawn {
        Ok(file) => Ok(file),
        Err(e) => refused(&state, &c, &unit, &f, e).await,
    }
}

/// A refusal: a choice the clerk can correct (422, or a lot with nothing to
/// print) on the unit's page again; anything else (not found, not allowed)
/// as an error page.
async fn refused(
    state: &AppState,
    c: &Console,
    unit: &Unit,
    f: &Fields,
    e: ApiError,
) -> Result<Response, Response> {
    if e.status != StatusCode::UNPROCESSABLE_ENTITY && e.status != StatusCode::CONFLICT {
        return Err(error_page(c.lang, e));
    }
    let codes: Option<Vec<String>> = f
        .get("codes")
        .map(|cs| cs.split(',').map(str::to_owned).collect());
    super::lots::unit_page(state, c, unit, codes.as_deref(), Some((&e, f))).await
}
