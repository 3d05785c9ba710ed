//! What the platform operator's health page reads beside the probes: each
//! witness's address, the size it last cosigned and its last error.

use serde::Serialize;

use crate::{Result, Store};

/// One witness as the log last heard from it.
#[derive(Debug, Clone, Serialize)]
pub struct WitnessState {
    /// The witness's verifier key (its name comes first).
    pub vkey: String,
    pub url: String,
    /// The largest checkpoint it has cosigned.
    pub size: i64,
    pub last_error: Option<String>,
    /// When this was last updated (ms since the epoch).
    pub updated_at: i64,
}

impl Store {
    /// Every witness the log has asked, by key.
    pub async fn witness_states(&self) -> Result<Vec<WitnessState>> {
        self.db
            .conn()
            .fetch_all(
                "SELECT vkey, url, size, last_error, updated_at FROM tlog_witnesses ORDER BY vkey",
                &[],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(WitnessState {
                    vkey: r.text("vkey")?,
                    url: r.text("url")?,
                    size: r.int("size")?,
                    last_error: r.opt_text("last_error")?,
                    updated_at: r.int("updated_at")?,
                })
            })
            .collect()
    }
}
