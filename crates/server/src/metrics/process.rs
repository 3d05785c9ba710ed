//! The process's own vital signs, read from `/proc/self` (Linux): resident
//! memory and open file descriptors. Elsewhere they are simply absent.

/// Resident memory in bytes (`VmRSS` of `/proc/self/status`).
pub fn resident_memory_bytes() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024.0)
}

/// Open file descriptors (entries of `/proc/self/fd`, less the one the
/// listing itself holds open).
pub fn open_fds() -> Option<f64> {
    let n = std::fs::read_dir("/proc/self/fd").ok()?.count();
    Some(n.saturating_sub(1) as f64)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[cfg(target_os = "linux")]
    #[test]
    fn reads_linux_proc() {
        let rss = super::resident_memory_bytes().unwrap();
        assert!(rss > 1024.0 * 1024.0, "{rss}");
        let fds = super::open_fds().unwrap();
        assert!(fds >= 3.0, "{fds}");
    }
}
