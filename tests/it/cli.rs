//! The `liaison` binary as an operator runs it: migrate, create-user, demo, serve (and stop on
//! SIGTERM), configuration errors and JSON logs.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use liaison::accounts::users;

use crate::support::TestDatabase;

fn liaison(database: &TestDatabase) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_liaison"));
    cmd.current_dir(database.dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LIAISON_DATABASE_URL", &database.url)
        .env("LIAISON_DATA_DIR", database.dir.path().join("data"))
        .env("LIAISON_LOG_LEVEL", "warn");
    cmd
}

#[test]
fn migrate_applies_once_and_reports_the_version() {
    let database = TestDatabase::new();
    let first = liaison(&database).arg("migrate").output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let first = String::from_utf8(first.stdout).unwrap();
    // The newest migration's version (its directory's digits), and every migration applied.
    let dirs: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
    let newest = dirs.iter().max().unwrap();
    let version: String = newest
        .chars()
        .take_while(|c| *c != '_')
        .filter(char::is_ascii_digit)
        .collect();
    assert!(
        first.contains(&version)
            && first.contains(&format!("({} migrations applied now)", dirs.len())),
        "{first}"
    );
    let second =
        String::from_utf8(liaison(&database).arg("migrate").output().unwrap().stdout).unwrap();
    assert!(second.contains("(0 migrations applied now)"), "{second}");
}

#[test]
fn create_user_reads_the_password_from_stdin_never_from_an_argument() {
    let database = TestDatabase::new();
    let mut child = liaison(&database)
        .args([
            "create-user",
            "--email",
            "Ada.Lind@Example.org",
            "--name",
            "Ada Lind",
            "--role",
            "manager",
        ])
        .args(["--team", "Northgate", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough passphrase\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ada.lind@example.org"));

    let db = liaison::db::Db::connect(&database.url, 1).unwrap();
    let mut conn = db.get().unwrap();
    let user = users::find_by_email(&mut conn, "ada.lind@example.org")
        .unwrap()
        .unwrap();
    assert!(liaison::auth::password::verify(
        "a long enough passphrase",
        &user.password_hash
    ));
    assert_eq!(
        liaison::accounts::teams::of_user(&mut conn, &user.id).unwrap()[0].name,
        "Northgate"
    );

    let no_terminal = liaison(&database)
        .args([
            "create-user",
            "--email",
            "b@example.org",
            "--name",
            "B",
            "--role",
            "officer",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!no_terminal.status.success());
    assert!(String::from_utf8_lossy(&no_terminal.stderr).contains("--password-stdin"));
    let as_argument = liaison(&database)
        .args([
            "create-user",
            "--email",
            "c@example.org",
            "--name",
            "C",
            "--role",
            "officer",
            "--password",
            "x",
        ])
        .output()
        .unwrap();
    assert!(
        !as_argument.status.success(),
        "there is no way to pass a password as an argument"
    );
    let weak = liaison(&database)
        .args([
            "create-user",
            "--email",
            "d@example.org",
            "--name",
            "D",
            "--role",
            "officer",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = {
        let mut weak = weak;
        weak.stdin.take().unwrap().write_all(b"short\n").unwrap();
        weak.wait_with_output().unwrap()
    };
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 12 characters"));
}

#[test]
fn a_misspelt_setting_stops_the_start_with_a_clear_message() {
    let database = TestDatabase::new();
    let out = liaison(&database)
        .env("LIAISON_POOL_SIZ", "3")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("pool_siz") && stderr.contains("README"),
        "{stderr}"
    );

    std::fs::write(
        database.dir.path().join("custom.toml"),
        "pool_size = \"many\"\n",
    )
    .unwrap();
    let out = liaison(&database)
        .args(["--config", "custom.toml", "migrate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(
        database.dir.path().join("liaison.toml"),
        "pool_size = 2\nlog_format = \"json\"\n",
    )
    .unwrap();
    let out = liaison(&database).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "the default liaison.toml is read: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn working_time_settings_are_checked_at_start() {
    let database = TestDatabase::new();
    for (var, value, expect) in [
        ("LIAISON_WORKING_HOURS", "17:00-09:00", "working_hours"),
        ("LIAISON_WORKING_DAYS", "mon,funday", "working_days"),
        (
            "LIAISON_BANK_HOLIDAYS_FILE",
            "no-such-file.txt",
            "bank_holidays_file",
        ),
    ] {
        let out = liaison(&database)
            .env(var, value)
            .arg("migrate")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{var}={value} is refused");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expect), "{var}: {stderr}");
    }
    let holidays = database.dir.path().join("holidays.txt");
    std::fs::write(&holidays, "# ours\n2026-12-24 Christmas Eve\n").unwrap();
    let out = liaison(&database)
        .env("LIAISON_BANK_HOLIDAYS_FILE", &holidays)
        .env("LIAISON_WORKING_DAYS", "mon,tue,wed,thu,fri,sat")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts `serve`, returns the child and the address it printed.
fn start(database: &TestDatabase, args: &[&str]) -> (std::process::Child, String, Vec<String>) {
    let mut child = liaison(database)
        .arg("serve")
        .args(args)
        .env("LIAISON_BIND", "127.0.0.1:0")
        .env("LIAISON_LOG_LEVEL", "info")
        .env("LIAISON_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut address = String::new();
    while Instant::now() < deadline {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(rest) = line.strip_prefix("Liaison is running at ") {
            address = rest
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches('/')
                .to_owned();
        }
        lines.push(line.clone());
        if line.starts_with("Press Ctrl+C") {
            break;
        }
    }
    assert!(!address.is_empty(), "serve printed its address: {lines:?}");
    (child, address, lines)
}

fn get(url: &str) -> (u16, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let res = reqwest::get(url).await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    })
}

#[test]
fn serve_with_demo_prints_sign_ins_and_stops_cleanly_on_sigterm() {
    let database = TestDatabase::new();
    let (mut child, address, lines) = start(&database, &["--demo"]);
    let printed = lines.join("");
    assert!(printed.contains("officer@demo.liaison.test"), "{printed}");
    assert!(printed.contains("demo-officer-password"));
    assert_eq!(get(&format!("{address}/readyz")).0, 200);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let browser = crate::support::Browser::new(&address);
        let res = browser
            .sign_in("officer@demo.liaison.test", "demo-officer-password")
            .await;
        assert_eq!(res.status(), 303);
        let (status, home) = browser.get("/staff").await;
        assert_eq!(status, 200);
        assert!(
            home.contains("FL-2026-00001"),
            "the demo officer sees their demo cases"
        );
    });

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(35);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "serve did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "graceful stop exits 0: {status:?}");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let json_lines: Vec<serde_json::Value> = stderr
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        !json_lines.is_empty() && json_lines.len() == stderr.lines().count(),
        "every log line is JSON:\n{stderr}"
    );
    assert!(
        json_lines
            .iter()
            .any(|l| l["message"] == "request" && l["route"] == "/staff"),
        "{stderr}"
    );
    assert!(json_lines.iter().any(|l| l["message"] == "stopped"));
    assert!(
        !stderr.contains("demo-officer-password"),
        "no password reaches the log"
    );

    // A second start finds the demo data in place and does not duplicate it.
    let out = liaison(&database).arg("demo").output().unwrap();
    assert!(out.status.success());
    let db = liaison::db::Db::connect(&database.url, 1).unwrap();
    let mut conn = db.get().unwrap();
    // Two managers, three officers and an administrator.
    assert_eq!(users::list(&mut conn).unwrap().len(), 6);
}

/// The data directory, the database and every mail file (which hold live sign-in links) are
/// the service account's alone, whatever the umask; logs to a pipe carry no colour codes.
#[cfg(unix)]
#[test]
fn data_database_and_mail_files_are_owner_only_and_piped_logs_are_plain() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |args: &str| {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("umask 000; exec \"$BIN\" {args} 2>&1"))
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("BIN", env!("CARGO_BIN_EXE_liaison"))
            .env("LIAISON_DATA_DIR", &data)
            .env("LIAISON_LOG_LEVEL", "info")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{args}: {text}");
        text
    };
    let logs = [run("migrate"), run("demo"), run("worker --until-idle")].concat();
    assert!(logs.contains("INFO"), "{logs}");
    assert!(!logs.contains('\u{1b}'), "colour codes in a pipe: {logs:?}");

    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "data directory");
    for name in [
        "liaison.db",
        "liaison.db-wal",
        "liaison.db-shm",
        "secret.key",
    ] {
        let path = data.join(name);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{name}");
        }
    }
    assert!(data.join("liaison.db").exists());
    let mail = data.join("mail");
    assert_eq!(mode(&mail), 0o700, "mail folder");
    let files: Vec<_> = std::fs::read_dir(&mail)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!files.is_empty(), "the worker wrote the demo's mail");
    for file in files {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}
