//! Persistence of the settings: one JSON file in the state directory, replaced atomically.
//!
//! A write goes to `settings.json.tmp`, is fsynced, renamed over `settings.json`, and the
//! directory is fsynced (POSIX rename is atomic; the directory fsync makes the rename itself
//! durable). A crash at any point leaves either the old or the new file, never a torn one.
//! A file that exists but cannot be read or parsed is an error at start: it is never replaced
//! by defaults, and it is left untouched for the owner to inspect.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use super::model::Settings;
use super::validate::{self, validate};

pub const SETTINGS_FILE: &str = "settings.json";
const TEMP_SUFFIX: &str = ".tmp";
const LOCK_FILE: &str = "lock";
/// A settings file larger than this is not a settings file.
pub(crate) const MAX_SETTINGS_BYTES: u64 = 4 * 1024 * 1024;
/// Mode of a state directory nvt creates: it holds the users' passwords (the file itself is
/// 0600 as well), so no other account may even list it.
pub(crate) const STATE_DIR_MODE: u32 = 0o700;

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
    #[error("cannot write settings file {} in its new format: {source}", path.display())]
    Migrate { path: PathBuf, source: io::Error },
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
    let mut settings: Settings = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    super::migrate::migrate(&mut settings);
    validate(&settings)?;
    Ok(settings)
}

/// The settings of a running daemon: a current snapshot for readers, serialised writers.
///
/// Every change is computed from the current settings while the writer lock is held
/// ([`SettingsStore::writer`]: the daemon's changes all go through `camera::Core`, which holds
/// it for a whole transaction; [`SettingsStore::update`] serves tests and offline tools): a
/// change computed from an older snapshot and written back whole would silently undo
/// whatever was committed in between (issue 14 item 10).
pub struct SettingsStore {
    dir: PathBuf,
    current: RwLock<Arc<Settings>>,
    /// Held across compute + validate + write + swap so two updates never interleave.
    writer: Mutex<()>,
    /// Held for the life of the store: an exclusive lock on `<dir>/lock`.
    _lock: File,
}

/// The store's writer lock, held: the one place a change is computed from the current
/// settings and committed. Dropping it without [`Writer::commit`] changes nothing.
pub(crate) struct Writer<'a> {
    store: &'a SettingsStore,
    _guard: MutexGuard<'a, ()>,
}

impl Writer<'_> {
    /// The current settings; nothing else can change them while this writer lives.
    pub(crate) fn current(&self) -> Arc<Settings> {
        self.store.get()
    }

    /// Validates `next`, writes it durably and only then makes it current. On any error
    /// nothing changes, in memory or on disk.
    pub(crate) fn commit(&mut self, next: Settings) -> Result<(), UpdateError> {
        let before = self.store.get();
        validate(&next).map_err(UpdateError::Rejected)?;
        validate::keeps_an_administrator(&before, &next).map_err(UpdateError::Rejected)?;
        write_atomic(&self.store.path(), &serialize(&next))?;
        *self
            .store
            .current
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(next);
        Ok(())
    }
}

impl SettingsStore {
    /// Opens the state directory (created 0700 if missing), takes its lock, and loads the
    /// settings. Returns whether the file was absent (first start: defaults, not yet written).
    ///
    /// A file whose only fault is that it has users but no administrator (left by an older
    /// nvt, see docs/settings.md) still opens: [`SettingsStore::lacks_administrator`] is then
    /// true, every update is refused until one is added, and the daemon either recovers with
    /// `NVT_ADMIN_PASSWORD` or stops with a message saying so (`camera::admin`).
    pub fn open(dir: &Path) -> Result<(SettingsStore, bool), LoadError> {
        let state_err = |source| LoadError::StateDir {
            path: dir.to_owned(),
            source,
        };
        DirBuilder::new()
            .recursive(true)
            .mode(STATE_DIR_MODE)
            .create(dir)
            .map_err(state_err)?;
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
                let (settings, migrated) =
                    parse_loadable(&bytes).map_err(|reason| LoadError::Corrupt {
                        path: path.clone(),
                        reason,
                    })?;
                if migrated {
                    // The file says the format it holds from now on (`settings::migrate`).
                    write_atomic(&path, &serialize(&settings)).map_err(|source| {
                        LoadError::Migrate {
                            path: path.clone(),
                            source,
                        }
                    })?;
                    tracing::info!(path = %path.display(), "settings migrated to format {}", settings.format);
                }
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

    pub(crate) fn path(&self) -> PathBuf {
        self.dir.join(SETTINGS_FILE)
    }

    /// Takes the writer lock (blocking until the change in progress, if any, is done).
    pub(crate) fn writer(&self) -> Writer<'_> {
        Writer {
            store: self,
            _guard: self.writer.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Applies `change` to a copy of the current settings under the writer lock, validates
    /// it, writes it durably and only then makes it current. On any error nothing changes,
    /// in memory or on disk.
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut Settings) -> Result<T, String>,
    ) -> Result<T, UpdateError> {
        let mut writer = self.writer();
        let mut next = (*writer.current()).clone();
        let out = change(&mut next).map_err(UpdateError::Rejected)?;
        writer.commit(next)?;
        Ok(out)
    }

    /// Whether the loaded settings have users but no administrator (see [`Self::open`]).
    pub(crate) fn lacks_administrator(&self) -> bool {
        validate::check_administrator(&self.get()).is_err()
    }
}

/// [`parse`], except that a file whose only broken invariant is the missing administrator
/// loads (the daemon then recovers or stops with a message naming the recovery). Says
/// whether an older format was migrated.
fn parse_loadable(bytes: &[u8]) -> Result<(Settings, bool), String> {
    let mut settings: Settings = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let format = settings.format;
    super::migrate::migrate(&mut settings);
    validate::validate_structure(&settings)?;
    let migrated = settings.format != format;
    Ok((settings, migrated))
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
///
/// A failed write (a full disk: ENOSPC) removes its partial temp file, so it holds no space
/// and the old file stays the settings.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temp_path(path);
    let written = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(dir)?.sync_all()?;
    // Tighten a file created by an older version or by hand.
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    Ok(())
}
