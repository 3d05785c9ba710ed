//! PostgreSQL's client tools for backups: `pg_dump` (custom format, one
//! schema, under an exported snapshot) and `pg_restore`, found on `PATH` or
//! under `/usr/lib/postgresql/*/bin` (Debian's layout, newest version
//! first); a missing tool is an error naming it and how to install it.
//! A password in the URL is handed to the tools in `PGPASSWORD`, never on
//! their command line, where other local users could read it (`ps`).

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
        .arg(out);
    connect(&mut cmd, url);
    run(cmd, "pg_dump").await
}

/// `pg_restore` of a custom-format dump into the database at `url`,
/// stopping at the first error.
pub async fn pg_restore(url: &str, dump: &Path) -> Result<()> {
    let mut cmd = Command::new(find_tool("pg_restore")?);
    cmd.arg("--no-owner")
        .arg("--no-privileges")
        .arg("--exit-on-error");
    connect(&mut cmd, url);
    cmd.arg(dump);
    run(cmd, "pg_restore").await
}

/// Points a tool at `url`: the URL without its password on the command
/// line, the password in the tool's environment.
fn connect(cmd: &mut Command, url: &str) {
    let (public, password) = split_password(url);
    cmd.arg("--dbname").arg(public);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
}

/// A PostgreSQL URL without its password (in the user part or a
/// `password=` parameter), and the password, percent-decoded.
fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.find('/') {
        Some(i) => before_query.split_at(i),
        None => (before_query, ""),
    };
    let mut password = None;
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, pass)) => {
                password = Some(percent_decode(pass));
                format!("{user}@{host}")
            }
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    let mut kept = Vec::new();
    for pair in query.into_iter().flat_map(|q| q.split('&')) {
        match pair.strip_prefix("password=") {
            Some(p) => password = Some(percent_decode(p)),
            None => kept.push(pair),
        }
    }
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    (format!("{scheme}://{authority}{path}{query}"), password)
}

/// `%XX` escapes decoded (a malformed escape is kept as it is).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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

    #[test]
    fn passwords_leave_the_command_line() {
        assert_eq!(
            split_password("postgres://u:p%40ss@h:5432/db?sslmode=require"),
            (
                "postgres://u@h:5432/db?sslmode=require".to_owned(),
                Some("p@ss".to_owned())
            )
        );
        assert_eq!(
            split_password("postgresql://u@h/db?password=s%3Dx&sslmode=disable"),
            (
                "postgresql://u@h/db?sslmode=disable".to_owned(),
                Some("s=x".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1:5432/suyuan"),
            ("postgres://postgres@127.0.0.1:5432/suyuan".to_owned(), None)
        );
        assert_eq!(split_password("postgres://h"), ("postgres://h".to_owned(), None));
        assert_eq!(percent_decode("a%2"), "a%2");
    }
}
