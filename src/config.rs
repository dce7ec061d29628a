//! Settings from `LIAISON_*` environment variables and an optional TOML file, with defaults
//! that serve the demo: with no configuration at all, Liaison keeps a SQLite database and a
//! generated signing secret in `./liaison-data`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Raw settings as read from the file and the environment. Every key can be set in the TOML
/// file (`pool_size = 8`) or as an environment variable (`LIAISON_POOL_SIZE=8`); the
/// environment wins. README.md lists them all.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub bind: String,
    pub public_url: Option<String>,
    /// Base64 of at least 32 random bytes. Several instances sharing one database must
    /// share this secret (or `secret_file`).
    pub secret: Option<String>,
    pub secret_file: Option<PathBuf>,
    pub log_format: LogFormat,
    pub log_level: String,
    pub pool_size: u32,
    pub http_workers: usize,
    pub session_idle_minutes: i64,
    /// How long a relative's session on a shared or public device lasts without use.
    pub shared_device_idle_seconds: i64,
    pub session_max_hours: i64,
    pub token_minutes: i64,
    pub api_token_minutes: i64,
    /// `smtp://host:25`, `smtp://user:pass@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:pass@host:465` (TLS). Unset: mail is written as .eml files.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// Run the notification worker inside `serve`.
    pub run_worker: bool,
    pub worker_poll_ms: u64,
    pub notify_max_attempts: i32,
    pub notify_retry_base_seconds: i64,
    pub notify_lease_seconds: i64,
    /// E-mails sent side by side by one worker (and SMTP connections it keeps).
    pub notify_concurrency: usize,
    /// How often the scheduler looks for reminders and lapses to escalate; 0 turns it off
    /// in this instance (another instance runs it).
    pub scheduler_interval_seconds: u64,
    /// How long before a follow-up falls due its officer is reminded.
    pub reminder_window_hours: i64,
    /// How long a follow-up may stay overdue before the team's managers are told.
    pub escalation_delay_hours: i64,
    /// Working hours in Europe/London, for targets counted in working days.
    pub working_hours: String,
    pub working_days: String,
    /// A file of bank holidays (`YYYY-MM-DD name` per line) to use instead of the shipped
    /// England and Wales list.
    pub bank_holidays_file: Option<PathBuf>,
    /// Addresses of the reverse proxies in front of the portal (CIDR blocks, separated by
    /// commas or spaces). Only a connection from one of them may say, in `Forwarded` or
    /// `X-Forwarded-For`, which address a request came from. Empty: nobody may.
    pub trusted_proxies: String,
    /// The header the trusted proxies write the client's address into: `x-forwarded-for`
    /// (nginx, most load balancers) or `forwarded` (RFC 7239). Only that one is read: a proxy
    /// passes the other on as the client sent it.
    pub proxy_header: String,
    /// The force, as families read it in every message ("Northshire Police").
    pub force_name: String,
    /// The force's family liaison phone number, shown to a relative who cannot get a link.
    pub family_liaison_phone: String,
    /// How long a notice to a relative waits for others to join it, so that a burst of
    /// changes reaches them as one message. 0: no wait (notices waiting are still joined).
    pub notice_window_seconds: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("liaison-data"),
            database_url: None,
            bind: "127.0.0.1:8080".to_owned(),
            public_url: None,
            secret: None,
            secret_file: None,
            log_format: LogFormat::Text,
            log_level: "info".to_owned(),
            pool_size: 8,
            http_workers: 0,
            session_idle_minutes: 120,
            shared_device_idle_seconds: 900,
            session_max_hours: 12,
            token_minutes: 10,
            api_token_minutes: 15,
            smtp_url: None,
            mail_from: "Liaison <liaison@localhost>".to_owned(),
            run_worker: true,
            worker_poll_ms: 1000,
            notify_max_attempts: 10,
            notify_retry_base_seconds: 30,
            notify_lease_seconds: 120,
            notify_concurrency: 8,
            scheduler_interval_seconds: 60,
            reminder_window_hours: 24,
            escalation_delay_hours: 24,
            working_hours: "09:00-17:00".to_owned(),
            working_days: "mon,tue,wed,thu,fri".to_owned(),
            trusted_proxies: String::new(),
            proxy_header: "x-forwarded-for".to_owned(),
            bank_holidays_file: None,
            // Demo values: a fictional force.
            force_name: "Northshire Police".to_owned(),
            family_liaison_phone: "101".to_owned(),
            notice_window_seconds: 600,
        }
    }
}

/// Environment variables with the prefix that are not settings.
const NOT_SETTINGS: &[&str] = &["config", "test_database_url"];

impl Settings {
    /// Reads defaults, then the TOML file (if given or if `liaison.toml` exists), then the
    /// environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match file {
            Some(path) => {
                if !path.exists() {
                    bail!("the configuration file {} does not exist", path.display());
                }
                figment = figment.merge(Toml::file(path));
            }
            None => {
                if Path::new("liaison.toml").exists() {
                    figment = figment.merge(Toml::file("liaison.toml"));
                }
            }
        }
        figment
            .merge(Env::prefixed("LIAISON_").ignore(NOT_SETTINGS))
            .extract()
            .context("reading the configuration (see the Configuration table in README.md)")
    }
}

/// Settings resolved into what the running app needs.
#[derive(Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub bind: String,
    pub public_url: String,
    pub secret: Secret,
    /// Whether cookies carry `Secure`: always, except for plain http on a loopback address.
    pub cookie_secure: bool,
    pub pool_size: u32,
    pub http_workers: usize,
    pub session_idle: chrono::Duration,
    /// A family session on a shared or public device ends after this long without use.
    pub shared_device_idle: chrono::Duration,
    pub session_max: chrono::Duration,
    pub token_lifetime: chrono::Duration,
    pub api_token_lifetime: chrono::Duration,
    /// Reverse proxies whose word on the client's address is believed, and where they write it.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub proxy_header: ProxyHeader,
    pub notify: NotifyConfig,
    pub force: Force,
}

/// The force running the portal, as families are told of it.
#[derive(Debug, Clone, Serialize)]
pub struct Force {
    pub name: String,
    pub family_liaison_phone: String,
}

/// How notifications are delivered.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    pub smtp_url: Option<String>,
    pub mail_from: lettre::message::Mailbox,
    /// Where .eml files go when no SMTP server is configured.
    pub mail_dir: PathBuf,
    pub run_worker: bool,
    pub poll: std::time::Duration,
    pub max_attempts: i32,
    pub retry_base: chrono::Duration,
    pub lease: chrono::Duration,
    pub concurrency: usize,
    /// `None`: this instance's workers do not run the scheduler.
    pub scheduler_interval: Option<std::time::Duration>,
    pub rules: crate::notify::scheduler::Rules,
    /// How long a notice to a relative waits for others to join it.
    pub notice_window: chrono::Duration,
    pub force_name: String,
}

/// Key material for signing tokens. `Debug` never prints it.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub const MIN_LEN: usize = 32;

    pub fn from_bytes(bytes: Vec<u8>) -> anyhow::Result<Secret> {
        if bytes.len() < Self::MIN_LEN {
            bail!(
                "the signing secret must be at least {} bytes",
                Self::MIN_LEN
            );
        }
        Ok(Secret(bytes))
    }

    pub fn generate() -> Secret {
        let mut bytes = vec![0u8; Self::MIN_LEN];
        rand::fill(&mut bytes[..]);
        Secret(bytes)
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Config {
    pub fn resolve(settings: Settings) -> anyhow::Result<Config> {
        let data_dir = settings.data_dir.clone();
        crate::files::private_dir(&data_dir)
            .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
        let database_url = match &settings.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", data_dir.join("liaison.db").display()),
        };
        let public_url = settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", settings.bind))
            .trim_end_matches('/')
            .to_owned();
        let secret = match (&settings.secret, &settings.secret_file) {
            (Some(b64), _) => Secret::from_bytes(
                BASE64
                    .decode(b64.trim())
                    .context("LIAISON_SECRET must be base64")?,
            )?,
            (None, Some(path)) => load_or_create_secret(path)?,
            (None, None) => load_or_create_secret(&data_dir.join("secret.key"))?,
        };
        for (name, value) in [
            ("session_idle_minutes", settings.session_idle_minutes),
            (
                "shared_device_idle_seconds",
                settings.shared_device_idle_seconds,
            ),
            ("session_max_hours", settings.session_max_hours),
            ("token_minutes", settings.token_minutes),
            ("api_token_minutes", settings.api_token_minutes),
            (
                "notify_max_attempts",
                i64::from(settings.notify_max_attempts),
            ),
            (
                "notify_retry_base_seconds",
                settings.notify_retry_base_seconds,
            ),
            ("notify_lease_seconds", settings.notify_lease_seconds),
            ("worker_poll_ms", settings.worker_poll_ms as i64),
        ] {
            if value <= 0 {
                bail!("{name} must be a positive number (got {value})");
            }
        }
        let mail_from: lettre::message::Mailbox =
            settings.mail_from.parse().with_context(|| {
                format!(
                    "mail_from {:?} is not an address like \"Liaison <liaison@example.org>\"",
                    settings.mail_from
                )
            })?;
        if settings.notice_window_seconds < 0 {
            bail!(
                "notice_window_seconds must be 0 or more (got {})",
                settings.notice_window_seconds
            );
        }
        for (name, value) in [
            ("force_name", &settings.force_name),
            ("family_liaison_phone", &settings.family_liaison_phone),
        ] {
            if value.trim().is_empty() {
                bail!("{name} must not be empty: families read it");
            }
        }
        if let Some(url) = &settings.smtp_url {
            let scheme = url.split("://").next().unwrap_or("");
            if scheme != "smtp" && scheme != "smtps" {
                bail!("smtp_url must start with smtp:// or smtps://");
            }
        }
        let notify = NotifyConfig {
            smtp_url: settings.smtp_url.clone(),
            mail_from,
            mail_dir: data_dir.join("mail"),
            run_worker: settings.run_worker,
            poll: std::time::Duration::from_millis(settings.worker_poll_ms),
            max_attempts: settings.notify_max_attempts,
            retry_base: chrono::Duration::seconds(settings.notify_retry_base_seconds),
            lease: chrono::Duration::seconds(settings.notify_lease_seconds),
            concurrency: settings.notify_concurrency.clamp(1, 64),
            scheduler_interval: (settings.scheduler_interval_seconds > 0)
                .then(|| std::time::Duration::from_secs(settings.scheduler_interval_seconds)),
            rules: crate::notify::scheduler::Rules {
                reminder_window: chrono::Duration::hours(settings.reminder_window_hours.max(0)),
                escalation_delay: chrono::Duration::hours(settings.escalation_delay_hours.max(0)),
                calendar: std::sync::Arc::new(calendar(&settings)?),
            },
            notice_window: chrono::Duration::seconds(settings.notice_window_seconds),
            force_name: settings.force_name.trim().to_owned(),
        };
        Ok(Config {
            force: Force {
                name: settings.force_name.trim().to_owned(),
                family_liaison_phone: settings.family_liaison_phone.trim().to_owned(),
            },
            notify,
            cookie_secure: cookie_secure_for(&public_url)?,
            data_dir,
            database_url,
            bind: settings.bind,
            public_url,
            secret,
            pool_size: settings.pool_size,
            http_workers: settings.http_workers,
            session_idle: chrono::Duration::minutes(settings.session_idle_minutes),
            shared_device_idle: chrono::Duration::seconds(settings.shared_device_idle_seconds),
            session_max: chrono::Duration::hours(settings.session_max_hours),
            token_lifetime: chrono::Duration::minutes(settings.token_minutes),
            api_token_lifetime: chrono::Duration::minutes(settings.api_token_minutes),
            trusted_proxies: trusted_proxies(&settings.trusted_proxies)?,
            proxy_header: match settings.proxy_header.to_ascii_lowercase().as_str() {
                "x-forwarded-for" => ProxyHeader::XForwardedFor,
                "forwarded" => ProxyHeader::Forwarded,
                other => bail!("proxy_header must be x-forwarded-for or forwarded (got {other:?})"),
            },
        })
    }
}

/// Where trusted proxies write the client's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyHeader {
    XForwardedFor,
    Forwarded,
}

/// `10.0.0.0/8, 192.0.2.7`: CIDR blocks, or single addresses.
fn trusted_proxies(list: &str) -> anyhow::Result<Vec<ipnet::IpNet>> {
    list.split([',', ' ', '\n', '\t'])
        .filter(|s| !s.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .with_context(|| {
                    format!("trusted_proxies: {item:?} is not an address or a CIDR block like 10.0.0.0/8")
                })
        })
        .collect()
}

fn calendar(settings: &Settings) -> anyhow::Result<crate::timeliness::WorkingCalendar> {
    let holidays = match &settings.bank_holidays_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading bank_holidays_file {}", path.display()))?,
        None => crate::timeliness::calendar::ENGLAND_AND_WALES.to_owned(),
    };
    crate::timeliness::WorkingCalendar::parse(
        &settings.working_hours,
        &settings.working_days,
        &holidays,
    )
}

/// Cookies are `Secure` unless the portal is reached over plain http on a loopback address,
/// where browsers and test clients would otherwise drop them.
fn cookie_secure_for(public_url: &str) -> anyhow::Result<bool> {
    let url = url::Url::parse(public_url)
        .with_context(|| format!("public_url {public_url:?} is not a URL"))?;
    if url.scheme() == "https" {
        return Ok(true);
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if !loopback {
        tracing::warn!(
            public_url,
            "public_url is plain http on a non-loopback address; cookies stay Secure, so sign-in needs https in front"
        );
    }
    Ok(!loopback)
}

/// Reads the signing secret, creating it (mode 0600) on first start.
pub fn load_or_create_secret(path: &Path) -> anyhow::Result<Secret> {
    if path.exists() {
        crate::files::tighten_if_present(path)
            .with_context(|| format!("securing {}", path.display()))?;
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        return Secret::from_bytes(
            BASE64
                .decode(text.trim())
                .with_context(|| format!("{} is not base64", path.display()))?,
        );
    }
    crate::files::private_parent(path)
        .with_context(|| format!("creating the folder for {}", path.display()))?;
    // Written whole to a private temporary file, then linked into place: a link either
    // succeeds completely or finds the file already there, so an instance starting at the
    // same moment never reads a half-written secret.
    let secret = Secret::generate();
    let mut tag = [0u8; 8];
    rand::fill(&mut tag);
    let tmp = path.with_extension(format!(
        "tmp-{}-{}",
        std::process::id(),
        tag.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options
        .open(&tmp)
        .and_then(|mut file| {
            writeln!(file, "{}", BASE64.encode(secret.expose()))?;
            file.sync_all()
        })
        .and_then(|_| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match written {
        Ok(()) => {
            tracing::info!(path = %path.display(), "generated a new signing secret");
            Ok(secret)
        }
        // Another instance created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_or_create_secret(path),
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_are_blocks_or_single_addresses() {
        let list = trusted_proxies("10.0.0.0/8, 192.0.2.7\n2001:db8::/32").unwrap();
        assert_eq!(list.len(), 3);
        assert!(list[1].contains(&"192.0.2.7".parse::<std::net::IpAddr>().unwrap()));
        assert!(trusted_proxies("").unwrap().is_empty());
        let err = trusted_proxies("10.0.0.0/8,proxy.internal").unwrap_err();
        assert!(format!("{err:#}").contains("proxy.internal"));
    }

    #[test]
    fn secure_cookies_except_on_loopback_http() {
        assert!(!cookie_secure_for("http://127.0.0.1:8080").unwrap());
        assert!(!cookie_secure_for("http://localhost:8080").unwrap());
        assert!(!cookie_secure_for("http://[::1]:8080").unwrap());
        assert!(cookie_secure_for("https://127.0.0.1").unwrap());
        assert!(cookie_secure_for("http://liaison.example.org").unwrap());
        assert!(cookie_secure_for("https://liaison.example.org").unwrap());
    }

    #[test]
    fn instances_starting_together_agree_on_one_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let secrets: Vec<Vec<u8>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| load_or_create_secret(&path).unwrap().expose().to_vec()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(secrets.windows(2).all(|w| w[0] == w[1]));
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary files are left behind");
    }

    #[test]
    fn secret_is_created_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/secret.key");
        let first = load_or_create_secret(&path).unwrap();
        let second = load_or_create_secret(&path).unwrap();
        assert_eq!(first.expose(), second.expose());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(format!("{first:?}"), "Secret(<redacted>)");
    }
}
