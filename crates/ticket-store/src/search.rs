//! Full-text search of tickets: what is indexed, and who may search which part.
//!
//! Each ticket has one row of text in four parts: its own fields (reference, title, impact,
//! description, question, session id), public comments, internal notes, and personal data of
//! the victim (names, email, own words). Anyone who sees the ticket searches the first two; staff
//! also the notes; the roles allowed to see personal data (`security`, `supervisor`) also the
//! victim's. PostgreSQL matches French-stemmed or simple words (`tsvector`, GIN indexes); SQLite
//! FTS5 matches words (accents and case ignored).

use crate::StoreError;
use crate::entities::ticket_search;
use sea_orm::sea_query::{Expr, InsertStatement, OnConflict, SimpleExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryTrait as _,
};
use ticket_domain::Ticket;
use ticket_domain::event::{Event, EventData, Visibility};
use ticket_domain::kind::KindData;

/// Which parts of the text a caller may search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SearchScope {
    /// Internal notes (staff).
    pub internal_notes: bool,
    /// The victim's identity, contact and own words (`security`, `supervisor`).
    pub personal_data: bool,
}

/// A full-text search: words that must all be found, in the parts the caller may search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    pub text: String,
    pub scope: SearchScope,
}

fn push(text: &mut String, part: &str) {
    if !part.is_empty() {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(part);
    }
}

/// The ticket's own searchable fields, and its personal data.
fn ticket_texts(ticket: &Ticket) -> (String, String) {
    let mut own = String::new();
    let mut personal = String::new();
    push(&mut own, &ticket.reference.to_string());
    push(&mut own, ticket.title.as_str());
    match &ticket.data {
        KindData::Incident(d) => {
            push(&mut own, d.impact.as_str());
            if let Some(service) = &d.service {
                push(&mut own, &service.name);
            }
        }
        KindData::PartnerUsurpation(d) => push(&mut own, d.description.as_str()),
        KindData::SupportRequest(d) => push(&mut own, d.question.as_str()),
        KindData::UserUsurpation(d) => {
            if let Some(session) = d.session_id {
                push(&mut own, &session.to_string());
            }
            for part in [
                &d.victim.birth_names,
                &d.victim.first_names,
                &d.victim.birth_place,
            ]
            .into_iter()
            .flatten()
            {
                push(&mut personal, part.expose());
            }
            if let Some(email) = &d.contact.email {
                push(&mut personal, email.expose());
            }
            if let Some(description) = &d.description {
                push(&mut personal, description.expose());
            }
        }
    }
    (own, personal)
}

/// The words an event adds: comments, questions, answers, resolutions, with their visibility.
fn event_text(event: &Event) -> Option<(Visibility, &str)> {
    let text = match &event.data {
        EventData::Commented { body } | EventData::ReporterAnswered { body } => body,
        EventData::WaitingForReporter { question } => question,
        EventData::Resolved { summary } => summary,
        EventData::ResolutionRejected { reason } => reason,
        _ => return None,
    };
    Some((event.visibility, text.as_str()))
}

/// After anonymisation: the search row says what the anonymised ticket still says; comments, whose
/// words the evidence chain keeps only sealed (and anonymisation erased), are no longer searchable.
pub(crate) async fn reindex_anonymised<C: ConnectionTrait>(
    txn: &C,
    ticket: &Ticket,
) -> Result<(), StoreError> {
    let (own, personal) = ticket_texts(ticket);
    ticket_search::Entity::update_many()
        .col_expr(ticket_search::Column::TicketText, Expr::value(own))
        .col_expr(ticket_search::Column::PublicComments, Expr::value(""))
        .col_expr(ticket_search::Column::InternalNotes, Expr::value(""))
        .col_expr(ticket_search::Column::Personal, Expr::value(personal))
        .filter(ticket_search::Column::TicketId.eq(ticket.id.0))
        .exec(txn)
        .await?;
    Ok(())
}

/// Writes the search row of `ticket` after `events` were appended to it (all its events for a
/// new ticket): its own fields and personal data as they now are, comments added to the ones
/// indexed before. One statement: the comments are appended by the database (no read first).
pub(crate) async fn index<C: ConnectionTrait>(
    txn: &C,
    ticket: &Ticket,
    events: &[&Event],
) -> Result<(), StoreError> {
    txn.execute(&index_statement(ticket, events)).await?;
    Ok(())
}

/// The upsert [`index`] runs, for a caller that sends it with other writes.
pub(crate) fn index_statement(ticket: &Ticket, events: &[&Event]) -> InsertStatement {
    let (own, personal) = ticket_texts(ticket);
    let (mut public, mut internal) = (String::new(), String::new());
    for (visibility, text) in events.iter().filter_map(|e| event_text(e)) {
        match visibility {
            Visibility::Public => push(&mut public, text),
            Visibility::Internal => push(&mut internal, text),
        }
    }
    let row = ticket_search::ActiveModel {
        ticket_id: Set(ticket.id.0),
        ticket_text: Set(own),
        public_comments: Set(public),
        internal_notes: Set(internal),
        personal: Set(personal),
    };
    ticket_search::Entity::insert(row)
        .on_conflict(
            OnConflict::column(ticket_search::Column::TicketId)
                .update_columns([
                    ticket_search::Column::TicketText,
                    ticket_search::Column::Personal,
                ])
                .value(
                    ticket_search::Column::PublicComments,
                    appended("public_comments"),
                )
                .value(
                    ticket_search::Column::InternalNotes,
                    appended("internal_notes"),
                )
                .to_owned(),
        )
        .into_query()
}

/// On an upsert's conflict, `column`'s indexed text followed by the new words (a line between
/// them, as [`push`] joins them; the string literal holds the line break itself), in SQL both
/// databases read alike.
fn appended(column: &str) -> SimpleExpr {
    Expr::cust(format!(
        "CASE WHEN excluded.{column} = '' THEN ticket_search.{column} \
         WHEN ticket_search.{column} = '' THEN excluded.{column} \
         ELSE ticket_search.{column} || '\n' || excluded.{column} END"
    ))
}

/// Whether `text` holds a word to search for (a letter or a digit): a search without one would
/// match every ticket.
pub fn has_words(text: &str) -> bool {
    !words(text).is_empty()
}

/// The words of a search, without anything a query language could read as an operator.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '@' && c != '.' && c != '_')
        .map(|w| w.trim_matches(|c: char| c == '.' || c == '@' || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// PostgreSQL's condition on `ticket_search` rows for `search` (the words as typed: PostgreSQL's
/// parser reads them as it read the document — `INC-2026-000042`, a UUID, an email — and
/// `plainto_tsquery` takes no operators), with the text to bind to `$1`.
fn postgres_condition(search: &Search) -> (String, String) {
    let tsquery = "(plainto_tsquery('french', $1) || plainto_tsquery('simple', $1))";
    let mut parts = vec![format!("public_tsv @@ {tsquery}")];
    if search.scope.internal_notes {
        parts.push(format!("internal_tsv @@ {tsquery}"));
    }
    if search.scope.personal_data {
        parts.push(format!("personal_tsv @@ {tsquery}"));
    }
    (parts.join(" OR "), search.text.trim().to_owned())
}

/// At most this many hits are looked up first and the page read among them; more hits are dense
/// enough for the sort's index walk to meet a page of them quickly.
const SPARSE_HITS: usize = 1000;

/// On PostgreSQL, the hits of a search that has few (at most [`SPARSE_HITS`]), found first through
/// the GIN indexes. Handed to the list query as a list of ids, they spare PostgreSQL's planner
/// its bet that hits are spread evenly along the sort's index: it would otherwise walk the index
/// and check each ticket — 0.4 to 0.9 s on 100,000 tickets for a rare word or one not found at
/// all. `None` when there are more, on SQLite (FTS5 already finds the hits first), or without
/// words.
pub(crate) async fn sparse_hits<C: ConnectionTrait>(
    db: &C,
    search: &Search,
) -> Result<Option<Vec<uuid::Uuid>>, StoreError> {
    if db.get_database_backend() != DbBackend::Postgres || words(&search.text).is_empty() {
        return Ok(None);
    }
    let (condition, text) = postgres_condition(search);
    let rows = db
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "SELECT ticket_id FROM ticket_search WHERE {condition} LIMIT {}",
                SPARSE_HITS + 1
            ),
            [text.into()],
        ))
        .await?;
    if rows.len() > SPARSE_HITS {
        return Ok(None);
    }
    let ids = rows
        .iter()
        .map(|row| row.try_get_by_index::<uuid::Uuid>(0))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(ids))
}

/// The condition "the ticket's id is among the search's hits", for `tickets.id`.
pub(crate) fn matches(search: &Search, backend: DbBackend) -> SimpleExpr {
    let words = words(&search.text);
    if words.is_empty() {
        return Expr::cust("1 = 1");
    }
    match backend {
        DbBackend::Postgres => {
            let (condition, text) = postgres_condition(search);
            Expr::cust_with_values(
                format!(
                    "\"tickets\".\"id\" IN (SELECT ticket_id FROM ticket_search WHERE {condition})"
                ),
                [text],
            )
        }
        _ => {
            let mut columns = vec!["ticket_text", "public_comments"];
            if search.scope.internal_notes {
                columns.push("internal_notes");
            }
            if search.scope.personal_data {
                columns.push("personal");
            }
            // Every word, as a quoted string (FTS5 reads nothing in it as an operator), in
            // the columns the caller may search.
            let phrase: Vec<String> = words
                .iter()
                .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
                .collect();
            let query = format!("{{{}}} : ({})", columns.join(" "), phrase.join(" AND "));
            Expr::cust_with_values(
                "\"tickets\".\"id\" IN (SELECT ticket_id FROM ticket_search WHERE rowid IN \
                 (SELECT rowid FROM ticket_search_fts WHERE ticket_search_fts MATCH ?))",
                [query],
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_keeps_words_and_drops_operators() {
        assert_eq!(
            words("  Panne \"NEAR\" (x) OR -y* jean.dupont@example.fr "),
            ["panne", "near", "x", "or", "y", "jean.dupont@example.fr"]
        );
        assert!(words("*()\"").is_empty());
    }
}
