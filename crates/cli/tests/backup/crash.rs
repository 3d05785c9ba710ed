//! Crash safety: `kill -9` at random moments of captures, of a backup and
//! of the migrations at a first start loses nothing acknowledged and leaves
//! nothing half-written (`suyuan verify` passes after each).

use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::Digest;

use std::process::Stdio;

use crate::*;

fn random_ms(from: u64, to: u64) -> Duration {
    Duration::from_millis(from + rand::random::<u64>() % (to - from))
}

/// Kills the server (SIGKILL) and waits for it.
fn kill(server: &mut Server) {
    server.0.kill().unwrap();
    server.0.wait().unwrap();
}

/// Captures from a client thread while the server is killed three times at
/// random moments and restarted: every acknowledged event is there after.
fn captures_survive_kills(p: &Place) {
    let mut server = p.serve(&[]);
    let token = login(server.1, "farmer", "Farmer-Pass-1");
    let port = Arc::new(AtomicU16::new(server.1));
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let client = {
        let (port, stop, acked, token) = (port.clone(), stop.clone(), acked.clone(), token.clone());
        std::thread::spawn(move || {
            let mut i = 0u32;
            while !stop.load(Ordering::Acquire) {
                i += 1;
                match capture(port.load(Ordering::Acquire), &token, &format!("K{i}")) {
                    Some(id) => acked.lock().unwrap().push(id),
                    None => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        })
    };
    for _ in 0..3 {
        std::thread::sleep(random_ms(300, 900));
        kill(&mut server);
        server = p.serve(&[]);
        port.store(server.1, Ordering::Release);
    }
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Release);
    client.join().unwrap();
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 10, "only {} captures acknowledged", acked.len());
    let missing: Vec<&String> = acked
        .iter()
        .filter(|id| !has_event(server.1, &token, id))
        .collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    drop(server);
    let out = p.ok(&["verify"]);
    assert!(out.starts_with("ok:"), "{out}");
}

/// Whether a file is a whole backup (its trailer matches).
fn whole(path: &std::path::Path) -> bool {
    let bytes = std::fs::read(path).unwrap();
    bytes.len() > 48
        && bytes.starts_with(b"SUYUAN-BACKUP/1\n")
        && sha2::Sha256::digest(&bytes[..bytes.len() - 32]).as_slice() == &bytes[bytes.len() - 32..]
}

/// A backup killed at growing moments leaves no file under its name unless
/// a whole one; a fresh backup then works.
fn backups_survive_kills(p: &Place) {
    let out = path_of(p, "killed.backup");
    let mut finished = false;
    let mut delay = 2u64;
    while delay < 8000 {
        delay = delay * 8 / 5 + 1;
        let _ = std::fs::remove_file(&out);
        let mut child = p
            .cmd(&["backup", "--out", "killed.backup"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let done = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        child.wait().unwrap();
        if out.exists() {
            assert!(
                whole(&out),
                "a partial backup under the final name after {delay} ms"
            );
        }
        if done {
            finished = true;
            break;
        }
    }
    assert!(finished, "the backup never finished within the delays tried");
    let _ = std::fs::remove_file(&out);
    p.ok(&["backup", "--out", "fresh.backup"]);
    assert!(whole(&path_of(p, "fresh.backup")));
}

/// A first start killed at growing moments (during the migrations); the
/// next start completes and the database verifies.
fn migrations_survive_kills(p: &Place) {
    if let Some(url) = &p.url {
        p.create_schema(url);
    }
    // Growing delays until a start got as far as serving: every moment of
    // the migrations and the bootstrap is cut at least once on the way.
    let mut delay = 5u64;
    loop {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let mut child = p
            .cmd(&["serve", "--listen", &listen, "--verify-every", "off"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let ready = try_http(port, "GET", "/readyz", None, None).map(|r| r.0) == Some(200);
        let _ = child.kill();
        child.wait().unwrap();
        if ready {
            break;
        }
        delay = delay * 3 / 2 + 5;
        assert!(delay < 30_000, "the server never became ready");
    }
    let server = p.serve(&[]);
    let operator = login(server.1, "admin", ADMIN_PASSWORD);
    assert!(!operator.is_empty());
    drop(server);
    let out = p.ok(&["verify"]);
    assert!(out.starts_with("ok:"), "{out}");
}

fn crash_safety(p: Place, fresh: Place) {
    p.set_up_farm();
    captures_survive_kills(&p);
    backups_survive_kills(&p);
    migrations_survive_kills(&fresh);
}

#[test]
fn kill_9_loses_nothing_acknowledged_sqlite() {
    crash_safety(Place::sqlite(), Place::sqlite());
}

#[test]
fn kill_9_loses_nothing_acknowledged_postgres() {
    if let (Some(p), Some(fresh)) = (Place::postgres(), Place::postgres()) {
        crash_safety(p, fresh);
    }
}
