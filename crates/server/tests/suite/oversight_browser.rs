//! Oversight in a real browser (the harness of `browser.rs`: headless
//! Chromium over WebDriver, desktop and phone, a screenshot per step): a
//! consumer files a complaint with a photo from a unit's public page, the
//! producer answers it in the console, the consumer reads the answer on
//! the status page; the operator verifies a new registration from the
//! review queue; an officer assigns a sampling task, the lab enters a
//! failing result and signs the report, the lot's public page says it is
//! not conformant, and the officer sees the lot and runs a records
//! sampling check of its producer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use fantoccini::Locator;

use crate::browser::{browser_binaries, open_browser, serve_app, start_driver, Driver, Walk, VIEWPORTS};
use crate::common::*;
use crate::oversight::{officers, png};
use crate::trace_chain::{company, World};

const ANSWER: &str = "经检测该批次合格，叶片发黄系运输失水，已为您退款。";

async fn sign_in(w: &Walk<'_>, username: &str, password: &str) {
    w.c.delete_all_cookies().await.unwrap();
    w.goto("/console/login").await;
    let user_box = w.wait_for("#username").await;
    user_box.send_keys(username).await.unwrap();
    w.c.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    w.click("#sign-in").await;
    // Signed in once the header offers to sign out (the login page has a
    // header too).
    w.wait_for("form[action='/console/logout']").await;
}

async fn walk(app: &TestApp, chromium: &PathBuf, driver: &Driver, viewport: &str, width: u32, height: u32) {
    let tag = format!("ob{viewport}");
    let world = World::new(app, &tag).await;
    let (base, server) = serve_app(app).await;
    let client = open_browser(driver, chromium, width, height).await;
    let mut w = Walk {
        c: &client,
        base,
        name: format!("{}-{viewport}-oversight", app.backend),
        step: 0,
    };

    // The consumer: from the lot's page to the complaint form, with a photo.
    w.goto(&format!("/01/{}/10/L1?lang=zh", world.gtin)).await;
    w.wait_for("a.complain").await;
    w.shot("consumer-page").await;
    w.click("a.complain").await;
    w.wait_for("#description").await;
    w.set("category", "quality").await;
    w.set("description", "菜叶发黄，有异味").await;
    w.set("phone", "13812345678").await;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("photo.png");
    std::fs::write(&photo, png()).unwrap();
    w.c.find(Locator::Css("input[type=file]"))
        .await
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    w.shot("complaint-form").await;
    w.click("#submit-complaint").await;
    let reference = w.wait_for("#reference").await.text().await.unwrap();
    assert!(suyuan_core::complaints::is_reference(&reference), "{reference}");
    w.shot("complaint-filed").await;
    assert!(app.store.complaint_counts().await.unwrap().1 >= 1);

    // The producer acknowledges and answers it in the console.
    sign_in(&w, &format!("{tag}.coop"), ADMIN_PASSWORD).await;
    w.goto("/console/complaints").await;
    w.wait_for(&format!("a[href=\"/console/complaints/{reference}\"]"))
        .await;
    w.shot("inbox").await;
    w.click(&format!("a[href=\"/console/complaints/{reference}\"]"))
        .await;
    w.wait_for("img").await;
    w.set("status-select", "acknowledged").await;
    w.click("#change-status").await;
    w.wait_for("#status-select option[value=investigating]").await;
    w.set("status-select", "answered").await;
    w.set("reply", ANSWER).await;
    w.shot("answer").await;
    w.click("#change-status").await;
    w.c.wait()
        .for_element(Locator::XPath("//dd[@id='status' and contains(., '已答复')]"))
        .await
        .unwrap();

    // The consumer reads the answer.
    w.c.delete_all_cookies().await.unwrap();
    w.goto(&format!("/complaints/{reference}?lang=zh")).await;
    let reply = w.wait_for(".reply").await.text().await.unwrap();
    assert_eq!(reply, ANSWER);
    w.shot("answer-read").await;

    // The operator verifies a new registration from the queue.
    let (org, _) = app.pending_producer(&format!("{tag}.new"), "510115").await;
    sign_in(&w, "admin", OPERATOR_PASSWORD).await;
    w.goto("/console/operator").await;
    w.wait_for(&format!("a[href=\"/console/operator/orgs/{org}\"]"))
        .await;
    w.shot("review-queue").await;
    w.click(&format!("a[href=\"/console/operator/orgs/{org}\"]"))
        .await;
    w.wait_for("#reason-verify").await;
    w.set("reason-verify", "营业执照与法定代表人身份核对无误").await;
    w.click("#verify-org").await;
    w.c.wait()
        .for_element(Locator::XPath("//dd[@id='org-status' and contains(., '已认证')]"))
        .await
        .unwrap();
    w.shot("verified").await;
    let token = app.operator_token().await;
    let (_, o) = app.get(&format!("/api/v1/organisations/{org}"), &token).await;
    assert_eq!(o["status"], "verified");

    regulator_and_lab(app, &mut w, &world, &tag).await;
    client.close().await.unwrap();
    server.abort();
}

/// The sampling task, the failing report, the regulator's view and check.
async fn regulator_and_lab(app: &TestApp, w: &mut Walk<'_>, world: &World, tag: &str) {
    let lab = company(app, "testing_agency", &format!("{tag}.lab"), "warehouse").await;
    officers(app, &format!("{tag}.officer")).await;
    sign_in(w, &format!("{tag}.officer.in"), USER_PASSWORD).await;
    w.goto("/console/regulator").await;
    w.wait_for("#assign-task").await;
    w.set("task-code", &format!("(01){}(10)L1", world.gtin)).await;
    w.set("agency", &lab.id.to_string()).await;
    w.set("sample_id", "CJ-B-001").await;
    w.shot("sampling-task").await;
    w.click("#assign-task").await;
    w.wait_for("#enterprises").await;

    sign_in(w, &format!("{tag}.lab"), ADMIN_PASSWORD).await;
    w.goto("/console/lab").await;
    w.wait_for("#sign-report-0").await;
    w.set(
        "items-0",
        "毒死蜱 | 0.01 mg/kg | 0.02 mg/kg | GB 2763-2021\n吡虫啉 | 0.9 mg/kg | 0.2 mg/kg | GB 2763-2021",
    )
    .await;
    w.shot("lab-results").await;
    w.click("#sign-report-0").await;
    w.wait_for("#stored").await;
    w.shot("lab-report-stored").await;

    w.c.delete_all_cookies().await.unwrap();
    w.goto(&format!("/01/{}/10/L1?lang=zh", world.gtin)).await;
    let warning = w.wait_for("p.warn .bad").await.text().await.unwrap();
    assert!(warning.contains("不合格"), "{warning}");
    w.shot("consumer-non-conformant").await;

    sign_in(w, &format!("{tag}.officer.in"), USER_PASSWORD).await;
    w.goto("/console/regulator").await;
    let flagged = w.wait_for("#flagged-lots").await.text().await.unwrap();
    assert!(flagged.contains("/10/L1"), "{flagged}");
    w.shot("regulator").await;
    w.goto(&format!("/console/regulator/orgs/{}", world.producer.id))
        .await;
    w.wait_for("#run-check").await;
    w.click("#run-check").await;
    let conclusion = w.wait_for(".oversight .conclusion").await.text().await.unwrap();
    assert_eq!(conclusion, "conformant");
    w.shot("records-check").await;
}

both_backends!(
    complaints_and_the_review_queue_work_in_a_browser,
    |app| async move {
        let Some((chromium, driver)) = browser_binaries() else {
            return;
        };
        let driver = start_driver(&driver).await;
        for (viewport, width, height) in VIEWPORTS {
            walk(app, &chromium, &driver, viewport, *width, *height).await;
        }
    }
);
