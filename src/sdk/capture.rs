//! The capture thread of an encoder channel: SDK stream packets in, [`Frame`]s out.
//!
//! `NVT_VENC_GetStream` blocks, so each started channel gets its own OS thread (never a tokio
//! worker). The thread copies each packet out into one `Bytes` and releases it at once: SoC
//! stream buffers are a small fixed pool, and holding them while viewers lag would stall the
//! encoder. That one copy is the only one on the video path; viewers share the `Bytes`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::BytesMut;
use sdk_sys as ffi;

use super::{EncoderChannel, ErrorCode, SdkError, check, pts_from_us, wallclock_from_us};
use crate::frame::Frame;

/// Where a capture thread delivers frames. Called on the capture thread; must not block
/// (the stream hub's `publish` never waits for a viewer).
pub(crate) type FrameSink = Box<dyn FnMut(Frame) + Send + 'static>;

/// How long one `GetStream` call waits, which bounds how long `stop` takes.
const GET_STREAM_TIMEOUT_MS: i32 = 100;
/// Pause after an SDK error before asking again, so a failing port is not spun on.
const ERROR_BACKOFF: Duration = Duration::from_millis(100);

/// The nice value a capture thread asks for. A loaded camera must delay its viewers, whose
/// queues absorb it, before it misses the encoder's small queue of stream buffers: a frame
/// lost there is a frozen picture for every viewer until the next IDR (issue 20: at load
/// average 10 a replay-fed nvt lost a quarter of its frames so). Draining is a copy per frame,
/// so the priority costs the rest nothing. -10, not -20: the kernel's threads and a watchdog
/// stay above it.
pub(crate) const CAPTURE_NICE: i32 = -10;

/// Asks for [`CAPTURE_NICE`] for the calling thread. Needs CAP_SYS_NICE (root on a camera);
/// without it the thread keeps the default and the first refusal is logged once.
fn raise_priority(name: &str) {
    static REFUSED: AtomicBool = AtomicBool::new(false);
    // SAFETY: setpriority takes plain integers and touches no memory of ours. `who` 0 with
    // PRIO_PROCESS is the calling thread on Linux, where the nice value is per thread
    // (setpriority(2), "BUGS"); elsewhere it is the process, which is no worse.
    let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, CAPTURE_NICE) };
    if rc == 0 {
        tracing::debug!(
            thread = name,
            nice = CAPTURE_NICE,
            "capture thread priority raised"
        );
    } else if !REFUSED.swap(true, Ordering::Relaxed) {
        let e = std::io::Error::last_os_error();
        tracing::info!(
            error = %e,
            "capture threads keep the default priority (raising it needs CAP_SYS_NICE)"
        );
    }
}

/// A started encoder channel and the thread draining it. Dropping it stops both.
pub struct Capture {
    channel: Arc<EncoderChannel>,
    drain: Drain,
}

/// The thread that drains a blocking SDK call (`GetStream`, `GetFrame`) until it is told to
/// stop: what video and audio capture share.
pub(super) struct Drain {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drain {
    /// Runs `body` on a new thread named `name`; `body` returns once its flag is set.
    pub(super) fn spawn(
        name: String,
        body: impl FnOnce(&AtomicBool) + Send + 'static,
    ) -> Result<Drain, SdkError> {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name(name.clone())
            .spawn({
                let stop = stop.clone();
                move || {
                    raise_priority(&name);
                    body(&stop)
                }
            })
            .map_err(|_| SdkError::with_code("spawn capture thread", ErrorCode::NoMem))?;
        Ok(Drain {
            stop,
            thread: Some(thread),
        })
    }

    /// Sets the flag, `wake`s a blocked SDK call (the channel's Stop) and joins the thread.
    pub(super) fn stop(&mut self, chn: u32, wake: impl FnOnce()) {
        self.stop.store(true, Ordering::Release);
        wake();
        if let Some(t) = self.thread.take() {
            // The thread never panics by design; if a sink did, the panic stays contained
            // in that thread and is reported here rather than tearing down the daemon.
            if t.join().is_err() {
                tracing::error!(chn, "capture thread panicked");
            }
        }
    }
}

impl Capture {
    /// Starts the channel and a thread that hands every frame to `sink`.
    pub fn start(channel: Arc<EncoderChannel>, sink: FrameSink) -> Result<Capture, SdkError> {
        // SAFETY: plain value argument on a channel this handle owns.
        check("NVT_VENC_StartChn", unsafe {
            ffi::NVT_VENC_StartChn(channel.chn)
        })?;
        let drain = Drain::spawn(format!("venc{}", channel.chn), {
            let channel = channel.clone();
            move |stop| run(&channel, stop, sink)
        })?;
        Ok(Capture { channel, drain })
    }

    pub fn channel(&self) -> &Arc<EncoderChannel> {
        &self.channel
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let chn = self.channel.chn;
        self.drain.stop(chn, || {
            // SAFETY: plain value argument; wakes a GetStream blocked on this channel.
            let rc = unsafe { ffi::NVT_VENC_StopChn(chn) };
            if rc != 0 {
                tracing::warn!(chn, error = %SdkError::new("NVT_VENC_StopChn", rc), "stop failed");
            }
        });
    }
}

fn run(channel: &EncoderChannel, stop: &AtomicBool, mut sink: FrameSink) {
    let chn = channel.chn;
    // SDK errors so far, for the log's rate limit below.
    let mut errors: u64 = 0;
    let mut last_seq: Option<u32> = None;
    // After lost frames (an SDK error, or a gap in its sequence numbers) the P-frames that
    // follow reference pictures no viewer has: delivering them would smear the picture until
    // the next regular IDR. Instead ask the encoder for an IDR at once and hold every frame
    // back until it comes (DESIGN.md: never a half frame).
    let mut broken = false;
    let mut asked_since_resume = false;
    let recover = |broken: &mut bool, asked_since_resume: &mut bool| {
        *asked_since_resume = false;
        if !*broken {
            *broken = true;
            if let Err(e) = channel.request_idr() {
                tracing::warn!(chn, error = %e, "IDR request after lost frames failed");
            }
        }
    };
    while !stop.load(Ordering::Acquire) {
        match next_frame(chn) {
            Ok(frame) => {
                if let Some(prev) = last_seq {
                    let gap = frame.seq.wrapping_sub(prev).wrapping_sub(1);
                    // A gap that ends at an IDR lost nothing a viewer needs (the frames
                    // dropped when an encoder change restarts the stream are such a gap):
                    // asking for another IDR would only cost a second keyframe.
                    if gap != 0 && gap < u32::MAX / 2 && !frame.keyframe {
                        tracing::debug!(chn, gap, "the SDK dropped frames");
                        recover(&mut broken, &mut asked_since_resume);
                    }
                }
                last_seq = Some(frame.seq);
                if broken && !frame.keyframe {
                    // The IDR asked for while frames were still being lost may itself have
                    // been lost: ask again at the first good frame.
                    if !asked_since_resume {
                        asked_since_resume = true;
                        if let Err(e) = channel.request_idr() {
                            tracing::warn!(chn, error = %e, "IDR request after lost frames failed");
                        }
                    }
                    continue;
                }
                if broken {
                    broken = false;
                    tracing::info!(chn, "encoder stream recovered at an IDR");
                }
                sink(frame);
            }
            Err(e) if e.code == ErrorCode::Timeout => {}
            Err(e) if e.code == ErrorCode::Stopped && stop.load(Ordering::Acquire) => break,
            Err(e) => {
                // One line per error burst start, then every 100th: a broken port must not
                // flood the log at 25 lines a second.
                if errors.is_multiple_of(100) {
                    tracing::warn!(chn, error = %e, "encoder stream error; retrying");
                }
                errors += 1;
                recover(&mut broken, &mut asked_since_resume);
                std::thread::sleep(ERROR_BACKOFF);
            }
        }
    }
}

/// Fetches one frame from the SDK, copies it out and releases the SDK's buffer.
fn next_frame(chn: u32) -> Result<Frame, SdkError> {
    let mut s = ffi::NVT_VENC_STREAM_S::default();
    // SAFETY: `s` is a valid, writable struct; on success the SDK fills it with pointers that
    // stay valid until NVT_VENC_ReleaseStream, which we call below before returning.
    check("NVT_VENC_GetStream", unsafe {
        ffi::NVT_VENC_GetStream(chn, &mut s, GET_STREAM_TIMEOUT_MS)
    })?;
    let frame = copy_out(chn, &s);
    // SAFETY: `s` is the struct GetStream filled and has not been released yet.
    let rc = unsafe { ffi::NVT_VENC_ReleaseStream(chn, &mut s) };
    if rc != 0 {
        tracing::warn!(chn, error = %SdkError::new("NVT_VENC_ReleaseStream", rc), "release failed");
    }
    frame
}

fn copy_out(chn: u32, s: &ffi::NVT_VENC_STREAM_S) -> Result<Frame, SdkError> {
    if s.nalus.is_null() || s.nalu_count == 0 {
        return Err(SdkError::with_code(
            "NVT_VENC_GetStream (empty packet)",
            ErrorCode::Hardware,
        ));
    }
    // SAFETY: the contract says `nalus` points to `nalu_count` descriptors, valid until
    // release; we checked for NULL above.
    let nalus = unsafe { std::slice::from_raw_parts(s.nalus, s.nalu_count as usize) };
    let total: usize = nalus.iter().map(|n| n.len as usize).sum();
    let mut buf = BytesMut::with_capacity(total);
    let mut ends = Vec::with_capacity(nalus.len());
    for n in nalus {
        if n.data.is_null() || n.len == 0 {
            continue;
        }
        // SAFETY: each descriptor's `data` points to `len` readable bytes until release.
        buf.extend_from_slice(unsafe { std::slice::from_raw_parts(n.data, n.len as usize) });
        ends.push(buf.len());
    }
    let buf = buf.freeze();
    let mut start = 0;
    let nals = ends
        .into_iter()
        .map(|end| {
            let nal = buf.slice(start..end);
            start = end;
            nal
        })
        .collect::<Vec<_>>();
    if nals.is_empty() {
        return Err(SdkError::with_code(
            "NVT_VENC_GetStream (empty NAL units)",
            ErrorCode::Hardware,
        ));
    }
    Ok(Frame {
        channel: chn,
        seq: s.seq,
        pts: pts_from_us(s.pts_us),
        wallclock: wallclock_from_us(s.utc_us),
        keyframe: s.keyframe != 0,
        nals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nice value of the calling thread (/proc/thread-self/stat, field 19).
    fn own_nice() -> i32 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        let after_name = &stat[stat.rfind(')').unwrap() + 2..];
        after_name.split(' ').nth(16).unwrap().parse().unwrap()
    }

    /// Whether this process may raise priorities (CAP_SYS_NICE, bit 23 of CapEff).
    fn may_raise() -> bool {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let eff = status
            .lines()
            .find_map(|l| l.strip_prefix("CapEff:"))
            .unwrap()
            .trim();
        u64::from_str_radix(eff, 16).unwrap() & (1 << 23) != 0
    }

    #[test]
    fn a_capture_thread_runs_above_the_rest_where_the_process_may_say_so() {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut drain = Drain::spawn("nice-test".into(), move |_| {
            tx.send(own_nice()).unwrap();
        })
        .unwrap();
        let nice = rx.recv().unwrap();
        drain.stop(0, || {});
        if may_raise() {
            assert_eq!(nice, CAPTURE_NICE);
        } else {
            assert_eq!(nice, own_nice(), "refused: the default, as the spawner's");
        }
        // The spawner's own priority is untouched (the nice value is per thread).
        assert_ne!(own_nice(), CAPTURE_NICE);
    }
}
