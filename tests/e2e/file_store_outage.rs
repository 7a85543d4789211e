//! Files when the folder that holds their bytes cannot be written (a full disk, a volume gone):
//! the upload is answered 503 problem+json with `Retry-After`, nothing is attached, and the same
//! upload goes through once the folder can be written again.

use crate::attachments::{PNG, incident};
use crate::e2e_test;
use crate::helpers::*;
use serde_json::Value;

e2e_test!(
    an_upload_the_file_store_cannot_write_is_503_and_attaches_nothing,
    |app| async move {
        let id = incident(&app).await;
        let (_, version) = app.ticket(&app.keys.agent, &id).await;
        // The folder replaced by a file: every write under it fails, as on a lost volume.
        std::fs::remove_dir_all(&app.attachments_dir).unwrap();
        std::fs::write(&app.attachments_dir, b"not a folder").unwrap();

        let response = app
            .upload(&app.keys.agent, &id, &[("capture.png", PNG)], None)
            .await;
        assert_eq!(response.headers()["retry-after"], "5");
        let problem = assert_problem(response, 503).await;
        assert!(!problem.detail.is_empty());
        assert!(app.attachment_list(&app.keys.agent, &id).await.is_empty());
        let (_, unchanged) = app.ticket(&app.keys.agent, &id).await;
        assert_eq!(unchanged, version);

        // The folder back: the same upload is stored and listed.
        std::fs::remove_file(&app.attachments_dir).unwrap();
        std::fs::create_dir_all(&app.attachments_dir).unwrap();
        let response = app
            .upload(&app.keys.agent, &id, &[("capture.png", PNG)], None)
            .await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        let listed = app.attachment_list(&app.keys.agent, &id).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["id"], body["items"][0]["id"]);
    }
);
