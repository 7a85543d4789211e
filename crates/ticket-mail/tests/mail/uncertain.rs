//! A server that takes the whole message and hangs up without a verdict: the mail may have been
//! delivered, so it is `uncertain` — never resent by the dispatcher, only by staff.

use crate::support::*;
use chrono::TimeDelta;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use ticket_domain::Priority;
use ticket_domain::notify::{Language, Mailbox, Recipient};
use ticket_mail::testkit::{SmtpServer, smtp_config};
use ticket_store::outbox::Status;
use ticket_store::store_test;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Speaks just enough SMTP to take a message, then closes the connection right after the DATA
/// terminator instead of answering it. Counts the messages it swallowed.
struct HangUpAfterData {
    port: u16,
    messages: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl HangUpAfterData {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&messages);
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let counter = Arc::clone(&counter);
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read);
                    let _ = write.write_all(b"220 fake ESMTP\r\n").await;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" => b"250-fake\r\n250 8BITMIME\r\n",
                            "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n",
                            "DATA" => {
                                let _ = write.write_all(b"354 go ahead\r\n").await;
                                // Read the message up to the terminator, then hang up.
                                let mut body = String::new();
                                while !body.ends_with("\r\n.\r\n") {
                                    let mut chunk = String::new();
                                    if lines.read_line(&mut chunk).await.unwrap_or(0) == 0 {
                                        return;
                                    }
                                    body.push_str(&chunk);
                                }
                                counter.fetch_add(1, Ordering::SeqCst);
                                return;
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                return;
                            }
                            _ => b"502 not implemented\r\n",
                        };
                        if write.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self {
            port,
            messages,
            task,
        }
    }

    fn swallowed(&self) -> usize {
        self.messages.load(Ordering::SeqCst)
    }
}

impl Drop for HangUpAfterData {
    fn drop(&mut self) {
        self.task.abort();
    }
}

store_test!(
    a_connection_lost_after_the_message_makes_it_uncertain_and_it_is_not_resent,
    |store| async move {
        let world = World::new(store).await;
        let server = HangUpAfterData::start().await;
        let mut config = smtp_config(server.port);
        config.dispatcher.concurrency = 1;
        let dispatcher = world.dispatcher(config);
        let ticket = world
            .partner_incident(Priority::Normale, Language::Fr)
            .await;

        let report = dispatcher.run_until_idle().await.unwrap();
        assert_eq!((report.claimed, report.uncertain), (2, 2), "{report:?}");
        assert_eq!(server.swallowed(), 2, "both messages were handed over");
        let rows = world.store.outbox_of(ticket.ticket.id).await.unwrap();
        for row in &rows {
            assert_eq!(row.status, Status::Uncertain.name());
            assert_eq!(row.attempts, 1);
            assert!(row.message_id.is_some(), "kept for staff to search for");
            let error = row.last_error.as_deref().unwrap();
            assert!(error.contains("reply never came"), "{error}");
        }

        // Later passes leave them alone: no second copy behind the recipient's back.
        world.advance(TimeDelta::hours(6));
        assert_eq!(dispatcher.run_until_idle().await.unwrap().claimed, 0);
        assert_eq!(server.swallowed(), 2);

        // Staff decide to send the copy to partner support again, through a working server.
        let copy = rows
            .iter()
            .find(|r| {
                serde_json::from_value::<Recipient>(r.recipient.clone()).unwrap()
                    == Recipient::Mailbox(Mailbox::PartnerSupport)
            })
            .unwrap();
        let retried = world
            .store
            .retry_outbox(copy.id, world.now())
            .await
            .unwrap();
        assert_eq!(retried.status, Status::Pending);
        let smtp = SmtpServer::start().await;
        let working = world.dispatcher(smtp_config(smtp.port()));
        let report = working.run_until_idle().await.unwrap();
        assert_eq!((report.claimed, report.sent), (1, 1));
        let received = smtp.wait_for(1).await;
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].rcpt_to, [PARTNER_SUPPORT]);
        assert_eq!(
            Some(received[0].message_id.as_str()),
            copy.message_id.as_deref(),
            "the same Message-ID: a receiving system can tell it is the same mail"
        );
        assert_eq!(
            world.store.get_outbox(copy.id).await.unwrap().status,
            Status::Sent
        );
    }
);
