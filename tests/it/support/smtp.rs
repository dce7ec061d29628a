//! A real SMTP server on loopback (mailin-embedded) that keeps what it receives, for tests of
//! mail delivery. It can refuse mailboxes for good (550) or for now (451), and it can start
//! late on a port reserved earlier, to play a mail server that was down and comes back.

use std::io;
use std::net::{IpAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailin_embedded::{Handler, Response, Server, SslConfig, response};

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        head.split("\r\n").find_map(|l| {
            let (n, v) = l.split_once(": ")?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    pub fn message_id(&self) -> String {
        self.header("Message-ID").unwrap_or_default()
    }

    /// The message with quoted-printable soft line breaks joined, for searching its text.
    pub fn text(&self) -> String {
        self.data.replace("=\r\n", "").replace("=3D", "=")
    }
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    refuse_for_good: Vec<String>,
    refuse_for_now: bool,
}

#[derive(Clone)]
struct Sink {
    state: Arc<Mutex<State>>,
    current: Option<Received>,
}

impl Handler for Sink {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, from: &str) -> Response {
        self.current = Some(Received {
            from: from.to_owned(),
            to: Vec::new(),
            data: String::new(),
        });
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        let state = self.state.lock().unwrap();
        if state.refuse_for_now {
            return response::INTERNAL_ERROR;
        }
        if state
            .refuse_for_good
            .iter()
            .any(|r| to.contains(r.as_str()))
        {
            return response::NO_MAILBOX;
        }
        drop(state);
        if let Some(c) = self.current.as_mut() {
            c.to.push(to.to_owned());
        }
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        if let Some(c) = self.current.as_mut() {
            c.data.push_str(&String::from_utf8_lossy(buf));
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some(c) = self.current.take() {
            self.state.lock().unwrap().received.push(c);
        }
        response::OK
    }
}

pub struct SmtpServer {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

/// A free port to start a server on later (the "mail server is down" case).
pub fn reserve_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        Self::start_with(TcpListener::bind("127.0.0.1:0").unwrap())
    }

    pub fn start_on(port: u16) -> SmtpServer {
        Self::start_with(TcpListener::bind(("127.0.0.1", port)).expect("reserved port still free"))
    }

    fn start_with(listener: TcpListener) -> SmtpServer {
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let mut server = Server::new(Sink {
            state: state.clone(),
            current: None,
        });
        server
            .with_name("sink.test")
            .with_ssl(SslConfig::None)
            .unwrap()
            .with_num_threads(64)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpServer { port, state }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn refuse_for_good(&self, address_part: &str) {
        self.state
            .lock()
            .unwrap()
            .refuse_for_good
            .push(address_part.to_owned());
    }

    pub fn refuse_for_now(&self, on: bool) {
        self.state.lock().unwrap().refuse_for_now = on;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// Waits until at least `n` messages arrived (or the timeout passes) and returns them.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
