//! Print-ready labels: `GET /labels` returns a PDF, TSPL or ZPL file
//! of labels for every item of a lot, or for listed lot and item codes, of
//! the caller's own units (another organisation's answers 404). The command
//! line's `suyuan label` goes through [`label_file`] too.
//!
//! Error codes (the field names the parameter): `label_target` (neither or
//! both of `lot` and `codes`), `label_empty`, `label_not_a_lot`,
//! `label_from_range`,
//! `label_size`, `label_format`, `label_dpi`, `label_skip`, `label_too_many`,
//! `label_data`, `label_data_too_long`, the code parsers' own codes; from the
//! store `not_found` (another's or nobody's unit), `lot_has_no_items`,
//! `unit_non_conformant`, and the caller checks (`organisation_suspended`,
//! `role_cannot_record`, …).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use suyuan_core::codes::trace::TraceUnit;
use suyuan_core::Invalid;
use suyuan_labels::{Format, Label, LabelDate, Options, Size};
use suyuan_store::labels::LabelData;
use suyuan_store::{Caller, Store};
use utoipa::IntoParams;

use super::trace::parse_code;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Auth, ValidQuery};
use crate::AppState;

/// What to print.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LabelQuery {
    /// A lot's code in any form: a label for each of its items.
    pub lot: Option<String>,
    /// Lot or item codes in any form, comma-separated (at most 1,000): a
    /// label each, in this order. Give `lot` or `codes`, not both.
    pub codes: Option<String>,
    /// `40x30`, `50x30` (default), `60x40` (roll labels, mm), or A4 sheets:
    /// `a4` (2 x 5 labels of 105 x 57 mm), `a4-3x8` (3 x 8 of 70 x 37 mm) or
    /// `a4-4x10` (4 x 10 of 52.5 x 29.7 mm).
    pub size: Option<String>,
    /// `pdf` (default), `tspl` (TSC, Gprinter, Xprinter) or `zpl` (Zebra);
    /// printer files for roll sizes only.
    pub format: Option<String>,
    /// Printer files: the printer's resolution, 203 (default) or 300 dpi.
    pub dpi: Option<u32>,
    /// With `lot`: the first item to print (1-based, in serial order;
    /// default 1). A file holds at most 20,000 labels: a bigger lot is
    /// printed with `from=20001`, `from=40001`, ….
    pub from: Option<u32>,
    /// A4 sheets: how many positions of the first sheet are already used
    /// (counted row by row from the top left) and left empty, so a partly
    /// used sheet is printed on from its first free label; 0 (default) to
    /// one less than the sheet's labels. Roll labels: 0.
    pub skip: Option<u32>,
}

/// Which units to print.
#[derive(Debug, Clone)]
pub enum LabelTarget {
    /// The items of this lot (a code in any form), from the given one
    /// (1-based, in serial order).
    Lot(String, usize),
    /// These lots and items (codes in any form).
    Codes(Vec<String>),
}

fn invalid(field: &str, e: Invalid) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        e.code,
        format!("{field}: {}", e.en),
        format!("{field}：{}", e.zh),
    )
    .with_field(field)
}

impl LabelQuery {
    /// The target and options, refusals naming the parameter at fault.
    pub fn parse(&self) -> ApiResult<(LabelTarget, Options)> {
        let target = match (&self.lot, &self.codes) {
            (Some(lot), None) => LabelTarget::Lot(lot.clone(), self.from.unwrap_or(1).max(1) as usize),
            (None, Some(codes)) => LabelTarget::Codes(
                codes
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            _ => {
                return Err(invalid(
                    "lot",
                    Invalid::new(
                        "label_target",
                        "give either lot (all its items) or codes (listed lots and items)",
                        "请提供 lot（该批次全部单品）或 codes（所列批次和单品）之一",
                    ),
                ))
            }
        };
        if self.from.is_some() && self.lot.is_none() {
            return Err(invalid(
                "from",
                Invalid::new("label_from_range", "from goes with lot", "from 仅与 lot 一起使用"),
            ));
        }
        if matches!(&target, LabelTarget::Codes(c) if c.is_empty()) {
            return Err(invalid(
                "codes",
                Invalid::new("label_empty", "no codes given", "未提供任何码"),
            ));
        }
        let size = match &self.size {
            Some(s) => s.parse::<Size>().map_err(|e| invalid("size", e))?,
            None => Size::Roll50x30,
        };
        let format = match &self.format {
            Some(f) => f.parse::<Format>().map_err(|e| invalid("format", e))?,
            None => Format::Pdf,
        };
        let dpi = self.dpi.unwrap_or(203);
        if dpi != 203 && dpi != 300 {
            return Err(invalid(
                "dpi",
                Invalid::new(
                    "label_dpi",
                    "printer resolution must be 203 or 300 dpi",
                    "打印机分辨率须为 203 或 300 dpi",
                ),
            ));
        }
        let opts = Options {
            size,
            format,
            dpi,
            skip: self.skip.unwrap_or(0) as usize,
        };
        opts.check().map_err(|e| {
            let field = if e.code == "label_skip" { "skip" } else { "size" };
            invalid(field, e)
        })?;
        Ok((target, opts))
    }
}

/// The canonical identifier of a code typed in any form, naming `field`.
fn canonical(field: &str, code: &str) -> ApiResult<(TraceUnit, String)> {
    let unit = parse_code(code).map_err(|e| e.with_field(field))?;
    let epc = suyuan_store::trace::canonical_epc(&unit).map_err(|e| invalid(field, e))?;
    Ok((unit, epc))
}

/// A label from what the store read, its Digital Link under `public_url`.
pub fn label_of(d: &LabelData, public_url: &str) -> Result<Label, Invalid> {
    let mut dates = Vec::new();
    let mut date = |name: &str, value: Option<chrono::NaiveDate>| {
        if let Some(v) = value {
            dates.push(LabelDate {
                name: name.to_owned(),
                value: v.format("%Y-%m-%d").to_string(),
            });
        }
    };
    date("生产日期", d.production_date);
    date("保质期至", d.best_before);
    date("赋码日期", Some(d.coded_on));
    Label::for_unit(&d.unit, public_url, &d.product_name, dates)
}

/// Reads the caller's units and renders their labels.
pub async fn label_file(
    store: &Store,
    caller: &Caller,
    public_url: &str,
    target: &LabelTarget,
    opts: Options,
) -> ApiResult<Vec<u8>> {
    let data = match target {
        LabelTarget::Lot(code, from) => {
            let (unit, epc) = canonical("lot", code)?;
            if !matches!(unit, TraceUnit::Lot { .. }) {
                return Err(invalid(
                    "lot",
                    Invalid::new(
                        "label_not_a_lot",
                        "lot must be a lot's code (use codes for items)",
                        "lot 须为批次码（单品请用 codes）",
                    ),
                ));
            }
            store.lot_label_data(caller, &epc, *from).await?
        }
        LabelTarget::Codes(codes) => {
            let epcs = codes
                .iter()
                .map(|c| canonical("codes", c).map(|(_, e)| e))
                .collect::<ApiResult<Vec<_>>>()?;
            store.units_label_data(caller, &epcs).await?
        }
    };
    let labels = data
        .iter()
        .map(|d| label_of(d, public_url))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid("codes", e))?;
    // Thousands of labels take a while to draw: off the async workers.
    tokio::task::spawn_blocking(move || suyuan_labels::render(&labels, opts))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "label rendering failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "an internal error occurred; it has been logged",
                "服务器内部错误，已记录",
            )
        })?
        .map_err(|e| invalid("codes", e))
}

/// Labels for every item of a lot, or for listed lots and items, of the
/// caller's organisation: a PDF (roll sizes or A4 sheets) or a TSPL or ZPL
/// printer file. Each label carries a QR code with the GS1 Digital Link, a
/// GS1 DataMatrix (and on A4 a GS1-128) with the element string, the product
/// name, lot, dates and flat trace code.
#[utoipa::path(get, path = "/labels", tag = "trace", params(LabelQuery),
    responses(
        (status = 200, description = "The label file (Content-Disposition: attachment)", content(
            (String = "application/pdf"), (String = "application/vnd.tsc.tspl"), (String = "application/vnd.zebra.zpl"))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn labels(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<LabelQuery>,
) -> ApiResult<Response> {
    let (target, opts) = q.parse()?;
    let bytes = label_file(&state.store, &caller, &state.config.public_url, &target, opts).await?;
    Ok(file_response(opts, bytes))
}

/// A label file as a download (the API's and the console's answer).
pub fn file_response(opts: Options, bytes: Vec<u8>) -> Response {
    crate::export::file(
        bytes,
        opts.format.content_type(),
        &format!("labels-{}.{}", opts.size.name(), opts.format.extension()),
    )
}
