//! A video source configuration: SetVideoSourceConfiguration's values, and the name and
//! sensor they give the configuration.

use crate::camera::caps::Facts;
use crate::camera::tokens::source_index;
use crate::settings::Settings;

use super::error::{ChangeError, check_name};

/// SetVideoSourceConfiguration's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRequest {
    pub(crate) token: String,
    pub(crate) name: String,
    pub(crate) source_token: String,
    /// x, y, width, height.
    pub(crate) bounds: (i32, i32, i32, i32),
}

/// Name and sensor of a video source configuration. The encoder cannot crop: the bounds
/// are the whole sensor.
pub(crate) fn video_source(
    facts: Facts<'_>,
    next: &mut Settings,
    c: &SourceRequest,
) -> Result<(), ChangeError> {
    if !next.media.video_sources.iter().any(|v| v.token == c.token) {
        return Err(ChangeError::NoConfig(c.token.clone()));
    }
    check_name(&c.name)?;
    let vi = source_index(&c.source_token)
        .ok()
        .filter(|vi| (*vi as usize) < facts.sources.len())
        .ok_or_else(|| ChangeError::Invalid(format!("no video source {:?}", c.source_token)))?;
    let sensor = &facts.sources[vi as usize];
    if c.bounds != (0, 0, sensor.width as i32, sensor.height as i32) {
        return Err(ChangeError::Invalid(format!(
            "bounds must be the whole sensor (0,0 {}x{}): the encoder cannot crop",
            sensor.width, sensor.height
        )));
    }
    let v = next
        .media
        .video_sources
        .iter_mut()
        .find(|v| v.token == c.token)
        .expect("found above");
    v.name = c.name.clone();
    v.source = vi;
    Ok(())
}
