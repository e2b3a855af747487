//! completions/ and the man page must match the CLI: regenerate with `TRACEGREP_BLESS=1 cargo test`.

use crate::util::{root, run, tracegrep};

const GENERATED: &[(&str, &str)] = &[
    ("bash", "tracegrep.bash"),
    ("zsh", "_tracegrep"),
    ("fish", "tracegrep.fish"),
    ("powershell", "_tracegrep.ps1"),
    ("elvish", "tracegrep.elv"),
    ("man", "tracegrep.1"),
];

#[test]
fn completions_and_man_page_match_the_cli() {
    let bless = std::env::var_os("TRACEGREP_BLESS").is_some();
    let mut stale = Vec::new();
    for (what, file) in GENERATED {
        let out = run(tracegrep().args(["--generate", what]));
        assert_eq!(out.code, 0, "--generate {what}: {}", out.stderr);
        assert!(!out.stdout.is_empty(), "--generate {what} printed nothing");
        let path = root().join("completions").join(file);
        if bless {
            std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
            std::fs::write(&path, &out.stdout).expect("write");
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(out.stdout.as_str()) {
            stale.push(file.to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "completions/ is stale ({}): run `TRACEGREP_BLESS=1 cargo test completions` and commit",
        stale.join(", ")
    );
}

#[test]
fn the_man_page_describes_each_subcommand_itself() {
    let out = run(tracegrep().args(["--generate", "man"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("\\fBtracegrep mcp\\fR [\\fIPATH\\fR]..."),
        "the mcp subcommand's usage is on the page"
    );
    assert!(
        !out.stdout.contains("tracegrep\\-mcp(1)"),
        "no page of its own is installed to point to"
    );
}
