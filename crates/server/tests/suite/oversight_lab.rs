//! Sampling tasks and test reports in the console: an officer assigns a
//! sampling task (its `sampling` record) naming a lot in its jurisdiction
//! and an agency; the agency sees the sample, enters its results per test
//! item against a limit and the standard, and signs the report, which is
//! the lot's `testing` record: a failed result makes the lot
//! non-conformant on its public page. Refused, with nothing stored: a
//! report on a sample the agency never received, an officer outside the
//! jurisdiction, anyone else assigning tasks or using the agency's screen.

#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

use crate::common::*;
use crate::console::sign_in;
use crate::oversight::officers;
use crate::tlog::verify_ok;
use crate::trace_chain::*;

async fn events(app: &TestApp) -> i64 {
    app.store
        .db()
        .conn()
        .fetch_optional("SELECT COUNT(*) AS n FROM events", &[])
        .await
        .unwrap()
        .unwrap()
        .int("n")
        .unwrap()
}

const FAILING: &str =
    "毒死蜱 | 0.01 mg/kg | 0.02 mg/kg | GB 2763-2021\n吡虫啉 | 0.9 mg/kg | 0.2 mg/kg | GB 2763-2021";

both_backends!(
    a_sampling_task_ends_in_a_signed_failing_report,
    |app| async move {
        let w = World::new(app, "lab").await;
        let lab = company(app, "testing_agency", "lab.lab", "warehouse").await;
        let _ = officers(app, "lab.officer").await;
        let code = format!("(01){}(10)L1", w.gtin);
        let task = [
            ("code", code.as_str()),
            ("agency", &lab.id.to_string()),
            ("sample_id", "CJ-2026-001"),
        ];
        let before = events(app).await;

        // Only an officer over the lot assigns a task.
        let producer = sign_in(app, "lab.coop", ADMIN_PASSWORD).await;
        let (status, _, _) = producer
            .post(app, "/console/regulator/sampling-tasks", &task)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let far = sign_in(app, "lab.officer.out", USER_PASSWORD).await;
        let (status, _, page) = far.post(app, "/console/regulator/sampling-tasks", &task).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert_eq!(events(app).await, before);
        let officer = sign_in(app, "lab.officer.in", USER_PASSWORD).await;
        let (_, _, page) = officer.get(app, "/console/regulator").await;
        assert!(page.contains(&format!("value=\"{}\"", lab.id)), "{page}");
        let (status, _, page) = officer
            .post(app, "/console/regulator/sampling-tasks", &task)
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(events(app).await, before + 1);

        // The agency's inbox.
        let agency = sign_in(app, "lab.lab", ADMIN_PASSWORD).await;
        let (status, _, page) = agency.get(app, "/console/lab").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains(&w.l1) && page.contains("CJ-2026-001") && page.contains("sign-report-0"),
            "{page}"
        );
        let (status, _, _) = producer.get(app, "/console/lab").await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Refused: a sample never received, lines that do not read.
        let (status, _, _) = agency
            .post(
                app,
                "/console/lab/results",
                &[("epc", w.shipped.as_str()), ("items", FAILING)],
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, page) = agency
            .post(
                app,
                "/console/lab/results",
                &[
                    ("epc", w.l1.as_str()),
                    ("items", "吡虫啉 | 0.9 | 0.2 mg/kg | GB 2763"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert_eq!(events(app).await, before + 1);

        // The failing report: stored as the lot's testing record, the lot non-conformant.
        let (status, headers, page) = agency
            .post(
                app,
                "/console/lab/results",
                &[("epc", w.l1.as_str()), ("items", FAILING)],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        assert!(headers[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/console/record?id="));
        assert_eq!(events(app).await, before + 2);
        let req = Request::get(format!("/01/{}/10/L1", w.gtin))
            .header(header::ACCEPT, "application/json")
            .body(Body::empty())
            .unwrap();
        let (status, _, public) = app.send(req).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(public["status"], "non_conformant", "{public}");
        let stored = app
            .store
            .db()
            .conn()
            .fetch_optional(
                "SELECT document FROM events WHERE org_id = $1 AND record_kind = 'testing'",
                &[lab.id.into()],
            )
            .await
            .unwrap()
            .unwrap()
            .text("document")
            .unwrap();
        assert!(
            stored.contains("\"agri:conclusion\":\"fail\"") && stored.contains("GB 2763-2021"),
            "{stored}"
        );
        let (_, _, page) = agency.get(app, "/console/lab").await;
        assert!(!page.contains("sign-report-0"), "{page}");
        // The officer sees the lot among those not conformant.
        let (_, _, page) = officer.get(app, "/console/regulator").await;
        assert!(page.split("id=\"flagged-lots\"").nth(1).unwrap().contains(&w.l1));
        verify_ok(app).await;
    }
);
