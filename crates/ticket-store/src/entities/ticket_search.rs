use sea_orm::entity::prelude::*;

/// The searchable text of a ticket (see `migrations/…_ticket_search.rs`); on SQLite the table
/// also has an integer `rowid` that its FTS5 index refers to.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_search")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub ticket_id: Uuid,
    pub ticket_text: String,
    pub public_comments: String,
    pub internal_notes: String,
    pub personal: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
