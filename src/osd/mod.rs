//! On-screen text: what an OSD shows (`tt:OSDConfiguration` in the model's terms), its
//! layout in a video source's pixels and its rendering into the ARGB8888 bitmap the SDK
//! blends (`sdk::OsdBitmap`: the SDK takes bitmaps, nvt renders the text, as HiSilicon RGN,
//! Ingenic IMP and Rockchip RGA do). Sans-IO: the time shown is passed in, nothing here reads
//! a clock or calls the SDK.
//!
//! - `font`: the glyphs (the 8x8 public-domain bitmap font of the `font8x8` crate, scaled by
//!   whole factors), and the placeholder for a character it lacks;
//! - `clock`: local calendar time and the date and time formats offered
//!   ([`DATE_FORMATS`], [`TIME_FORMATS`], the ones the schema lists for
//!   `tt:OSDTextConfiguration`);
//! - `colour`: `tt:OSDColor` (YCbCr or RGB, Transparent) to ARGB;
//! - `style`: what an OSD shows and how (text, formats, colours, position) and the checks
//!   against what GetOSDOptions offers;
//! - `render`: layout (font size, position, clipping to the frame) and pixels;
//! - `fuzz`: the fuzz entry.
//!
//! Media2 s."OSD" and Media s."OSD": an OSD belongs to a video source configuration and is
//! positioned in its window (the configuration's bounds), with normalized coordinates -1..1
//! (x right, y up, as every ONVIF normalized coordinate system). A Custom position is the
//! text's upper-left corner.

mod clock;
mod colour;
mod font;
mod fuzz;
mod render;
mod style;

pub use clock::{DATE_FORMATS, LocalTime, TIME_FORMATS};
pub use colour::{argb, quantise_alpha};
pub use font::{GLYPH, glyph};
pub use fuzz::fuzz_input;
pub use render::{Placed, RenderError, Window, render, scale_of};
pub use style::{
    Colour, ColourSpace, Content, DEFAULT_FONT_SIZE, FONT_SIZE_RANGE, MAX_TEXT_CHARS,
    MAX_TRANSPARENT, Position, TextStyle,
};
