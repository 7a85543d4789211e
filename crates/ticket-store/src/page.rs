//! Keyset pagination, one way for every list: a [`Page`] of items and an opaque cursor (base64url of
//! the last row's sort key) that the next request passes back. Lists fetch one row more than the
//! page to know whether another page follows ([`Page::from_rows`]).

use crate::StoreError;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Opaque; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The page of `rows` (fetched with `limit + 1`, see [`fetch_limit`]): at most `limit` items,
    /// each made by `item`, and the cursor of the last one when more rows follow.
    pub(crate) fn from_rows<R, E>(
        rows: Vec<R>,
        limit: u64,
        cursor_of: impl Fn(&R) -> String,
        mut item: impl FnMut(R) -> Result<T, E>,
    ) -> Result<Self, E> {
        let more = rows.len() as u64 > limit;
        let mut items = Vec::with_capacity(rows.len());
        let mut last = None;
        for row in rows
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
        {
            last = Some(cursor_of(&row));
            items.push(item(row)?);
        }
        Ok(Page {
            items,
            next_cursor: if more { last } else { None },
        })
    }
}

/// How many rows a list fetches for a page of `limit`: one more, to know whether a page follows.
pub(crate) fn fetch_limit(limit: u64) -> u64 {
    limit.saturating_add(1)
}

/// Cursors are opaque to clients: base64url of a sort key's text.
pub(crate) fn encode_opaque(raw: &str) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

/// The text of an opaque cursor; `None` when it is not one.
pub(crate) fn decode_opaque(text: &str) -> Option<String> {
    String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()
}

/// The position after a row in (created_at, id) order: the cursor of most lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Cursor {
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) id: Uuid,
}

pub(crate) fn encode_cursor(cursor: Cursor) -> String {
    encode_opaque(&format!("{}|{}", cursor.created_at.to_rfc3339(), cursor.id))
}

pub(crate) fn decode_cursor(text: &str) -> Option<Cursor> {
    let raw = decode_opaque(text)?;
    let (at, id) = raw.split_once('|')?;
    Some(Cursor {
        created_at: DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc),
        id: Uuid::parse_str(id).ok()?,
    })
}

/// Rows after a cursor in (created_at, id) order. A row-value comparison, so that the database
/// seeks the index to the cursor instead of filtering every row before it (PostgreSQL and SQLite
/// both support it).
pub(crate) fn after_cursor(
    created_at: impl sea_orm::ColumnTrait,
    id: impl sea_orm::ColumnTrait,
    cursor: &str,
) -> Result<sea_orm::sea_query::SimpleExpr, StoreError> {
    let after = decode_cursor(cursor).ok_or(StoreError::InvalidCursor)?;
    Ok(
        Expr::tuple([Expr::col(created_at), Expr::col(id)]).gt(Expr::tuple([
            Expr::val(after.created_at),
            Expr::val(after.id),
        ])),
    )
}
