//! The web pages in a real browser: the stories of dashboards/tests/browser/stories.mjs (Debian's chromium driven
//! by playwright-core, installed by scripts/browser-setup.sh) against a server over the two-shop books.
//! `LOUPE_SKIP_BROWSER=1` skips them on a machine without a browser; they never skip on their own.

use std::path::PathBuf;
use std::process::Command;

use crate::http::{Books, Server};
use crate::serve::TWO_SHOPS;

fn suite() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dashboards/tests/browser")
}

#[test]
fn the_pages_work_in_a_real_browser() {
    if std::env::var_os("LOUPE_SKIP_BROWSER").is_some() {
        eprintln!("browser stories skipped (LOUPE_SKIP_BROWSER)");
        return;
    }
    let dir = suite();
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "playwright-core is not installed in {}: run scripts/browser-setup.sh (or set LOUPE_SKIP_BROWSER=1)",
        dir.display()
    );
    // mail goes into a directory (the file transport): the subscription story sends one
    let mail = tempfile::tempdir().unwrap();
    let s = Server::start_mailing(&Books::Sqlite, TWO_SHOPS, &format!("file://{}", mail.path().display()));
    let shots = std::env::var("LOUPE_SHOTS").ok();
    let out = Command::new("node")
        .args(["--test", "--test-reporter=tap", "stories.mjs"])
        .current_dir(&dir)
        .env("LOUPE_URL", format!("http://{}", s.addr))
        .envs(shots.map(|d| ("LOUPE_SHOTS", d)))
        .output()
        .expect("node runs (scripts/browser-setup.sh installs it)");
    let text = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "browser stories failed:\n{text}");
    // every story ran: none was skipped or left out
    assert!(text.contains("# pass 8") && text.contains("# fail 0"), "{text}");
    // the subscription sent from the page is in the mail directory, to the address typed
    let sent: Vec<String> =
        std::fs::read_dir(mail.path()).unwrap().map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("To: books@carat.example") && sent[0].contains("Subject: AR aging"), "{}", sent[0]);
}
