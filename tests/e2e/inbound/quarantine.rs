//! The quarantine: staff read, attach, open and drop the mails nobody vouched for; a quarantined
//! mail's files follow their decision.

use super::*;

async fn staff_triage_the_quarantine(w: World) {
    let (id, _) = w.incident().await;
    let stranger = |subject: &str| {
        mail(
            "inconnu@ailleurs.example",
            subject,
            "Bonjour, une question.",
        )
    };
    let first = w.deliver(&stranger("Question 1")).await;
    let second = w.deliver(&stranger("Question 2")).await;
    let third = w.deliver(&stranger("Question 3")).await;
    for m in [&first, &second, &third] {
        assert_eq!(m["status"], "quarantined");
        assert_eq!(m["sender"], "inconnu@ailleurs.example");
        assert_eq!(m["masked"], false);
    }
    // The quarantine, page by page.
    let page: Value = w
        .app
        .get_as(
            &w.app.keys.agent,
            "/api/v1/inbound-mails?status=quarantined&limit=2",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap();
    let next: Value = w
        .app
        .get_as(
            &w.app.keys.agent,
            &format!("/api/v1/inbound-mails?status=quarantined&limit=2&cursor={cursor}"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(next["items"].as_array().unwrap().len(), 1);
    assert!(next.get("next_cursor").is_none());
    // Partners see none of it; engineers read but do not triage.
    assert_problem(
        w.app
            .get_as(&w.app.keys.partner, "/api/v1/inbound-mails")
            .await,
        403,
    )
    .await;
    let path = |m: &Value, command: &str| {
        format!(
            "/api/v1/inbound-mails/{}/{command}",
            m["id"].as_str().unwrap()
        )
    };
    assert_problem(
        w.post(&w.app.keys.engineer, &path(&first, "drop"), None)
            .await,
        403,
    )
    .await;
    // Attach: an internal note of the agent on the ticket.
    let attached = w
        .post(
            &w.app.keys.agent,
            &path(&first, "attach"),
            Some(json!({"ticket_id": id})),
        )
        .await;
    assert_eq!(attached.status(), 200);
    let attached: Value = attached.json().await.unwrap();
    assert_eq!(attached["status"], "attached");
    assert_eq!(attached["ticket_id"], id.as_str());
    assert_eq!(attached["decided_by"], "agent");
    let events = w.events(&id).await;
    let note = events
        .iter()
        .find(|e| e["type"] == "mail_received")
        .expect("the mail's receipt on the ticket");
    assert!(note["actor"].as_str().unwrap().starts_with("agent"));
    // Decided once: a second decision is a conflict.
    let problem = assert_problem(
        w.post(&w.app.keys.agent, &path(&first, "drop"), None).await,
        409,
    )
    .await;
    assert!(problem.problem_type.ends_with("/invalid-transition"));
    // Open: a support request declared by the agent, the subject as title.
    let opened = w
        .post(&w.app.keys.agent, &path(&second, "open"), Some(json!({})))
        .await;
    assert_eq!(opened.status(), 200);
    let opened: Value = opened.json().await.unwrap();
    assert_eq!(opened["status"], "opened");
    let ticket_id = opened["ticket_id"].as_str().unwrap();
    let (ticket, _) = w.app.ticket(&w.app.keys.agent, ticket_id).await;
    assert_eq!(ticket["title"], "Question 2");
    assert_eq!(ticket["kind"], "support_request");
    // Searchable at once, like a ticket declared through the API.
    let found: Value = w
        .app
        .get_as(&w.app.keys.agent, "/api/v1/tickets?q=Question%202")
        .await
        .json()
        .await
        .unwrap();
    let found: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(found, [ticket_id]);
    // Drop.
    let dropped = w
        .post(&w.app.keys.supervisor, &path(&third, "drop"), None)
        .await;
    assert_eq!(dropped.status(), 200);
    let dropped: Value = dropped.json().await.unwrap();
    assert_eq!(dropped["status"], "dropped");
    // The raw message, as received.
    let raw = w.app.get_as(&w.app.keys.agent, &path(&third, "raw")).await;
    assert_eq!(raw.status(), 200);
    assert_eq!(raw.headers()["content-type"], "application/octet-stream");
    assert_eq!(raw.headers()["x-content-type-options"], "nosniff");
    assert!(
        raw.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let bytes = raw.bytes().await.unwrap();
    assert!(String::from_utf8_lossy(&bytes).contains("Subject: Question 3"));
    // Unknown mail: 404 problem.
    assert_problem(
        w.app
            .get_as(
                &w.app.keys.agent,
                &format!("/api/v1/inbound-mails/{}", uuid::Uuid::now_v7()),
            )
            .await,
        404,
    )
    .await;
}
inbound_test!(staff_triage_the_quarantine);

/// A mail from an unknown sender with one text file, `name`, holding `words`.
fn stranger_with_file(subject: &str, name: &str, words: &str) -> Vec<u8> {
    mail_with(
        "inconnu@ailleurs.example",
        subject,
        &format!(
            "Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n\
--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nLe fichier est joint.\r\n\
--B\r\nContent-Type: text/plain; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n\
{words}\r\n\
--B--\r\n"
        ),
    )
}

async fn a_quarantined_mails_files_follow_the_staff_decision(w: World) {
    let (id, _) = w.incident().await;
    let path = |m: &Value, command: &str| {
        format!(
            "/api/v1/inbound-mails/{}/{command}",
            m["id"].as_str().unwrap()
        )
    };
    let agent = &w.app.keys.agent;
    // Quarantined: the file is listed on the mail, stored nowhere yet.
    let first = w
        .deliver(&stranger_with_file(
            "Capture",
            "capture.txt",
            "erreur 500 a 10h02",
        ))
        .await;
    assert_eq!(first["status"], "quarantined");
    assert_eq!(first["attachments"].as_array().unwrap().len(), 1, "{first}");
    assert!(first["attachments"][0].get("attachment_id").is_none());
    assert!(w.app.attachment_list(agent, &id).await.is_empty());
    // Attached as an internal note: the file is the ticket's, internal, attached by the agent.
    let attached = w
        .post(
            agent,
            &path(&first, "attach"),
            Some(json!({"ticket_id": id})),
        )
        .await;
    assert_eq!(attached.status(), 200);
    let attached: Value = attached.json().await.unwrap();
    let file_id = attached["attachments"][0]["attachment_id"]
        .as_str()
        .unwrap_or_else(|| panic!("the file's outcome on the mail: {attached}"))
        .to_owned();
    let listed = w.app.attachment_list(agent, &id).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], file_id.as_str());
    assert_eq!(listed[0]["visibility"], "internal");
    assert!(
        w.app
            .attachment_list(&w.app.keys.partner, &id)
            .await
            .is_empty()
    );
    let download = w
        .app
        .get_as(
            agent,
            &format!("/api/v1/tickets/{id}/attachments/{file_id}"),
        )
        .await;
    assert_eq!(download.status(), 200);
    assert_eq!(
        download.bytes().await.unwrap().as_ref(),
        b"erreur 500 a 10h02"
    );
    // Opened: the file is the new ticket's, like its other files.
    let second = w
        .deliver(&stranger_with_file(
            "Journal",
            "journal.txt",
            "connexion refusee",
        ))
        .await;
    let opened = w.post(agent, &path(&second, "open"), Some(json!({}))).await;
    assert_eq!(opened.status(), 200);
    let opened: Value = opened.json().await.unwrap();
    let ticket = opened["ticket_id"].as_str().unwrap();
    let file_id = opened["attachments"][0]["attachment_id"]
        .as_str()
        .unwrap_or_else(|| panic!("the file's outcome on the mail: {opened}"))
        .to_owned();
    let listed = w.app.attachment_list(agent, ticket).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["visibility"], "public");
    let download = w
        .app
        .get_as(
            agent,
            &format!("/api/v1/tickets/{ticket}/attachments/{file_id}"),
        )
        .await;
    assert_eq!(
        download.bytes().await.unwrap().as_ref(),
        b"connexion refusee"
    );
    // The mail as staff read it again says where its file went.
    let again: Value = w
        .app
        .get_as(
            agent,
            &format!("/api/v1/inbound-mails/{}", second["id"].as_str().unwrap()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["attachments"][0]["attachment_id"], file_id.as_str());
}
inbound_test!(a_quarantined_mails_files_follow_the_staff_decision);
