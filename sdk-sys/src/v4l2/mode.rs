//! Choosing the capture mode (pixel format, size, rate) from what a device enumerates: pure,
//! so every rule is tested without a device.
//!
//! Without board options nvt takes the largest size up to 1920x1080 (a camera's main
//! stream; larger sizes cost a software encoder more than a small board has) at the highest
//! rate up to 30 fps, in the format cheapest to convert. `v4l2_size` / `v4l2_fps` ask for
//! exact values, and a device that does not offer them is an error naming what it offers,
//! never a silent fallback.

use super::device::{FourCc, Rates};

/// Planar 4:2:0, the encoder's own layout: a copy.
pub const YU12: FourCc = FourCc::new(b"YU12");
/// Y plane and interleaved CbCr: one de-interleave.
pub const NV12: FourCc = FourCc::new(b"NV12");
/// Packed 4:2:2 (Y0 Cb Y1 Cr), what most USB webcams send uncompressed.
pub const YUYV: FourCc = FourCc::new(b"YUYV");
/// Motion JPEG: a JPEG per frame, what most USB webcams send at their larger sizes and
/// rates (USB 2 bandwidth); decoding costs far more than the rest.
pub const MJPG: FourCc = FourCc::new(b"MJPG");

/// The formats nvt converts, cheapest first.
pub const CONVERTIBLE: [FourCc; 4] = [YU12, NV12, YUYV, MJPG];

/// Largest size taken when none is asked for.
const DEFAULT_MAX: (u32, u32) = (1920, 1080);
/// Highest rate taken when none is asked for.
const DEFAULT_FPS: u32 = 30;

/// One size of one format, with its rates (empty: the driver does not enumerate them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    pub fourcc: FourCc,
    pub width: u32,
    pub height: u32,
    pub rates: Vec<Rates>,
}

/// What the board options ask for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Want {
    pub size: Option<(u32, u32)>,
    pub fps: Option<u32>,
}

/// The chosen capture mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mode {
    pub fourcc: FourCc,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

/// Sizes tried inside a stepwise or continuous range (common sensor and webcam modes).
pub const RANGE_CANDIDATES: [(u32, u32); 8] = [
    (3840, 2160),
    (2592, 1944),
    (1920, 1080),
    (1280, 960),
    (1280, 720),
    (800, 600),
    (640, 480),
    (320, 240),
];

/// The rate picked from `rates` for `want`: exactly `want` if offered, else (no wish) the
/// highest up to DEFAULT_FPS, or the lowest if all are higher.
fn rate(rates: &[Rates], want: Option<u32>) -> Option<u32> {
    let offers = |fps: u32| {
        rates.iter().any(|r| match *r {
            Rates::Discrete(f) => f == fps,
            Rates::Range { min, max } => (min..=max).contains(&fps),
        })
    };
    if rates.is_empty() {
        // Nothing enumerated: ask S_PARM for it and take what the driver gives.
        return Some(want.unwrap_or(DEFAULT_FPS));
    }
    if let Some(fps) = want {
        return offers(fps).then_some(fps);
    }
    let mut all: Vec<u32> = rates
        .iter()
        .flat_map(|r| match *r {
            Rates::Discrete(f) => vec![f],
            Rates::Range { min, max } => vec![min, max.min(DEFAULT_FPS).max(min)],
        })
        .filter(|&f| f > 0)
        .collect();
    all.sort_unstable();
    all.iter()
        .rev()
        .find(|&&f| f <= DEFAULT_FPS)
        .or(all.first())
        .copied()
}

fn list<T: std::fmt::Display>(items: impl Iterator<Item = T>) -> String {
    items.map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

/// Chooses the mode, or says why none fits.
pub fn choose(offers: &[Offer], want: Want) -> Result<Mode, String> {
    let usable: Vec<&Offer> = offers
        .iter()
        .filter(|o| CONVERTIBLE.contains(&o.fourcc))
        // The I420 buffers nvt encodes from need even sizes.
        .filter(|o| o.width >= 16 && o.height >= 16 && o.width % 2 == 0 && o.height % 2 == 0)
        .collect();
    if usable.is_empty() {
        let mut formats: Vec<FourCc> = offers.iter().map(|o| o.fourcc).collect();
        formats.dedup();
        return Err(format!(
            "the device offers no format nvt converts (it has {}; nvt takes {})",
            if formats.is_empty() {
                "none".into()
            } else {
                list(formats.iter())
            },
            list(CONVERTIBLE.iter())
        ));
    }
    let sized: Vec<&Offer> = match want.size {
        Some((w, h)) => {
            let v: Vec<&Offer> = usable
                .iter()
                .copied()
                .filter(|o| (o.width, o.height) == (w, h))
                .collect();
            if v.is_empty() {
                let mut sizes: Vec<(u32, u32)> =
                    usable.iter().map(|o| (o.width, o.height)).collect();
                sizes.sort_unstable_by(|a, b| b.cmp(a));
                sizes.dedup();
                return Err(format!(
                    "v4l2_size={w}x{h} is not offered (sizes: {})",
                    list(sizes.iter().map(|(w, h)| format!("{w}x{h}")))
                ));
            }
            v
        }
        None => {
            let area = |o: &Offer| o.width as u64 * o.height as u64;
            let fits = |o: &Offer| o.width <= DEFAULT_MAX.0 && o.height <= DEFAULT_MAX.1;
            let best = match usable.iter().filter(|o| fits(o)).max_by_key(|o| area(o)) {
                Some(o) => (o.width, o.height),
                None => {
                    let o = usable.iter().min_by_key(|o| area(o)).expect("non-empty");
                    (o.width, o.height)
                }
            };
            usable
                .iter()
                .copied()
                .filter(|o| (o.width, o.height) == best)
                .collect()
        }
    };
    // Highest rate first, then the cheapest conversion.
    let mut best: Option<(u32, usize, Mode)> = None;
    for o in &sized {
        let Some(fps) = rate(&o.rates, want.fps) else {
            continue;
        };
        let cost = CONVERTIBLE.iter().position(|&f| f == o.fourcc).unwrap_or(9);
        let better = match &best {
            None => true,
            Some((bf, bc, _)) => fps > *bf || (fps == *bf && cost < *bc),
        };
        if better {
            best = Some((
                fps,
                cost,
                Mode {
                    fourcc: o.fourcc,
                    width: o.width,
                    height: o.height,
                    fps,
                },
            ));
        }
    }
    best.map(|(_, _, m)| m).ok_or_else(|| {
        let (w, h) = (sized[0].width, sized[0].height);
        format!(
            "v4l2_fps={} is not offered at {w}x{h} (rates: {})",
            want.fps.unwrap_or(0),
            list(sized.iter().flat_map(|o| o.rates.iter()).map(|r| match r {
                Rates::Discrete(f) => f.to_string(),
                Rates::Range { min, max } => format!("{min}-{max}"),
            }))
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(fourcc: FourCc, w: u32, h: u32, rates: &[u32]) -> Offer {
        Offer {
            fourcc,
            width: w,
            height: h,
            rates: rates.iter().map(|&f| Rates::Discrete(f)).collect(),
        }
    }

    /// What vivid's webcam input offers (a subset).
    fn webcam() -> Vec<Offer> {
        let mut v = Vec::new();
        for f in [YUYV, NV12, MJPG] {
            v.push(offer(f, 320, 180, &[60, 30, 25, 15]));
            v.push(offer(f, 640, 480, &[60, 30, 25, 15]));
            v.push(offer(f, 1280, 720, &[30, 25, 15]));
            v.push(offer(f, 1920, 1080, &[25, 15]));
            v.push(offer(f, 3840, 2160, &[15]));
        }
        v
    }

    #[test]
    fn no_wish_takes_the_largest_size_up_to_1080p_at_the_highest_rate_up_to_30() {
        let m = choose(&webcam(), Want::default()).unwrap();
        assert_eq!((m.width, m.height, m.fps), (1920, 1080, 25));
        // NV12 is cheaper to convert than YUYV.
        assert_eq!(m.fourcc, NV12);
    }

    #[test]
    fn an_exact_wish_is_met_or_refused_with_what_is_offered() {
        let m = choose(
            &webcam(),
            Want {
                size: Some((640, 480)),
                fps: Some(25),
            },
        )
        .unwrap();
        assert_eq!((m.width, m.height, m.fps), (640, 480, 25));
        let e = choose(
            &webcam(),
            Want {
                size: Some((800, 600)),
                fps: None,
            },
        )
        .unwrap_err();
        assert!(e.contains("800x600") && e.contains("1280x720"), "{e}");
        let e = choose(
            &webcam(),
            Want {
                size: Some((1280, 720)),
                fps: Some(60),
            },
        )
        .unwrap_err();
        assert!(e.contains("v4l2_fps=60") && e.contains("30"), "{e}");
    }

    #[test]
    fn a_device_with_only_unknown_formats_is_refused_by_name() {
        let v = vec![offer(FourCc::new(b"H264"), 640, 480, &[30])];
        let e = choose(&v, Want::default()).unwrap_err();
        assert!(e.contains("H264") && e.contains("YUYV"), "{e}");
        assert!(choose(&[], Want::default()).is_err());
    }

    #[test]
    fn mjpeg_is_taken_when_it_alone_has_the_size_or_the_rate() {
        // A typical USB 2 webcam: YUYV only up to 640x480 at 30, 1280x720 at 10;
        // MJPEG at 30 everywhere.
        let v = vec![
            offer(YUYV, 640, 480, &[30]),
            offer(YUYV, 1280, 720, &[10]),
            offer(MJPG, 640, 480, &[30]),
            offer(MJPG, 1280, 720, &[30]),
        ];
        let m = choose(&v, Want::default()).unwrap();
        assert_eq!((m.fourcc, m.width, m.fps), (MJPG, 1280, 30));
        let m = choose(
            &v,
            Want {
                size: Some((640, 480)),
                fps: None,
            },
        )
        .unwrap();
        assert_eq!(m.fourcc, YUYV, "same rate: the cheaper conversion");
    }

    #[test]
    fn ranges_and_unenumerated_rates() {
        let v = vec![Offer {
            fourcc: YUYV,
            width: 640,
            height: 480,
            rates: vec![Rates::Range { min: 1, max: 90 }],
        }];
        assert_eq!(choose(&v, Want::default()).unwrap().fps, 30);
        let v = vec![offer(YUYV, 640, 480, &[])];
        assert_eq!(choose(&v, Want::default()).unwrap().fps, 30);
        // Only sizes larger than 1080p: the smallest of them.
        let v = vec![
            offer(YUYV, 3840, 2160, &[15]),
            offer(YUYV, 2592, 1944, &[15]),
        ];
        assert_eq!(choose(&v, Want::default()).unwrap().width, 2592);
        // Odd sizes cannot be encoded from I420.
        let v = vec![offer(YUYV, 641, 480, &[30])];
        assert!(choose(&v, Want::default()).is_err());
    }
}
