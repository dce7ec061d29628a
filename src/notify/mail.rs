//! Where e-mail goes: an SMTP server (plain, STARTTLS or TLS, with credentials, from
//! `smtp_url`), or, when none is configured, `.eml` files in the data directory so that the
//! demo shows what would have been sent.

use std::path::PathBuf;
use std::time::Duration;

use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::NotifyConfig;

/// How long one SMTP exchange may take before it counts as failed.
pub const SEND_TIMEOUT_SECONDS: i64 = 30;

/// The result of one delivery attempt that did not succeed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: the server was unreachable, busy, or answered 4xx.
    #[error("{0}")]
    Transient(String),
    /// The server refused the message for good (5xx), for example an unknown mailbox.
    #[error("{0}")]
    Permanent(String),
}

#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

impl Mailer {
    pub fn from_config(config: &NotifyConfig) -> anyhow::Result<Mailer> {
        match &config.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("smtp_url is not usable: {e}"))?
                    .timeout(Some(Duration::from_secs(SEND_TIMEOUT_SECONDS as u64)))
                    .pool_config(
                        PoolConfig::new()
                            .max_size(config.concurrency as u32)
                            .idle_timeout(Duration::from_secs(30)),
                    )
                    .build();
                Ok(Mailer::Smtp(transport))
            }
            None => {
                crate::files::private_dir(&config.mail_dir)?;
                Ok(Mailer::Files(config.mail_dir.clone()))
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Mailer::Smtp(_) => "SMTP".to_owned(),
            Mailer::Files(dir) => format!(".eml files in {}", dir.display()),
        }
    }

    pub async fn send(&self, message: Message, file_stem: &str) -> Result<(), SendError> {
        match self {
            Mailer::Smtp(transport) => transport.send(message).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    SendError::Permanent(e.to_string())
                } else {
                    SendError::Transient(e.to_string())
                }
            }),
            Mailer::Files(dir) => {
                let path = dir.join(format!("{file_stem}.eml"));
                let bytes = message.formatted();
                crate::files::write_private(&path, &bytes)
                    .await
                    .map_err(|e| SendError::Transient(format!("writing {}: {e}", path.display())))
            }
        }
    }
}
