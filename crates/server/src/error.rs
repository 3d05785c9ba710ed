//! The one error type of the HTTP layer, rendered as `application/problem+json`
//! (RFC 9457) with a stable machine `code`, the offending `field`, and a
//! Chinese and an English message.
//!
//! Store errors are mapped here and only here; handlers just use `?`.
//! Whatever else answers an error (a rejection of one of axum's own
//! extractors, a layer) is turned into a problem by [`ensure_problem`], the
//! application's last layer, unless the handler marked its body as
//! [`deliberate`].

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use suyuan_store::StoreError;
use utoipa::ToSchema;

/// An error as clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// `about:blank` or a URI naming the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short English summary of the status.
    pub title: String,
    pub status: u16,
    /// Stable machine code, e.g. `gtin_check_digit`, `duplicate`, `not_found`.
    pub code: String,
    /// The request field at fault, as a path (`certifications[0].valid_from`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// English explanation.
    pub detail: String,
    /// Chinese explanation.
    pub detail_zh: String,
}

/// An HTTP error response.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub field: Option<String>,
    pub en: String,
    pub zh: String,
    /// Seconds for a `Retry-After` header (429, 503).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, en: impl Into<String>, zh: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            field: None,
            en: en.into(),
            zh: zh.into(),
            retry_after: None,
        }
    }

    /// Adds a `Retry-After` header of `secs` seconds.
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// The server is at its limit for slow work; try again later.
    pub fn busy(retry_after_secs: u64) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the server is busy; try again shortly",
            "服务器繁忙，请稍后再试",
        )
        .with_retry_after(retry_after_secs)
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
            format!("未找到{}", zh_noun(what)),
        )
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in or send a bearer token or API key",
            "请先登录，或提供访问令牌或 API 密钥",
        )
    }

    pub fn problem(&self) -> Problem {
        Problem {
            kind: "about:blank".into(),
            title: self.status.canonical_reason().unwrap_or("Error").into(),
            status: self.status.as_u16(),
            code: self.code.clone(),
            field: self.field.clone(),
            detail: self.en.clone(),
            detail_zh: self.zh.clone(),
        }
    }
}

fn zh_noun(what: &str) -> &str {
    match what {
        "organisation" => "机构",
        "user" => "用户",
        "place" => "场所",
        "product" => "产品",
        "supplier" => "供应商",
        "input" => "投入品",
        "purchase" => "采购记录",
        "API key" => "API 密钥",
        "session" => "会话",
        _ => "资源",
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what } => ApiError::not_found(what),
            StoreError::Forbidden { code, en, zh } => ApiError::new(StatusCode::FORBIDDEN, code, en, zh),
            StoreError::Conflict { code, field, en, zh } => ApiError {
                status: StatusCode::CONFLICT,
                code: code.to_owned(),
                field,
                en,
                zh,
                retry_after: None,
            },
            StoreError::Busy { retry_after_secs } => ApiError::busy(retry_after_secs),
            StoreError::Invalid { field, invalid } => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: invalid.code.to_owned(),
                en: format!("{field}: {}", invalid.en),
                zh: format!("{field}：{}", invalid.zh),
                field: Some(field),
                retry_after: None,
            },
            other => {
                // The details stay in the log; the client learns only that it
                // was our fault.
                tracing::error!(error = %other, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "an internal error occurred; it has been logged",
                    "服务器内部错误，已记录",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut resp = (
            self.status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
            body,
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        resp.extensions_mut().insert(ProblemCode(self.code));
        resp
    }
}

/// The stable code of an error answer, kept in the response's extensions
/// for the audit trail ([`crate::audit`]).
#[derive(Debug, Clone)]
pub struct ProblemCode(pub String);

pub type ApiResult<T> = Result<T, ApiError>;

/// The content type of every error answer.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Marks an error answer whose body is meant as it is, not a problem: the
/// consumer page's HTML error pages for a phone, the probes' status
/// documents. [`ensure_problem`] leaves such answers alone.
#[derive(Debug, Clone, Copy)]
pub struct DeliberateBody;

/// Marks `resp` as a [`DeliberateBody`].
pub fn deliberate(mut resp: Response) -> Response {
    resp.extensions_mut().insert(DeliberateBody);
    resp
}

/// The last-resort mapping of every answer: a 4xx or 5xx that is not
/// `application/problem+json` (axum's plain-text rejections, anything a
/// layer answers) becomes a problem with a `code` named after its status,
/// keeping its status and headers such as `Allow`. A short plain-text body of
/// a 4xx is kept as the English detail; a 5xx's body is dropped.
pub async fn ensure_problem(resp: Response) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error())
        || resp.extensions().get::<DeliberateBody>().is_some()
    {
        return resp;
    }
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    if content_type.as_deref() == Some(PROBLEM_JSON) {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = if status.is_client_error() && content_type.as_deref() == Some("text/plain") {
        axum::body::to_bytes(body, 2048)
            .await
            .ok()
            .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
            .filter(|t| !t.is_empty())
    } else {
        None
    };
    if status.is_server_error() {
        tracing::warn!(
            status = status.as_u16(),
            "an error answer that was not a problem was replaced"
        );
    }
    let (en, zh) = generic_messages(status);
    let mut problem = ApiError::new(
        status,
        &code_for(status),
        text.clone().unwrap_or_else(|| en.to_owned()),
        match text {
            Some(t) => format!("{zh}：{t}"),
            None => zh.to_owned(),
        },
    )
    .into_response();
    for (name, value) in &parts.headers {
        if ![
            header::CONTENT_TYPE,
            header::CONTENT_LENGTH,
            header::TRANSFER_ENCODING,
        ]
        .contains(name)
        {
            problem.headers_mut().append(name.clone(), value.clone());
        }
    }
    problem
}

/// A stable code for a status: its reason phrase in snake case
/// (`payload_too_large`, `method_not_allowed`); `internal` for any 5xx.
fn code_for(status: StatusCode) -> String {
    if status.is_server_error() {
        return "internal".into();
    }
    match status.canonical_reason() {
        Some(reason) => reason
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == ' ' || *c == '-')
            .map(|c| {
                if c == ' ' || c == '-' {
                    '_'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect(),
        None => format!("status_{}", status.as_u16()),
    }
}

fn generic_messages(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::BAD_REQUEST => ("the request is not valid", "请求无效"),
        StatusCode::UNAUTHORIZED => ("sign in or send a bearer token or API key", "请先登录"),
        StatusCode::FORBIDDEN => ("this is not allowed", "无权执行此操作"),
        StatusCode::NOT_FOUND => ("not found", "未找到"),
        StatusCode::METHOD_NOT_ALLOWED => ("this method is not allowed here", "此路径不支持该请求方法"),
        StatusCode::PAYLOAD_TOO_LARGE => ("the request body is too large", "请求体过大"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("this content type is not accepted here", "不支持该请求体类型")
        }
        StatusCode::UNPROCESSABLE_ENTITY => ("the request could not be processed", "请求无法处理"),
        StatusCode::TOO_MANY_REQUESTS => ("too many requests; try again later", "请求过于频繁，请稍后再试"),
        s if s.is_server_error() => ("an internal error occurred", "服务器内部错误"),
        _ => ("the request was refused", "请求被拒绝"),
    }
}
