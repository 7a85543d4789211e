use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inbound_mails")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub message_id: String,
    pub sha256: String,
    pub source: String,
    pub status: String,
    pub reason: Option<String>,
    pub ticket_id: Option<Uuid>,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub raw: Option<Vec<u8>>,
    pub attachments: Json,
    pub received_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
