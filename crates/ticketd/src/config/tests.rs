//! The configuration's unit tests: sources and their precedence, variables, validation, masking.

#![allow(clippy::unwrap_used, clippy::expect_used)]
// `Jail` closures return figment's own (large) error type.
#![allow(clippy::result_large_err)]

use super::*;
use figment::Jail;

fn load_in(jail: &Jail, file: Option<&str>) -> Result<Config, ConfigError> {
    let path = file.map(|name| jail.directory().join(name));
    Config::load(path.as_deref())
}

/// Every field, secrets included: configurations compare by what they serialise to.
fn as_toml(config: &Config) -> String {
    toml::to_string(config).unwrap()
}

#[test]
fn defaults_apply_without_any_source() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        let config = load_in(jail, None).unwrap();
        assert_eq!(as_toml(&config), as_toml(&Config::default()));
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.database_url.expose(), DEFAULT_DATABASE_URL);
        assert_eq!(config.log_format, LogFormat::Text);
        Ok(())
    });
}

#[test]
fn environment_overrides_file_which_overrides_defaults() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.create_file(
            "ticketd.toml",
            "listen = \"127.0.0.1:9000\"\nlog_format = \"json\"\n",
        )?;
        jail.set_env("TICKETD_LISTEN", "127.0.0.1:9001");
        jail.set_env("TICKETD_DATABASE_URL", "postgres://db.internal/tickets");
        let config = load_in(jail, Some("ticketd.toml")).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:9001");
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(
            config.database_url.expose(),
            "postgres://db.internal/tickets"
        );
        assert_eq!(config.log_filter, DEFAULT_LOG_FILTER);
        Ok(())
    });
}

#[test]
fn unrelated_ticketd_variables_are_not_configuration() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.set_env("TICKETD_CONFIG", "/nowhere.toml");
        jail.set_env("TICKETD_REQUIRE_POSTGRES", "1");
        assert_eq!(
            as_toml(&load_in(jail, None).unwrap()),
            as_toml(&Config::default())
        );
        Ok(())
    });
}

#[test]
fn an_unknown_ticketd_variable_is_refused_by_name() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.set_env("TICKETD_LISTN", "127.0.0.1:9000");
        jail.set_env("TICKETD_MAIL__SMTP__HOTS", "smtp.example.fr");
        let message = load_in(jail, None).unwrap_err().to_string();
        assert!(message.contains("TICKETD_LISTN"), "{message}");
        assert!(message.contains("TICKETD_MAIL__SMTP__HOTS"), "{message}");
        Ok(())
    });
}

#[test]
fn every_documented_kind_of_variable_is_accepted() {
    let names = [
        "TICKETD_LISTEN",
        "TICKETD_PUBLIC__PER_IP__MAX",
        "TICKETD_MAIL__SMTP__PASSWORD",
        "TICKETD_MAIL__SMTP__PORT",
        "TICKETD_METRICS__LISTEN",
        "TICKETD_CONFIG",
        "TICKETD_REQUIRE_POSTGRES",
        "PATH",
    ];
    check_variables(names.map(str::to_owned)).unwrap();
}

#[test]
fn a_database_it_cannot_serve_is_refused() {
    for url in ["mysql://u:p@db/t", "mongodb://db", "/var/lib/t.db"] {
        let config = Config {
            database_url: DatabaseUrl::parse(url).unwrap(),
            ..Config::default()
        };
        let message = config.validate().unwrap_err().to_string();
        assert!(message.contains("`database_url`"), "{message}");
        assert!(!message.contains("p@db"), "{message}");
    }
    for url in ["postgresql://db/t", "postgres://db/t", "sqlite::memory:"] {
        let config = Config {
            database_url: DatabaseUrl::parse(url).unwrap(),
            ..Config::default()
        };
        config.validate().unwrap();
    }
}

#[test]
fn bad_listen_address_names_the_key() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.set_env("TICKETD_LISTEN", "not-an-address");
        let message = load_in(jail, None).unwrap_err().to_string();
        assert!(message.contains("`listen`"), "{message}");
        assert!(message.contains("TICKETD_"), "{message}");
        Ok(())
    });
}

#[test]
fn the_acquire_timeout_and_the_uncertain_mail_policy_are_read_and_checked() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.set_env("TICKETD_DATABASE_ACQUIRE_TIMEOUT_MS", "800");
        jail.set_env("TICKETD_MAIL__DISPATCHER__UNCERTAIN", "resend");
        jail.set_env(
            "TICKETD_MAIL__DISPATCHER__RESEND_UNCERTAIN_AFTER_SECONDS",
            "120",
        );
        let config = load_in(jail, None).unwrap();
        assert_eq!(config.database_acquire_timeout_ms, 800);
        assert_eq!(
            config.mail.dispatcher.uncertain,
            ticket_mail::UncertainPolicy::Resend
        );
        assert_eq!(config.mail.dispatcher.resend_uncertain_after_seconds, 120);
        jail.set_env("TICKETD_DATABASE_ACQUIRE_TIMEOUT_MS", "5");
        let message = load_in(jail, None).unwrap_err().to_string();
        assert!(
            message.contains("`database_acquire_timeout_ms`"),
            "{message}"
        );
        jail.set_env("TICKETD_DATABASE_ACQUIRE_TIMEOUT_MS", "800");
        jail.set_env("TICKETD_DATABASE_MAX_CONNECTIONS", "64");
        assert_eq!(load_in(jail, None).unwrap().database_max_connections, 64);
        jail.set_env("TICKETD_DATABASE_MAX_CONNECTIONS", "0");
        let message = load_in(jail, None).unwrap_err().to_string();
        assert!(message.contains("`database_max_connections`"), "{message}");
        jail.set_env("TICKETD_DATABASE_MAX_CONNECTIONS", "32");
        jail.set_env("TICKETD_MAIL__DISPATCHER__UNCERTAIN", "forget");
        assert!(load_in(jail, None).is_err(), "an unknown policy is refused");
        Ok(())
    });
}

#[test]
fn empty_database_url_is_refused() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.set_env("TICKETD_DATABASE_URL", " ");
        let message = load_in(jail, None).unwrap_err().to_string();
        assert!(message.contains("`database_url`"), "{message}");
        assert!(message.contains("must not be empty"), "{message}");
        Ok(())
    });
}

#[test]
fn unknown_log_format_names_the_key() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.set_env("TICKETD_LOG_FORMAT", "xml");
        let message = load_in(jail, None).unwrap_err().to_string();
        assert!(message.contains("`log_format`"), "{message}");
        Ok(())
    });
}

#[test]
fn invalid_log_filter_is_refused() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.set_env("TICKETD_LOG_FILTER", "ticketd=loud");
        let message = load_in(jail, None).unwrap_err().to_string();
        assert!(message.contains("`log_filter`"), "{message}");
        Ok(())
    });
}

#[test]
fn typo_in_file_is_refused() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.create_file("ticketd.toml", "lisen = \"127.0.0.1:9000\"\n")?;
        let message = load_in(jail, Some("ticketd.toml")).unwrap_err().to_string();
        assert!(message.contains("lisen"), "{message}");
        assert!(message.contains("ticketd.toml"), "{message}");
        Ok(())
    });
}

#[test]
fn missing_file_is_refused() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        let error = load_in(jail, Some("absent.toml")).unwrap_err();
        assert!(matches!(error, ConfigError::FileNotFound(_)), "{error}");
        Ok(())
    });
}

#[test]
fn passwords_are_masked() {
    let url =
        DatabaseUrl::parse("postgres://ticketd:s3cret@db:5432/tickets?sslmode=require").unwrap();
    assert_eq!(
        url.redacted(),
        "postgres://ticketd:********@db:5432/tickets?sslmode=require"
    );
    assert!(!format!("{url:?}").contains("s3cret"));

    let url = DatabaseUrl::parse("postgres://db/tickets?user=t&password=s3cret").unwrap();
    assert_eq!(
        url.redacted(),
        "postgres://db/tickets?user=t&password=********"
    );

    let url = DatabaseUrl::parse(DEFAULT_DATABASE_URL).unwrap();
    assert_eq!(url.redacted(), DEFAULT_DATABASE_URL);
}

#[test]
fn a_password_holding_raw_at_signs_and_slashes_is_masked_whole() {
    let url = DatabaseUrl::parse("postgres://ticketd:p@ss/w:rd@postgres/tickets").unwrap();
    assert_eq!(
        url.redacted(),
        "postgres://ticketd:********@postgres/tickets"
    );
    let url = DatabaseUrl::parse("postgres://ticketd:p@ss/w:rd@postgres:5432").unwrap();
    assert_eq!(url.redacted(), "postgres://ticketd:********@postgres:5432");
}

#[test]
fn redacted_toml_hides_the_password() {
    let config = Config {
        database_url: DatabaseUrl::parse("postgres://u:s3cret@db/t").unwrap(),
        ..Config::default()
    };
    let toml = config.to_redacted_toml().unwrap();
    assert!(!toml.contains("s3cret"), "{toml}");
    assert!(toml.contains("listen = \"127.0.0.1:8080\""), "{toml}");
}

#[test]
fn mail_is_configured_from_nested_variables_and_its_password_is_masked() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.set_env("TICKETD_MAIL__TRANSPORT", "smtp");
        jail.set_env("TICKETD_MAIL__SMTP__HOST", "smtp.example.fr");
        jail.set_env("TICKETD_MAIL__SMTP__PORT", "2525");
        jail.set_env("TICKETD_MAIL__SMTP__SECURITY", "tls");
        jail.set_env("TICKETD_MAIL__SMTP__USERNAME", "ticketd");
        jail.set_env("TICKETD_MAIL__SMTP__PASSWORD", "s3cret-smtp");
        jail.set_env("TICKETD_MAIL__MAILBOXES__SECURITY", "cert@example.fr");
        let config = load_in(jail, None).unwrap();
        assert_eq!(
            config.mail.transport,
            ticket_mail::config::TransportKind::Smtp
        );
        assert_eq!(config.mail.smtp.host, "smtp.example.fr");
        assert_eq!(config.mail.smtp.effective_port(), 2525);
        assert_eq!(
            config.mail.smtp.security,
            ticket_mail::config::SmtpSecurity::Tls
        );
        assert_eq!(config.mail.mailboxes.security, "cert@example.fr");
        assert_eq!(
            config.mail.smtp.password.as_ref().map(|p| p.expose()),
            Some("s3cret-smtp")
        );
        let toml = config.to_redacted_toml().unwrap();
        assert!(!toml.contains("s3cret-smtp"), "{toml}");
        assert!(toml.contains("password = \"********\""), "{toml}");
        assert!(!format!("{config:?}").contains("s3cret-smtp"));
        Ok(())
    });
}

#[test]
fn a_bad_mail_address_names_its_key() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.set_env("TICKETD_MAIL__OWNERS__SUPERVISOR", "not an address");
        let message = load_in(jail, None).unwrap_err().to_string();
        assert!(message.contains("`mail.owners.supervisor`"), "{message}");
        Ok(())
    });
}

#[test]
fn sqlite_file_is_found_in_the_url() {
    let file = |url: &str| DatabaseUrl::parse(url).unwrap().sqlite_file();
    assert_eq!(
        file(DEFAULT_DATABASE_URL),
        Some(PathBuf::from("./data/ticketd.db"))
    );
    assert_eq!(
        file("sqlite:///var/lib/ticketd/t.db"),
        Some(PathBuf::from("/var/lib/ticketd/t.db"))
    );
    assert_eq!(file("sqlite::memory:"), None);
    assert_eq!(file("postgres://db/t"), None);
}
