//! The console in a real browser: headless Chromium driven over WebDriver
//! (`chromedriver`, started by the test on a free local port) against the
//! application listening on a real TCP port, on a desktop and on a
//! phone-sized window: sign in, record a season for a plot through the
//! forms (sowing, fertilising, pest control, harvest), see a refused form's
//! error beside its field, allocate a lot, issue item codes, download their
//! label PDF through the print form (a roll on the desktop, a used A4 sheet
//! on the phone) and decode its QR codes with `ZXingReader` (zxing-cpp, a
//! decoder independent of the encoder), and open an item's Digital Link as a
//! consumer: the label's QR holds that link. Screenshots of every step go to
//! `target/e2e-screenshots` (or `SUYUAN_E2E_SCREENSHOTS`), kept by CI.
//!
//! Without `chromium` and `chromedriver` the test is skipped with a notice,
//! unless `CI=true`, where their absence is a failure (`.ci/run` installs
//! them).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::common::*;
use crate::console::farm;
use crate::trace_chain::buy;

/// A phone's window (a common 390 × 844 handset) and a desktop's.
pub(crate) const VIEWPORTS: &[(&str, u32, u32)] = &[("desktop", 1280, 900), ("phone", 390, 844)];

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

/// Chromium and its driver, or `None` (after a notice) outside CI.
pub(crate) fn browser_binaries() -> Option<(PathBuf, PathBuf)> {
    let chromium = which("chromium").or_else(|| which("chromium-browser"));
    let driver = which("chromedriver");
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but chromium or chromedriver is missing: the browser tests cannot run"
            );
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "chromium/chromedriver not found: browser tests skipped"
            );
            None
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running chromedriver, ended when dropped.
pub(crate) struct Driver(Child, u16);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) async fn start_driver(driver: &PathBuf) -> Driver {
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    // Dropped (killed and waited for) whatever happens next.
    let driver = Driver(child, port);
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

pub(crate) async fn open_browser(driver: &Driver, chromium: &PathBuf, width: u32, height: u32) -> Client {
    open_browser_saving_to(driver, chromium, (width, height), None).await
}

/// A browser whose downloads, when `downloads` is given, go to that folder
/// without asking.
async fn open_browser_saving_to(
    driver: &Driver,
    chromium: &PathBuf,
    (width, height): (u32, u32),
    downloads: Option<&Path>,
) -> Client {
    let mut options = json!({
        "binary": chromium,
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--lang=zh-CN", format!("--window-size={width},{height}")]
    });
    if let Some(dir) = downloads {
        options["prefs"] = json!({
            "download.default_directory": dir,
            "download.prompt_for_download": false,
        });
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.1))
        .await
        .expect("a WebDriver session")
}

fn screenshot_dir() -> PathBuf {
    let dir = std::env::var_os("SUYUAN_E2E_SCREENSHOTS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e-screenshots"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One browser walking the console, saving a screenshot per step.
pub(crate) struct Walk<'a> {
    pub(crate) c: &'a Client,
    pub(crate) base: String,
    pub(crate) name: String,
    pub(crate) step: u32,
}

impl Walk<'_> {
    pub(crate) async fn goto(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    pub(crate) async fn shot(&mut self, what: &str) {
        self.step += 1;
        let png = self.c.screenshot().await.unwrap();
        let path = screenshot_dir().join(format!("{}-{:02}-{what}.png", self.name, self.step));
        std::fs::write(path, png).unwrap();
    }

    /// Sets a form control's value (inputs, selects, text areas alike).
    pub(crate) async fn set(&self, id: &str, value: &str) {
        let found = self
            .c
            .execute(
                "const e = document.getElementById(arguments[0]); if (!e) return false; e.value = arguments[1]; return e.value === arguments[1];",
                vec![json!(id), json!(value)],
            )
            .await
            .unwrap();
        assert_eq!(
            found,
            json!(true),
            "{}: no control {id} taking {value}",
            self.name
        );
    }

    pub(crate) async fn click(&self, css: &str) {
        self.c
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    pub(crate) async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .c
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => {
                // What the page was instead, for the failure's reader.
                let url = self
                    .c
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                let src = self.c.source().await.unwrap_or_default();
                let main = src.find("<main").map_or("", |i| &src[i..]);
                let shown: String = main.chars().take(1500).collect();
                panic!("{}: {css} never appeared: {e}; at {url}: {shown}", self.name)
            }
        }
    }

    /// Fills a record's form, previews it, confirms it; the record's page
    /// shows it stored.
    async fn record(&mut self, kind: &str, fields: &[(&str, &str)]) {
        self.goto(&format!("/console/records/new/{kind}")).await;
        for (id, v) in fields {
            self.set(id, v).await;
        }
        self.shot(&format!("{kind}-form")).await;
        self.click("#preview").await;
        self.wait_for("#confirm").await;
        self.shot(&format!("{kind}-preview")).await;
        self.click("#confirm").await;
        self.wait_for("#stored").await;
    }
}

/// The application on a real port, its public URL that port's origin:
/// the base URL and the server's task (abort it when done).
pub(crate) async fn serve_app(app: &TestApp) -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let config = suyuan_server::ServerConfig {
        public_url: base.clone(),
        ..Default::default()
    };
    let server = tokio::spawn(suyuan_server::serve(
        listener,
        suyuan_server::app_with(app.store.clone(), config),
        std::future::pending(),
    ));
    (base, server)
}

async fn walk(app: &TestApp, chromium: &PathBuf, driver: &Driver, viewport: &str, width: u32, height: u32) {
    let user = format!("web_{viewport}_{}", app.backend);
    let f = farm(app, &user).await;
    let fertiliser = buy(app, &f.org, "fertiliser", "").await;
    let (base, server) = serve_app(app).await;
    let downloads = std::env::temp_dir().join(format!(
        "suyuan-e2e-downloads-{}-{}-{viewport}",
        std::process::id(),
        app.backend
    ));
    let _ = std::fs::remove_dir_all(&downloads);
    std::fs::create_dir_all(&downloads).unwrap();
    let client = open_browser_saving_to(driver, chromium, (width, height), Some(&downloads)).await;
    let mut w = Walk {
        c: &client,
        base,
        name: format!("{}-{viewport}", app.backend),
        step: 0,
    };

    w.goto("/console/").await;
    let user_box = w.wait_for("#username").await;
    w.shot("sign-in").await;
    user_box.send_keys(&user).await.unwrap();
    w.c.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(ADMIN_PASSWORD)
        .await
        .unwrap();
    w.click("#sign-in").await;
    w.wait_for("#codes-issued").await;
    w.shot("dashboard").await;

    let plot = f.plot_id.as_str();
    w.record(
        "sowing",
        &[
            ("eventTime", "2026-03-01T08:00"),
            ("bizLocation", plot),
            ("agri:variety", "二荆条"),
            ("agri:inputLot", &f.seed),
        ],
    )
    .await;
    w.record(
        "fertilising",
        &[
            ("eventTime", "2026-03-10T08:00"),
            ("bizLocation", plot),
            ("agri:inputLot", &fertiliser),
            ("agri:dose", "30 kg/亩"),
            ("agri:method", "沟施"),
        ],
    )
    .await;

    // Pest control with a registration number that is not the pesticide's:
    // refused, the error beside the field; corrected, stored.
    let pest = [
        ("eventTime", "2026-04-10T16:00"),
        ("bizLocation", plot),
        ("agri:inputLot", f.pesticide.as_str()),
        ("agri:registrationNumber", "PD20990001"),
        ("agri:dose", "1500 倍液"),
        ("agri:method", "喷雾"),
        ("agri:target", "蚜虫"),
        ("agri:preHarvestIntervalDays", "7"),
    ];
    w.goto("/console/records/new/pest_control").await;
    for (id, v) in pest {
        w.set(id, v).await;
    }
    w.click("#preview").await;
    w.wait_for("#confirm").await;
    w.click("#confirm").await;
    let err = w
        .wait_for(".field-err .err[data-field=\"agri:registrationNumber\"]")
        .await;
    assert!(!err.text().await.unwrap().is_empty());
    w.shot("refused").await;
    w.set("agri:registrationNumber", "PD20080005").await;
    w.click("#preview").await;
    w.wait_for("#confirm").await;
    w.click("#confirm").await;
    w.wait_for("#stored").await;
    w.shot("pest-control-stored").await;

    // A lot of the product from the plot, harvested.
    w.goto("/console/lots").await;
    w.set("product_id", &f.product_id).await;
    w.set("origin_place_id", plot).await;
    w.set("date", "2026-05-20").await;
    w.click("#allocate").await;
    w.wait_for("#issue").await;
    let lot_page = w.c.current_url().await.unwrap();
    w.goto("/console/records/new/harvest").await;
    let lot = w
        .c
        .execute(
            "const o = [...document.querySelectorAll('#units_lot option')].find(o => o.value.startsWith('https://')); return o ? o.value : null;",
            vec![],
        )
        .await
        .unwrap();
    let lot = lot.as_str().expect("the lot is offered").to_owned();
    w.record(
        "harvest",
        &[
            ("eventTime", "2026-05-20T06:00"),
            ("bizLocation", plot),
            ("units_lot", &lot),
            ("units_qty", "500"),
            ("agri:harvestMethod", "人工采摘"),
        ],
    )
    .await;

    // Item codes.
    w.c.goto(lot_page.as_str()).await.unwrap();
    w.set("count", "3").await;
    w.click("#issue").await;
    w.wait_for("#issued").await;
    w.shot("codes-issued").await;
    let codes =
        w.c.execute(
            "return [...document.querySelectorAll('#issued code')].map(c => c.textContent);",
            vec![],
        )
        .await
        .unwrap();
    let codes: Vec<String> = codes
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 3);
    // Their labels through the print form: on the desktop a 50x30 roll (a
    // page each, in issue order), on the phone a 24-up A4 sheet whose first
    // four labels are used.
    let (size, skip) = if viewport == "phone" {
        ("a4-3x8", "4")
    } else {
        ("50x30", "0")
    };
    w.set("label-size", size).await;
    w.set("label-format", "pdf").await;
    w.set("label-skip", skip).await;
    w.shot("print-form").await;
    w.click("#print-labels").await;
    let pdf = downloaded(&downloads, &format!("labels-{size}.pdf")).await;
    w.goto("/console/").await;
    let issued = w.wait_for("#codes-issued").await.text().await.unwrap();
    assert_eq!(issued, "3");

    // The consumer scans the first code: its Digital Link's page.
    w.goto(&format!("/trace?code={}&lang=zh", enc(&codes[0]))).await;
    w.wait_for("main h1").await;
    let url = w.c.current_url().await.unwrap();
    assert!(url.path().starts_with("/01/"), "a Digital Link: {url}");
    let page = w.c.source().await.unwrap();
    assert!(page.contains("二荆条辣椒") && page.contains("采收"), "{page}");
    w.shot("consumer").await;

    // The label's QR holds the Digital Link the consumer opened.
    if let Some(qrs) = qr_codes(&pdf) {
        let mut link = url.clone();
        link.set_query(None);
        assert_eq!(qrs.len(), 3, "a QR per item: {qrs:?}");
        if viewport == "phone" {
            assert!(qrs.contains(&link.to_string()), "{link} among {qrs:?}");
        } else {
            assert_eq!(qrs[0], link.to_string(), "the first label is the first item's");
        }
        let distinct: std::collections::BTreeSet<&String> = qrs.iter().collect();
        assert_eq!(distinct.len(), 3, "{qrs:?}");
    }
    let _ = std::fs::remove_dir_all(&downloads);

    client.close().await.unwrap();
    server.abort();
}

/// The file `name` once the browser has saved it in `dir`.
async fn downloaded(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    for _ in 0..200 {
        if std::fs::metadata(&path).is_ok_and(|m| m.len() > 0) {
            // Chromium writes a `.crdownload` file and renames it when done.
            return path;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the browser saved no {name} in {}", dir.display());
}

/// Every QR code of every page of `pdf`, page by page, as `ZXingReader`
/// reads them from the pages rasterised at 300 dpi by `pdftoppm`; `None`
/// (after a notice) when the tools are missing outside CI.
fn qr_codes(pdf: &Path) -> Option<Vec<String>> {
    let missing = ["pdftoppm", "ZXingReader"]
        .into_iter()
        .find(|t| Command::new(t).arg("-v").output().is_err());
    if let Some(tool) = missing {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but {tool} is missing (poppler-utils, zxing-cpp-tools)"
        );
        eprintln!("{tool} not found: the downloaded labels are not decoded");
        return None;
    }
    let prefix = pdf.with_extension("");
    let status = Command::new("pdftoppm")
        .args(["-r", "300", "-png", "-gray"])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .unwrap();
    assert!(status.success(), "pdftoppm on {}", pdf.display());
    let dir = pdf.parent().unwrap();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    let mut found = Vec::new();
    for png in pages {
        let out = Command::new("ZXingReader")
            .args(["-format", "QRCode", "-1"])
            .arg(&png)
            .output()
            .unwrap();
        // `<file> QRCode "<text>"` per symbol.
        found.extend(String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| {
            let (start, end) = (l.find('"')?, l.rfind('"')?);
            (end > start).then(|| l[start + 1..end].to_owned())
        }));
    }
    Some(found)
}

both_backends!(the_console_works_in_a_browser, |app| async move {
    let Some((chromium, driver)) = browser_binaries() else {
        return;
    };
    let driver = start_driver(&driver).await;
    for (viewport, width, height) in VIEWPORTS {
        walk(app, &chromium, &driver, viewport, *width, *height).await;
    }
});
