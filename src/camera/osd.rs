//! Showing the committed OSDs: each OSD rendered (`crate::osd`) into its source's SDK
//! region, the n-th OSD of a source (in the settings' order, `change::osds_shown_on`) in
//! region n, the regions past them cleared.
//!
//! Three callers, all under the camera's OSD lock (`Camera::lock_osd`), each reading the
//! settings it shows under that lock:
//! - the camera core after a commit that changed an OSD or a video source configuration's
//!   window ([`show_changed`]): every region of every source redrawn or cleared;
//! - the start-up ([`show`] from `Core::start_camera`): what the file holds;
//! - the clock ([`ticker`]): once a second, just after the camera clock's second changes,
//!   only the regions showing a date or a time.
//!
//! The text is in the camera's local time: the camera clock (host clock + the stored offset,
//! SetSystemDateAndTime) in the stored time zone's standard offset, as Device
//! GetSystemDateAndTime's LocalDateTime. An SDK refusal after a commit cannot undo the
//! commit: it is logged and the region cleared (the plan laid the text out against the same
//! facts, so it does not happen with a port that keeps its contract).

use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::osd::{self, LocalTime, Window};
use crate::settings::timezone::posix_tz_offset;
use crate::settings::{OsdConfig, Settings, SettingsStore};

use super::change::osds_shown_on;
use super::hardware::Camera;

/// Which regions to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Which {
    /// Every region of the source: the OSDs redrawn, the rest cleared.
    All,
    /// Only the OSDs that show a date or a time.
    Clocks,
}

/// The camera's local time, Unix ms, at host time `host_ms`.
pub(crate) fn local_ms(s: &Settings, host_ms: i64) -> i64 {
    let t = &s.time;
    let offset = t
        .clock_offset_secs
        .saturating_add(posix_tz_offset(&t.timezone).unwrap_or(0));
    host_ms.saturating_add(offset.saturating_mul(1000))
}

fn host_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The region of `o` as the SDK takes it, at local time `now`.
pub(crate) fn render(
    camera: &Camera,
    s: &Settings,
    o: &OsdConfig,
    now: &LocalTime,
) -> Result<(u32, osd::Placed), String> {
    let vsc = (s.media.video_sources.iter())
        .find(|v| v.token == o.video_source)
        .ok_or_else(|| format!("no video source configuration {:?}", o.video_source))?;
    let source = (camera.video_sources().get(vsc.source as usize))
        .ok_or_else(|| format!("no video source {}", vsc.source))?;
    let b = vsc.bounds;
    let window = Window {
        x: b.x,
        y: b.y,
        width: b.width,
        height: b.height,
    };
    let info = camera.facts().osd(vsc.source);
    let placed = osd::render(
        &o.text,
        o.position,
        now,
        (source.width, source.height),
        window,
        &info,
    )
    .map_err(|e| e.to_string())?;
    Ok((vsc.source, placed))
}

/// Draws `which` regions of every source as `s` has them (the caller holds the OSD lock).
fn draw(camera: &Camera, s: &Settings, which: Which, host_ms: i64) {
    let now = LocalTime::from_unix_ms(local_ms(s, host_ms));
    let sdk = camera.sdk();
    for vi in 0..camera.video_sources().len() as u32 {
        let info = camera.facts().osd(vi);
        if !info.supported() {
            continue;
        }
        let shown: Vec<&OsdConfig> = osds_shown_on(s, vi).collect();
        for (id, o) in shown.iter().enumerate() {
            if which == Which::Clocks && !o.text.content.is_clock() {
                continue;
            }
            let id = id as u32;
            let set = render(camera, s, o, &now).and_then(|(vi, p)| {
                (sdk.osd_set_region(vi, id, p.x, p.y, &p.bitmap, 255)).map_err(|e| e.to_string())
            });
            if let Err(e) = set {
                tracing::warn!(osd = %o.token, vi, region = id, error = %e, "OSD not shown");
                let _ = sdk.osd_clear_region(vi, id);
            }
        }
        if which == Which::All {
            for id in shown.len() as u32..info.max_regions {
                if let Err(e) = sdk.osd_clear_region(vi, id) {
                    tracing::warn!(vi, region = id, error = %e, "clearing an OSD region");
                }
            }
        }
    }
}

/// Shows the OSDs of `s` (start-up: whatever the regions held before is cleared).
pub(crate) fn show(camera: &Camera, s: &Settings) {
    let _held = camera.lock_osd();
    draw(camera, s, Which::All, host_now_ms());
}

/// After a commit: redraws everything when an OSD or a window it is placed in changed.
pub(crate) fn show_changed(camera: &Camera, before: &Settings, next: &Settings) {
    if before.media.osd != next.media.osd || before.media.video_sources != next.media.video_sources
    {
        show(camera, next);
    }
}

/// How long after the second changes the clock draws: late enough that the second shown
/// is the new one on a host whose timer fires a little early.
const TICK_AFTER_SECOND: Duration = Duration::from_millis(5);

/// Redraws the date and time OSDs once a second, just after each second of the camera clock
/// begins (its offset is whole seconds, so the host's second boundaries), until the camera
/// is dropped. The daemon runs it as a task.
pub(crate) async fn ticker(camera: Weak<Camera>, store: Arc<SettingsStore>) {
    loop {
        let into_second = host_now_ms().rem_euclid(1000) as u64;
        tokio::time::sleep(Duration::from_millis(1000 - into_second) + TICK_AFTER_SECOND).await;
        let Some(camera) = camera.upgrade() else {
            return;
        };
        if !store
            .get()
            .media
            .osd
            .iter()
            .any(|o| o.text.content.is_clock())
        {
            continue;
        }
        // SDK calls block (briefly): off the async workers, as the core's.
        let store = store.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let _held = camera.lock_osd();
            // Read under the lock: a commit's redraw that went first is not undone.
            draw(&camera, &store.get(), Which::Clocks, host_now_ms());
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_is_the_camera_clock_in_its_zone() {
        let mut s = Settings::default();
        s.time.clock_offset_secs = 3600;
        s.time.timezone = "CET-1CEST,M3.5.0,M10.5.0/3".into();
        assert_eq!(local_ms(&s, 1_000), 1_000 + 7_200_000);
        s.time.timezone = "garbage".into();
        assert_eq!(local_ms(&s, 0), 3_600_000);
    }
}
