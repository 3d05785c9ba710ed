//! The witness service behind `suyuan witness` (a transparency-log witness
//! for another organisation to run on its own machine, with its own key and
//! state). It speaks the C2SP tlog-witness protocol's `add-checkpoint` over HTTP:
//!
//! ```text
//! POST /add-checkpoint
//!
//! old <size the log believes this witness last cosigned>
//! <consistency proof from that size, one base64 hash per line>
//!
//! <the checkpoint note, signed by the log>
//! ```
//!
//! - `200`: the body is the witness's cosignature line (C2SP
//!   tlog-cosignature/v1), to be appended to the note;
//! - `409` (`text/x.tlog.size`): `old` is not the size this witness last
//!   cosigned; the body is that size, so the log can retry with the right
//!   proof; also for a fork (the same size with another root);
//! - `400`: a malformed request or note, or a checkpoint smaller than `old`
//!   (rollback);
//! - `403`: the note is not signed by the log this witness follows;
//! - `422`: the consistency proof does not verify.
//!
//! The state (per log, the size, root and time of the last cosigned
//! checkpoint) is written to its file, and synced, before the cosignature
//! is answered: a crash can never let the witness cosign a fork of what it
//! already signed. `GET /` answers the witness's public key (C2SP vkey).
//!
//! Over HTTPS a witness may name the client certificates of the logs it
//! serves ([`only_clients`]): then `add-checkpoint` needs one of them (403
//! otherwise), and only the public key stays open to anyone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use suyuan_ledger::checkpoint::TrustedLog;
use suyuan_ledger::cosignature::{Witness, WitnessError, WitnessState};
use suyuan_ledger::Hash;
use tokio::sync::Mutex;

/// Largest request body (a checkpoint note and a proof of ≤ 64 hashes).
const MAX_BODY: usize = 64 * 1024;
/// Most hashes in a consistency proof (a tree of 2^63 leaves needs fewer).
const MAX_PROOF: usize = 128;

/// A witness following one log, remembering its state in `state_file`.
pub struct WitnessService {
    witness: Mutex<Witness>,
    log: TrustedLog,
    state_file: PathBuf,
}

impl WitnessService {
    pub fn new(witness: Witness, log: TrustedLog, state_file: PathBuf) -> Arc<Self> {
        Arc::new(WitnessService {
            witness: Mutex::new(witness),
            log,
            state_file,
        })
    }
}

/// Reads a state file written by the service (none yet: empty state).
pub fn load_state(path: &Path) -> std::io::Result<BTreeMap<String, WitnessState>> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(std::io::Error::other),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(e),
    }
}

/// Replaces the state file atomically (write, sync, rename, sync the folder).
fn save_state(path: &Path, state: &BTreeMap<String, WitnessState>) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(serde_json::to_string_pretty(state)?.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// The witness's HTTP interface.
pub fn router(app: Arc<WitnessService>) -> Router {
    Router::new()
        .route("/", get(vkey))
        .route("/add-checkpoint", post(add_checkpoint))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
}

/// `router` where every request but a read needs a client certificate whose
/// fingerprint (lowercase hex SHA-256 of its DER) is in `allowed`.
pub fn only_clients(router: Router, allowed: Vec<String>) -> Router {
    let allowed: Arc<std::collections::BTreeSet<String>> = Arc::new(allowed.into_iter().collect());
    router.layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let allowed = Arc::clone(&allowed);
            async move {
                let known = req
                    .extensions()
                    .get::<crate::tls::PeerCertificate>()
                    .is_some_and(|c| allowed.contains(&c.fingerprint));
                if known || req.method() == axum::http::Method::GET {
                    next.run(req).await
                } else {
                    text(
                        StatusCode::FORBIDDEN,
                        "this witness cosigns only for the client certificates it names\n".to_owned(),
                    )
                }
            }
        },
    ))
}

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn vkey(State(app): State<Arc<WitnessService>>) -> Response {
    text(
        StatusCode::OK,
        format!("{}\n", app.witness.lock().await.verifier()),
    )
}

/// The parts of an add-checkpoint request.
struct AddCheckpoint {
    old: u64,
    proof: Vec<Hash>,
    note: String,
}

fn parse_request(body: &str) -> Result<AddCheckpoint, String> {
    let (head, note) = body
        .split_once("\n\n")
        .ok_or("the request has no empty line before the checkpoint")?;
    let mut lines = head.lines();
    let old = lines
        .next()
        .and_then(|l| l.strip_prefix("old "))
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or("the first line must be `old <size>`")?;
    let mut proof = Vec::new();
    for (i, line) in lines.enumerate() {
        if i >= MAX_PROOF {
            return Err(format!("a consistency proof has at most {MAX_PROOF} hashes"));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(line)
            .map_err(|_| format!("proof line {} is not base64", i + 1))?;
        proof.push(
            Hash::from_slice(&bytes).map_err(|_| format!("proof line {} is not a 32-byte hash", i + 1))?,
        );
    }
    Ok(AddCheckpoint {
        old,
        proof,
        note: note.to_owned(),
    })
}

async fn add_checkpoint(State(app): State<Arc<WitnessService>>, body: String) -> Response {
    let req = match parse_request(&body) {
        Ok(r) => r,
        Err(e) => return text(StatusCode::BAD_REQUEST, format!("{e}\n")),
    };
    if let Err(e) = suyuan_ledger::note::Note::parse(&req.note) {
        return text(StatusCode::BAD_REQUEST, format!("not a signed note: {e}\n"));
    }
    let mut witness = app.witness.lock().await;
    let origin = app.log.key.name().to_owned();
    let known = witness.state(&origin).map_or(0, |s| s.size);
    if req.old != known {
        return (
            StatusCode::CONFLICT,
            [(header::CONTENT_TYPE, "text/x.tlog.size")],
            format!("{known}\n"),
        )
            .into_response();
    }
    let before = witness.states().clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let cosignature = match witness.cosign(&req.note, &req.proof, &app.log, now) {
        Ok(c) => c,
        Err(e) => {
            let status = match &e {
                WitnessError::Checkpoint(_) => StatusCode::FORBIDDEN,
                WitnessError::Rollback { .. } => StatusCode::BAD_REQUEST,
                WitnessError::Fork { .. } => StatusCode::CONFLICT,
                WitnessError::Inconsistent { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                WitnessError::Cosignature(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            tracing::warn!(error = %e, "checkpoint refused");
            return text(status, format!("{e}\n"));
        }
    };
    // Remember before answering; if that fails, forget the cosignature.
    if let Err(e) = save_state(&app.state_file, witness.states()) {
        witness.restore_states(before);
        tracing::error!(error = %e, "cannot save the witness state");
        return text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot save the witness state\n".into(),
        );
    }
    text(StatusCode::OK, format!("{}\n", cosignature.to_line()))
}
