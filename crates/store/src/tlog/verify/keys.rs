//! The key history `verify` judges signatures by: every row of `org_keys`,
//! its public key checked against its fingerprint (the row's key).

use foldhash::{HashMap, HashMapExt};

use suyuan_ledger::keys::VerifyingKey;

use super::Problems;
use crate::db::Conn;
use crate::Result;

/// One organisation key as `verify` needs it.
pub(super) struct KeyInfo {
    /// `None` when the stored public key does not parse (reported).
    pub key: Option<VerifyingKey>,
    pub org_id: String,
    pub revoked_at: Option<i64>,
}

/// Every organisation key, by fingerprint; a public key that does not parse
/// or does not match its fingerprint is reported.
pub(super) async fn key_history(
    conn: &mut Conn<'_>,
    problems: &mut Problems,
) -> Result<HashMap<String, KeyInfo>> {
    let mut keys: HashMap<String, KeyInfo> = HashMap::new();
    for r in conn.fetch_all("SELECT * FROM org_keys", &[]).await? {
        let key_id = r.text("key_id")?;
        let text = r.text("public_key")?;
        let key = match VerifyingKey::parse(&text) {
            Ok(k) => {
                let fp = k.fingerprint().to_hex();
                if fp != key_id {
                    problems.add(
                        "org_keys",
                        key_id.clone(),
                        "public_key",
                        format!("a key with fingerprint {key_id}"),
                        format!("{text} (fingerprint {fp})"),
                        None,
                    );
                }
                Some(k)
            }
            Err(e) => {
                problems.add(
                    "org_keys",
                    key_id.clone(),
                    "public_key",
                    "a canonical public key".into(),
                    format!("{text} ({e})"),
                    None,
                );
                None
            }
        };
        keys.insert(
            key_id,
            KeyInfo {
                key,
                org_id: r.text("org_id")?,
                revoked_at: r.opt_int("revoked_at")?,
            },
        );
    }
    Ok(keys)
}
