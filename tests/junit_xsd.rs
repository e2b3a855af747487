//! The JUnit report against the JUnit XML schema that CI systems read (tests/junit/junit.xsd,
//! modelled on the Jenkins/Ant `junit-10.xsd`), checked with `xmllint --schema`.
//!
//! xmllint comes from Debian's `libxml2-utils`. Without it the test is skipped, unless
//! TRACEGREP_BROWSER_TEST=1 (set by .ci/run, which installs it), which makes that a failure.

use std::path::Path;
use std::process::Command as Process;

use crate::util::{root, run, tracegrep};

const SCHEMA: &str = "tests/junit/junit.xsd";

/// Whether xmllint can be run; panics when it cannot but CI requires it.
pub(crate) fn xmllint_present() -> bool {
    let required = std::env::var_os("TRACEGREP_BROWSER_TEST").is_some_and(|v| v == "1");
    let present = Process::new("xmllint").arg("--version").output().is_ok();
    if !present {
        assert!(
            !required,
            "TRACEGREP_BROWSER_TEST=1 but xmllint (Debian package libxml2-utils) is missing"
        );
        eprintln!("skipped: xmllint is not installed (Debian package libxml2-utils)");
    }
    present
}

/// Runs `xmllint --noout --schema` on `file`: whether it validated, and what xmllint said.
pub(crate) fn validate(file: &Path) -> (bool, String) {
    let out = Process::new("xmllint")
        .current_dir(root())
        .args(["--noout", "--schema", SCHEMA])
        .arg(file)
        .output()
        .expect("ran xmllint");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `report` with the value of its first `tests="…"` attribute replaced by `x`.
fn break_tests_count(report: &str) -> String {
    let start = report.find("tests=\"").expect("a tests attribute") + "tests=\"".len();
    let len = report[start..].find('"').expect("closing quote");
    format!("{}x{}", &report[..start], &report[start + len..])
}

#[test]
fn junit_reports_validate_against_the_junit_schema() {
    if !xmllint_present() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");

    // A failing run: a failed trace and a failed error-rate gate.
    let failing = dir.path().join("traces.xml");
    let out = run(tracegrep()
        .args([
            "--all",
            "-q",
            "fixtures/ci",
            "--fail-on-error",
            "--max-error-rate",
            "10%",
            "--report",
        ])
        .arg(format!("junit={}", failing.display())));
    assert_eq!(out.code, 3, "{}", out.snapshot());

    // A passing run.
    let passing = dir.path().join("ok.xml");
    let out = run(tracegrep()
        .args(["--all", "-q", "fixtures/mixed", "--report"])
        .arg(format!("junit={}", passing.display())));
    assert_eq!(out.code, 0, "{}", out.snapshot());

    for file in [&failing, &passing] {
        let (valid, said) = validate(file);
        let report = std::fs::read_to_string(file).expect("report written");
        assert!(
            valid,
            "{} does not validate against {SCHEMA}:\n{said}\n----- report -----\n{report}",
            file.display()
        );
    }
    let report = std::fs::read_to_string(&failing).expect("report written");
    assert!(report.contains("<failure "), "no failure in:\n{report}");

    // The schema must be able to say no: a report with a malformed count fails.
    let broken = dir.path().join("broken.xml");
    let broken_report = break_tests_count(&report);
    assert!(broken_report.contains("tests=\"x\""), "{broken_report}");
    std::fs::write(&broken, &broken_report).expect("write broken copy");
    let (valid, said) = validate(&broken);
    assert!(
        !valid,
        "a report with tests=\"x\" validated; the schema checks nothing:\n{said}"
    );
    assert!(said.contains("tests"), "xmllint said:\n{said}");
}
