//! PostgreSQL's client tools for backups: `pg_dump` (custom format, one
//! schema, under an exported snapshot) and `pg_restore`, found on `PATH` or
//! under `/usr/lib/postgresql/*/bin` (Debian's layout, newest version
//! first); a missing tool is an error naming it and how to install it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The path of a PostgreSQL client tool.
pub fn find_tool(name: &str) -> Result<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    if let Some(p) = on_path.into_iter().find(|p| p.is_file()) {
        return Ok(p);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin").join(name))
                .collect()
        })
        .unwrap_or_default();
    versions.retain(|p| p.is_file());
    versions.sort_by_key(|p| {
        p.components()
            .rev()
            .nth(2)
            .and_then(|c| c.as_os_str().to_str()?.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions.pop().with_context(|| {
        format!(
            "{name} not found on PATH nor under /usr/lib/postgresql/*/bin: install PostgreSQL's client tools \
             (e.g. `apt install postgresql-client`) to back up or restore a PostgreSQL database"
        )
    })
}

/// Runs a tool to completion; its error output becomes the error.
async fn run(mut cmd: Command, what: &'static str) -> Result<()> {
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await?
        .with_context(|| format!("cannot run {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// `pg_dump --format=custom` of `schema` as the exported `snapshot` sees it.
pub async fn pg_dump(url: &str, snapshot: &str, schema: &str, out: &Path) -> Result<()> {
    let mut cmd = Command::new(find_tool("pg_dump")?);
    cmd.arg("--format=custom")
        .arg(format!("--snapshot={snapshot}"))
        .arg(format!("--schema={schema}"))
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg("--file")
        .arg(out)
        .arg("--dbname")
        .arg(url);
    run(cmd, "pg_dump").await
}

/// `pg_restore` of a custom-format dump into the database at `url`,
/// stopping at the first error.
pub async fn pg_restore(url: &str, dump: &Path) -> Result<()> {
    let mut cmd = Command::new(find_tool("pg_restore")?);
    cmd.arg("--no-owner")
        .arg("--no-privileges")
        .arg("--exit-on-error")
        .arg("--dbname")
        .arg(url)
        .arg(dump);
    run(cmd, "pg_restore").await
}

/// The same server's URL with another database name (a drill's scratch).
pub fn with_database(url: &str, name: &str) -> Result<String> {
    let (scheme, rest) = url
        .split_once("://")
        .context("a PostgreSQL URL starts with postgres://")?;
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let authority = before_query.split('/').next().unwrap_or(before_query);
    Ok(format!(
        "{scheme}://{authority}/{name}{}",
        query.map(|q| format!("?{q}")).unwrap_or_default()
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn scratch_urls_keep_the_server_and_options() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/db?options=-c%20search_path%3Dx", "s").unwrap(),
            "postgres://u:p@h:5432/s?options=-c%20search_path%3Dx"
        );
        assert_eq!(with_database("postgresql://h", "s").unwrap(), "postgresql://h/s");
        assert!(with_database("nonsense", "s").is_err());
    }
}
