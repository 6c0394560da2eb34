//! The printable paper kit (issue 30, part 1), read back with the tools a print shop and a
//! photo reader would use: poppler's `pdfinfo`, `pdffonts`, `pdftotext` and `pdftoppm` (the PDF
//! is valid, its font embedded, its words the session's language) and zbar's `zbarimg` (every
//! QR code on a rendered sheet decodes: the join link and four markers that say which session,
//! which part of the grid and which kit version the sheet is).

use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::board_session::BoardSession;
use crate::support::TestServer;

/// Runs `tool` with `args`; its standard output (the test fails if it fails or is missing:
/// `scripts/install-test-deps.sh` installs poppler-utils and zbar-tools).
fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("{tool} could not run ({e}): apt-get install poppler-utils zbar-tools")
    });
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The kit of `s` on `paper`, written to a file in `dir`.
async fn kit(s: &BoardSession, paper: &str, dir: &Path) -> std::path::PathBuf {
    let path = s.path(&format!("/kit.pdf?size={}", paper.to_uppercase()));
    let (status, headers, body) = s.server.fetch(&path, &s.invite("moderator")).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(headers["content-disposition"].contains(&format!("-{paper}.pdf")));
    let file = dir.join(format!("kit-{paper}.pdf"));
    std::fs::write(&file, body).unwrap();
    file
}

/// The QR codes zbar reads on page `page` of `pdf`, rendered at 150 dpi.
fn codes_on(pdf: &Path, page: usize, dir: &Path) -> Vec<String> {
    let n = page.to_string();
    let prefix = dir.join(format!("sheet-{page}"));
    let prefix = prefix.to_str().unwrap();
    run(
        "pdftoppm",
        &[
            "-r",
            "150",
            "-f",
            &n,
            "-l",
            &n,
            "-singlefile",
            "-png",
            pdf.to_str().unwrap(),
            prefix,
        ],
    );
    let decoded = run("zbarimg", &["-q", "--raw", &format!("{prefix}.png")]);
    let mut codes: Vec<String> = decoded.lines().map(str::to_owned).collect();
    codes.sort();
    codes
}

#[tokio::test]
async fn a_journey_maps_kit_tiles_its_grid_in_the_sessions_language_with_markers_on_every_sheet() {
    let s =
        BoardSession::start(json!({"template": "journey-map", "title": "Parkeervergunning"})).await;
    let dir = tempfile::tempdir().unwrap();

    // A3: the five stages fit across; the six lanes take two sheets; then the card slips.
    let a3 = kit(&s, "a3", dir.path()).await;
    let info = run("pdfinfo", &[a3.to_str().unwrap()]);
    assert!(info.contains("Pages:           3"), "{info}");
    assert!(info.contains("1190.55 x 841.89 pts"), "{info}");
    let fonts = run("pdffonts", &[a3.to_str().unwrap()]);
    let font_line = fonts
        .lines()
        .find(|l| l.contains("DejaVuSans"))
        .unwrap_or_else(|| panic!("{fonts}"));
    assert!(
        font_line.contains("TrueType") && font_line.contains(" yes "),
        "embedded: {fonts}"
    );
    let text = run("pdftotext", &["-layout", a3.to_str().unwrap(), "-"]);
    for words in [
        "Parkeervergunning",
        "Bewust worden",
        "Opvolgen",
        "Knelpunten",
        "Online meedoen met de code",
        &s.code,
        "Blad 1 / 3",
        "Kaartjes",
        "A1",
        "E6",
    ] {
        assert!(
            text.contains(words),
            "{words:?} missing from the kit:\n{text}"
        );
    }

    // In the board's order: the journey from becoming aware to following up, lanes top down.
    let heads = text.lines().find(|l| l.contains("Bewust worden")).unwrap();
    let at = |w: &str| {
        heads
            .find(w)
            .unwrap_or_else(|| panic!("{w} not in {heads:?}"))
    };
    assert!(
        at("Bewust worden") < at("Aanvragen") && at("Ontvangen") < at("Opvolgen"),
        "{heads}"
    );
    assert!(text.find("Acties").unwrap() < text.find("Contactpunten").unwrap());

    // Every sheet's markers say where it is; the join code leads to the session in Dutch.
    let first = codes_on(&a3, 1, dir.path());
    assert_eq!(first.len(), 5, "{first:?}");
    let join = first.iter().find(|c| c.contains("#code=")).unwrap();
    assert!(
        join.ends_with(&format!("#code={}&lang=nl", s.code)),
        "{join}"
    );
    let markers: Vec<&String> = first
        .iter()
        .filter(|c| c.starts_with("cocreate-kit 1 "))
        .collect();
    assert_eq!(markers.len(), 4, "{first:?}");
    for corner in ["tl", "tr", "bl", "br"] {
        let marker = markers
            .iter()
            .find(|m| m.contains(&format!(" {corner} ")))
            .unwrap();
        assert!(
            marker.contains(&s.id) && marker.contains(" 1/3 ") && marker.ends_with("s0-4 l0-2"),
            "{marker}"
        );
    }
    let second = codes_on(&a3, 2, dir.path());
    assert!(
        second
            .iter()
            .any(|c| c.contains(" 2/3 tl ") && c.ends_with("s0-4 l3-5")),
        "{second:?}"
    );
    let version = markers[0].split(' ').nth(3).unwrap();
    assert!(
        second
            .iter()
            .all(|c| !c.starts_with("cocreate-kit") || c.contains(version)),
        "one grid version"
    );

    // A4 sheets are smaller: more of them, every cell still large enough for a sticky note.
    let a4 = kit(&s, "a4", dir.path()).await;
    let info = run("pdfinfo", &[a4.to_str().unwrap()]);
    assert!(
        info.contains("Pages:           7") && info.contains("841.89 x 595.28 pts"),
        "{info}"
    );
}

#[tokio::test]
async fn only_moderators_print_the_kit_and_a_server_without_its_font_says_so() {
    let s = BoardSession::start(json!({})).await;
    let path = s.path("/kit.pdf");
    let (status, _, _) = s.server.fetch(&path, &s.invite("citizen")).await;
    assert_eq!(status, 403);
    let (status, _, body) = s
        .server
        .fetch(&s.path("/kit.pdf?size=Letter"), &s.invite("moderator"))
        .await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    // A canvas: one sheet (its frames), then the slips.
    let (status, _, body) = s.server.fetch(&path, &s.invite("moderator")).await;
    assert_eq!(status, 200);
    assert!(body.starts_with(b"%PDF-1.4"));

    let server = TestServer::fresh_with(|config| {
        config.open_rooms = false;
        config.kit_font = "/nonexistent/font.ttf".into();
    })
    .await;
    let s = BoardSession::create_on(std::sync::Arc::new(server), json!({})).await;
    let (status, _, body) = s
        .server
        .fetch(&s.path("/kit.pdf"), &s.invite("moderator"))
        .await;
    assert_eq!(status, 503);
    assert!(String::from_utf8_lossy(&body).contains("kit_unavailable"));
}
