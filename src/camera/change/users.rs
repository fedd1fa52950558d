//! Users: CreateUsers, DeleteUsers, SetUser (ONVIF Core s8.4), and the administrator the
//! device is given at start-up; no change leaves the device without an administrator.

use crate::auth::UserLevel;
use crate::settings::validate::{self, MAX_CREDENTIAL_LEN, MAX_USERS, check_new_password};
use crate::settings::{Settings, User};

use super::error::{ChangeError, UserError};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UsersChange {
    /// All or nothing.
    Create(Vec<User>),
    Delete(Vec<String>),
    Set(Vec<UserEdit>),
}

/// SetUser of one user: a new level, and a new password when given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserEdit {
    pub(crate) username: String,
    pub(crate) password: Option<String>,
    pub(crate) level: UserLevel,
}

fn check_user(u: &User) -> Result<(), UserError> {
    if u.username.len() > MAX_CREDENTIAL_LEN {
        return Err(UserError::UsernameTooLong);
    }
    validate::check_username(&u.username).map_err(UserError::BadUsername)?;
    check_new_password(&u.password).map_err(UserError::Password)
}

/// ONVIF Core s.8.4: CreateUsers (all or nothing), DeleteUsers, SetUser; never without an
/// administrator (issue 14 item 11: checked here on the current users, under the lock).
pub(crate) fn users(next: &mut Settings, change: UsersChange) -> Result<(), ChangeError> {
    match change {
        UsersChange::Create(new) => {
            for (i, u) in new.iter().enumerate() {
                check_user(u)?;
                if new[..i].iter().any(|n| n.username == u.username)
                    || next.user(&u.username).is_some()
                {
                    return Err(UserError::Clash(u.username.clone()).into());
                }
            }
            if next.users.len() + new.len() > MAX_USERS {
                return Err(UserError::TooMany.into());
            }
            next.users.extend(new);
        }
        UsersChange::Delete(names) => {
            for name in &names {
                if next.user(name).is_none() {
                    return Err(UserError::Missing(name.clone()).into());
                }
            }
            next.users.retain(|u| !names.contains(&u.username));
        }
        UsersChange::Set(edits) => {
            for e in edits {
                let Some(slot) = next.users.iter_mut().find(|x| x.username == e.username) else {
                    return Err(UserError::Missing(e.username).into());
                };
                if let Some(p) = e.password {
                    check_new_password(&p).map_err(UserError::Password)?;
                    slot.password = p;
                }
                slot.level = e.level;
            }
        }
    }
    if validate::administrators(&next.users) == 0 {
        return Err(UserError::LastAdmin.into());
    }
    Ok(())
}

/// Start-up: `username` becomes an Administrator with `password`, created if missing (first
/// start, or the recovery of a file without administrator: `camera::admin`).
pub(crate) fn administrator(
    next: &mut Settings,
    username: String,
    password: String,
) -> Result<(), ChangeError> {
    check_new_password(&password).map_err(UserError::Password)?;
    match next.users.iter_mut().find(|u| u.username == username) {
        Some(u) => {
            u.password = password;
            u.level = UserLevel::Administrator;
        }
        None => next.users.push(User {
            username,
            password,
            level: UserLevel::Administrator,
        }),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::change::testing::{NO_HW, admin, with_users};
    use crate::camera::change::{Change, plan};
    use crate::settings::validate::PasswordError;

    #[test]
    fn the_last_administrator_is_never_removed_whatever_the_order() {
        // Two DeleteUsers planned one after the other on the current settings (as the core
        // runs them, under the lock): the second one is refused.
        let s = with_users(vec![admin("a"), admin("b")]);
        let (s, _) = plan(
            &s,
            &NO_HW,
            Change::Users(UsersChange::Delete(vec!["a".into()])),
        )
        .unwrap();
        let err = plan(
            &s,
            &NO_HW,
            Change::Users(UsersChange::Delete(vec!["b".into()])),
        );
        assert_eq!(err.unwrap_err(), ChangeError::User(UserError::LastAdmin));
        let demote = UserEdit {
            username: "b".into(),
            password: None,
            level: UserLevel::User,
        };
        let err = plan(&s, &NO_HW, Change::Users(UsersChange::Set(vec![demote])));
        assert_eq!(err.unwrap_err(), ChangeError::User(UserError::LastAdmin));
    }

    #[test]
    fn users_follow_the_core_rules() {
        let s = with_users(vec![admin("a")]);
        let create = |u: User| plan(&s, &NO_HW, Change::Users(UsersChange::Create(vec![u])));
        let mut weak = admin("w");
        weak.password = "12345".into();
        assert_eq!(
            create(weak).unwrap_err(),
            ChangeError::User(UserError::Password(PasswordError::TooWeak))
        );
        assert_eq!(
            create(admin("a")).unwrap_err(),
            ChangeError::User(UserError::Clash("a".into()))
        );
        let twice = vec![admin("x"), admin("x")];
        assert_eq!(
            plan(&s, &NO_HW, Change::Users(UsersChange::Create(twice))).unwrap_err(),
            ChangeError::User(UserError::Clash("x".into()))
        );
        let many = (0..MAX_USERS).map(|i| admin(&format!("u{i}"))).collect();
        assert_eq!(
            plan(&s, &NO_HW, Change::Users(UsersChange::Create(many))).unwrap_err(),
            ChangeError::User(UserError::TooMany)
        );
        assert_eq!(
            plan(
                &s,
                &NO_HW,
                Change::Users(UsersChange::Delete(vec!["nobody".into()]))
            )
            .unwrap_err(),
            ChangeError::User(UserError::Missing("nobody".into()))
        );
    }

    #[test]
    fn the_administrator_is_created_or_restored() {
        let s = Settings::default();
        let change = |p: &str| Change::Administrator {
            username: "admin".into(),
            password: p.into(),
        };
        assert_eq!(
            plan(&s, &NO_HW, change("short")).unwrap_err(),
            ChangeError::User(UserError::Password(PasswordError::TooWeak))
        );
        let (s, _) = plan(&s, &NO_HW, change("first-pass")).unwrap();
        assert_eq!(s.users.len(), 1);
        let mut demoted = s.clone();
        demoted.users[0].level = UserLevel::User;
        demoted.users.push(User {
            username: "u".into(),
            password: "u-secret".into(),
            level: UserLevel::User,
        });
        let (s, _) = plan(&demoted, &NO_HW, change("second-pass")).unwrap();
        assert_eq!(s.users.len(), 2);
        assert_eq!(s.users[0].level, UserLevel::Administrator);
        assert_eq!(s.users[0].password, "second-pass");
    }
}
