//! The `nvt` command line as a user meets it: flags, config file, first start, signals.

mod support;

use std::time::Duration;

use nix::sys::signal::Signal;
use support::*;

const START: Duration = Duration::from_secs(30);

fn one_line_error(args: &[&str], needle: &str) {
    let (status, _, stderr) = run_nvt(args);
    assert_eq!(status.code(), Some(2), "{args:?}: {stderr}");
    let lines: Vec<_> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{args:?} must print one line, got {stderr:?}"
    );
    assert!(lines[0].starts_with("nvt: "), "{stderr:?}");
    assert!(
        lines[0].contains(needle),
        "{args:?}: {stderr:?} lacks {needle:?}"
    );
}

#[test]
fn bad_flags_are_one_line_errors() {
    one_line_error(&["--http-port", "99999"], "--http-port");
    one_line_error(&["--http-port", "eighty"], "--http-port");
    one_line_error(&["--bind", "not-an-address"], "--bind");
    one_line_error(&["--frobnicate"], "--frobnicate");
    one_line_error(
        &[
            "--state-dir",
            "/tmp/x",
            "--http-port",
            "9000",
            "--rtsp-port",
            "9000",
        ],
        "both 9000",
    );
    one_line_error(
        &[
            "--state-dir",
            "/tmp/x",
            "--replay",
            "/nonexistent/clip.h264",
        ],
        "does not exist",
    );
    one_line_error(
        &["--state-dir", "/tmp/x", "--log-level", "nvt=[["],
        "log filter",
    );
}

#[test]
fn bad_config_file_values_are_one_line_errors() {
    let dir = temp_state();
    let file = dir.path().join("nvt.toml");
    std::fs::write(&file, "http_port = 8080\nrtsp_port = \"many\"\n").unwrap();
    one_line_error(&["--config", &path_str(&file)], "line 2");
    one_line_error(
        &["--config", "/nonexistent/nvt.toml"],
        "cannot read config file",
    );
}

#[test]
fn help_and_version_exit_zero() {
    let (status, stdout, _) = run_nvt(&["--help"]);
    assert!(status.success());
    for flag in [
        "--config",
        "--state-dir",
        "--bind",
        "--http-port",
        "--rtsp-port",
        "--no-discovery",
    ] {
        assert!(stdout.contains(flag), "--help lacks {flag}");
    }
    let (status, stdout, _) = run_nvt(&["--version"]);
    assert!(status.success());
    assert!(stdout.contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn first_start_generates_a_password_once_and_sigterm_stops_cleanly() {
    let state = temp_state();
    let mut nvt = Daemon::start(state.path(), &[], &[]);
    nvt.wait_for("nvt running", START);
    let out = nvt.stdout_lines();
    let line = out
        .iter()
        .find(|l| l.contains("with password: "))
        .expect("password printed on stdout");
    let password = line
        .rsplit("with password: ")
        .next()
        .unwrap()
        .trim()
        .to_owned();
    assert!(
        password.len() >= 16 && password.chars().all(|c| c.is_ascii_alphanumeric()),
        "{password:?}"
    );
    nvt.signal(Signal::SIGTERM);
    let status = nvt.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "{:?}", nvt.seen);
    assert!(
        nvt.seen
            .iter()
            .any(|l| matches!(l, Line::Err(s) if s.contains("stopped")))
    );

    let settings =
        nvt::settings::parse(&std::fs::read(state.path().join("settings.json")).unwrap()).unwrap();
    let admin = settings.user("admin").expect("admin created");
    assert_eq!(admin.password, password);
    assert_eq!(admin.level, nvt::auth::UserLevel::Administrator);

    // Second start: the password is not shown again, and SIGINT stops as cleanly.
    let mut nvt = Daemon::start(state.path(), &[], &[]);
    nvt.wait_for("nvt running", START);
    nvt.signal(Signal::SIGINT);
    assert!(nvt.wait_exit(Duration::from_secs(10)).success());
    assert!(
        !nvt.stdout_lines().iter().any(|l| l.contains("password")),
        "{:?}",
        nvt.seen
    );
}

#[test]
fn admin_password_from_the_environment() {
    let state = temp_state();
    let mut nvt = Daemon::start(state.path(), &[], &[("NVT_ADMIN_PASSWORD", "s3cret-Pass")]);
    nvt.wait_for("nvt running", START);
    nvt.signal(Signal::SIGTERM);
    assert!(nvt.wait_exit(Duration::from_secs(10)).success());
    assert!(
        nvt.stdout_lines().is_empty(),
        "nothing printed: {:?}",
        nvt.seen
    );
    let settings =
        nvt::settings::parse(&std::fs::read(state.path().join("settings.json")).unwrap()).unwrap();
    assert_eq!(settings.user("admin").unwrap().password, "s3cret-Pass");

    // Once a user exists the variable changes nothing.
    let mut nvt = Daemon::start(state.path(), &[], &[("NVT_ADMIN_PASSWORD", "other-pass")]);
    nvt.wait_for("nvt running", START);
    nvt.signal(Signal::SIGTERM);
    assert!(nvt.wait_exit(Duration::from_secs(10)).success());
    let settings =
        nvt::settings::parse(&std::fs::read(state.path().join("settings.json")).unwrap()).unwrap();
    assert_eq!(settings.user("admin").unwrap().password, "s3cret-Pass");
}

/// The first administrator's password follows the rule ONVIF clients get for CreateUsers
/// (at least six characters): `NVT_ADMIN_PASSWORD=a` is a clear error, not an account.
#[test]
fn an_empty_or_short_admin_password_is_refused() {
    for password in ["", "a", "five5"] {
        let state = temp_state();
        let mut nvt = Daemon::start(state.path(), &[], &[("NVT_ADMIN_PASSWORD", password)]);
        let status = nvt.wait_exit(START);
        assert_eq!(status.code(), Some(1), "{password:?}: {:?}", nvt.seen);
        assert!(
            nvt.seen.iter().any(|l| matches!(l, Line::Err(s)
                if s.contains("NVT_ADMIN_PASSWORD") && s.contains("at least 6 characters"))),
            "{password:?}: {:?}",
            nvt.seen
        );
        assert!(
            !state.path().join("settings.json").exists(),
            "{password:?}: no user was created"
        );
    }
}

/// The state directory holds the passwords: created 0700, parents included.
#[test]
fn the_state_directory_is_created_0700() {
    use std::os::unix::fs::PermissionsExt;
    let root = temp_state();
    let state = root.path().join("new/state");
    let mut nvt = Daemon::start(&state, &[], &[("NVT_ADMIN_PASSWORD", "mode-Pass1")]);
    nvt.wait_for("nvt running", START);
    nvt.signal(Signal::SIGTERM);
    assert!(nvt.wait_exit(Duration::from_secs(10)).success());
    for dir in [state.as_path(), state.parent().unwrap()] {
        let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
    }
}

/// A settings file with users but no administrator (what two concurrent DeleteUsers left
/// before issue 14 item 11 was fixed) stops the daemon with the recovery in the message; a
/// start with NVT_ADMIN_PASSWORD recovers it, keeping the other users.
#[test]
fn a_settings_file_without_an_administrator_is_recovered_with_the_password_variable() {
    let state = temp_state();
    let path = state.path().join("settings.json");
    let mut settings = nvt::settings::Settings::default();
    settings.users.push(nvt::settings::User {
        username: "op".into(),
        password: "op-Secret1".into(),
        level: nvt::auth::UserLevel::Operator,
    });
    let bytes = serde_json::to_vec_pretty(&settings).unwrap();
    std::fs::write(&path, &bytes).unwrap();

    let mut nvt = Daemon::start(state.path(), &[], &[]);
    let status = nvt.wait_exit(START);
    assert_eq!(status.code(), Some(1), "{:?}", nvt.seen);
    assert!(
        nvt.seen.iter().any(|l| matches!(l, Line::Err(s)
            if s.contains("no administrator")
                && s.contains(path.to_str().unwrap())
                && s.contains("NVT_ADMIN_PASSWORD"))),
        "{:?}",
        nvt.seen
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the file is left as it was"
    );

    let mut nvt = Daemon::start(state.path(), &[], &[("NVT_ADMIN_PASSWORD", "recovered-1")]);
    nvt.wait_for("nvt running", START);
    nvt.signal(Signal::SIGTERM);
    assert!(nvt.wait_exit(Duration::from_secs(10)).success());
    let saved = nvt::settings::parse(&std::fs::read(&path).unwrap()).unwrap();
    let admin = saved.user("admin").expect("admin restored");
    assert_eq!(admin.level, nvt::auth::UserLevel::Administrator);
    assert_eq!(admin.password, "recovered-1");
    assert_eq!(
        saved.user("op").unwrap().password,
        "op-Secret1",
        "other users kept"
    );
}

#[test]
fn a_corrupt_settings_file_stops_startup_and_is_kept() {
    let state = temp_state();
    let path = state.path().join("settings.json");
    std::fs::write(&path, b"{\"format\": 1, \"device\": ").unwrap();
    let mut nvt = Daemon::start(state.path(), &[], &[("NVT_ADMIN_PASSWORD", "pw-long1")]);
    let status = nvt.wait_exit(START);
    assert_eq!(status.code(), Some(1));
    let err: Vec<_> = nvt
        .seen
        .iter()
        .filter_map(|l| match l {
            Line::Err(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(err.len(), 1, "one line: {err:?}");
    assert!(
        err[0].contains(path.to_str().unwrap()) && err[0].contains("corrupt"),
        "{err:?}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"{\"format\": 1, \"device\": "
    );
}

/// Starts nvt with `args` on a fresh state dir, expects it to fail to start (exit 1), and
/// returns its stderr lines.
fn startup_error(args: &[&str]) -> Vec<String> {
    let state = temp_state();
    let mut nvt = Daemon::start(state.path(), args, &[("NVT_ADMIN_PASSWORD", "pw-long1")]);
    let status = nvt.wait_exit(START);
    assert_eq!(status.code(), Some(1), "{:?}", nvt.seen);
    nvt.seen
        .iter()
        .filter_map(|l| match l {
            Line::Err(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn bad_sdk_options_are_a_clear_startup_error() {
    let err = startup_error(&["--sdk-options", "no_such_key=1"]);
    assert!(
        err.iter()
            .any(|s| s.contains("initialising the camera SDK")),
        "{err:?}"
    );
    // And which option is wrong.
    let why = "board options: unknown board option \"no_such_key\"";
    assert!(err.iter().any(|s| s.contains(why)), "{err:?}");
}

/// A board option given twice (here once in --sdk-options and once by --source) is an error
/// that names it, not a silent choice of one of them.
#[test]
fn a_board_option_given_twice_is_a_clear_startup_error() {
    let err = startup_error(&["--sdk-options", "source=pattern", "--source", "pattern"]);
    let why = "board options: source given twice";
    assert!(err.iter().any(|s| s.contains(why)), "{err:?}");
}

/// A SIGTERM that arrives while the daemon is still starting (here: right after it logged
/// that it is reading its settings) is honoured once startup completes: exit 0, settings
/// written, never the default action killing it mid-way.
#[test]
fn sigterm_during_startup_stops_cleanly() {
    let state = temp_state();
    let mut nvt = Daemon::start(state.path(), &[], &[("NVT_ADMIN_PASSWORD", "pw-startup")]);
    nvt.wait_for("first start", START);
    nvt.signal(Signal::SIGTERM);
    let status = nvt.wait_exit(START);
    assert!(status.success(), "{status:?}: {:?}", nvt.seen);
    assert!(
        nvt.seen
            .iter()
            .any(|l| matches!(l, Line::Err(s) if s.contains("stopped")))
    );
    let settings =
        nvt::settings::parse(&std::fs::read(state.path().join("settings.json")).unwrap()).unwrap();
    assert_eq!(settings.user("admin").unwrap().password, "pw-startup");
}
