//! The backup file: a manifest and a database snapshot in one container.
//!
//! Layout (all lengths unsigned 64-bit big-endian):
//!
//! ```text
//! "SUYUAN-BACKUP/1\n"          16 bytes, the magic
//! manifest length, manifest    JSON (UTF-8), see [`Manifest`]
//! snapshot length, snapshot    SQLite: the database file (VACUUM INTO);
//!                              PostgreSQL: pg_dump's custom format
//! trailer                      32 bytes: SHA-256 of every byte before it
//! ```
//!
//! A file that ends early, has bytes after the trailer, or whose trailer
//! or snapshot hash does not match is refused before anything is written
//! ([`read`]). The file is written beside its final name, synced, then
//! renamed ([`write`]), so a crash leaves either the whole file or none
//! under that name.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const MAGIC: &[u8; 16] = b"SUYUAN-BACKUP/1\n";
/// A manifest is a few hundred bytes; more means the length is garbage.
const MAX_MANIFEST: u64 = 1 << 20;

/// What the backup holds, written before the snapshot.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// `suyuan-backup/1`.
    pub format: String,
    /// When the snapshot was taken (RFC 3339, UTC).
    pub created_at: String,
    /// The program that took it.
    pub suyuan_version: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// PostgreSQL: the schema the dump holds.
    pub pg_schema: Option<String>,
    /// `sqlite3` or `pg_dump-custom`.
    pub snapshot_format: String,
    pub snapshot_size: u64,
    /// SHA-256 of the snapshot, hex.
    pub snapshot_sha256: String,
    /// The newest migration applied in the snapshot.
    pub schema_version: i64,
    /// The transparency log's size and root (hex) in the snapshot.
    pub tree_size: u64,
    pub root: String,
    /// Fingerprint of the personal-data key the data is sealed with.
    pub key_fingerprint: String,
    /// The key itself, only with `--include-secret-key`.
    pub secret_key: Option<String>,
}

pub const FORMAT: &str = "suyuan-backup/1";

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// SHA-256 (hex) and size of a file, streamed.
pub fn hash_file(path: &Path) -> Result<(String, u64)> {
    let mut sink = Hashing {
        inner: std::io::sink(),
        hash: Sha256::new(),
    };
    let n = std::io::copy(
        &mut File::open(path).with_context(|| format!("cannot read {}", path.display()))?,
        &mut sink,
    )?;
    Ok((hex::encode(sink.hash.finalize()), n))
}

/// A hidden name beside `path` for a file being written: never the final name.
pub fn temp_beside(path: &Path, what: &str) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("backup");
    let tag: u32 = rand::random();
    path.with_file_name(format!(".{name}.{what}-{}-{tag:08x}", std::process::id()))
}

/// Syncs the folder holding `path`, so a rename in it survives a crash.
pub fn sync_dir(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("cannot sync the folder {}", dir.display()))?;
    }
    Ok(())
}

/// Writes the container to `out` from a manifest and a snapshot file:
/// beside it first, synced, then renamed over the final name.
pub fn write(out: &Path, manifest: &Manifest, snapshot: &Path) -> Result<()> {
    let partial = temp_beside(out, "partial");
    let result = write_to(&partial, manifest, snapshot).and_then(|()| {
        std::fs::rename(&partial, out).with_context(|| format!("cannot rename to {}", out.display()))?;
        sync_dir(out)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

fn write_to(path: &Path, manifest: &Manifest, snapshot: &Path) -> Result<()> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = Hashing {
        inner: BufWriter::new(file),
        hash: Sha256::new(),
    };
    let json = serde_json::to_vec(manifest)?;
    w.write_all(MAGIC)?;
    w.write_all(&(json.len() as u64).to_be_bytes())?;
    w.write_all(&json)?;
    w.write_all(&manifest.snapshot_size.to_be_bytes())?;
    let mut src = File::open(snapshot).with_context(|| format!("cannot read {}", snapshot.display()))?;
    let copied = std::io::copy(&mut src, &mut w)?;
    if copied != manifest.snapshot_size {
        bail!(
            "the snapshot changed while it was copied ({copied} bytes, not {})",
            manifest.snapshot_size
        );
    }
    let trailer = w.hash.clone().finalize();
    w.inner.write_all(&trailer)?;
    let file = w.inner.into_inner().map_err(|e| e.into_error())?;
    file.sync_all().context("cannot sync the backup file")?;
    Ok(())
}

/// Reads `n` bytes or says the file ends early.
fn exact(r: &mut impl Read, buf: &mut [u8], what: &str) -> Result<()> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            anyhow::anyhow!("backup_truncated: the file ends inside the {what}; it is not a whole backup")
        } else {
            anyhow::anyhow!("cannot read the backup: {e}")
        }
    })
}

/// Checks the whole container and copies its snapshot to `snapshot_out`.
/// Refuses (naming the rule) a file that is not a backup, ends early, has
/// bytes after its trailer or does not hash as recorded.
pub fn read(file: &Path, snapshot_out: &Path) -> Result<Manifest> {
    let f = File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut r = BufReader::new(f);
    let mut whole = Sha256::new();
    let json = head(&mut r, file, &mut whole)?;
    let mut len = [0u8; 8];
    exact(&mut r, &mut len, "snapshot's length")?;
    whole.update(len);
    let snapshot_len = u64::from_be_bytes(len);
    let out =
        File::create(snapshot_out).with_context(|| format!("cannot create {}", snapshot_out.display()))?;
    // The snapshot's own hash and the whole file's, in one pass.
    let mut w = Hashing {
        inner: Hashing {
            inner: BufWriter::new(out),
            hash: whole,
        },
        hash: Sha256::new(),
    };
    let copied = std::io::copy(&mut (&mut r).take(snapshot_len), &mut w)?;
    if copied != snapshot_len {
        bail!(
            "backup_truncated: the file ends inside the snapshot ({copied} of {snapshot_len} bytes); it is not a whole backup"
        );
    }
    let snapshot_sha = hex::encode(w.hash.finalize());
    let whole = w.inner.hash;
    let out = w.inner.inner.into_inner().map_err(|e| e.into_error())?;
    out.sync_all()?;
    let mut trailer = [0u8; 32];
    exact(&mut r, &mut trailer, "trailer")?;
    let mut rest = [0u8; 1];
    if r.read(&mut rest)? != 0 {
        bail!("backup_corrupted: bytes follow the trailer; the file is not as it was written");
    }
    if whole.finalize().as_slice() != trailer {
        bail!("backup_corrupted: the file's SHA-256 does not match its trailer; it was changed or damaged");
    }
    let manifest: Manifest = serde_json::from_slice(&json)
        .map_err(|e| anyhow::anyhow!("backup_corrupted: the manifest is not readable: {e}"))?;
    if manifest.format != FORMAT {
        bail!("backup_format: format '{}' is not {FORMAT}", manifest.format);
    }
    if manifest.snapshot_size != snapshot_len || manifest.snapshot_sha256 != snapshot_sha {
        bail!("backup_corrupted: the snapshot's size or SHA-256 does not match the manifest");
    }
    Ok(manifest)
}

/// The manifest alone, read without checking the rest of the file (to
/// choose the key before the whole file is read and checked by [`read`]).
pub fn peek_manifest(file: &Path) -> Result<Manifest> {
    let f = File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let json = head(&mut BufReader::new(f), file, &mut Sha256::new())?;
    serde_json::from_slice(&json)
        .map_err(|e| anyhow::anyhow!("backup_corrupted: the manifest is not readable: {e}"))
}

/// The container's head: the magic, then the manifest's length and bytes
/// (answered), each fed to `hash` as read.
fn head(r: &mut impl Read, file: &Path, hash: &mut Sha256) -> Result<Vec<u8>> {
    let mut magic = [0u8; 16];
    exact(r, &mut magic, "header")?;
    if &magic != MAGIC {
        bail!(
            "backup_not_a_backup: {} does not start like a suyuan backup",
            file.display()
        );
    }
    hash.update(magic);
    let mut len = [0u8; 8];
    exact(r, &mut len, "manifest's length")?;
    hash.update(len);
    let manifest_len = u64::from_be_bytes(len);
    if manifest_len > MAX_MANIFEST {
        bail!("backup_corrupted: the manifest's length ({manifest_len} bytes) is not believable");
    }
    let mut json = vec![0u8; manifest_len as usize];
    exact(r, &mut json, "manifest")?;
    hash.update(&json);
    Ok(json)
}
