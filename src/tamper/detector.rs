//! The tamper detector: picture statistics in, state changes of the four conditions of the
//! Imaging spec's "Tampering" events out (ImageTooDark, ImageTooBright, ImageTooBlurry,
//! GlobalSceneChange; ONVIF Imaging Service Specification, "Events" / "Tampering").
//!
//! Sans-IO: [`Detector::update`] takes one [`IspStats`] and the time it was captured and
//! returns what changed; nothing here reads a clock or calls the SDK. The thresholds and hold
//! times are [`Config`]'s, each documented there and in docs/events.md.

use std::time::Duration;

use super::latch::{Latch, above, below};
use super::scene::Reference;
use crate::sdk::IspStats;

/// One of the four tamper conditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Condition {
    /// "the video signal becomes mostly black" (a covered lens).
    TooDark,
    /// "the video signal becomes mostly white" (a blinded camera).
    TooBright,
    /// "out-of-focus, such that important details are lost".
    TooBlurry,
    /// "a large portion of the video content changes" (moved, turned or covered camera).
    SceneChange,
}

impl Condition {
    pub const ALL: [Condition; 4] = [
        Condition::TooDark,
        Condition::TooBright,
        Condition::TooBlurry,
        Condition::SceneChange,
    ];
}

/// A condition raised (`raised = true`) or cleared, at the capture time of the picture that
/// completed the change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub condition: Condition,
    pub raised: bool,
    pub at: Duration,
}

/// Thresholds and times. Shares are per mille of the picture's pixels (histogram) or zones;
/// each condition has a raise and a clear threshold apart from each other (hysteresis) and
/// must be met for a hold time without a break, so a picture on an edge does not flap.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Luma under which a pixel counts as black, a multiple of 8 (the histogram's bins).
    pub dark_luma: u8,
    /// TooDark is raised when at least this share of the pixels is black...
    pub dark_raise: u32,
    /// ...and cleared when less than this share is.
    pub dark_clear: u32,
    /// Luma at or above which a pixel counts as white, a multiple of 8.
    pub bright_luma: u8,
    pub bright_raise: u32,
    pub bright_clear: u32,
    /// TooBlurry is raised when the focus value falls to this share of the sharpness
    /// reference or below...
    pub blur_raise: u32,
    /// ...and cleared when it is above this share.
    pub blur_clear: u32,
    /// Half-life of the sharpness reference: the reference is the sharpest value seen,
    /// fading with this half-life toward the current value while the picture is sharp, so
    /// a scene that slowly gets less detailed does not count as blur.
    pub sharpness_half_life: Duration,
    /// A zone has changed when its luma differs from the reference by more than this (after
    /// the global change of light is taken out, see [`Reference::changed_per_mille`]).
    pub scene_zone_delta: u8,
    /// GlobalSceneChange is raised when at least this share of the zones has changed...
    pub scene_raise: u32,
    /// ...and cleared when the reference has learnt the new scene: less than this share
    /// differs.
    pub scene_clear: u32,
    /// Time constant of the reference following slow changes (daylight, weather), while no
    /// change is under way.
    pub scene_drift: Duration,
    /// Time constant of the reference learning the new scene once a change is raised.
    pub scene_learn: Duration,
    /// How long a condition must hold before it is raised.
    pub raise_hold: Duration,
    /// How long its end must hold before it is cleared.
    pub clear_hold: Duration,
    /// After the PTZ head last moved, how long the picture counts as still steered (auto
    /// exposure and focus catch up with the new view) before the scene and the sharpness
    /// are judged again, against references taken afresh.
    pub move_settle: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            dark_luma: 32,
            dark_raise: 500,
            dark_clear: 300,
            bright_luma: 224,
            bright_raise: 500,
            bright_clear: 300,
            blur_raise: 300,
            blur_clear: 500,
            sharpness_half_life: Duration::from_secs(60),
            scene_zone_delta: 24,
            scene_raise: 500,
            scene_clear: 200,
            scene_drift: Duration::from_secs(60),
            scene_learn: Duration::from_secs(2),
            raise_hold: Duration::from_secs(1),
            clear_hold: Duration::from_secs(1),
            move_settle: Duration::from_secs(1),
        }
    }
}

/// What the detector measured on the last picture, in the units of [`Config`]'s thresholds
/// (for the log and the docs' figures).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Measures {
    /// Per mille of black pixels.
    pub black: u32,
    /// Per mille of white pixels.
    pub white: u32,
    /// Per mille of zones changed against the scene's reference (None: not judged).
    pub changed: Option<u32>,
    /// The focus value in per mille of the sharpness reference (None: not judged).
    pub sharpness: Option<u32>,
}

/// The detector of one video source.
#[derive(Clone, Debug)]
pub struct Detector {
    config: Config,
    dark: Latch,
    bright: Latch,
    blurry: Latch,
    scene: Latch,
    /// The scene's reference, from the first picture on.
    reference: Option<Reference>,
    /// The sharpness reference (a focus value); None until a picture that can be judged.
    sharpness: Option<f64>,
    /// The last picture taken: its sequence number and time.
    last: Option<(u32, Duration)>,
    /// When the PTZ head was last seen moving ([`Detector::head_moved`]).
    moved_at: Option<Duration>,
    measures: Measures,
}

impl Detector {
    pub fn new(config: Config) -> Detector {
        let latch = || Latch::new(config.raise_hold, config.clear_hold);
        Detector {
            dark: latch(),
            bright: latch(),
            blurry: latch(),
            scene: latch(),
            config,
            reference: None,
            sharpness: None,
            last: None,
            moved_at: None,
            measures: Measures::default(),
        }
    }

    /// What was measured on the last picture taken.
    pub fn measures(&self) -> Measures {
        self.measures
    }

    pub fn raised(&self, c: Condition) -> bool {
        match c {
            Condition::TooDark => self.dark.raised(),
            Condition::TooBright => self.bright.raised(),
            Condition::TooBlurry => self.blurry.raised(),
            Condition::SceneChange => self.scene.raised(),
        }
    }

    /// The PTZ head was moving (or had moved) at `at`, on the clock of [`Detector::update`].
    ///
    /// A move someone asked for changes the picture as much as a camera turned by hand, but
    /// it is not tampering: a camera on a preset tour would raise GlobalSceneChange at every
    /// stop, and zoom changes how much detail there is. So until [`Config::move_settle`]
    /// after the last move, the scene and the sharpness are not judged (a change under way
    /// is dropped), and the first picture after it is their new reference: what was raised
    /// against the old view clears once its clear hold has passed on the new one. Dark and
    /// bright are judged throughout: a move does not cover a lens.
    pub fn head_moved(&mut self, at: Duration) {
        self.moved_at = Some(self.moved_at.map_or(at, |m| m.max(at)));
    }

    /// Feeds the statistics of one picture captured at `now` (a monotonic time); returns
    /// the conditions that changed, in [`Condition::ALL`]'s order. The same picture again
    /// (same `seq`) or a time that does not advance changes nothing.
    pub fn update(&mut self, stats: &IspStats, now: Duration) -> Vec<Change> {
        let dt = match self.last {
            Some((seq, _)) if seq == stats.seq => return Vec::new(),
            Some((_, t)) if now <= t => return Vec::new(),
            Some((_, t)) => now - t,
            None => Duration::ZERO,
        };
        self.last = Some((stats.seq, now));
        let c = &self.config;
        let mut out = Vec::new();
        let mut note = |condition, change: Option<bool>| {
            if let Some(raised) = change {
                out.push(Change {
                    condition,
                    raised,
                    at: now,
                })
            }
        };

        // Dark and bright: the share of black and of white pixels.
        let black = stats.per_mille_in(0..usize::from(c.dark_luma / 8));
        let white = stats.per_mille_in(usize::from(c.bright_luma / 8)..stats.hist.len());
        note(
            Condition::TooDark,
            self.dark
                .update(above(black, c.dark_raise, c.dark_clear), now),
        );
        note(
            Condition::TooBright,
            self.bright
                .update(above(white, c.bright_raise, c.bright_clear), now),
        );

        // The head moved: the view is being steered, not tampered with.
        if self.moved_at.is_some_and(|m| now < m + c.move_settle) {
            self.reference = None;
            self.sharpness = None;
            self.scene.interrupt();
            self.blurry.interrupt();
            self.measures = Measures {
                black,
                white,
                ..Measures::default()
            };
            out.sort_by_key(|ch| ch.condition);
            return out;
        }

        // A picture that is mostly black or white has no pattern of light to compare and no
        // detail to be sharp with: TooDark or TooBright says what there is to say, and the
        // scene and blur conditions stay as they were until the picture is back.
        let exposed = black < c.dark_clear && white < c.bright_clear;

        // Scene: the zones against the reference. While a change is under way the reference
        // holds still (so the change is measured against the scene before it); once raised,
        // it learns the new picture quickly, and the change clears when it has.
        let reference = self
            .reference
            .get_or_insert_with(|| Reference::new(&stats.zone_luma));
        let mut scene = None;
        let mut measures = Measures {
            black,
            white,
            ..Measures::default()
        };
        if exposed {
            let changed = reference.changed_per_mille(&stats.zone_luma, c.scene_zone_delta);
            measures.changed = Some(changed);
            scene = self
                .scene
                .update(above(changed, c.scene_raise, c.scene_clear), now);
            if self.scene.raised() {
                reference.adapt(&stats.zone_luma, dt, c.scene_learn);
            } else if !self.scene.pending() {
                reference.adapt(&stats.zone_luma, dt, c.scene_drift);
            }
        } else {
            self.scene.interrupt();
        }
        let settled = scene == Some(false);

        // Blur: the focus value against the sharpness reference, on an exposed picture of a
        // scene that is not changing (another scene has another amount of detail).
        let judged = stats
            .focus
            .filter(|_| exposed && !self.scene.raised() && !self.scene.pending());
        match judged {
            Some(v) if !settled => {
                let v = f64::from(v);
                let fade = if self.blurry.raised() || self.blurry.pending() {
                    1.0
                } else {
                    0.5f64.powf(dt.as_secs_f64() / c.sharpness_half_life.as_secs_f64())
                };
                let reference = self.sharpness.map_or(v, |r| (r * fade).max(v));
                self.sharpness = Some(reference);
                let ratio = if reference > 0.0 {
                    (v / reference * 1000.0) as u32
                } else {
                    1000
                };
                measures.sharpness = Some(ratio);
                note(
                    Condition::TooBlurry,
                    self.blurry
                        .update(below(ratio, c.blur_raise, c.blur_clear), now),
                );
            }
            _ => self.blurry.interrupt(),
        }
        if settled {
            // The new scene is the reference now; its sharpness is learnt from the next
            // picture, and a blur raised against the old scene's sharpness ends.
            self.sharpness = None;
            note(Condition::TooBlurry, self.blurry.reset());
        }
        note(Condition::SceneChange, scene);
        self.measures = measures;
        out.sort_by_key(|ch| ch.condition);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdk::{ZONE_COLS, ZONE_ROWS};

    const PERIOD: Duration = Duration::from_millis(250);

    /// A synthetic picture: zones from a function of (row, col), the histogram from the
    /// zones (each zone's pixels all at its luma), a focus value.
    fn stats(seq: u32, zone: impl Fn(usize, usize) -> u8, focus: Option<u32>) -> IspStats {
        let mut zone_luma = [[0; ZONE_COLS]; ZONE_ROWS];
        let mut hist = [0u16; 32];
        for (r, row) in zone_luma.iter_mut().enumerate() {
            for (c, z) in row.iter_mut().enumerate() {
                *z = zone(r, c);
                hist[usize::from(*z / 8)] += 1;
            }
        }
        let n = (ZONE_COLS * ZONE_ROWS) as u32;
        let hist = hist.map(|h| (u32::from(h) * 1000 / n) as u16);
        IspStats {
            seq,
            pts: Duration::ZERO,
            zone_luma,
            hist,
            focus,
            ae_at_max: false,
            ae_at_min: false,
        }
    }

    /// The default scene: a gradient from 40 (left) to 190 (right) with a bright band on
    /// the top rows.
    fn scene(r: usize, c: usize) -> u8 {
        if r < 2 { 220 } else { 40 + (c * 10) as u8 }
    }

    /// Another view: the gradient the other way and the band at the bottom.
    fn other_scene(r: usize, c: usize) -> u8 {
        if r >= ZONE_ROWS - 2 {
            220
        } else {
            190 - (c * 10) as u8
        }
    }

    /// Drives a detector at 4 Hz; records every change with its sample index.
    struct Run {
        d: Detector,
        i: u32,
        changes: Vec<(u32, Condition, bool)>,
    }

    impl Run {
        fn new() -> Run {
            Run {
                d: Detector::new(Config::default()),
                i: 0,
                changes: Vec::new(),
            }
        }

        fn feed(&mut self, n: u32, zone: impl Fn(usize, usize) -> u8, focus: Option<u32>) {
            for _ in 0..n {
                self.i += 1;
                let s = stats(self.i, &zone, focus);
                for ch in self.d.update(&s, PERIOD * self.i) {
                    self.changes.push((self.i, ch.condition, ch.raised));
                }
            }
        }

        /// Like `feed`, with the PTZ head moving at every picture.
        fn feed_moving(&mut self, n: u32, zone: impl Fn(usize, usize) -> u8, focus: Option<u32>) {
            for _ in 0..n {
                self.d.head_moved(PERIOD * (self.i + 1));
                self.feed(1, &zone, focus);
            }
        }

        fn take(&mut self) -> Vec<(Condition, bool)> {
            self.changes.drain(..).map(|(_, c, r)| (c, r)).collect()
        }
    }

    #[test]
    fn a_steady_picture_raises_nothing() {
        let mut run = Run::new();
        // Ten minutes of the scene, with sensor noise of +-3 on every zone and a focus
        // value wobbling by 10 %.
        for k in 0..2400u32 {
            let noise = move |r: usize, c: usize| {
                let n = ((r * 7 + c * 13 + k as usize * 5) % 7) as i32 - 3;
                (i32::from(scene(r, c)) + n) as u8
            };
            run.feed(1, noise, Some(1000 + (k % 10) * 10));
        }
        assert_eq!(run.take(), vec![]);
    }

    #[test]
    fn a_lens_covered_black_is_too_dark_only() {
        let mut run = Run::new();
        run.feed(8, scene, Some(1000));
        // Covered: everything at 8, no detail.
        run.feed(3, |_, _| 8, Some(20));
        assert_eq!(run.take(), vec![], "not before the hold (1 s)");
        run.feed(2, |_, _| 8, Some(20));
        assert_eq!(
            run.take(),
            vec![(Condition::TooDark, true)],
            "a black picture has no pattern to compare and no detail to judge"
        );
        run.feed(40, |_, _| 8, Some(20));
        assert_eq!(run.take(), vec![]);
        // Uncovered: the scene as it was; the reference held still meanwhile.
        run.feed(5, scene, Some(1000));
        assert_eq!(run.take(), vec![(Condition::TooDark, false)]);
    }

    #[test]
    fn a_lens_covered_grey_is_a_scene_change_then_learnt() {
        let mut run = Run::new();
        run.feed(8, scene, Some(1000));
        // A grey cloth: the picture's pattern is gone (raised after 1 s), detail too (no
        // blur judged while the scene is changing).
        run.feed(5, |_, _| 100, Some(20));
        assert_eq!(run.take(), vec![(Condition::SceneChange, true)]);
        // The cloth stays: it becomes the scene.
        run.feed(40, |_, _| 100, Some(20));
        assert_eq!(run.take(), vec![(Condition::SceneChange, false)]);
    }

    #[test]
    fn dark_is_raised_after_a_second_and_cleared_after_a_second_of_light() {
        let mut run = Run::new();
        run.feed(4, scene, Some(1000));
        // The brightness turned right down: the scene's pattern kept, every zone under 32
        // except the band at the top (2 rows of 12: 167 per mille).
        let dim = |r, c| {
            scene(r, c)
                .saturating_sub(150)
                .max(if r < 2 { 70 } else { 0 })
        };
        run.feed(4, dim, Some(600));
        assert_eq!(run.take(), vec![]);
        run.feed(1, dim, Some(600));
        assert_eq!(run.take(), vec![(Condition::TooDark, true)]);
        run.feed(20, dim, Some(600));
        assert_eq!(
            run.take(),
            vec![],
            "no scene change: the same pattern, less light"
        );
        run.feed(4, scene, Some(1000));
        assert_eq!(run.take(), vec![]);
        run.feed(1, scene, Some(1000));
        assert_eq!(run.take(), vec![(Condition::TooDark, false)]);
    }

    #[test]
    fn bright_raised_and_cleared() {
        let mut run = Run::new();
        run.feed(4, scene, Some(1000));
        run.feed(5, |_, _| 240, Some(30));
        let changes = run.take();
        assert!(
            changes.contains(&(Condition::TooBright, true)),
            "{changes:?}"
        );
        assert!(!changes.iter().any(|c| c.0 == Condition::TooDark));
        run.feed(40, scene, Some(1000));
        let changes = run.take();
        assert!(
            changes.contains(&(Condition::TooBright, false)),
            "{changes:?}"
        );
    }

    #[test]
    fn a_picture_on_the_dark_edge_does_not_flap() {
        let mut run = Run::new();
        run.feed(4, scene, Some(1000));
        // Black share alternating around the raise threshold (500): 6 of 12 rows black is
        // exactly 500, 5 rows is 417 (between the thresholds).
        for k in 0..400u32 {
            let rows = if k.is_multiple_of(3) { 5 } else { 6 };
            run.feed(
                1,
                move |r, c| if r < rows { 8 } else { scene(r, c) },
                Some(1000),
            );
        }
        assert!(
            !run.take().iter().any(|c| c.0 == Condition::TooDark),
            "never a full second at 500"
        );
        // Dark for good, then wobbling around the clear threshold (300: 3 rows are 250, 4
        // rows 333).
        run.feed(8, |r, c| if r < 10 { 8 } else { scene(r, c) }, Some(1000));
        assert!(run.take().contains(&(Condition::TooDark, true)));
        for k in 0..400u32 {
            let rows = if k.is_multiple_of(3) { 3 } else { 4 };
            run.feed(
                1,
                move |r, c| if r < rows { 8 } else { scene(r, c) },
                Some(1000),
            );
        }
        assert!(!run.take().iter().any(|c| c.0 == Condition::TooDark));
        assert!(run.d.raised(Condition::TooDark));
    }

    #[test]
    fn focus_far_off_is_blurry_and_back_in_focus_clears_it() {
        let mut run = Run::new();
        run.feed(8, scene, Some(1100));
        // The lens run to an end stop: 4 % of the sharpness.
        run.feed(4, scene, Some(42));
        assert_eq!(run.take(), vec![]);
        run.feed(1, scene, Some(42));
        assert_eq!(run.take(), vec![(Condition::TooBlurry, true)]);
        // It stays blurry while the lens stays there (the reference does not fade while
        // raised), a good while later.
        run.feed(2400, scene, Some(42));
        assert_eq!(run.take(), vec![]);
        // Half way back (40 %): between the thresholds, still blurry.
        run.feed(20, scene, Some(440));
        assert_eq!(run.take(), vec![]);
        run.feed(5, scene, Some(1050));
        assert_eq!(run.take(), vec![(Condition::TooBlurry, false)]);
    }

    #[test]
    fn slowly_fewer_details_is_not_blur() {
        // The scene's sharpness halves over ten minutes (dusk): the reference fades with it.
        let mut run = Run::new();
        for k in 0..2400u32 {
            run.feed(1, scene, Some(1000 - k * 500 / 2400));
        }
        assert_eq!(run.take(), vec![]);
    }

    #[test]
    fn no_focus_statistic_no_blur() {
        let mut run = Run::new();
        run.feed(100, scene, None);
        assert_eq!(run.take(), vec![]);
    }

    #[test]
    fn a_pan_to_another_view_is_a_scene_change_until_the_view_is_learnt() {
        let mut run = Run::new();
        run.feed(40, scene, Some(1000));
        // The new view has half the detail: that must not read as blur.
        run.feed(5, other_scene, Some(400));
        let first = run.changes.clone();
        assert_eq!(run.take(), vec![(Condition::SceneChange, true)]);
        assert_eq!(
            first[0].0, 45,
            "raised one second after the pan (sample 41)"
        );
        run.feed(40, other_scene, Some(400));
        let cleared = run.changes.clone();
        assert_eq!(run.take(), vec![(Condition::SceneChange, false)]);
        // Learnt with a 2 s time constant from a 150-level difference down to 24 (3.7 s),
        // then a second's hold.
        let after = f64::from(cleared[0].0 - 45) * PERIOD.as_secs_f64();
        assert!(
            (3.5..=6.0).contains(&after),
            "cleared {after} s after raised"
        );
        // The new view's own sharpness is the reference now: a defocus is seen against it.
        run.feed(8, other_scene, Some(400));
        run.feed(5, other_scene, Some(60));
        assert_eq!(run.take(), vec![(Condition::TooBlurry, true)]);
    }

    #[test]
    fn a_ptz_move_to_another_view_is_no_scene_change_and_its_view_the_new_reference() {
        let mut run = Run::new();
        run.feed(40, scene, Some(1000));
        // The head pans for 2 s (half-way pictures, then the other view), then stops.
        run.feed_moving(4, |r, c| scene(r, c) / 2 + other_scene(r, c) / 2, Some(200));
        run.feed_moving(4, other_scene, Some(400));
        // Settling (a second after the last move) and long after: nothing, and the new
        // view's half detail is no blur.
        run.feed(60, other_scene, Some(400));
        assert_eq!(run.take(), vec![]);
        // The new view is the reference: a defocus and a turn are seen against it.
        run.feed(5, other_scene, Some(60));
        assert_eq!(run.take(), vec![(Condition::TooBlurry, true)]);
        run.feed(8, other_scene, Some(400));
        assert_eq!(run.take(), vec![(Condition::TooBlurry, false)]);
        run.feed(5, scene, Some(1000));
        assert_eq!(run.take(), vec![(Condition::SceneChange, true)]);
    }

    #[test]
    fn a_lens_covered_during_a_move_is_still_too_dark() {
        let mut run = Run::new();
        run.feed(8, scene, Some(1000));
        run.feed_moving(6, |_, _| 8, Some(20));
        assert_eq!(run.take(), vec![(Condition::TooDark, true)]);
    }

    #[test]
    fn a_scene_change_under_way_when_the_head_moves_is_dropped() {
        let mut run = Run::new();
        run.feed(40, scene, Some(1000));
        // Turned by hand for half a second, then the head moves: the move explains what
        // follows, and the run toward SceneChange restarts on the new reference.
        run.feed(2, other_scene, Some(1000));
        run.feed_moving(1, other_scene, Some(1000));
        run.feed(40, other_scene, Some(1000));
        assert_eq!(run.take(), vec![]);
    }

    #[test]
    fn a_passing_object_is_no_scene_change() {
        let mut run = Run::new();
        run.feed(40, scene, Some(1000));
        // A lorry fills the view for 3/4 s, then is gone.
        run.feed(3, |_, _| 90, Some(1000));
        run.feed(40, scene, Some(1000));
        assert_eq!(run.take(), vec![]);
    }

    #[test]
    fn the_same_picture_or_time_going_backwards_changes_nothing() {
        let mut d = Detector::new(Config {
            raise_hold: Duration::ZERO,
            ..Config::default()
        });
        let s = stats(1, scene, Some(1000));
        assert_eq!(d.update(&s, PERIOD), vec![]);
        let dark = stats(1, |_, _| 0, Some(0));
        assert_eq!(d.update(&dark, PERIOD * 2), vec![], "same seq");
        let dark = stats(2, |_, _| 0, Some(0));
        assert_eq!(d.update(&dark, PERIOD), vec![], "no time passed");
        let changes = d.update(&dark, PERIOD * 2);
        assert_eq!(changes[0].condition, Condition::TooDark);
        assert_eq!(changes[0].at, PERIOD * 2);
    }
}
