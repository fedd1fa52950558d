//! Daemon options: command-line flags over an optional TOML config file over defaults.
//!
//! These are how the daemon runs (ports, paths, SDK board options), set by whoever installs
//! it. What ONVIF clients configure lives in the settings model instead (`settings`).

use std::ffi::OsString;
use std::fmt::Display;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use toml::de::{DeTable, DeValue};

/// Defaults suit a PC; a camera's config file sets 80 and 554. Port 0 asks the kernel for a
/// free port (tests run many daemons side by side).
pub(crate) const DEFAULT_HTTP_PORT: u16 = 8080;
pub(crate) const DEFAULT_RTSP_PORT: u16 = 8554;

/// The command-line flags, each optional (a flag wins over the config file).
///
/// Parsed with `lexopt` rather than clap: ten long options do not need clap's 131 KB of code
/// on a camera's flash (docs/PERFORMANCE.md, "Binary size for a camera"); the help text is
/// written out in [`HELP`] instead of derived.
#[derive(Debug, Default)]
pub struct Cli {
    pub(crate) config: Option<PathBuf>,
    pub(crate) state_dir: Option<PathBuf>,
    pub(crate) bind: Option<IpAddr>,
    pub(crate) http_port: Option<u16>,
    pub(crate) rtsp_port: Option<u16>,
    pub(crate) no_discovery: bool,
    pub(crate) log_level: Option<String>,
    pub(crate) sdk_options: Option<String>,
    pub(crate) replay: Option<PathBuf>,
    pub(crate) source: Option<String>,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    /// Run the daemon with these flags.
    Run(Cli),
    /// `-h`/`--help`: print [`HELP`] and exit 0.
    Help,
    /// `-V`/`--version`: print [`version`] and exit 0.
    Version,
}

/// `nvt --help`.
pub const HELP: &str = "\
ONVIF network video transmitter: IP-camera firmware and camera simulator

Usage: nvt [OPTIONS]

Options:
      --config <FILE>          TOML config file (keys as the long flags, with '_' for '-';
                               flags win)
      --state-dir <DIR>        Where settings live [default: $XDG_STATE_HOME/nvt or
                               ~/.local/state/nvt]
      --bind <ADDR>            Address to listen on [default: 0.0.0.0]
      --http-port <N>          HTTP (ONVIF) port [default: 8080]; 0 picks a free port (logged
                               at start)
      --rtsp-port <N>          RTSP port [default: 8554]; 0 picks a free port (logged at start)
      --no-discovery           Do not answer or send WS-Discovery
      --log-level <FILTER>     Log filter, e.g. `info` or `nvt=debug` (RUST_LOG is used when
                               this is absent)
      --sdk-options <OPTIONS>  SDK board options, `key=value;...` (see sdk-sys/README.md for
                               the simulator's keys)
      --replay <FILE>          Simulator: stream this H.264 Annex-B file (looped) instead of
                               the test pattern
      --source <SOURCE>        Video source: `pattern` (the test pattern, default) or
                               `v4l2:/dev/videoN` (a V4L2 capture device: USB webcam,
                               Raspberry Pi camera). Capture size and rate: board options
                               `v4l2_size=WxH`, `v4l2_fps=N` (docs/hardware.md)
  -h, --help                   Print help
  -V, --version                Print version
";

/// `nvt --version`.
pub fn version() -> String {
    format!("nvt {}", env!("CARGO_PKG_VERSION"))
}

impl Cli {
    /// Parses the arguments after the program name. `--flag value` and `--flag=value` are
    /// both accepted; an error is one line naming the flag or argument at fault.
    pub fn parse_args<I>(args: I) -> Result<Command, String>
    where
        I: IntoIterator,
        I::Item: Into<OsString>,
    {
        use lexopt::prelude::*;
        let mut cli = Cli::default();
        let mut p = lexopt::Parser::from_args(args);
        while let Some(arg) = p.next().map_err(|e| e.to_string())? {
            match arg {
                Short('h') | Long("help") => return Ok(Command::Help),
                Short('V') | Long("version") => return Ok(Command::Version),
                Long("config") => cli.config = Some(path(&mut p)?),
                Long("state-dir") => cli.state_dir = Some(path(&mut p)?),
                Long("bind") => cli.bind = Some(typed(&mut p, "--bind <ADDR>")?),
                Long("http-port") => cli.http_port = Some(typed(&mut p, "--http-port <N>")?),
                Long("rtsp-port") => cli.rtsp_port = Some(typed(&mut p, "--rtsp-port <N>")?),
                Long("no-discovery") => cli.no_discovery = true,
                Long("log-level") => cli.log_level = Some(typed(&mut p, "--log-level <FILTER>")?),
                Long("sdk-options") => {
                    cli.sdk_options = Some(typed(&mut p, "--sdk-options <OPTIONS>")?)
                }
                Long("replay") => cli.replay = Some(path(&mut p)?),
                Long("source") => cli.source = Some(typed(&mut p, "--source <SOURCE>")?),
                _ => return Err(arg.unexpected().to_string()),
            }
        }
        Ok(Command::Run(cli))
    }
}

/// A path flag's value, taken as given (a path need not be UTF-8).
fn path(p: &mut lexopt::Parser) -> Result<PathBuf, String> {
    p.value().map(PathBuf::from).map_err(|e| e.to_string())
}

/// A flag's value parsed as `T`; the error names the flag as `--help` spells it.
fn typed<T>(p: &mut lexopt::Parser, flag: &str) -> Result<T, String>
where
    T: FromStr,
    T::Err: Display,
{
    let value = p.value().map_err(|e| e.to_string())?;
    let s = value
        .to_str()
        .ok_or_else(|| format!("invalid value {value:?} for '{flag}': not UTF-8"))?;
    s.parse()
        .map_err(|e| format!("invalid value '{s}' for '{flag}': {e}"))
}

/// The config file. Every key is optional; unknown keys are an error.
#[derive(Debug, Default)]
struct FileConfig {
    state_dir: Option<PathBuf>,
    bind: Option<IpAddr>,
    http_port: Option<u16>,
    rtsp_port: Option<u16>,
    discovery: Option<bool>,
    log_level: Option<String>,
    sdk_options: Option<String>,
    replay: Option<PathBuf>,
    source: Option<String>,
    rtsp_max_connections: Option<usize>,
    rtsp_max_connections_per_address: Option<usize>,
    http_max_connections: Option<usize>,
    http_max_connections_per_address: Option<usize>,
}

/// Connection limits a camera owner may tune, in the config file only (defaults in
/// `rtsp::limits` and `soap::limits`; docs/security.md says what each protects).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ConnectionLimits {
    pub(crate) rtsp_max_connections: Option<usize>,
    pub(crate) rtsp_max_connections_per_address: Option<usize>,
    pub(crate) http_max_connections: Option<usize>,
    pub(crate) http_max_connections_per_address: Option<usize>,
}

/// The resolved options the daemon runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub(crate) state_dir: PathBuf,
    pub(crate) bind: IpAddr,
    pub(crate) http_port: u16,
    pub(crate) rtsp_port: u16,
    pub(crate) discovery: bool,
    pub log_level: Option<String>,
    /// Board options passed to `NVT_SYS_Init`, with `--replay` and `--source` folded in.
    pub(crate) sdk_options: String,
    pub(crate) connections: ConnectionLimits,
}

impl Config {
    /// Merges flags, the config file and defaults. Errors are one line, naming the culprit.
    pub fn resolve(cli: Cli) -> Result<Config, String> {
        let file = match &cli.config {
            Some(path) => load_file(path)?,
            None => FileConfig::default(),
        };
        let http_port = cli
            .http_port
            .or(file.http_port)
            .unwrap_or(DEFAULT_HTTP_PORT);
        let rtsp_port = cli
            .rtsp_port
            .or(file.rtsp_port)
            .unwrap_or(DEFAULT_RTSP_PORT);
        let c = ConnectionLimits {
            rtsp_max_connections: file.rtsp_max_connections,
            rtsp_max_connections_per_address: file.rtsp_max_connections_per_address,
            http_max_connections: file.http_max_connections,
            http_max_connections_per_address: file.http_max_connections_per_address,
        };
        for (name, v) in [
            ("rtsp_max_connections", c.rtsp_max_connections),
            (
                "rtsp_max_connections_per_address",
                c.rtsp_max_connections_per_address,
            ),
            ("http_max_connections", c.http_max_connections),
            (
                "http_max_connections_per_address",
                c.http_max_connections_per_address,
            ),
        ] {
            if v == Some(0) {
                return Err(format!("{name} must be at least 1"));
            }
        }
        if http_port == rtsp_port && http_port != 0 {
            return Err(format!("http_port and rtsp_port are both {http_port}"));
        }
        let state_dir = match cli.state_dir.or(file.state_dir) {
            Some(dir) => dir,
            None => default_state_dir()?,
        };
        let mut sdk_options = cli.sdk_options.or(file.sdk_options).unwrap_or_default();
        if let Some(replay) = cli.replay.or(file.replay) {
            let replay = replay
                .to_str()
                .ok_or("replay path must be UTF-8")?
                .to_owned();
            if replay.contains(';') {
                return Err(format!("replay path {replay:?} must not contain ';'"));
            }
            if !Path::new(&replay).is_file() {
                return Err(format!("replay file {replay:?} does not exist"));
            }
            if !sdk_options.is_empty() {
                sdk_options.push(';');
            }
            sdk_options.push_str(&format!("replay={replay}"));
        }
        if let Some(source) = cli.source.or(file.source) {
            if source.contains(';') {
                return Err(format!("source {source:?} must not contain ';'"));
            }
            if let Some(path) = source.strip_prefix("v4l2:") {
                // Said here rather than as the SDK's bare "invalid argument" at start.
                if !Path::new(path).exists() {
                    return Err(format!("source {source:?}: {path} does not exist"));
                }
            } else if source != "pattern" {
                return Err(format!(
                    "source {source:?}: expected pattern or v4l2:/dev/videoN"
                ));
            }
            if !sdk_options.is_empty() {
                sdk_options.push(';');
            }
            sdk_options.push_str(&format!("source={source}"));
        }
        Ok(Config {
            state_dir,
            bind: cli.bind.or(file.bind).unwrap_or(IpAddr::from([0, 0, 0, 0])),
            http_port,
            rtsp_port,
            discovery: !cli.no_discovery && file.discovery.unwrap_or(true),
            log_level: cli.log_level.or(file.log_level),
            sdk_options,
            connections: c,
        })
    }
}

/// The config file's keys, as an error about an unknown one lists them.
const FILE_KEYS: &str = "state_dir, bind, http_port, rtsp_port, discovery, log_level, \
    sdk_options, replay, source, rtsp_max_connections, rtsp_max_connections_per_address, \
    http_max_connections, http_max_connections_per_address";

/// Reads the config file. The `toml` crate parses it (every TOML rule, duplicate keys
/// refused); its keys are read off the parsed table here rather than through toml's serde
/// layer and a derived visitor, which cost about 30 KB of a camera's flash for thirteen flat
/// keys (docs/PERFORMANCE.md, "Binary size for a camera"). Errors are one line with the
/// line number.
fn load_file(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    let at_line = |offset: usize, msg: &str| {
        let line = text[..offset.min(text.len())].matches('\n').count() + 1;
        format!("config file {} line {line}: {msg}", path.display())
    };
    let doc = DeTable::parse(&text).map_err(|e| {
        // toml's messages span several lines (with a source excerpt); keep the first.
        let msg = e.message().lines().next().unwrap_or("invalid TOML");
        match e.span() {
            Some(span) => at_line(span.start, msg),
            None => format!("config file {}: {msg}", path.display()),
        }
    })?;
    let mut f = FileConfig::default();
    for (key, value) in doc.get_ref() {
        let name: &str = key.get_ref();
        let v = FileValue {
            name,
            value: value.get_ref(),
        };
        let read = match name {
            "state_dir" => v.string().map(|s| f.state_dir = Some(s.into())),
            "bind" => v.parsed().map(|a| f.bind = Some(a)),
            "http_port" => v.integer().map(|n| f.http_port = Some(n)),
            "rtsp_port" => v.integer().map(|n| f.rtsp_port = Some(n)),
            "discovery" => v.boolean().map(|b| f.discovery = Some(b)),
            "log_level" => v.string().map(|s| f.log_level = Some(s.to_owned())),
            "sdk_options" => v.string().map(|s| f.sdk_options = Some(s.to_owned())),
            "replay" => v.string().map(|s| f.replay = Some(s.into())),
            "source" => v.string().map(|s| f.source = Some(s.to_owned())),
            "rtsp_max_connections" => v.integer().map(|n| f.rtsp_max_connections = Some(n)),
            "rtsp_max_connections_per_address" => v
                .integer()
                .map(|n| f.rtsp_max_connections_per_address = Some(n)),
            "http_max_connections" => v.integer().map(|n| f.http_max_connections = Some(n)),
            "http_max_connections_per_address" => v
                .integer()
                .map(|n| f.http_max_connections_per_address = Some(n)),
            _ => {
                let msg = format!("unknown field `{name}`, expected one of {FILE_KEYS}");
                return Err(at_line(key.span().start, &msg));
            }
        };
        read.map_err(|msg| at_line(value.span().start, &msg))?;
    }
    Ok(f)
}

/// One value of the config file, read as its key's type; errors name the key.
struct FileValue<'a> {
    name: &'a str,
    value: &'a DeValue<'a>,
}

impl<'a> FileValue<'a> {
    fn string(&self) -> Result<&'a str, String> {
        match self.value {
            DeValue::String(s) => Ok(s),
            other => Err(self.wrong_type(other, "a string")),
        }
    }

    fn boolean(&self) -> Result<bool, String> {
        match self.value {
            DeValue::Boolean(b) => Ok(*b),
            other => Err(self.wrong_type(other, "true or false")),
        }
    }

    /// An integer in `T`'s range (TOML integers are 64-bit signed, in any radix).
    fn integer<T: TryFrom<i64>>(&self) -> Result<T, String> {
        let DeValue::Integer(n) = self.value else {
            return Err(self.wrong_type(self.value, "an integer"));
        };
        let n = i64::from_str_radix(n.as_str(), n.radix())
            .map_err(|e| format!("invalid integer for `{}`: {e}", self.name))?;
        T::try_from(n).map_err(|_| {
            format!(
                "invalid value {n} for `{}`: out of range for {}",
                self.name,
                std::any::type_name::<T>()
            )
        })
    }

    /// A string parsed as `T` (an IP address).
    fn parsed<T: FromStr>(&self) -> Result<T, String>
    where
        T::Err: Display,
    {
        let s = self.string()?;
        s.parse()
            .map_err(|e| format!("invalid value {s:?} for `{}`: {e}", self.name))
    }

    fn wrong_type(&self, got: &DeValue<'_>, expected: &str) -> String {
        let got = match got {
            DeValue::String(_) => "a string",
            DeValue::Integer(_) => "an integer",
            DeValue::Float(_) => "a float",
            DeValue::Boolean(_) => "a boolean",
            DeValue::Datetime(_) => "a date-time",
            DeValue::Array(_) => "an array",
            DeValue::Table(_) => "a table",
        };
        format!("`{}` must be {expected}, not {got}", self.name)
    }
}

fn default_state_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("nvt"));
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".local/state/nvt")),
        None => Err("no --state-dir given and neither XDG_STATE_HOME nor HOME is set".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        match Cli::parse_args(args) {
            Ok(Command::Run(cli)) => cli,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn flags_parse_in_both_spellings_and_errors_name_the_flag() {
        let c = cli(&[
            "--http-port=81",
            "--rtsp-port",
            "555",
            "--no-discovery",
            "--bind=::1",
        ]);
        assert_eq!((c.http_port, c.rtsp_port), (Some(81), Some(555)));
        assert!(c.no_discovery);
        assert_eq!(c.bind, Some("::1".parse().unwrap()));
        assert!(matches!(Cli::parse_args(["-h"]), Ok(Command::Help)));
        assert!(matches!(
            Cli::parse_args(["--version"]),
            Ok(Command::Version)
        ));
        for (args, needle) in [
            (&["--http-port", "99999"][..], "'--http-port <N>'"),
            (&["--bind", "nowhere"], "'--bind <ADDR>'"),
            (&["--frobnicate"], "'--frobnicate'"),
            (&["--config"], "'--config'"),
            (&["--no-discovery=yes"], "'--no-discovery'"),
            (&["extra"], "extra"),
        ] {
            let e = Cli::parse_args(args).unwrap_err();
            assert!(e.contains(needle), "{args:?} gave {e:?}");
        }
        // Every flag --help names is one the parser takes.
        for line in HELP.lines().filter(|l| l.starts_with("      --")) {
            let flag = line.split_whitespace().next().unwrap();
            let args: &[&str] = match flag {
                "--no-discovery" => &[flag],
                "--bind" => &[flag, "::"],
                "--http-port" | "--rtsp-port" => &[flag, "1"],
                _ => &[flag, "x"],
            };
            assert!(Cli::parse_args(args).is_ok(), "{flag}");
        }
    }

    #[test]
    fn flags_override_file_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nvt.toml");
        std::fs::write(
            &file,
            "http_port = 80\nrtsp_port = 554\ndiscovery = false\n",
        )
        .unwrap();
        let c = Config::resolve(cli(&[
            "--config",
            file.to_str().unwrap(),
            "--http-port",
            "8081",
            "--state-dir",
            "/tmp/x",
        ]))
        .unwrap();
        assert_eq!((c.http_port, c.rtsp_port, c.discovery), (8081, 554, false));
        assert_eq!(c.state_dir, PathBuf::from("/tmp/x"));
        let d = Config::resolve(cli(&["--state-dir", "/tmp/x"])).unwrap();
        assert_eq!(
            (d.http_port, d.rtsp_port, d.discovery),
            (DEFAULT_HTTP_PORT, DEFAULT_RTSP_PORT, true)
        );
    }

    #[test]
    fn bad_config_values_are_one_line_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nvt.toml");
        for (text, needle) in [
            ("http_port = 70000\n", "line 1"),
            ("htp_port = 80\n", "unknown field"),
            ("bind = \"not-an-ip\"\n", "line 1"),
            ("http_port = 8554\n", "both 8554"),
            ("rtsp_max_connections_per_address = 0\n", "at least 1"),
            ("http_max_connections = -1\n", "line 1"),
            (
                "# ports\n\nrtsp_port = \"554\"\n",
                "line 3: `rtsp_port` must be an integer",
            ),
            ("discovery = 1\n", "must be true or false, not an integer"),
            ("http_port = 80.0\n", "not a float"),
            ("state_dir = [\"/x\"]\n", "not an array"),
            (
                "[bind]\naddress = \"::\"\n",
                "line 1: `bind` must be a string, not a table",
            ),
            ("[network]\nbind = \"::\"\n", "unknown field `network`"),
            ("http_port = 80\nhttp_port = 81\n", "line 2"),
            ("http_port = 0x10000\n", "out of range"),
            ("http_port = 80 80\n", "line 1"),
        ] {
            std::fs::write(&file, text).unwrap();
            let err = Config::resolve(cli(&[
                "--config",
                file.to_str().unwrap(),
                "--state-dir",
                "/tmp/x",
            ]))
            .unwrap_err();
            assert!(err.contains(needle), "{text:?} gave {err:?}");
            assert!(
                !err.contains('\n'),
                "multi-line error for {text:?}: {err:?}"
            );
        }
    }

    #[test]
    fn every_file_key_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let replay = dir.path().join("clip.h264");
        std::fs::write(&replay, b"").unwrap();
        let file = dir.path().join("nvt.toml");
        let text = format!(
            "# a camera's file\nstate_dir = '/var/lib/nvt'\nbind = \"192.0.2.7\"\n\
             http_port = 0x50\nrtsp_port = 5_54\ndiscovery = false\nlog_level = \"warn\"\n\
             sdk_options = \"fps=10\"\nreplay = {:?}\nsource = \"pattern\"\n\
             rtsp_max_connections = 9\nrtsp_max_connections_per_address = 3\n\
             http_max_connections = 8\nhttp_max_connections_per_address = 2\n",
            replay.to_str().unwrap()
        );
        std::fs::write(&file, &text).unwrap();
        let c = Config::resolve(cli(&["--config", file.to_str().unwrap()])).unwrap();
        assert_eq!(c.state_dir, PathBuf::from("/var/lib/nvt"));
        assert_eq!(c.bind, IpAddr::from([192, 0, 2, 7]));
        assert_eq!((c.http_port, c.rtsp_port, c.discovery), (80, 554, false));
        assert_eq!(c.log_level.as_deref(), Some("warn"));
        assert_eq!(
            c.sdk_options,
            format!("fps=10;replay={};source=pattern", replay.to_str().unwrap())
        );
        assert_eq!(
            c.connections,
            ConnectionLimits {
                rtsp_max_connections: Some(9),
                rtsp_max_connections_per_address: Some(3),
                http_max_connections: Some(8),
                http_max_connections_per_address: Some(2),
            }
        );
        // The list an unknown key's error gives is every key this test sets.
        for key in FILE_KEYS.split(", ") {
            assert!(text.contains(&format!("\n{key} = ")), "{key}");
        }
    }

    #[test]
    fn connection_limits_come_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nvt.toml");
        std::fs::write(
            &file,
            "rtsp_max_connections = 100\nhttp_max_connections_per_address = 8\n",
        )
        .unwrap();
        let c = Config::resolve(cli(&[
            "--config",
            file.to_str().unwrap(),
            "--state-dir",
            "/x",
        ]))
        .unwrap();
        assert_eq!(
            c.connections,
            ConnectionLimits {
                rtsp_max_connections: Some(100),
                http_max_connections_per_address: Some(8),
                ..ConnectionLimits::default()
            }
        );
    }

    #[test]
    fn source_is_folded_into_sdk_options_and_checked() {
        let run = |args: &[&str]| {
            let mut all = vec!["--state-dir", "/tmp/x"];
            all.extend_from_slice(args);
            Config::resolve(cli(&all))
        };
        let c = run(&["--source", "v4l2:/dev/null", "--sdk-options", "v4l2_fps=15"]).unwrap();
        assert_eq!(c.sdk_options, "v4l2_fps=15;source=v4l2:/dev/null");
        assert_eq!(
            run(&["--source", "pattern"]).unwrap().sdk_options,
            "source=pattern"
        );
        let e = run(&["--source", "v4l2:/dev/nvt-no-such-video"]).unwrap_err();
        assert!(e.contains("does not exist"), "{e}");
        assert!(
            run(&["--source", "usb0"])
                .unwrap_err()
                .contains("expected pattern")
        );
    }

    #[test]
    fn replay_is_folded_into_sdk_options() {
        let dir = tempfile::tempdir().unwrap();
        let clip = dir.path().join("clip.h264");
        std::fs::write(&clip, b"\0\0\0\x01").unwrap();
        let c = Config::resolve(cli(&[
            "--state-dir",
            "/tmp/x",
            "--sdk-options",
            "motion_period_ms=5000",
            "--replay",
            clip.to_str().unwrap(),
        ]))
        .unwrap();
        assert_eq!(
            c.sdk_options,
            format!("motion_period_ms=5000;replay={}", clip.display())
        );
        let missing = Config::resolve(cli(&[
            "--state-dir",
            "/tmp/x",
            "--replay",
            "/nonexistent.h264",
        ]))
        .unwrap_err();
        assert!(missing.contains("does not exist"));
    }
}
