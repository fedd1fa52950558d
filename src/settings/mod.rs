//! The one settings model of the camera: everything a client can configure, persisted in the
//! state directory and loaded at start, so a restart keeps what clients set.
//!
//! - `model`: the types and their defaults (two H.264 profiles: main 1280x720@25, sub
//!   640x360@15).
//! - `validate`: the invariants a loaded or updated model must hold.
//! - `store`: atomic persistence (temp file, fsync, rename, fsync dir) and updates, each
//!   computed from the current settings under the writer lock.
//! - `migrate`: older file layouts brought to the current one as they load.
//! - `timezone`: time zone names clients send, resolved to POSIX TZ strings.

mod migrate;
mod model;
mod store;
pub mod timezone;
pub mod validate;

pub use model::*;
pub use store::{LoadError, SETTINGS_FILE, SettingsStore, UpdateError, parse};
pub use validate::validate;

impl crate::auth::CredentialStore for SettingsStore {
    fn lookup(&self, username: &str) -> Option<crate::auth::Credential> {
        self.get().user(username).map(|u| crate::auth::Credential {
            username: u.username.clone(),
            password: u.password.clone(),
            level: u.level,
        })
    }
}
