//! The ISO base media file format boxes (ISO/IEC 14496-12) the fMP4 muxer writes, written
//! straight into a byte buffer.
//!
//! Written here rather than with a box library: the muxer needs 33 box types, each written
//! the same way every time, and the `mp4-atom` crate that did it brought 47 KB of code (its
//! decoders, every other box type, generic encoders) to a camera's binary, whose budget is
//! 3.5 MB (docs/PERFORMANCE.md, "Binary size for a camera"). The unit tests in
//! `super::fmp4` compare what this writes with `mp4-atom`'s own encoding of the same boxes:
//! fragments byte for byte, initialization segments decoded field by field (`minf`'s media
//! header comes first here, as s8.4.4 lists it; `mp4-atom` puts it last).
//!
//! A box is its 32-bit size, its type and its body (s4.2); a full box adds a version byte and
//! 24 bits of flags. [`Boxes::open`] reserves the size and [`Boxes::close`] fills it in,
//! so nested boxes are written in order without computing sizes first.

/// The unity transformation matrix of `mvhd` and `tkhd` (s8.2.2.3: 16.16 and 2.30 fixed
/// point).
const UNITY_MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

/// A buffer of boxes being written.
pub(crate) struct Boxes {
    buf: Vec<u8>,
}

/// Where an open box starts; [`Boxes::close`] takes it back.
#[must_use = "a box must be closed to get its size"]
pub(crate) struct Open(usize);

impl Boxes {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Boxes {
            buf: Vec::with_capacity(n),
        }
    }

    pub(crate) fn into_vec(self) -> Vec<u8> {
        self.buf
    }

    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// Starts a box of type `kind`: its size is written by [`Boxes::close`].
    pub(crate) fn open(&mut self, kind: &[u8; 4]) -> Open {
        let at = self.buf.len();
        self.u32(0);
        self.bytes(kind);
        Open(at)
    }

    /// Starts a full box (s4.2.2): `version` and the low 24 bits of `flags` follow the type.
    pub(crate) fn open_full(&mut self, kind: &[u8; 4], version: u8, flags: u32) -> Open {
        let open = self.open(kind);
        self.u32(u32::from(version) << 24 | (flags & 0x00ff_ffff));
        open
    }

    /// Ends the box `open` started: its size is everything written since.
    pub(crate) fn close(&mut self, open: Open) {
        let size = (self.buf.len() - open.0) as u32;
        self.buf[open.0..open.0 + 4].copy_from_slice(&size.to_be_bytes());
    }

    /// Starts an MPEG-4 descriptor (ISO/IEC 14496-1 s8.3.3): its tag and a one-byte size
    /// that [`Boxes::close_descriptor`] fills in.
    pub(crate) fn open_descriptor(&mut self, tag: u8) -> Open {
        self.u8(tag);
        let at = self.buf.len();
        self.u8(0);
        Open(at)
    }

    /// Ends the descriptor `open` started. The size is base-128 with one byte here: every
    /// descriptor the muxer writes (an `esds` of a 2-byte AudioSpecificConfig) is under 128
    /// bytes, which the panic would report if that ever changed.
    pub(crate) fn close_descriptor(&mut self, open: Open) {
        let size = self.buf.len() - open.0 - 1;
        assert!(
            size < 0x80,
            "a {size}-byte descriptor needs a longer size field"
        );
        self.buf[open.0] = size as u8;
    }

    /// A full box with no body beyond its version and flags.
    fn empty_full(&mut self, kind: &[u8; 4], version: u8, flags: u32) {
        let b = self.open_full(kind, version, flags);
        self.close(b);
    }

    /// Overwrites the 32-bit field at `at` (a data offset known only once the box around it
    /// is complete).
    pub(crate) fn patch_u32(&mut self, at: usize, v: u32) {
        self.buf[at..at + 4].copy_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.bytes(&v.to_be_bytes());
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes());
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.bytes(&v.to_be_bytes());
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    fn zeros(&mut self, n: usize) {
        self.buf.resize(self.buf.len() + n, 0);
    }

    /// `ftyp` (s4.3).
    pub(crate) fn ftyp(&mut self, major: &[u8; 4], compatible: &[&[u8; 4]]) {
        let b = self.open(b"ftyp");
        self.bytes(major);
        self.u32(0); // minor_version
        for brand in compatible {
            self.bytes(*brand);
        }
        self.close(b);
    }

    /// `mvhd` (s8.2.2), version 1; times and duration 0 (a live stream, s8.8.1: the
    /// fragments carry the timing).
    pub(crate) fn mvhd(&mut self, timescale: u32, next_track_id: u32) {
        let b = self.open_full(b"mvhd", 1, 0);
        self.u64(0); // creation_time
        self.u64(0); // modification_time
        self.u32(timescale);
        self.u64(0); // duration
        self.u32(0x0001_0000); // rate 1.0
        self.u16(0x0100); // volume 1.0
        self.zeros(10); // reserved
        self.matrix();
        self.zeros(24); // pre_defined
        self.u32(next_track_id);
        self.close(b);
    }

    /// `tkhd` (s8.3.2), version 1, enabled, in movie and in preview; `volume` 8.8 fixed
    /// point (1.0 for audio, 0 for video), width and height in pixels.
    pub(crate) fn tkhd(&mut self, track_id: u32, volume: u16, width: u16, height: u16) {
        let b = self.open_full(b"tkhd", 1, 0x7);
        self.u64(0); // creation_time
        self.u64(0); // modification_time
        self.u32(track_id);
        self.u32(0); // reserved
        self.u64(0); // duration
        self.zeros(8); // reserved
        self.u16(0); // layer
        self.u16(0); // alternate_group
        self.u16(volume);
        self.u16(0); // reserved
        self.matrix();
        self.u32(u32::from(width) << 16);
        self.u32(u32::from(height) << 16);
        self.close(b);
    }

    fn matrix(&mut self) {
        for v in UNITY_MATRIX {
            self.u32(v);
        }
    }

    /// `mdhd` (s8.4.2), version 1, language "und" (ISO 639-2/T, three 5-bit letters).
    pub(crate) fn mdhd(&mut self, timescale: u32) {
        let b = self.open_full(b"mdhd", 1, 0);
        self.u64(0); // creation_time
        self.u64(0); // modification_time
        self.u32(timescale);
        self.u64(0); // duration
        let [u, n, d] = *b"und";
        let letter = |c: u8| u16::from(c - 0x60);
        self.u16(letter(u) << 10 | letter(n) << 5 | letter(d));
        self.u16(0); // pre_defined
        self.close(b);
    }

    /// `hdlr` (s8.4.3): the handler type and a null-terminated name.
    pub(crate) fn hdlr(&mut self, handler: &[u8; 4], name: &str) {
        let b = self.open_full(b"hdlr", 0, 0);
        self.u32(0); // pre_defined
        self.bytes(handler);
        self.zeros(12); // reserved
        self.bytes(name.as_bytes());
        self.u8(0);
        self.close(b);
    }

    /// `vmhd` (s12.1.2; flags 1, as the standard fixes them).
    pub(crate) fn vmhd(&mut self) {
        let b = self.open_full(b"vmhd", 0, 1);
        self.zeros(8); // graphicsmode, opcolor
        self.close(b);
    }

    /// `smhd` (s12.2.2): balance centred.
    pub(crate) fn smhd(&mut self) {
        let b = self.open_full(b"smhd", 0, 0);
        self.zeros(4); // balance, reserved
        self.close(b);
    }

    /// `dinf` with a `dref` of one `url ` entry flagged "media data in this file" (s8.7.2).
    pub(crate) fn dinf(&mut self) {
        let dinf = self.open(b"dinf");
        let dref = self.open_full(b"dref", 0, 0);
        self.u32(1); // entry_count
        self.empty_full(b"url ", 0, 1);
        self.close(dref);
        self.close(dinf);
    }

    /// The sample tables after `stsd` of a fragmented track: all empty (s8.8.1: the samples
    /// are in the fragments).
    pub(crate) fn empty_sample_tables(&mut self) {
        for kind in [b"stts", b"stsc"] {
            let b = self.open_full(kind, 0, 0);
            self.u32(0); // entry_count
            self.close(b);
        }
        let b = self.open_full(b"stsz", 0, 0);
        self.u32(0); // sample_size
        self.u32(0); // sample_count
        self.close(b);
        let b = self.open_full(b"stco", 0, 0);
        self.u32(0); // entry_count
        self.close(b);
    }

    /// The start of a `SampleEntry` (s8.5.2.2): reserved bytes and data_reference_index 1.
    pub(crate) fn sample_entry_head(&mut self) {
        self.zeros(6);
        self.u16(1);
    }

    /// `trex` (s8.8.3): sample description 1, no other defaults (every `trun` carries its
    /// own).
    pub(crate) fn trex(&mut self, track_id: u32) {
        let b = self.open_full(b"trex", 0, 0);
        self.u32(track_id);
        self.u32(1); // default_sample_description_index
        self.zeros(12); // default duration, size, flags
        self.close(b);
    }

    /// `mfhd` (s8.8.5).
    pub(crate) fn mfhd(&mut self, sequence: u32) {
        let b = self.open_full(b"mfhd", 0, 0);
        self.u32(sequence);
        self.close(b);
    }

    /// `tfhd` (s8.8.7) with only `default-base-is-moof` (flag 0x020000, CMAF s7.3.2.3).
    pub(crate) fn tfhd(&mut self, track_id: u32) {
        let b = self.open_full(b"tfhd", 0, 0x02_0000);
        self.u32(track_id);
        self.close(b);
    }

    /// `tfdt` (s8.8.12), version 1: a 64-bit base media decode time.
    pub(crate) fn tfdt(&mut self, decode_time: u64) {
        let b = self.open_full(b"tfdt", 1, 0);
        self.u64(decode_time);
        self.close(b);
    }
}

/// `trun` flags (s8.8.8.1): data offset present, and per sample its duration, size and flags.
pub(crate) const TRUN_DATA_OFFSET: u32 = 0x000001;
pub(crate) const TRUN_FIRST_SAMPLE_FLAGS: u32 = 0x000004;
pub(crate) const TRUN_DURATION: u32 = 0x000100;
pub(crate) const TRUN_SIZE: u32 = 0x000200;
pub(crate) const TRUN_FLAGS: u32 = 0x000400;
