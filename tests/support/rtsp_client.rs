//! A blocking RTSP client over one TCP connection that logs in with Digest as one user
//! (answering the first 401's challenge, RFC 7616 MD5) and speaks RTP interleaved both ways:
//! what the metadata, audio and back-channel tests drive the real binary with, byte for byte.
//! Interleaved data that arrives while a reply is awaited is kept for [`Rtsp::packet`].

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::digest::Challenge;

/// A reply: status, headers in order, body as text.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        (self.headers.iter())
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The session id of the `Session` header (without its timeout).
    pub fn session(&self) -> String {
        let s = self.header("Session").expect("Session header");
        s.split(';').next().unwrap().to_owned()
    }
}

pub struct Rtsp {
    r: BufReader<TcpStream>,
    w: TcpStream,
    cseq: u32,
    user: (String, String),
    challenge: Option<Challenge>,
    /// (channel, payload) read but not yet taken.
    data: VecDeque<(u8, Vec<u8>)>,
}

impl Rtsp {
    /// Connects to the host and port of `url` as `user`; reads time out after 15 s.
    pub fn connect(url: &str, user: &str, password: &str) -> Rtsp {
        let hostport = url.trim_start_matches("rtsp://").split('/').next().unwrap();
        let s = TcpStream::connect(hostport).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        s.set_nodelay(true).unwrap();
        Rtsp {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
            cseq: 0,
            user: (user.to_owned(), password.to_owned()),
            challenge: None,
            data: VecDeque::new(),
        }
    }

    /// Sends a request (and again with credentials after the first 401) and reads its reply.
    pub fn req(&mut self, method: &str, url: &str, headers: &[(&str, &str)]) -> Answer {
        for _ in 0..2 {
            self.cseq += 1;
            let mut m = format!("{method} {url} RTSP/1.0\r\nCSeq: {}\r\n", self.cseq);
            if let Some(c) = &self.challenge {
                let a = c.answer(&self.user.0, &self.user.1, method, url, None);
                m.push_str(&format!("Authorization: {a}\r\n"));
            }
            for (k, v) in headers {
                m.push_str(&format!("{k}: {v}\r\n"));
            }
            m.push_str("\r\n");
            self.w.write_all(m.as_bytes()).unwrap();
            let a = self.answer();
            if a.status == 401 && self.challenge.is_none() {
                let all: Vec<&str> = (a.headers.iter())
                    .filter(|(k, _)| k.eq_ignore_ascii_case("WWW-Authenticate"))
                    .map(|(_, v)| v.as_str())
                    .collect();
                self.challenge = Some(Challenge::md5(all));
                continue;
            }
            return a;
        }
        panic!("{method} {url}: still 401");
    }

    /// The next reply; interleaved packets before it are queued.
    pub fn answer(&mut self) -> Answer {
        loop {
            if self.r.fill_buf().unwrap()[0] == b'$' {
                let p = self.interleaved();
                self.data.push_back(p);
                continue;
            }
            let mut line = String::new();
            self.r.read_line(&mut line).unwrap();
            let status = line.split_whitespace().nth(1).unwrap().parse().unwrap();
            let (mut headers, mut len) = (Vec::new(), 0usize);
            loop {
                let mut l = String::new();
                self.r.read_line(&mut l).unwrap();
                let l = l.trim_end();
                if l.is_empty() {
                    break;
                }
                let (k, v) = l.split_once(':').unwrap();
                if k.eq_ignore_ascii_case("Content-Length") {
                    len = v.trim().parse().unwrap();
                }
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
            let mut body = vec![0; len];
            self.r.read_exact(&mut body).unwrap();
            return Answer {
                status,
                headers,
                body: String::from_utf8(body).unwrap(),
            };
        }
    }

    /// One `$`-framed packet from the connection (RFC 2326 s10.12): (channel, payload).
    pub fn interleaved(&mut self) -> (u8, Vec<u8>) {
        let mut head = [0u8; 4];
        self.r.read_exact(&mut head).unwrap();
        assert_eq!(head[0], b'$');
        let mut p = vec![0; usize::from(u16::from_be_bytes([head[2], head[3]]))];
        self.r.read_exact(&mut p).unwrap();
        (head[1], p)
    }

    /// The next interleaved packet (any channel), queued or read now.
    pub fn packet(&mut self) -> (u8, Vec<u8>) {
        self.data.pop_front().unwrap_or_else(|| self.interleaved())
    }

    /// Sends one `$`-framed packet on `channel` (the back channel's RTP).
    pub fn send_interleaved(&mut self, channel: u8, packet: &[u8]) {
        let mut frame = vec![b'$', channel];
        frame.extend_from_slice(&(packet.len() as u16).to_be_bytes());
        frame.extend_from_slice(packet);
        self.w.write_all(&frame).unwrap();
    }
}

/// The media sections of an SDP: (media line without `m=`, its attribute lines without `a=`).
pub fn medias(sdp: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for l in sdp.lines() {
        if let Some(m) = l.strip_prefix("m=") {
            out.push((m.to_owned(), Vec::new()));
        } else if let (Some(last), Some(a)) = (out.last_mut(), l.strip_prefix("a=")) {
            last.1.push(a.to_owned());
        }
    }
    out
}
