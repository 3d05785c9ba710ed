//! Detached client signatures: records an organisation signs itself (its
//! private key on a UKey, R-5.3.3.3 e) and the platform only verifies.
//!
//! The client computes what to sign before sending, from what it sends:
//!
//! - an EPCIS event: `signed_hash` = the 32 bytes of its CBV 2.0 event hash
//!   (the hex of `ni:///sha-256;<hex>?ver=CBV2.0`, the eventID's default);
//!   an error declaration: `signed_hash` = SHA-256(
//!   `"suyuan-error-declaration/v1\n"` || those 32 bytes || canonical JSON of
//!   its `errorDeclaration` object), so that a signature of an event cannot
//!   be replayed as its declaration;
//! - signs `signed_message(sha256, signed_hash)` of `suyuan_ledger::record`.
//!
//! A capture document carries the signatures in a top-level extension member,
//! `{namespace TLOG_NS}signatures` (written `"suyuan:signatures"` with
//! `"suyuan": "https://suyuan.dev/ns/tlog/"` in `@context`), which the event
//! hash does not cover:
//!
//! ```json
//! "suyuan:signatures": [{"eventID": "…", "key": "<public key text or fingerprint>",
//!                        "signature": "<base64>", "errorDeclaration": false}]
//! ```
//!
//! Every signature is checked before anything is written: a malformed entry,
//! an entry for an event not in the document, an unknown or revoked key or a
//! signature that does not verify over the event refuses the whole capture,
//! naming the event and the field; so does an event without a signature when
//! the organisation has active keys but none the platform holds. A checked
//! signature travels with its held event to the log append
//! (`Store::sign_events`); the leaf is then a version-2 leaf binding both the
//! stored document's hash and `signed_hash`.

use std::collections::HashMap;

use serde_json::Value;
use suyuan_core::epcis::{Event, Namespaces};
use suyuan_core::Invalid;
use suyuan_ledger::keys::{Signature, VerifyingKey};
use suyuan_ledger::record::{canonical_json, signed_message, SignedRecord};
use suyuan_ledger::Hash;
use uuid::Uuid;

use crate::tlog::LOG_HASH;
use crate::{params, Result, Store};

/// The namespace of the capture document's signature member.
pub const TLOG_NS: &str = "https://suyuan.dev/ns/tlog/";
/// Local name of the signature member.
pub const SIGNATURES_MEMBER: &str = "signatures";
/// Domain separation of an error declaration's signed hash.
pub const ERROR_DECLARATION_CONTEXT: &str = "suyuan-error-declaration/v1\n";

/// A verified detached signature, waiting for its leaf.
#[derive(Debug, Clone)]
pub(crate) struct DetachedSignature {
    pub signed_hash: Hash,
    pub key: VerifyingKey,
    pub key_id: String,
    pub signature: Signature,
}

impl DetachedSignature {
    /// The signed record of a stored record whose hash is `record_hash`
    /// (a version-2 leaf: it binds both hashes).
    pub fn record(self, record_hash: Hash) -> SignedRecord {
        SignedRecord {
            record_hash,
            signed_hash: Some(self.signed_hash),
            signer: self.key,
            signature: self.signature,
            batch: None,
        }
    }
}

/// The checked signatures of one capture, by (eventID, is error declaration).
#[derive(Debug, Default)]
pub(crate) struct CaptureSignatures {
    by_event: HashMap<(String, bool), DetachedSignature>,
}

impl CaptureSignatures {
    /// The event's checked signature, if the client sent one.
    pub fn of(&self, event_id: &str, is_error_declaration: bool) -> Option<DetachedSignature> {
        self.by_event
            .get(&(event_id.to_owned(), is_error_declaration))
            .cloned()
    }
}

/// An organisation's keys as signature checks need them.
pub(crate) struct SignatureKeys {
    /// Key id and public key text → (key id, public key text, revoked).
    by_name: HashMap<String, (String, String, bool)>,
    active: bool,
    platform_held: bool,
}

impl SignatureKeys {
    /// True when the organisation has active keys but none the platform
    /// holds: each record must then carry the client's signature.
    pub fn needs_client_signature(&self) -> bool {
        self.active && !self.platform_held
    }

    /// Checks one signature over `signed_hash` (`what` names it in the
    /// refusal). The error names the failing part: `key` or `signature`.
    pub fn check(
        &self,
        key: &str,
        signature: Signature,
        signed_hash: Hash,
        what: &str,
    ) -> std::result::Result<DetachedSignature, (&'static str, Invalid)> {
        let Some((key_id, text, revoked)) = self.by_name.get(key.trim()) else {
            return Err((
                "key",
                Invalid::new(
                    "signature_key_unknown",
                    "is not a key registered by your organisation (POST /tlog/keys)",
                    "不是贵机构已登记的公钥（POST /tlog/keys）",
                ),
            ));
        };
        if *revoked {
            return Err((
                "key",
                Invalid::new(
                    "signature_key_revoked",
                    "this key is revoked: records signed with it are no longer accepted",
                    "该密钥已被吊销，不再接受其签名的记录",
                ),
            ));
        }
        let key = VerifyingKey::parse(text).map_err(|e| {
            (
                "key",
                Invalid::new(
                    "signature_key_unknown",
                    format!("the registered key cannot be read: {e}"),
                    format!("已登记的公钥无法解析：{e}"),
                ),
            )
        })?;
        if key
            .verify(&signed_message(LOG_HASH, &signed_hash), &signature)
            .is_err()
        {
            return Err((
                "signature",
                Invalid::new(
                    "signature_invalid",
                    format!("does not verify under this key over {what} (signed something else or a changed record, or with another key)"),
                    format!("按该公钥验签失败（签的是其他或被改动的内容，或用了其他密钥）：{what}"),
                ),
            ));
        }
        Ok(DetachedSignature {
            signed_hash,
            key,
            key_id: key_id.clone(),
            signature,
        })
    }
}

/// One refusal: event index (None: the document), field, rule.
pub(crate) type SignatureProblem = (Option<usize>, String, Invalid);

/// The hash a client signs for an event (see the module doc).
pub fn event_signed_hash(ev: &Event) -> Option<Hash> {
    let id = ev.hash_id();
    let hex = id
        .strip_prefix(suyuan_core::epcis::hash::HASH_ID_PREFIX)?
        .strip_suffix(suyuan_core::epcis::hash::HASH_ID_SUFFIX)?;
    let event_hash = Hash::from_hex(hex).ok()?;
    let Some(declaration) = ev.json.get("errorDeclaration") else {
        return Some(event_hash);
    };
    let mut bytes = ERROR_DECLARATION_CONTEXT.as_bytes().to_vec();
    bytes.extend_from_slice(event_hash.as_bytes());
    bytes.extend_from_slice(canonical_json(declaration).as_bytes());
    Some(LOG_HASH.digest(&bytes))
}

fn bad(field: String, code: &'static str, en: impl Into<String>, zh: impl Into<String>) -> SignatureProblem {
    (None, field, Invalid::new(code, en, zh))
}

struct Entry {
    index: usize,
    event_id: String,
    error_declaration: bool,
    key: String,
    signature: Signature,
}

/// The signature member's entries, or what is wrong with them.
fn read_entries(doc: &Value) -> (Option<String>, Vec<Entry>, Vec<SignatureProblem>) {
    let mut problems = Vec::new();
    let Some(obj) = doc.as_object() else {
        return (None, Vec::new(), problems);
    };
    let ns = Namespaces::standard().with_context(obj.get("@context").unwrap_or(&Value::Null));
    let Some((name, member)) = obj.iter().find(|(k, _)| {
        ns.split_key(k)
            .is_some_and(|(iri, local)| iri == TLOG_NS && local == SIGNATURES_MEMBER)
    }) else {
        return (None, Vec::new(), problems);
    };
    let Some(list) = member.as_array() else {
        problems.push(bad(
            name.clone(),
            "signatures_malformed",
            "must be an array of {eventID, key, signature} objects",
            "应为由 {eventID, key, signature} 对象组成的数组",
        ));
        return (Some(name.clone()), Vec::new(), problems);
    };
    let mut entries = Vec::with_capacity(list.len());
    for (index, item) in list.iter().enumerate() {
        let at = format!("{name}[{index}]");
        let text = |field: &str| item.get(field).and_then(Value::as_str).map(str::trim);
        let (Some(event_id), Some(key), Some(sig)) = (text("eventID"), text("key"), text("signature")) else {
            problems.push(bad(
                at,
                "signatures_malformed",
                "each signature needs the strings eventID, key and signature",
                "每个签名须包含字符串 eventID、key 和 signature",
            ));
            continue;
        };
        let error_declaration = match item.get("errorDeclaration") {
            None | Some(Value::Bool(false)) => false,
            Some(Value::Bool(true)) => true,
            Some(_) => {
                problems.push(bad(
                    format!("{at}.errorDeclaration"),
                    "signatures_malformed",
                    "must be true or false",
                    "应为 true 或 false",
                ));
                continue;
            }
        };
        let Ok(signature) = Signature::from_base64(sig) else {
            problems.push(bad(
                format!("{at}.signature"),
                "signature_malformed",
                "must be standard base64 of a 64-byte signature",
                "应为 64 字节签名的标准 base64 编码",
            ));
            continue;
        };
        entries.push(Entry {
            index,
            event_id: event_id.to_owned(),
            error_declaration,
            key: key.to_owned(),
            signature,
        });
    }
    (Some(name.clone()), entries, problems)
}

impl Store {
    /// The caller's organisation's keys, by id and by public key text.
    pub(crate) async fn signature_keys(&self, org_id: Uuid) -> Result<SignatureKeys> {
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT key_id, public_key, private_key_cipher, revoked_at FROM org_keys WHERE org_id = $1",
                &params![org_id],
            )
            .await?;
        let mut keys = SignatureKeys {
            by_name: HashMap::new(),
            active: false,
            platform_held: false,
        };
        for r in &rows {
            let revoked = r.opt_int("revoked_at")?.is_some();
            if !revoked {
                keys.active = true;
                keys.platform_held |= r.opt_text("private_key_cipher")?.is_some();
            }
            let entry = (r.text("key_id")?, r.text("public_key")?, revoked);
            keys.by_name.insert(entry.1.clone(), entry.clone());
            keys.by_name.insert(entry.0.clone(), entry);
        }
        Ok(keys)
    }

    /// Checks the detached signatures of a capture document against the
    /// caller's organisation's keys (see the module doc). `events` are the
    /// document's events (parsed or refused) and their eventIDs.
    pub(crate) async fn capture_signatures(
        &self,
        org_id: Uuid,
        doc: &Value,
        events: &[(Option<&Event>, &str)],
    ) -> Result<std::result::Result<CaptureSignatures, Vec<SignatureProblem>>> {
        let (name, entries, mut problems) = read_entries(doc);
        let name = name.unwrap_or_else(|| "suyuan:signatures".to_owned());
        let keys = self.signature_keys(org_id).await?;

        let positions: HashMap<(&str, bool), usize> = events
            .iter()
            .enumerate()
            .filter_map(|(i, (ev, id))| ev.map(|e| ((*id, e.error_declaration.is_some()), i)))
            .collect();
        let mut out = CaptureSignatures::default();
        for e in entries {
            let at = format!("{name}[{}]", e.index);
            let Some(&i) = positions.get(&(e.event_id.as_str(), e.error_declaration)) else {
                problems.push(bad(
                    format!("{at}.eventID"),
                    "signature_event_unknown",
                    "names no event of this document (or an event that is not valid)",
                    "未指向本文档中的（有效）事件",
                ));
                continue;
            };
            let Some(signed_hash) = events[i].0.and_then(event_signed_hash) else {
                continue;
            };
            let checked = match keys.check(&e.key, e.signature, signed_hash, "this event's CBV 2.0 hash") {
                Ok(c) => c,
                Err((field, invalid)) => {
                    problems.push((Some(i), format!("{at}.{field}"), invalid));
                    continue;
                }
            };
            let slot = (e.event_id.clone(), e.error_declaration);
            if out.by_event.contains_key(&slot) {
                problems.push((
                    Some(i),
                    format!("{at}.eventID"),
                    Invalid::new(
                        "signature_duplicate",
                        "this event already has a signature in this document",
                        "该事件在本文档中已有签名",
                    ),
                ));
                continue;
            }
            out.by_event.insert(slot, checked);
        }
        // Events the platform cannot sign for the organisation.
        if keys.needs_client_signature() {
            for (i, (ev, id)) in events.iter().enumerate() {
                if let Some(ev) = ev {
                    if !out
                        .by_event
                        .contains_key(&((*id).to_owned(), ev.error_declaration.is_some()))
                    {
                        problems.push((
                            Some(i),
                            name.clone(),
                            Invalid::new(
                                "signature_missing",
                                "your organisation signs with its own key, which the platform does not hold: sign this event and send the signature",
                                "贵机构使用自持密钥签名，平台不持有该私钥：请对此事件签名并随请求提交签名",
                            ),
                        ));
                    }
                }
            }
        }
        Ok(if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems)
        })
    }
}
