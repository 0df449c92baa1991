//! A TCP relay in front of a real server that can be frozen: while frozen it neither accepts,
//! reads nor writes, which is what a client sees of a server stopped with SIGSTOP (the kernel
//! still completes TCP handshakes into the listen backlog, and nothing ever answers). Used to
//! inject that fault without stopping a server other tests share.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

const PAUSE: Duration = Duration::from_millis(10);

pub struct FreezeProxy {
    pub addr: SocketAddr,
    frozen: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl FreezeProxy {
    /// Relays every connection made to `addr` (a loopback port of the system's choosing) to
    /// `upstream`, until dropped.
    pub fn start(upstream: SocketAddr) -> FreezeProxy {
        FreezeProxy::start_on("127.0.0.1:0".parse().unwrap(), upstream)
    }

    /// The same on a given address (e.g. that of a relay dropped before, so that a client's
    /// state that names the URI still matches).
    pub fn start_on(addr: SocketAddr, upstream: SocketAddr) -> FreezeProxy {
        let listener = TcpListener::bind(addr).expect("bind the relay");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let frozen = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (f, s) = (frozen.clone(), stop.clone());
        thread::spawn(move || accept_loop(listener, upstream, f, s));
        FreezeProxy { addr, frozen, stop }
    }

    /// `http://127.0.0.1:PORT` of the relay.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }

    pub fn thaw(&self) {
        self.frozen.store(false, Ordering::SeqCst);
    }
}

/// Closes every relayed connection; what a frozen relay holds is dropped, not delivered, as
/// when a stopped server is restarted (so no request lands late, after the test moved on).
impl Drop for FreezeProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn accept_loop(
    l: TcpListener,
    upstream: SocketAddr,
    frozen: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Ordering::SeqCst) {
        if frozen.load(Ordering::SeqCst) {
            thread::sleep(PAUSE);
            continue;
        }
        match l.accept() {
            Ok((client, _)) => {
                client.set_nonblocking(false).unwrap();
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                for (from, to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let (f, s) = (frozen.clone(), stop.clone());
                    thread::spawn(move || pump(from, to, f, s));
                }
            }
            Err(_) => thread::sleep(PAUSE),
        }
    }
}

/// Copies `from` to `to`; while frozen, holds what it read and reads nothing more.
fn pump(mut from: TcpStream, mut to: TcpStream, frozen: Arc<AtomicBool>, stop: Arc<AtomicBool>) {
    from.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if frozen.load(Ordering::SeqCst) {
            thread::sleep(PAUSE);
            continue;
        }
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(_) => break,
        };
        while frozen.load(Ordering::SeqCst) && !stop.load(Ordering::SeqCst) {
            thread::sleep(PAUSE);
        }
        if stop.load(Ordering::SeqCst) || to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}
