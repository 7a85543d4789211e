use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "access_journal")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub id: Uuid,
    pub at: DateTimeUtc,
    pub action: String,
    pub actor: String,
    pub role: Option<String>,
    pub organisation_id: Option<Uuid>,
    pub key_id: Option<Uuid>,
    pub ticket_id: Option<Uuid>,
    pub fields: String,
    pub detail: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub canonical: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
