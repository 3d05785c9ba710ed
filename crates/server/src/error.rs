//! The one error type of the HTTP layer, rendered as `application/problem+json`
//! (RFC 9457) with a stable machine `code`, the offending `field`, and a
//! Chinese and an English message.
//!
//! Store errors are mapped here and only here; handlers just use `?`.

use axum::http::{header, StatusCode};
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
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
