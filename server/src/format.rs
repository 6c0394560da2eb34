//! How the server writes for people what they download or read: times as RFC 3339, tables
//! as CSV lines a spreadsheet opens safely. Shared by the research dataset, the evaluation
//! figures and the command line, so that each writes a time and a row alike.

use std::time::{Duration, UNIX_EPOCH};

/// An RFC 3339 time (UTC, milliseconds) for people reading the CSVs.
pub fn rfc3339(ms: u64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

/// One CSV line (RFC 4180): fields with a comma, semicolon, quote or line break are quoted
/// (spreadsheets set to nl, fr or de split on semicolons, and a formula after one would start a
/// cell of its own). Fields
/// starting with `=`, `+`, `-`, `@`, a tab or a carriage return (and not a number) get a
/// leading apostrophe, so that a spreadsheet never runs a participant's text as a formula.
pub fn csv_line(fields: &[&str]) -> String {
    let mut line = fields
        .iter()
        .map(|field| {
            let field = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_number(field)
            {
                format!("'{field}")
            } else {
                (*field).to_owned()
            };
            if field.contains([',', ';', '"', '\n', '\r']) {
                format!("\"{}\"", field.replace('"', "\"\""))
            } else {
                field
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

fn is_number(field: &str) -> bool {
    field.parse::<f64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::csv_line;

    #[test]
    fn csv_quotes_what_needs_quoting_and_defuses_formulas() {
        assert_eq!(csv_line(&["a", "b c"]), "a,b c\r\n");
        assert_eq!(
            csv_line(&["x,y", "say \"hi\""]),
            "\"x,y\",\"say \"\"hi\"\"\"\r\n"
        );
        assert_eq!(csv_line(&["=1+1", "-3", "@me"]), "'=1+1,-3,'@me\r\n");
        assert_eq!(csv_line(&["two\nlines"]), "\"two\nlines\"\r\n");
        // issue 34: a formula after a semicolon stays inside its quoted cell
        assert_eq!(
            csv_line(&["fine;=cmd|' /C calc'!A0"]),
            "\"fine;=cmd|' /C calc'!A0\"\r\n"
        );
    }
}
