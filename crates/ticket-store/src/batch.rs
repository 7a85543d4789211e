//! Inserts that go to the database together: what a decision writes (its events, their sealed
//! texts and mails, the organisations concerned, the search row, and on creation the ticket's row).
//!
//! On PostgreSQL they are sent as one statement, each insert but the last a data-modifying `WITH`
//! clause of it: one round trip instead of one per insert (issue 17: a creation went to the
//! database eight times). One statement is atomic, and its foreign keys are checked at its end, so
//! an event may name the ticket inserted beside it. On SQLite, which has no round trips (the
//! database is in the process) and no inserts inside `WITH`, they run one after the other.

use crate::StoreError;
use sea_orm::sea_query::InsertStatement;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Values};

/// Inserts gathered in the order they must run (where it matters: on SQLite, a row before the
/// rows that name it).
#[derive(Debug, Default)]
pub(crate) struct Writes {
    inserts: Vec<InsertStatement>,
}

impl Writes {
    pub(crate) fn insert(&mut self, statement: InsertStatement) {
        self.inserts.push(statement);
    }

    /// Runs the inserts on `db` (a transaction, usually).
    pub(crate) async fn run<C: ConnectionTrait>(self, db: &C) -> Result<(), StoreError> {
        let backend = db.get_database_backend();
        if backend == DbBackend::Postgres && self.inserts.len() > 1 {
            let statements = self.inserts.iter().map(|s| backend.build(s)).collect();
            db.execute_raw(combined(statements)).await?;
        } else {
            for statement in &self.inserts {
                db.execute(statement).await?;
            }
        }
        Ok(())
    }
}

/// PostgreSQL statements as one: `WITH w0 AS (first), w1 AS (second) last`, the placeholders of
/// each renumbered after those of the statements before it.
fn combined(statements: Vec<Statement>) -> Statement {
    let count = statements.len();
    let mut sql = String::new();
    let mut values = Vec::new();
    for (i, statement) in statements.into_iter().enumerate() {
        let shifted = shift_placeholders(&statement.sql, values.len());
        if i + 1 < count {
            sql.push_str(if i == 0 { "WITH " } else { ", " });
            sql.push_str(&format!("w{i} AS ({shifted})"));
        } else {
            sql.push(' ');
            sql.push_str(&shifted);
        }
        if let Some(Values(own)) = statement.values {
            values.extend(own);
        }
    }
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// `sql` with each placeholder `$n` written `$(n + offset)`; quoted identifiers and string
/// literals are copied as they are.
fn shift_placeholders(sql: &str, offset: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            // A doubled quote inside a quoted text is the quote itself: leaving and entering again
            // copies both.
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    digits.push(d);
                    chars.next();
                }
                let number = digits.parse::<usize>().unwrap_or(0) + offset;
                out.push('$');
                out.push_str(&number.to_string());
                continue;
            }
            None => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_shifted_outside_quotes_only() {
        assert_eq!(
            shift_placeholders(
                r#"INSERT INTO "t" ("a$1", "b") VALUES ($1, $12) ON CONFLICT DO UPDATE SET "b" = 'x $2 '' $3' || $2"#,
                10
            ),
            r#"INSERT INTO "t" ("a$1", "b") VALUES ($11, $22) ON CONFLICT DO UPDATE SET "b" = 'x $2 '' $3' || $12"#
        );
        assert_eq!(shift_placeholders("SELECT $1", 0), "SELECT $1");
    }

    #[test]
    fn statements_become_clauses_of_the_last_with_their_values_in_order() {
        let statement = |sql: &str, values: Vec<i32>| {
            Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                values.into_iter().map(sea_orm::Value::from),
            )
        };
        let one = combined(vec![
            statement("INSERT INTO a VALUES ($1, $2)", vec![1, 2]),
            statement("INSERT INTO b VALUES ($1)", vec![3]),
            statement("INSERT INTO c VALUES ($1, $2)", vec![4, 5]),
        ]);
        assert_eq!(
            one.sql,
            "WITH w0 AS (INSERT INTO a VALUES ($1, $2)), w1 AS (INSERT INTO b VALUES ($3)) \
             INSERT INTO c VALUES ($4, $5)"
        );
        let values: Vec<sea_orm::Value> = one.values.map(|v| v.0).unwrap_or_default();
        assert_eq!(values, [1, 2, 3, 4, 5].map(sea_orm::Value::from).to_vec());
    }
}
