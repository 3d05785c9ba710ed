//! Test reports over HTTP: a testing agency's report read by its id by
//! anyone (it is printed for the public), and printed as a PDF by the
//! agency that recorded it only; another organisation's print is not found.

use super::{nobodys, Calls, Op};
use crate::oversight_report::lab_report;
use crate::trace_chain::*;

const GET: Op = ("GET", "/api/v1/test-reports/{id}");
const PDF: Op = ("GET", "/api/v1/test-reports/{id}/pdf");

pub(super) const OPS: &[Op] = &[GET, PDF];

both_backends!(test_reports_read_and_printed, |app| async move {
    let calls = Calls::new(app, OPS);
    let w = World::new(app, "routes.rep").await;
    let lab = company(app, "testing_agency", "routes.rep.lab", "warehouse").await;
    let id = lab_report(
        app,
        &w,
        "routes.rep",
        (&lab, "routes.rep.lab"),
        "铅 | 0.03 mg/kg | 0.1 mg/kg | GB 2762-2022",
    )
    .await;

    let (status, report) = calls
        .call(GET, &format!("/api/v1/test-reports/{id}"), None, None)
        .await;
    assert_eq!(status.as_u16(), 200, "{report}");
    assert_eq!(report["conclusion"], "pass");
    assert_eq!(report["signature"]["valid"], true, "{report}");
    let (status, none) = calls
        .call(GET, &format!("/api/v1/test-reports/{}", nobodys()), None, None)
        .await;
    assert_eq!(status.as_u16(), 404, "{none}");
    let path = format!("/api/v1/test-reports/{id}/pdf");
    calls.expect(PDF, &path, &lab.token, None, 200).await;
    calls
        .foreign(
            PDF,
            &path,
            &format!("/api/v1/test-reports/{}/pdf", nobodys()),
            &w.producer.token,
            None,
        )
        .await;
    calls.finish();
});
