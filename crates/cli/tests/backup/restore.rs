//! A backup taken while the server runs, restored and verified; the files
//! and targets a restore refuses; the scheduled backups with their drills.

use std::time::{Duration, Instant};

use crate::*;

/// Captures `n` events through the server; answers their eventIDs.
fn captures(server: &Server, token: &str, tag: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| capture(server.1, token, &format!("{tag}{i}")).expect("capture acknowledged"))
        .collect()
}

fn backup_restore_verify(p: Place) {
    p.set_up_farm();
    let server = p.serve(&[]);
    let token = login(server.1, "farmer", "Farmer-Pass-1");
    captures(&server, &token, "B", 12);
    // Taken while the server runs and captures go on.
    let out = p.ok(&["backup", "--out", "one.backup"]);
    assert!(out.contains("ok: backup"), "{out}");
    let after = captures(&server, &token, "C", 3);
    let with_key = p.ok(&["backup", "--out", "keyed.backup", "--include-secret-key"]);
    assert!(with_key.contains("(included)"), "{with_key}");
    drop(server);

    let (manifest, snapshot, _) = parts(&path_of(&p, "one.backup"));
    assert_eq!(manifest["backend"], if p.is_pg() { "postgres" } else { "sqlite" });
    assert!(manifest["tree_size"].as_u64().unwrap() >= 12, "{manifest}");
    assert_eq!(manifest["secret_key"], serde_json::Value::Null);
    assert!(manifest["key_fingerprint"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert_eq!(
        manifest["snapshot_size"].as_u64().unwrap() as usize,
        snapshot.len()
    );
    let root = manifest["root"].as_str().unwrap().to_owned();
    let (keyed, _, _) = parts(&path_of(&p, "keyed.backup"));
    assert!(keyed["tree_size"].as_u64() > manifest["tree_size"].as_u64());
    let key_text = keyed["secret_key"].as_str().unwrap().to_owned();

    // Without the key: refused, saying how to give it; nothing written.
    let target = new_target(&p, "restored");
    if !p.is_pg() {
        let mut args = vec!["restore", "one.backup"];
        args.extend(strs(&target));
        let err = p.refused(&args);
        assert!(
            err.contains("key_missing") && err.contains("--secret-key"),
            "{err}"
        );
        assert!(!path_of(&p, "restored/suyuan.db").exists());
        // Another key: refused, naming both fingerprints' rule.
        let wrong = "33".repeat(32);
        let mut other = args.clone();
        other.extend(["--secret-key", wrong.as_str()]);
        let err = p.refused(&other);
        assert!(err.contains("key_mismatch"), "{err}");
        assert!(!path_of(&p, "restored/suyuan.db").exists());
        // With it: restored, and `verify` on the copy finds the manifest's root.
        args.extend(["--secret-key", key_text.as_str()]);
        let out = p.ok(&args);
        assert!(out.contains(&root), "{out}");
        let mut v = vec!["verify", "--secret-key", key_text.as_str()];
        v.extend(strs(&target));
        assert_eq!(verified_root(&p.ok(&v)), root);
    } else {
        let mut args = vec!["restore", "one.backup"];
        args.extend(strs(&target));
        let out = p.ok(&args);
        assert!(out.contains(&root), "{out}");
        let mut v = vec!["verify"];
        v.extend(strs(&target));
        assert_eq!(verified_root(&p.ok(&v)), root);
    }

    // A target that holds data is refused without --force, taken with it.
    let mut again = vec!["restore", "keyed.backup"];
    again.extend(strs(&target));
    let err = p.refused(&again);
    assert!(
        err.contains("target_not_empty") && err.contains("--force"),
        "{err}"
    );
    again.push("--force");
    p.ok(&again);
    let mut v = vec!["verify"];
    v.extend(strs(&target));
    let out = p.ok(&v);
    assert_eq!(verified_root(&out), keyed["root"].as_str().unwrap());
    // The later captures are in the keyed backup's copy.
    assert!(
        out.contains(&format!("ok: {} records", keyed["tree_size"])),
        "{out} {after:?}"
    );
    if !p.is_pg() {
        // The included key was written where the data folder expects it.
        let written = std::fs::read_to_string(path_of(&p, "restored/secret.key")).unwrap();
        assert_eq!(written.trim(), key_text);
    }

    refusals(&p, &manifest, &snapshot);
}

/// Damaged, cut and too-new backups are refused naming the rule, and
/// nothing is written to the target.
fn refusals(p: &Place, manifest: &serde_json::Value, snapshot: &[u8]) {
    let whole = std::fs::read(path_of(p, "one.backup")).unwrap();
    let mut flipped = whole.clone();
    let middle = whole.len() - 32 - snapshot.len() / 2;
    flipped[middle] ^= 0x40;
    std::fs::write(path_of(p, "flipped.backup"), &flipped).unwrap();
    std::fs::write(path_of(p, "cut.backup"), &whole[..whole.len() * 2 / 3]).unwrap();
    let mut newer = manifest.clone();
    newer["schema_version"] = serde_json::json!(9999);
    assemble(&path_of(p, "newer.backup"), &newer, snapshot);
    // A snapshot changed and its trailer recomputed: the manifest's hash catches it.
    let mut forged = snapshot.to_vec();
    forged[snapshot.len() / 2] ^= 0x01;
    assemble(&path_of(p, "forged.backup"), manifest, &forged);
    for (file, rule) in [
        ("flipped.backup", "backup_corrupted"),
        ("cut.backup", "backup_truncated"),
        ("newer.backup", "schema_newer"),
        ("forged.backup", "backup_corrupted"),
    ] {
        let target = new_target(p, &format!("t-{file}"));
        let mut args = vec!["restore", file];
        args.extend(strs(&target));
        let key = std::fs::read_to_string(path_of(p, "suyuan-data/secret.key")).unwrap_or_default();
        if !p.is_pg() {
            args.extend(["--secret-key", key.trim()]);
        }
        let err = p.refused(&args);
        assert!(err.contains(rule), "{file}: {err}");
        if !p.is_pg() {
            assert!(!path_of(p, &format!("t-{file}/suyuan.db")).exists(), "{file}");
        } else {
            let mut v = vec!["verify"];
            v.extend(strs(&target));
            // The target's schema was never created: nothing was restored.
            let out = p.run(&v);
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                text.contains("ok: 0 records") || !out.status.success(),
                "{file}: {text}"
            );
        }
    }
}

#[test]
fn backup_restore_verify_and_refusals_sqlite() {
    backup_restore_verify(Place::sqlite());
}

#[test]
fn backup_restore_verify_and_refusals_postgres() {
    if let Some(p) = Place::postgres() {
        backup_restore_verify(p);
    }
}

fn scheduled(p: Place) {
    p.set_up_farm();
    let server = p.serve(&["--backup-every", "1s", "--backup-dir", "bk", "--backup-keep", "1"]);
    let token = login(server.1, "farmer", "Farmer-Pass-1");
    captures(&server, &token, "S", 3);
    let operator = login(server.1, "admin", ADMIN_PASSWORD);
    let deadline = Instant::now() + Duration::from_secs(90);
    let runs = loop {
        let (status, runs) = try_http(server.1, "GET", "/api/v1/backups", Some(&operator), None).unwrap();
        assert_eq!(status, 200, "{runs}");
        let runs = runs.as_array().unwrap().clone();
        if runs.len() >= 3 {
            break runs;
        }
        assert!(
            Instant::now() < deadline,
            "fewer than 3 scheduled backups: {runs:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    for r in &runs {
        assert_eq!(r["drill_outcome"], "passed", "{r}");
        assert!(r["tree_size"].as_i64().unwrap() >= 3, "{r}");
        assert_eq!(r["sha256"].as_str().unwrap().len(), 64);
        assert!(r["drill_at"].is_string());
    }
    // Pruned to the newest one (a run may be between its rename and its
    // pruning: look again).
    let backups = || -> Vec<String> {
        std::fs::read_dir(path_of(&p, "bk"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".backup") && !n.starts_with('.'))
            .collect()
    };
    let mut files = backups();
    while files.len() != 1 {
        assert!(Instant::now() < deadline, "not pruned to one: {files:?}");
        std::thread::sleep(Duration::from_millis(50));
        files = backups();
    }
    // A farmer is refused.
    let (status, body) = try_http(server.1, "GET", "/api/v1/backups", Some(&token), None).unwrap();
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "operator_only");
    let (status, _) = try_http(server.1, "GET", "/api/v1/backups", None, None).unwrap();
    assert_eq!(status, 401);
    // A kept scheduled backup restores and verifies like any other.
    let newest = files.iter().max().unwrap();
    let (m, _, _) = parts(&path_of(&p, &format!("bk/{newest}")));
    assert!(m["tree_size"].as_u64().unwrap() >= 3);
    drop(server);
}

#[test]
fn scheduled_backups_are_drilled_and_recorded_sqlite() {
    scheduled(Place::sqlite());
}

#[test]
fn scheduled_backups_are_drilled_and_recorded_postgres() {
    if let Some(p) = Place::postgres() {
        scheduled(p);
    }
}
