//! Persistence of the settings: one JSON file in the state directory, replaced atomically.
//!
//! A write goes to `settings.json.tmp`, is fsynced, renamed over `settings.json`, and the
//! directory is fsynced (POSIX rename is atomic; the directory fsync makes the rename itself
//! durable). A crash at any point leaves either the old or the new file, never a torn one.
//! A file that exists but cannot be read or parsed is an error at start: it is never replaced
//! by defaults, and it is left untouched for the owner to inspect.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use super::model::Settings;
use super::validate::validate;

pub const SETTINGS_FILE: &str = "settings.json";
const TEMP_SUFFIX: &str = ".tmp";
const LOCK_FILE: &str = "lock";
/// A settings file larger than this is not a settings file.
pub const MAX_SETTINGS_BYTES: u64 = 4 * 1024 * 1024;

/// Why the settings could not be loaded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot use state directory {}: {source}", path.display())]
    StateDir { path: PathBuf, source: io::Error },
    #[error("state directory {} is in use by another nvt", path.display())]
    Locked { path: PathBuf },
    #[error("cannot read settings file {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("settings file {} is corrupt: {reason} (the file was left as it is; fix or move it away)", path.display())]
    Corrupt { path: PathBuf, reason: String },
}

/// Why an update was not applied. In both cases the settings are unchanged.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The change was refused (by the caller's closure or by validation).
    #[error("{0}")]
    Rejected(String),
    /// The new settings could not be written; memory and disk keep the old ones.
    #[error("cannot write settings: {0}")]
    Io(#[from] io::Error),
}

/// Parses and validates a settings file's bytes (the fuzz target drives this).
pub fn parse(bytes: &[u8]) -> Result<Settings, String> {
    let settings: Settings = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    validate(&settings)?;
    Ok(settings)
}

/// The settings of a running daemon: a current snapshot for readers, serialised writers.
pub struct SettingsStore {
    dir: PathBuf,
    current: RwLock<Arc<Settings>>,
    /// Held across validate + write + swap so two updates never interleave.
    writer: Mutex<()>,
    /// Held for the life of the store: an exclusive lock on `<dir>/lock`.
    _lock: File,
}

impl SettingsStore {
    /// Opens the state directory (created 0700 if missing), takes its lock, and loads the
    /// settings. Returns whether the file was absent (first start: defaults, not yet written).
    pub fn open(dir: &Path) -> Result<(SettingsStore, bool), LoadError> {
        let state_err = |source| LoadError::StateDir {
            path: dir.to_owned(),
            source,
        };
        fs::create_dir_all(dir).map_err(state_err)?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(dir.join(LOCK_FILE))
            .map_err(state_err)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(LoadError::Locked {
                    path: dir.to_owned(),
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(state_err(e)),
        }
        let path = dir.join(SETTINGS_FILE);
        // A temp file left by a crash mid-write is an incomplete copy of a write that never
        // happened; the real file is intact.
        let _ = fs::remove_file(temp_path(&path));
        let (settings, first) = match File::open(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => (Settings::default(), true),
            Err(source) => return Err(LoadError::Read { path, source }),
            Ok(file) => {
                let len = file
                    .metadata()
                    .map_err(|source| LoadError::Read {
                        path: path.clone(),
                        source,
                    })?
                    .len();
                if len > MAX_SETTINGS_BYTES {
                    return Err(LoadError::Corrupt {
                        path,
                        reason: format!("{len} bytes is larger than {MAX_SETTINGS_BYTES}"),
                    });
                }
                let bytes = fs::read(&path).map_err(|source| LoadError::Read {
                    path: path.clone(),
                    source,
                })?;
                let settings = parse(&bytes).map_err(|reason| LoadError::Corrupt {
                    path: path.clone(),
                    reason,
                })?;
                (settings, false)
            }
        };
        let store = SettingsStore {
            dir: dir.to_owned(),
            current: RwLock::new(Arc::new(settings)),
            writer: Mutex::new(()),
            _lock: lock,
        };
        Ok((store, first))
    }

    /// The current settings. Cheap; the snapshot never changes under the reader.
    pub fn get(&self) -> Arc<Settings> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(SETTINGS_FILE)
    }

    /// Applies `change` to a copy of the settings, validates it, writes it durably and only
    /// then makes it current. On any error nothing changes, in memory or on disk.
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut Settings) -> Result<T, String>,
    ) -> Result<T, UpdateError> {
        let _guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let mut next = (*self.get()).clone();
        let out = change(&mut next).map_err(UpdateError::Rejected)?;
        validate(&next).map_err(UpdateError::Rejected)?;
        write_atomic(&self.path(), &serialize(&next))?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(next);
        Ok(out)
    }

    /// Writes the current settings (used at first start and at shutdown).
    pub fn flush(&self) -> io::Result<()> {
        let _guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        write_atomic(&self.path(), &serialize(&self.get()))
    }
}

fn serialize(s: &Settings) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(s).expect("settings always serialise");
    bytes.push(b'\n');
    bytes
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .expect("settings path has a file name")
        .to_owned();
    name.push(TEMP_SUFFIX);
    path.with_file_name(name)
}

/// Replaces `path` with `bytes` atomically and durably (see the module doc). The file is
/// created 0600: it holds passwords.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temp_path(path);
    let mut f = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, path)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(dir)?.sync_all()?;
    // Tighten a file created by an older version or by hand.
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    Ok(())
}
