//! The administrator the device always has: created at first start, and restored when a
//! settings file has none (docs/settings.md, "Recovering a device without an administrator").
//!
//! There is never a default password: the first administrator's comes from
//! `NVT_ADMIN_PASSWORD`, or is generated and printed once on stdout.

use anyhow::Context;
use rand::Rng;
use rand::distr::Alphanumeric;

use crate::settings::validate::check_new_password;

use super::change::Change;
use super::core::Core;

/// The administrator created at first start (and by a recovery).
pub(crate) const FIRST_ADMIN: &str = "admin";
/// Environment variable giving the first administrator's password.
pub(crate) const ADMIN_PASSWORD_ENV: &str = "NVT_ADMIN_PASSWORD";
/// Length of a generated password (62 symbols: ~119 bits).
const GENERATED_PASSWORD_LEN: usize = 20;

/// What [`ensure_admin`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AdminOutcome {
    /// Users exist and one is an administrator: nothing to do.
    Present,
    /// First start: `admin` was created (with the password printed on stdout when generated).
    Created { generated: bool },
    /// The file had users but no administrator: `admin` was (re)made an administrator with
    /// the password of `NVT_ADMIN_PASSWORD`; the other users are kept.
    Recovered,
}

/// Makes sure the settings have an administrator before anything is served.
///
/// - First start (no user): creates `admin` with `NVT_ADMIN_PASSWORD` (at least
///   [`super::validate::MIN_PASSWORD_LEN`] characters, else a clear error and nothing is written) or a generated
///   password printed once on stdout.
/// - Users but no administrator (a file from an older nvt that lost its last administrator
///   to concurrent DeleteUsers, issue 14 item 11): with `NVT_ADMIN_PASSWORD` set, `admin`
///   becomes an administrator with that password (created if missing); without it, an error
///   that names the file and the recovery. Only whoever starts the daemon can do this.
/// - Otherwise `NVT_ADMIN_PASSWORD` is ignored.
///
/// The write is a change of the camera core ([`Change::Administrator`]), like any other.
pub(crate) fn ensure_admin(core: &Core) -> anyhow::Result<AdminOutcome> {
    let store = core.store();
    let settings = store.get();
    let lacking = store.lacks_administrator();
    if !settings.users.is_empty() && !lacking {
        if std::env::var_os(ADMIN_PASSWORD_ENV).is_some() {
            tracing::debug!("{ADMIN_PASSWORD_ENV} ignored: users already exist");
        }
        return Ok(AdminOutcome::Present);
    }
    let from_env = match std::env::var(ADMIN_PASSWORD_ENV) {
        Ok(p) => {
            check_new_password(&p).map_err(|e| {
                anyhow::anyhow!(
                    "{ADMIN_PASSWORD_ENV}: {e} (it becomes the password of the administrator \"{FIRST_ADMIN}\")"
                )
            })?;
            Some(p)
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            anyhow::bail!("{ADMIN_PASSWORD_ENV} is not valid UTF-8")
        }
        Err(std::env::VarError::NotPresent) => None,
    };
    if lacking {
        let Some(password) = from_env else {
            anyhow::bail!(
                "settings file {} has users but no administrator, so the device could never be \
                 administered again; to recover, start nvt once with {ADMIN_PASSWORD_ENV} set: \
                 \"{FIRST_ADMIN}\" then becomes an administrator with that password (other users \
                 are kept)",
                store.path().display()
            );
        };
        core.apply_blocking(Change::Administrator {
            username: FIRST_ADMIN.into(),
            password,
        })
        .context("saving the recovered administrator")?;
        tracing::warn!(
            user = FIRST_ADMIN,
            "the settings had no administrator: \"{FIRST_ADMIN}\" is one again, with the password from {ADMIN_PASSWORD_ENV}"
        );
        return Ok(AdminOutcome::Recovered);
    }
    let (password, generated) = match from_env {
        Some(p) => (p, false),
        None => (generate_password(), true),
    };
    core.apply_blocking(Change::Administrator {
        username: FIRST_ADMIN.into(),
        password: password.clone(),
    })
    .context("saving the first administrator")?;
    if generated {
        // stdout, apart from the log on stderr, so an installer can capture it; shown once
        // because it is persisted now and this branch never runs again.
        println!("nvt: created user \"{FIRST_ADMIN}\" with password: {password}");
        println!(
            "nvt: this password is shown only once; change it with an ONVIF client (SetUser)."
        );
    } else {
        tracing::info!(
            user = FIRST_ADMIN,
            "created the administrator from {ADMIN_PASSWORD_ENV}"
        );
    }
    Ok(AdminOutcome::Created { generated })
}

fn generate_password() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(GENERATED_PASSWORD_LEN)
        .map(char::from)
        .collect()
}
