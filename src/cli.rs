//! The `liaison` command: serve, migrate, create-user and demo.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

use crate::accounts::{teams, users};
use crate::audit::Actor;
use crate::auth::password;
use crate::config::{Config, LogFormat, Settings};
use crate::db::{self, Db};
use crate::domain::{EmailAddress, NewPassword, PersonName, Role, TeamName};
use crate::{Application, demo};

#[derive(Parser)]
#[command(
    name = "liaison",
    version,
    about = "Liaison: a family liaison communication portal"
)]
pub struct Cli {
    /// A TOML configuration file (default: ./liaison.toml if it exists).
    #[arg(long, global = true, env = "LIAISON_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web portal (applies migrations first).
    Serve {
        /// Load the fictional demo data (if not there yet) and print the demo sign-ins.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create a staff account. The password is read from a prompt, or from standard input
    /// with --password-stdin; never from an argument.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Add the account to this team, creating the team if needed.
        #[arg(long)]
        team: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Load the fictional demo data into the database and print the demo sign-ins.
    Demo {
        /// `standard`: three hand-written cases. `medium` adds 2 generated teams (200 cases,
        /// 10,000 contacts); `large` adds 200 (20,000 cases, 1,000,000 contacts, 200,000
        /// follow-ups, 100,000 messages). Teams already there are kept, so an interrupted
        /// run can be run again.
        #[arg(long, value_enum, default_value = "standard")]
        size: DemoSize,
    },
    /// Deliver notifications without serving pages (any number may run at once).
    Worker {
        /// Exit once a round finds nothing to send, instead of waiting for more.
        #[arg(long)]
        until_idle: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum DemoSize {
    Standard,
    Medium,
    Large,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Officer,
    Manager,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Officer => Role::Officer,
            RoleArg::Manager => Role::Manager,
            RoleArg::Admin => Role::Admin,
        }
    }
}

fn init_tracing(settings: &Settings) {
    let filter = EnvFilter::try_from_env("LIAISON_LOG")
        .or_else(|_| EnvFilter::try_new(&settings.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour only for a person at a terminal: a file or a pipe gets plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let result = match settings.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    let _ = result;
}

pub fn main() -> ExitCode {
    db::init_tls();
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("liaison: {e:#}");
            return ExitCode::from(2);
        }
    };
    init_tracing(&settings);
    match run(cli.command, settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("liaison: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    let config = Config::resolve(settings)?;
    match command {
        Command::Serve { demo } => actix_web::rt::System::new().block_on(serve(config, demo)),
        Command::Migrate => {
            let db = Db::connect(&config.database_url, 1)?;
            let mut conn = db.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            let applied = db::migrate(&mut conn)?;
            let versions = db::applied_migrations(&mut conn)?;
            println!(
                "{} database is at {} ({} migration{} applied now)",
                db.engine().name(),
                versions.last().map(String::as_str).unwrap_or("no version"),
                applied,
                if applied == 1 { "" } else { "s" }
            );
            Ok(())
        }
        Command::CreateUser {
            email,
            name,
            role,
            team,
            password_stdin,
        } => create_user(
            &config,
            &email,
            &name,
            role.into(),
            team.as_deref(),
            password_stdin,
        ),
        Command::Worker { until_idle } => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(run_worker(config, until_idle))
        }
        Command::Demo { size } => {
            let db = Db::connect(&config.database_url, 1)?;
            let mut conn = db.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            db::migrate(&mut conn)?;
            let logins = demo::load(&mut conn)?;
            let national = match size {
                DemoSize::Standard => None,
                DemoSize::Medium => Some(demo::national::Size::Medium),
                DemoSize::Large => Some(demo::national::Size::Large),
            };
            if let Some(size) = national {
                generate_national(&mut conn, size)?;
            }
            print!("{}", demo::describe(&logins));
            if national.is_some() {
                print!("{}", demo::national::describe(size_teams(national)));
            }
            Ok(())
        }
    }
}

fn size_teams(size: Option<demo::national::Size>) -> usize {
    size.map_or(0, demo::national::Size::teams)
}

/// Generates the national demo set with a progress bar on a terminal (a line per tenth
/// otherwise), then says what was written.
fn generate_national(conn: &mut db::DbConn, size: demo::national::Size) -> anyhow::Result<()> {
    use indicatif::{ProgressBar, ProgressStyle};
    let started = std::time::Instant::now();
    let bar = ProgressBar::new(size.rows());
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:40}] {human_pos}/{human_len} rows, {elapsed} (about {eta} left)",
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .progress_chars("=> "),
    );
    bar.set_message("Generating the national demo data");
    let plain = bar.is_hidden();
    let mut tenths_said = 0;
    let totals = demo::national::generate(conn, size, db::now(), |rows| {
        bar.inc(rows);
        let tenths = bar.position() * 10 / size.rows().max(1);
        if plain && tenths > tenths_said {
            tenths_said = tenths;
            eprintln!(
                "national demo data: {}% ({} s)",
                bar.position() * 100 / size.rows().max(1),
                started.elapsed().as_secs()
            );
        }
    })?;
    bar.finish_and_clear();
    println!(
        "National demo data: {} team{} written now ({} cases, {} contacts, {} follow-ups, {} messages) and {} already there, in {:.0} s.",
        totals.teams,
        if totals.teams == 1 { "" } else { "s" },
        totals.cases,
        totals.contacts,
        totals.follow_ups,
        totals.messages,
        totals.teams_present,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn serve(config: Config, with_demo: bool) -> anyhow::Result<()> {
    let app = Application::build(config).await?;
    let state = app.state();
    let logins = if with_demo {
        let db = state.db.clone();
        Some(
            tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<demo::DemoLogin>> {
                let mut conn = db.get().map_err(|e| anyhow::anyhow!("{e}"))?;
                demo::load(&mut conn)
            })
            .await??,
        )
    } else {
        None
    };
    let address = format!("{}/", state.config.public_url);
    println!(
        "Liaison is running at {address} ({} database)",
        state.db.engine().name()
    );
    if let Some(logins) = logins {
        print!("{}", demo::describe(&logins));
    }
    println!("Press Ctrl+C to stop.");
    tracing::info!(address, "serving");
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

async fn run_worker(config: Config, until_idle: bool) -> anyhow::Result<()> {
    let db = Db::connect(&config.database_url, config.pool_size.min(4))?;
    {
        let db = db.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
            let mut conn = db.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            db::migrate(&mut conn)
        })
        .await??;
    }
    let templates = std::sync::Arc::new(crate::notify::render::EmailTemplates::load()?);
    let worker = crate::notify::worker::Worker::new(
        db,
        config.notify.clone(),
        templates,
        &config.public_url,
    )?;
    if until_idle {
        if config.notify.scheduler_interval.is_some() {
            worker.schedule(crate::db::now()).await?;
        }
        let (mut round_no, mut failures) = (0, 0);
        loop {
            round_no += 1;
            match worker.round(round_no).await {
                Ok(round) if round.claimed == 0 => return Ok(()),
                Ok(_) => failures = 0,
                Err(e) => {
                    failures += 1;
                    tracing::warn!(error = %e, "notification round failed");
                    if failures >= 5 {
                        bail!("five notification rounds in a row failed; the last: {e}");
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            }
        }
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let handle = tokio::spawn(worker.run(stopped));
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("stopping the worker");
    let _ = stop.send(true);
    handle.await?;
    Ok(())
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "no terminal to ask for a password on: pass --password-stdin and send the password on standard input"
        );
    }
    let first = rpassword::prompt_password("Password: ")?;
    let second = rpassword::prompt_password("Password again: ")?;
    if first != second {
        bail!("the two passwords do not match");
    }
    Ok(first)
}

fn create_user(
    config: &Config,
    email: &str,
    name: &str,
    role: Role,
    team: Option<&str>,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let email = EmailAddress::parse("email", email).map_err(|e| anyhow::anyhow!("email: {e}"))?;
    let name = PersonName::parse("name", name).map_err(|e| anyhow::anyhow!("name: {e}"))?;
    let team_name = team
        .map(|t| TeamName::parse("team", t).map_err(|e| anyhow::anyhow!("team: {e}")))
        .transpose()?;
    let password = NewPassword::parse("password", &read_password(password_stdin)?)
        .map_err(|e| anyhow::anyhow!("password: {e}"))?;
    let hash = password::hash(password.expose())?;
    let db = Db::connect(&config.database_url, 1)?;
    let mut conn = db.get().map_err(|e| anyhow::anyhow!("{e}"))?;
    db::migrate(&mut conn)?;
    let mut team_ids = Vec::new();
    if let Some(team_name) = team_name {
        let existing = teams::list(&mut conn)?
            .into_iter()
            .find(|t| t.name == team_name.as_str());
        let team = match existing {
            Some(t) => t,
            None => teams::create(&mut conn, &Actor::System, &team_name)
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        };
        team_ids.push(team.id);
    }
    let user = users::create(
        &mut conn,
        &Actor::System,
        users::NewUser {
            email,
            display_name: name,
            role,
            phone: None,
            password_hash: hash,
            password_change_required: false,
            teams: team_ids,
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "Created {} account {} for {}",
        user.role, user.id, user.email
    );
    Ok(())
}
