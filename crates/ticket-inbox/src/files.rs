//! The files of a mail that landed on a ticket or opened one — by itself, or by the decision of a
//! staff member on the quarantined mail: each checked alone under the upload limits, the accepted
//! ones attached by the mail's author (or that staff member) in as many uploads as the limits ask,
//! and every outcome recorded on the mail (`attachments[].attachment_id`, or `refused`).

use crate::{Inbox, parse};
use serde_json::Value;
use ticket_domain::Actor;
use ticket_domain::values::TicketId;
use ticket_store::StoreError;
use ticket_store::attachments::{Attachments, Upload, check_uploads};
use ticket_store::inbound::{InboundMail, InboundStatus};
use ticket_store::tickets::TicketKey;

/// The files of a mail, checked: what the mail's row lists of each, completed with its outcome,
/// and those accepted so far, by their index in that list.
struct Checked {
    outcomes: Vec<Value>,
    accepted: Vec<(usize, Upload)>,
}

impl Inbox {
    /// The files of a quarantined mail that `staff` just attached to a ticket or opened one
    /// from ([`Store::decide_quarantined`](ticket_store::Store::decide_quarantined)), attached
    /// by them as the mail's own would have been: internal with an attached mail (an internal
    /// note: its sender was not verified), like the ticket's other files with an opened one. A
    /// mail without files, or no longer held (anonymised), has nothing to attach.
    pub async fn attach_decided_files(
        &self,
        mail: &mut InboundMail,
        staff: &Actor,
    ) -> Result<(), StoreError> {
        if mail.attachments.as_array().is_none_or(Vec::is_empty) {
            return Ok(());
        }
        let Some(raw) = self.store.inbound_raw(mail.id).await? else {
            return Ok(());
        };
        self.store_attachments(mail, &raw, staff).await
    }

    /// The mail's files attached to the ticket it landed on or opened, as `author`, in as many
    /// uploads as the limits ask (internal ones for a quarantined mail staff attached as an
    /// internal note). A file the rules refuse (size, type, the ticket's count) is recorded on
    /// the mail with the reason and the others go on; the mail itself stays where it is.
    /// A store that cannot write now is the caller's error, like the mail's own storing, but the
    /// mail is already committed: its files are then recorded as not stored.
    pub(crate) async fn store_attachments(
        &self,
        mail: &mut InboundMail,
        raw: &[u8],
        author: &Actor,
    ) -> Result<(), StoreError> {
        let (Some(attachments), Some(ticket), true) = (
            &self.attachments,
            mail.ticket_id,
            matches!(
                mail.status,
                InboundStatus::Landed | InboundStatus::Opened | InboundStatus::Attached
            ),
        ) else {
            return Ok(());
        };
        let target = Target {
            ticket,
            internal: mail.status == InboundStatus::Attached,
            author,
        };
        let Checked {
            mut outcomes,
            mut accepted,
        } = check_files(mail, raw, attachments);
        let per_upload = (attachments.limits.max_files_per_upload as usize).max(1);
        while !accepted.is_empty() {
            let rest = accepted.split_off(per_upload.min(accepted.len()));
            let batch = std::mem::replace(&mut accepted, rest);
            self.attach_batch(mail, attachments, &target, batch, &mut outcomes)
                .await;
        }
        let outcomes = Value::Array(outcomes);
        self.store
            .set_inbound_attachments(mail.id, outcomes.clone())
            .await?;
        mail.attachments = outcomes;
        Ok(())
    }

    /// One upload of accepted files; each file's outcome recorded in `outcomes`.
    async fn attach_batch(
        &self,
        mail: &InboundMail,
        attachments: &Attachments,
        target: &Target<'_>,
        batch: Vec<(usize, Upload)>,
        outcomes: &mut [Value],
    ) {
        let (indexes, uploads): (Vec<usize>, Vec<Upload>) = batch.into_iter().unzip();
        let result = self
            .store
            .attach_files(
                attachments,
                TicketKey::Id(target.ticket),
                None,
                uploads,
                target.internal,
                target.author,
                self.clock.now(),
                &self.policy,
            )
            .await;
        match result {
            Ok(attached) => {
                for (index, stored) in indexes.iter().zip(attached.attachments) {
                    outcomes[*index]["attachment_id"] = stored.id.to_string().into();
                    outcomes[*index]["media_type"] = stored.media_type.into();
                }
            }
            Err(error @ (StoreError::Refused(_) | StoreError::Attachment(_))) => {
                let reason = match error {
                    StoreError::Refused(refusal) => refusal.detail,
                    other => other.to_string(),
                };
                for index in &indexes {
                    outcomes[*index]["refused"] = reason.clone().into();
                }
            }
            Err(error) => {
                tracing::warn!(mail = %mail.id, %error, "the mail's files could not be stored");
                for index in &indexes {
                    outcomes[*index]["refused"] = "not stored: the store could not write".into();
                }
            }
        }
    }
}

/// Where a mail's files go: the ticket, whether they are internal, who attaches them.
struct Target<'a> {
    ticket: TicketId,
    internal: bool,
    author: &'a Actor,
}

/// Each file of the raw mail checked alone under the upload limits.
fn check_files(mail: &InboundMail, raw: &[u8], attachments: &Attachments) -> Checked {
    let files = parse::attachment_files(raw).unwrap_or_default();
    // What the mail's row lists (name, declared type, size), completed with each outcome.
    let listed = mail.attachments.as_array().cloned().unwrap_or_default();
    let mut outcomes: Vec<Value> = Vec::with_capacity(files.len());
    let mut accepted: Vec<(usize, Upload)> = Vec::new();
    let files_count = files.len();
    for (index, (name, bytes)) in files.into_iter().enumerate() {
        let upload = Upload {
            name: name
                .clone()
                .unwrap_or_else(|| format!("piece-jointe-{}", index + 1)),
            bytes: bytes.into(),
        };
        let mut entry = listed
            .get(index)
            .filter(|_| listed.len() == files_count)
            .cloned()
            .unwrap_or_else(|| {
                serde_json::json!({
                    "filename": name,
                    "size": upload.bytes.len(),
                })
            });
        match check_uploads(std::slice::from_ref(&upload), &attachments.limits) {
            Ok(()) => accepted.push((index, upload)),
            Err(refusal) => entry["refused"] = refusal.to_string().into(),
        }
        outcomes.push(entry);
    }
    Checked { outcomes, accepted }
}
