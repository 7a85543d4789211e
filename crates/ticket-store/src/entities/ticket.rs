use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tickets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub reference: String,
    pub kind: String,
    pub state: String,
    pub priority: i16,
    pub tier: String,
    pub organisation_id: Option<Uuid>,
    pub assignee: Option<String>,
    pub title: String,
    pub title_search: String,
    pub session_id: Option<Uuid>,
    pub breached: bool,
    pub next_due_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
    pub event_count: i64,
    pub chain_head: String,
    pub document: Json,
    pub anonymised_at: Option<DateTimeUtc>,
    pub deadline_at: Option<DateTimeUtc>,
    pub service_id: Option<Uuid>,
    pub staff_version: i64,
    pub public_version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
