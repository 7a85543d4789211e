//! The new words of a reply: quoted history and signature left out (they are in the raw message).

/// Lines that introduce quoted history in the usual mail clients (French and English).
fn opens_history(line: &str, next: &[&str]) -> bool {
    let line = line.trim();
    let lower = line.to_lowercase();
    if (lower.starts_with("on ") && lower.ends_with("wrote:"))
        || (lower.starts_with("le ")
            && (lower.ends_with("a écrit :") || lower.ends_with("a écrit:")))
    {
        return true;
    }
    if lower.starts_with("-----original message")
        || lower.starts_with("-----message d'origine")
        || lower.starts_with("________________________________")
    {
        return true;
    }
    // Outlook's header block: "From: …" / "De : …" followed by "Sent:" / "Envoyé :" or "Date :".
    if lower.starts_with("from:") || lower.starts_with("de :") || lower.starts_with("de:") {
        return next.iter().take(4).any(|n| {
            let n = n.trim().to_lowercase();
            n.starts_with("sent:")
                || n.starts_with("envoyé :")
                || n.starts_with("envoyé:")
                || n.starts_with("date:")
                || n.starts_with("date :")
        });
    }
    false
}

/// The text before the quoted history and the signature, without quoted lines. The whole text
/// when nothing would be left.
pub fn new_words(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let lines: Vec<&str> = text.lines().collect();
    let mut kept: Vec<&str> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if *line == "-- " || *line == "--" || opens_history(line, &lines[i + 1..]) {
            break;
        }
        if line.trim_start().starts_with('>') {
            continue;
        }
        kept.push(line);
    }
    let words = kept.join("\n").trim().to_owned();
    if words.is_empty() {
        text.trim().to_owned()
    } else {
        words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_and_signature_are_left_out() {
        let text = "Bonjour,\n\nC'est réparé.\n\n-- \nAlice\nIdP\n";
        assert_eq!(new_words(text), "Bonjour,\n\nC'est réparé.");
        let text = "Fixed now.\n\nOn Mon, 23 Nov 2026 at 10:00, ticketd wrote:\n> Question\n";
        assert_eq!(new_words(text), "Fixed now.");
        let text = "Oui.\r\nLe lun. 23 nov. 2026 à 10:00, ticketd <x@y> a écrit :\r\n> Q ?\r\n";
        assert_eq!(new_words(text), "Oui.");
        let text = "Voici.\n\nDe : ticketd\nEnvoyé : lundi\nObjet : Q\n\nQ ?";
        assert_eq!(new_words(text), "Voici.");
        let text = "> only a quote\n";
        assert_eq!(new_words(text), "> only a quote");
    }
}
