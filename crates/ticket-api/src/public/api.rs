//! `POST /api/v1/public/identity-theft-reports`: the report form as JSON, for partners' own forms.
//! No key; rate-limited per client address and per email address like the web form.

use super::report::{Refused, Submission, report_identity_theft};
use crate::ApiState;
use crate::ApiTag;
use crate::dto::Instant;
use crate::dto::LanguageDto;
use crate::error::ApiError;
use crate::problem::Problem;
use chrono::NaiveDate;
use poem::Request;
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::Header;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use ticket_domain::public_report::PublicReport;
use ticket_domain::values::OrganisationId;
use uuid::Uuid;

/// A member of the public's report of identity theft.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PublicReportRequest {
    /// Authentication session id or event id from the alert mail, when known.
    pub session_id: Option<Uuid>,
    /// Day of the suspicious connection (Paris time): within the last 6 months.
    pub connection_date: Option<NaiveDate>,
    /// The identity provider holding the account, when known (an organisation of the registry).
    pub identity_provider_id: Option<Uuid>,
    /// The services accessed, when known (organisations of the registry).
    #[oai(default)]
    pub service_provider_ids: Vec<Uuid>,
    /// Birth name(s).
    pub birth_names: String,
    /// First name(s).
    pub first_names: String,
    /// Date of birth (after 1900, not in the future).
    pub birth_date: NaiveDate,
    /// Place of birth (town, and country if abroad).
    pub birth_place: String,
    /// Where the reference and the private tracking link are sent.
    pub email: String,
    /// A phone number, optional.
    pub phone: Option<String>,
    /// What happened.
    pub description: String,
    /// The reporter agrees to the processing of the report.
    pub consent: bool,
    /// Language of the mails; `fr` by default.
    pub language: Option<LanguageDto>,
}

impl PublicReportRequest {
    /// The report the body gives.
    fn into_report(self) -> PublicReport {
        PublicReport {
            session_id: self.session_id,
            connection_date: self.connection_date,
            identity_provider: self.identity_provider_id.map(OrganisationId),
            service_providers: self
                .service_provider_ids
                .into_iter()
                .map(OrganisationId)
                .collect(),
            birth_names: self.birth_names,
            first_names: self.first_names,
            birth_date: Some(self.birth_date),
            birth_place: self.birth_place,
            email: self.email,
            phone: self.phone.unwrap_or_default(),
            description: self.description,
            consent: self.consent,
            language: self
                .language
                .map_or(ticket_domain::Language::Fr, Into::into),
        }
    }
}

/// The registered report.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PublicReportCreated {
    /// The case reference, e.g. `USU-2026-000042`.
    pub reference: String,
    /// The private tracking page: show it to the reporter; it is also mailed to them. Absent
    /// from a replayed answer (same `Idempotency-Key`): the secret is shown once, in the first.
    pub tracking_url: Option<String>,
    /// When it was registered.
    pub created_at: Instant,
}

/// Answers of the public report endpoint.
#[derive(Debug, ApiResponse)]
pub enum PublicReportResponse {
    /// The report was registered.
    #[oai(status = 201)]
    Created(Json<PublicReportCreated>),
}

/// The public report endpoint.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicApi;

fn too_many(wait: u64) -> ApiError {
    ApiError::TooManyRequests(
        Json(Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            format!(
                "Too many reports from this address or for this email address; retry in {wait} seconds."
            ),
        )),
        wait,
    )
}

#[OpenApi(tag = "ApiTag::Public")]
impl PublicApi {
    /// Report identity theft (public)
    ///
    /// The web form's submission as JSON, for partners who host their own form. No key; limited
    /// per client address and per email address (429 with `Retry-After` beyond). Validated with
    /// the same rules as the form; the answer carries the reference and the private tracking link.
    #[oai(
        path = "/api/v1/public/identity-theft-reports",
        method = "post",
        operation_id = "report_identity_theft"
    )]
    async fn report(
        &self,
        state: Data<&ApiState>,
        request: &Request,
        /// Makes retries safe: the same key with the same body answers the first response
        /// (without the tracking link, shown once) and registers nothing more.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: Json<PublicReportRequest>,
    ) -> Result<PublicReportResponse, ApiError> {
        let now = state.clock.now();
        let public = &state.public;
        public
            .per_ip
            .check(&super::submission::client_ip(request, public), now)
            .await
            .map_err(too_many)?;
        let idempotency =
            crate::tickets::idempotency_for("public".to_owned(), idempotency_key.0, &body.0)?;
        let report = body.0.into_report();
        let language = report.language;
        let submission = Submission {
            report,
            input_errors: Vec::new(),
            files: Vec::new(),
            idempotency,
        };
        let created = report_identity_theft(&state, submission, now)
            .await
            .map_err(|refused| match refused {
                Refused::Invalid { rules, .. } => {
                    ApiError::invalid(rules.into_iter().map(json_field_name).collect())
                }
                Refused::TooMany(wait) => too_many(wait),
                Refused::Store(error) => error.into(),
            })?;
        Ok(PublicReportResponse::Created(Json(PublicReportCreated {
            reference: created.ticket.ticket.reference.to_string(),
            tracking_url: created
                .tracking_secret
                .map(|secret| language.tracking_url(&public.config.base_url, &secret)),
            created_at: created.ticket.ticket.created_at.into(),
        })))
    }
}

/// An error of the report's rules, naming the field as the JSON body writes it: the rules name the
/// web form's fields (`identity_provider`, `service_providers`), the body's are
/// `identity_provider_id` and `service_provider_ids`.
fn json_field_name(mut error: crate::problem::FieldError) -> crate::problem::FieldError {
    let renamed = match error.field.as_str() {
        "identity_provider" => "identity_provider_id",
        "service_providers" => "service_provider_ids",
        _ => return error,
    };
    error.field = renamed.to_owned();
    error
}
