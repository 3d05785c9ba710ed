//! Extractors that validate at the edge: JSON bodies, query strings, path
//! ids and the caller's identity. Each refusal is a problem+json naming the
//! field and the rule, never axum's plain-text default.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;
use suyuan_store::access::Credential;
use suyuan_store::master_log::ClientSignature;
use suyuan_store::{Caller, PageRequest};
use uuid::Uuid;

use crate::error::ApiError;
use crate::AppState;

/// The name of the session cookie set by the web login.
pub const SESSION_COOKIE: &str = "suyuan_session";

/// A JSON body, parsed strictly: the right content type, well-formed JSON,
/// no unknown fields, every required field, the right types.
pub struct ValidJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ValidJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        parse_json(&json_body(req, state).await?).map(ValidJson)
    }
}

/// The bytes of a JSON body: the right content type, readable.
async fn json_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    require_json(req.headers())?;
    read_body(req, state).await
}

/// Whether a `Content-Type` names JSON: `application/json` or any
/// `application/*+json` (such as `application/ld+json`), parameters aside.
pub fn is_json_content_type(value: &str) -> bool {
    let mime = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Refuses (415, naming `Content-Type`) a body not declared as JSON.
pub fn require_json(headers: &header::HeaderMap) -> Result<(), ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(is_json_content_type);
    if is_json {
        Ok(())
    } else {
        Err(not_json())
    }
}

fn not_json() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "send the body as application/json (or another application/*+json type)",
        "请求体须为 application/json（或其他 application/*+json 类型）",
    )
    .with_field("Content-Type")
}

/// The whole body, within the route's size limit: 413 when it is larger,
/// 400 when it cannot be read; problem+json either way.
pub async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_unreadable",
                "the request body is larger than this endpoint accepts",
                "请求体过大",
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "body_unreadable",
                format!("the request body could not be read: {e}"),
                "无法读取请求体",
            )
        }
    })
}

/// The bytes of a body declared as JSON (`application/json` or
/// `application/*+json`), not yet parsed; for handlers that parse it
/// themselves (EPCIS documents).
pub struct JsonBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        json_body(req, state).await.map(JsonBytes)
    }
}

/// Header naming the key of a detached client signature (public key text or fingerprint).
pub const SIGNATURE_KEY_HEADER: &str = "Suyuan-Signature-Key";
/// Header carrying a detached client signature over the request body (base64).
pub const SIGNATURE_HEADER: &str = "Suyuan-Signature";

/// An optional header's text; refused (naming it) when not ASCII.
fn header_text(headers: &header::HeaderMap, name: &str) -> Result<Option<String>, ApiError> {
    headers
        .get(name)
        .map(|v| {
            v.to_str().map(str::to_owned).map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "header_invalid",
                    format!("{name}: must be ASCII text"),
                    format!("{name}：须为 ASCII 文本"),
                )
                .with_field(name)
            })
        })
        .transpose()
}

/// A JSON body like [`ValidJson`], with the client's optional detached
/// signature over the body bytes exactly as sent (headers
/// `Suyuan-Signature-Key` and `Suyuan-Signature`, both or neither; see
/// `suyuan_store::master_log`).
pub struct SignedJson<T>(pub T, pub Option<ClientSignature>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for SignedJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let key = header_text(req.headers(), SIGNATURE_KEY_HEADER)?;
        let signature = header_text(req.headers(), SIGNATURE_HEADER)?;
        let missing = match (&key, &signature) {
            (Some(_), None) => Some(SIGNATURE_HEADER),
            (None, Some(_)) => Some(SIGNATURE_KEY_HEADER),
            _ => None,
        };
        if let Some(name) = missing {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "header_missing",
                format!(
                    "{name}: required with {SIGNATURE_KEY_HEADER} / {SIGNATURE_HEADER}; send both or neither"
                ),
                format!("{name}：{SIGNATURE_KEY_HEADER} 与 {SIGNATURE_HEADER} 须同时提供或都不提供"),
            )
            .with_field(name));
        }
        let bytes = json_body(req, state).await?;
        let body = parse_json(&bytes)?;
        let signed = match (key, signature) {
            (Some(key), Some(signature)) => Some(ClientSignature {
                key,
                signature,
                body: bytes.to_vec(),
            }),
            _ => None,
        };
        Ok(SignedJson(body, signed))
    }
}

/// Parses JSON bytes into `T`, mapping each kind of failure to a clear
/// problem naming the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde would fill a struct from an array by position: refuse anything
    // but an object (well-formed JSON of another type is a wrong type).
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        let well_formed = serde_json::from_slice::<serde_json::Value>(bytes).is_ok();
        return Err(if well_formed {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "wrong_type",
                "the body must be a JSON object",
                "请求体必须是 JSON 对象",
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                "the body is not well-formed JSON",
                "请求体不是合法的 JSON",
            )
        });
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.inner();
        let msg = inner.to_string();
        if !matches!(inner.classify(), serde_json::error::Category::Data) {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("the body is not well-formed JSON: {msg}"),
                format!("请求体不是合法的 JSON：{msg}"),
            );
        }
        let quoted = msg.split('`').nth(1).unwrap_or("").to_owned();
        // The path of an unknown field already ends with its name; that of a
        // missing field is the object that lacks it.
        let (code, field, zh) = if msg.starts_with("unknown field") {
            ("unknown_field", path.clone(), format!("不允许的字段“{quoted}”"))
        } else if msg.starts_with("missing field") {
            let field = if path == "." || path.is_empty() {
                quoted.clone()
            } else {
                format!("{path}.{quoted}")
            };
            ("missing_field", field, format!("缺少必填字段“{quoted}”"))
        } else if msg.starts_with("invalid type") {
            ("wrong_type", path.clone(), format!("字段类型错误：{msg}"))
        } else {
            ("invalid_value", path.clone(), format!("取值无效：{msg}"))
        };
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            format!("{field}: {msg}"),
            format!("{field}：{zh}"),
        )
        .with_field(field)
    })?;
    de.end().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "there is data after the JSON object",
            "JSON 对象之后还有多余的数据",
        )
    })?;
    Ok(value)
}

/// Like [`ValidJson`], but an empty body means `T::default()` (for actions
/// whose body is optional, such as verifying an organisation).
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        // A declared content type must be JSON even when the body is empty:
        // an empty HTML form is no request for the defaults.
        let typed = req.headers().contains_key(header::CONTENT_TYPE);
        if typed {
            require_json(req.headers())?;
        }
        let bytes = read_body(req, state).await?;
        if bytes.is_empty() {
            return Ok(OptionalJson(T::default()));
        }
        if !typed {
            // A body needs its content type.
            return Err(not_json());
        }
        parse_json(&bytes).map(OptionalJson)
    }
}

/// A query string parsed strictly into `T`.
pub struct ValidQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ValidQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        refuse_repeated_parameters(query)?;
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
        serde_path_to_error::deserialize(de).map(ValidQuery).map_err(|e| {
            let field = e.path().to_string();
            let msg = e.inner().to_string();
            let quoted = msg.split('`').nth(1).unwrap_or("").to_owned();
            let field = if msg.starts_with("unknown field") {
                quoted
            } else {
                field
            };
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("query parameter {field}: {msg}"),
                format!("查询参数 {field} 无效：{msg}"),
            )
            .with_field(field)
        })
    }
}

fn form_urlencoded_parse(q: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(q.as_bytes())
}

/// Refuses a query string that gives a parameter more than once (400,
/// `repeated_parameter`, naming it): which of the values would count is
/// anybody's guess.
pub fn refuse_repeated_parameters(query: &str) -> Result<(), ApiError> {
    let mut seen = std::collections::HashSet::new();
    for (name, _) in form_urlencoded_parse(query) {
        if !seen.insert(name.clone()) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "repeated_parameter",
                format!("query parameter {name}: given more than once; give it once"),
                format!("查询参数 {name} 重复出现，只能提供一次"),
            )
            .with_field(name.into_owned()));
        }
    }
    Ok(())
}

/// A query string parsed into `T`, tolerating parameters `T` does not name
/// (the public pages: a Digital Link may carry attributes of its own), but
/// not a repeated one; refusals are problem+json naming the parameter.
pub struct LenientQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for LenientQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        refuse_repeated_parameters(query)?;
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
        serde_path_to_error::deserialize(de)
            .map(LenientQuery)
            .map_err(|e| {
                let field = e.path().to_string();
                let msg = e.inner().to_string();
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    format!("query parameter {field}: {msg}"),
                    format!("查询参数 {field} 无效：{msg}"),
                )
                .with_field(field)
            })
    }
}

/// Paging and owner filters shared by every list.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Rows per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub after: Option<Uuid>,
    /// Only this organisation's records (regulators: one organisation in the
    /// jurisdiction).
    pub org_id: Option<Uuid>,
}

/// `limit`, or its default, when it is within 1 to `max`; else 400
/// `limit_range` naming the field.
pub fn limit_within(limit: Option<u32>, default: u32, max: u32) -> Result<u32, ApiError> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "limit_range",
            format!("limit is 1 to {max}"),
            format!("limit 应在 1 至 {max} 之间"),
        )
        .with_field("limit"));
    }
    Ok(limit)
}

impl ListQuery {
    pub fn page(&self) -> Result<PageRequest, ApiError> {
        let limit = limit_within(self.limit, PageRequest::DEFAULT_LIMIT, PageRequest::MAX_LIMIT)?;
        Ok(PageRequest {
            limit,
            after: self.after,
        })
    }
}

/// A record id from the path. Anything that is not a UUID cannot name a
/// record, so it is answered as not found.
pub struct Id(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found("record"))?;
        Uuid::parse_str(&raw)
            .map(Id)
            .map_err(|_| ApiError::not_found("record"))
    }
}

/// The prefix of API keys (`suyuan_store::users`): bearer credentials for
/// programs, never cookies.
const API_KEY_PREFIX: &str = "syk_";

/// The credential a request carries, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    /// `Authorization: Bearer …`: a session token or an API key.
    Bearer(String),
    /// The session cookie of a browser.
    Cookie(String),
}

impl Presented {
    pub fn secret(&self) -> &str {
        match self {
            Presented::Bearer(s) | Presented::Cookie(s) => s,
        }
    }
}

/// The credential a request carries: `Authorization: Bearer …` or, without
/// one, the session cookie. A cookie holding an API key is no credential.
pub fn presented_credential(parts: &Parts) -> Option<Presented> {
    if let Some(v) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(token) = v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")) {
            return Some(Presented::Bearer(token.trim().to_owned()));
        }
    }
    cookie(&parts.headers, SESSION_COOKIE)
        .filter(|v| !v.starts_with(API_KEY_PREFIX))
        .map(|v| Presented::Cookie(v.to_owned()))
}

/// The value of the cookie `name`, if the request sent it.
pub fn cookie<'a>(headers: &'a header::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// The secret a request carries: `Authorization: Bearer …` or the session
/// cookie (see [`presented_credential`]).
pub fn request_secret(parts: &Parts) -> Option<String> {
    presented_credential(parts).map(|p| p.secret().to_owned())
}

/// The authenticated caller; 401 when the request carries no valid secret.
///
/// A state-changing request authenticated by the session cookie must also
/// come from a page of this site with its CSRF token ([`crate::csrf`]),
/// else 403; this is checked before the session is looked up.
pub struct Auth(pub Caller);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // A client certificate for an API key (mutual TLS, `crate::client_auth`).
        if let Some(caller) = crate::client_auth::certified_caller(&parts.extensions) {
            return Ok(Auth(caller));
        }
        let presented = presented_credential(parts).ok_or_else(ApiError::unauthenticated)?;
        if let Presented::Cookie(session) = &presented {
            crate::csrf::check_cookie_request(parts, &state.config, session)?;
        }
        let caller = state
            .store
            .caller_for_secret(presented.secret())
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        // Cookies are for browsers' sessions only.
        if matches!(presented, Presented::Cookie(_)) && caller.credential != Credential::Session {
            return Err(ApiError::unauthenticated());
        }
        crate::client_auth::check_organisation(&parts.extensions, &caller)?;
        crate::audit::note_caller(&caller)?;
        Ok(Auth(caller))
    }
}
