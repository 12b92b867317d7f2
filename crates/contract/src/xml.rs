//! A well-formedness check for XML documents that Tollgate stores but does not interpret
//! (schema documents): one root element, matching tags, valid syntax.

use quick_xml::Reader;
use quick_xml::events::Event;

/// `Ok` when `text` is a well-formed XML document; else a message with the line of the problem.
pub fn check_well_formed(text: &str) -> Result<(), String> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    reader.config_mut().check_comments = true;
    let (mut depth, mut roots) = (0usize, 0usize);
    loop {
        let position = reader.buffer_position() as usize;
        let line = || {
            text.get(..position)
                .map_or(1, |t| t.matches('\n').count() + 1)
        };
        let event = reader.read_event();
        if let Ok(Event::Start(e) | Event::Empty(e)) = &event {
            // quick-xml checks attributes only when they are read.
            for attribute in e.attributes().with_checks(true) {
                attribute.map_err(|err| format!("line {}: {err}", line()))?;
            }
        }
        match event {
            Ok(Event::Start(_)) => {
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
            }
            Ok(Event::Empty(_)) if depth == 0 => roots += 1,
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Text(t)) if depth == 0 && !t.iter().all(u8::is_ascii_whitespace) => {
                return Err(format!("line {}: text outside the root element", line()));
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(err) => return Err(format!("line {}: {err}", line())),
        }
        if roots > 1 {
            return Err(format!("line {}: a document has one root element", line()));
        }
    }
    match (roots, depth) {
        (0, _) => Err("the document has no root element".to_owned()),
        (_, 0) => Ok(()),
        _ => Err("the document ends before its root element is closed".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_documents_and_refuses_broken_ones() {
        assert!(
            check_well_formed(
                r#"<?xml version="1.0"?><s:schema xmlns:s="x"><s:e a="1"/></s:schema>"#
            )
            .is_ok()
        );
        assert!(check_well_formed("<a/>\n<!-- trailing comment -->").is_ok());
        for bad in [
            "",
            "text",
            "<a>",
            "<a></b>",
            "<a/><b/>",
            "<a x=1/>",
            "<a>\n</a>oops",
            "<a><!-- -- --></a>",
        ] {
            assert!(check_well_formed(bad).is_err(), "accepted {bad:?}");
        }
        assert!(
            check_well_formed("<a>\n<b>\n</c></a>")
                .unwrap_err()
                .starts_with("line 3")
        );
    }
}
