//! A small reader of `multipart/form-data` bodies (RFC 7578), for the one
//! public form that uploads files (a complaint's photos). The whole body
//! is read first within the route's size limit; parts are then split on
//! the boundary. Only what a browser's form sends is understood: each
//! part's `Content-Disposition` name and filename and its `Content-Type`.

use axum::http::StatusCode;

use crate::error::ApiError;

/// One part of the form.
#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    /// The file's name, for a file field (empty when no file was chosen).
    pub filename: Option<String>,
    pub data: Vec<u8>,
}

impl Part {
    /// The part as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

fn malformed(en: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "multipart_malformed",
        format!("the form could not be read: {en}"),
        "无法读取提交的表单",
    )
}

/// The boundary of a `multipart/form-data` content type, if it is one.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut parts = content_type.split(';');
    if !parts.next()?.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parts
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|b| !b.is_empty() && b.len() <= 70)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

/// A parameter (`name="…"`) of a `Content-Disposition` value.
fn disposition_param(value: &str, key: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(key)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// Splits a body into its parts, at most `max_parts` of them.
pub fn parse(body: &[u8], boundary: &str, max_parts: usize) -> Result<Vec<Part>, ApiError> {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut at = find(body, &delimiter, 0).ok_or_else(|| malformed("no boundary"))? + delimiter.len();
    let separator = [b"\r\n".as_slice(), &delimiter].concat();
    let mut parts = Vec::new();
    loop {
        if body[at..].starts_with(b"--") {
            return Ok(parts);
        }
        if !body[at..].starts_with(b"\r\n") {
            return Err(malformed("a boundary line does not end"));
        }
        at += 2;
        let head_end = find(body, b"\r\n\r\n", at).ok_or_else(|| malformed("a part has no header end"))?;
        let head = String::from_utf8_lossy(&body[at..head_end]).into_owned();
        let data_start = head_end + 4;
        let data_end = find(body, &separator, data_start).ok_or_else(|| malformed("a part does not end"))?;
        let disposition = head
            .split("\r\n")
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-disposition"))
            .map(|(_, v)| v.trim().to_owned())
            .ok_or_else(|| malformed("a part has no Content-Disposition"))?;
        let name = disposition_param(&disposition, "name").ok_or_else(|| malformed("a part has no name"))?;
        parts.push(Part {
            name,
            filename: disposition_param(&disposition, "filename"),
            data: body[data_start..data_end].to_vec(),
        });
        if parts.len() > max_parts {
            return Err(malformed("too many fields"));
        }
        at = data_end + separator.len();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_browser_form() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\n123\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--x\r\n\
--XyZ--\r\n";
        let b = boundary("multipart/form-data; boundary=XyZ").unwrap();
        let parts = parse(body, &b, 10).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].text(), "123");
        assert_eq!(parts[1].filename.as_deref(), Some("a.png"));
        assert_eq!(parts[1].data, b"\x89PNG\r\n--x");
        assert!(boundary("application/json").is_none());
        assert!(parse(b"--XyZ\r\nno end", "XyZ", 10).is_err());
    }
}
