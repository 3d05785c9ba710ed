//! Sortable exports (in the style of FSMA 204's electronic sortable
//! spreadsheet): a table of one row per event and unit, or per recalled
//! unit, written as XLSX (`rust_xlsxwriter`: a header row in bold, frozen,
//! with an autofilter, so it sorts and filters in Excel and WPS) or as CSV
//! (UTF-8 with a byte-order mark, so Excel opens Chinese text correctly;
//! RFC 4180 quoting).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook};

use crate::error::ApiError;

/// A table to export.
pub struct Table {
    /// The sheet's name (at most 31 characters).
    pub sheet: String,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Xlsx,
    Csv,
}

impl ExportFormat {
    pub fn parse(s: Option<&str>) -> Result<Self, ApiError> {
        match s.unwrap_or("xlsx") {
            "xlsx" => Ok(ExportFormat::Xlsx),
            "csv" => Ok(ExportFormat::Csv),
            _ => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "export_format",
                "the format is xlsx or csv",
                "格式应为 xlsx 或 csv",
            )
            .with_field("format")),
        }
    }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "export failed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "an internal error occurred; it has been logged",
        "服务器内部错误，已记录",
    )
}

/// The table as an XLSX workbook.
pub fn xlsx(table: &Table) -> Result<Vec<u8>, ApiError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .set_name(table.sheet.chars().take(31).collect::<String>())
        .map_err(internal)?;
    let bold = Format::new().set_bold();
    for (c, h) in table.headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *h, &bold)
            .map_err(internal)?;
        sheet.set_column_width(c as u16, 18).map_err(internal)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            // Numbers as numbers, so they sort and sum.
            match v.parse::<f64>() {
                Ok(n) if n.is_finite() && !v.starts_with('0') || v == "0" => {
                    sheet.write_number(r, c, n).map_err(internal)?;
                }
                _ => {
                    sheet.write_string(r, c, v).map_err(internal)?;
                }
            }
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(internal)?;
    let last_col = table.headers.len().saturating_sub(1) as u16;
    sheet
        .autofilter(0, 0, table.rows.len() as u32, last_col)
        .map_err(internal)?;
    book.save_to_buffer().map_err(internal)
}

/// A CSV field, quoted when it needs to be.
fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_owned()
    }
}

/// The table as CSV.
pub fn csv(table: &Table) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    let line = |cells: &mut dyn Iterator<Item = &str>| cells.map(csv_field).collect::<Vec<_>>().join(",");
    out.push_str(&line(&mut table.headers.iter().copied()));
    out.push_str("\r\n");
    for row in &table.rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// The table as a download in `format`, named `{name}.xlsx` or `.csv`.
pub fn download(table: &Table, format: ExportFormat, name: &str) -> Result<Response, ApiError> {
    let (bytes, content_type, ext) = match format {
        ExportFormat::Xlsx => (
            xlsx(table)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        ExportFormat::Csv => (csv(table), "text/csv; charset=utf-8", "csv"),
    };
    Ok(file(bytes, content_type, &format!("{name}.{ext}")))
}

/// A file download.
pub fn file(bytes: Vec<u8>, content_type: &str, filename: &str) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let t = Table {
            sheet: "t".into(),
            headers: vec!["a", "b"],
            rows: vec![vec!["x,y".into(), "say \"hi\"".into()]],
        };
        let s = String::from_utf8(csv(&t)).expect("utf-8");
        assert_eq!(s, "\u{feff}a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n");
        assert!(xlsx(&t).expect("xlsx").starts_with(b"PK"));
    }
}
