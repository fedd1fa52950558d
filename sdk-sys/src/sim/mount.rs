//! The camera's mount: where a test turns the simulated camera by hand, as a vandal or a
//! careless ladder would, without the PTZ head knowing (`turned_file=` board option).
//!
//! While the file exists the picture shows the view [`TURN_DEG`] to the right of where the
//! head looks; NVT_PTZ_GetStatus still reports the head's own position, idle. This is what
//! tamper detection must tell apart from a PTZ move: the same change of picture, but nobody
//! asked for it (docs/events.md, "Tamper detection").
//!
//! A file, not a schedule: a test turns the camera at the step it chooses, however long the
//! steps before took on a loaded machine.

use std::path::PathBuf;
use std::sync::Mutex;

/// How far the mount turns: a quarter turn, so nearly the whole picture changes.
pub const TURN_DEG: f64 = 90.0;

/// How often the file is looked at: a few stats a second at most, whatever the frame rate.
const CHECK_EVERY_US: u64 = 100_000;

/// The mount and its last look at the file.
#[derive(Debug)]
pub struct Mount {
    file: Option<PathBuf>,
    /// (monotonic µs of the last look, turned then).
    last: Mutex<(Option<u64>, bool)>,
}

impl Mount {
    /// A mount turned while `file` exists (None: never turned).
    pub fn new(file: Option<PathBuf>) -> Mount {
        Mount {
            file,
            last: Mutex::new((None, false)),
        }
    }

    /// The pan added to the head's view at monotonic instant `mono` (µs): [`TURN_DEG`]
    /// while the file exists, else 0.
    pub fn pan_offset(&self, mono: u64) -> f64 {
        let Some(file) = &self.file else {
            return 0.0;
        };
        let mut last = super::lock(&self.last);
        let stale = match last.0 {
            Some(at) => mono.abs_diff(at) >= CHECK_EVERY_US,
            None => true,
        };
        if stale {
            *last = (Some(mono), file.exists());
        }
        if last.1 { TURN_DEG } else { 0.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turned_while_the_file_exists_looked_at_no_more_than_ten_times_a_second() {
        let dir = std::env::temp_dir().join(format!("nvt-mount-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("turned");
        let m = Mount::new(Some(file.clone()));
        assert_eq!(m.pan_offset(1_000_000), 0.0);
        std::fs::write(&file, "").unwrap();
        // Within 100 ms of the last look: not looked at again.
        assert_eq!(m.pan_offset(1_050_000), 0.0);
        assert_eq!(m.pan_offset(1_100_000), TURN_DEG);
        std::fs::remove_file(&file).unwrap();
        assert_eq!(m.pan_offset(1_150_000), TURN_DEG);
        assert_eq!(m.pan_offset(1_200_000), 0.0);
        assert_eq!(Mount::new(None).pan_offset(5), 0.0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
