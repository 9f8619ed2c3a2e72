//! [`Outage`]: a TCP proxy in front of a real server that a test can switch off and on, or
//! silence, to check what an engine does while its server is down or hung and after it
//! comes back, without stopping a server other tests share.

use std::io;
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// A switchable proxy: connect the engine to [`Outage::addr`] instead of the server.
///
/// [`Outage::down`] closes the listening port and cuts every open connection, as a crashed
/// server would; [`Outage::silence`] keeps every connection open and accepts new ones but
/// forwards nothing more, either way, as a hung server (or a network black hole) would;
/// [`Outage::up`] cuts the silenced connections and forwards again on the same port.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// let mut redis = session_test_support::Outage::start("127.0.0.1:6379".parse().unwrap()).await?;
/// let url = format!("redis://{}", redis.addr());
/// // ... build the store on `url`, use it ...
/// redis.down();
/// // ... calls fail with a backend error, quickly ...
/// redis.up().await?;
/// // ... calls work again ...
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Outage {
    addr: SocketAddr,
    target: SocketAddr,
    running: Option<JoinHandle<()>>,
    silent: watch::Sender<bool>,
}

impl Outage {
    /// A proxy to `target` on a free loopback port, up.
    pub async fn start(target: SocketAddr) -> io::Result<Self> {
        let listener = listen("127.0.0.1:0".parse().expect("a loopback address"))?;
        let mut outage = Outage {
            addr: listener.local_addr()?,
            target,
            running: None,
            silent: watch::Sender::new(false),
        };
        outage.serve(listener);
        Ok(outage)
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops listening and cuts every connection.
    pub fn down(&mut self) {
        if let Some(running) = self.running.take() {
            running.abort();
        }
    }

    /// From now on nothing is forwarded, either way, and new connections are accepted but
    /// never answered; open connections stay open.
    pub fn silence(&mut self) {
        self.silent.send_replace(true);
    }

    /// Listens again on the same port and forwards again.
    pub async fn up(&mut self) -> io::Result<()> {
        self.down();
        self.silent.send_replace(false);
        // The aborted task releases the port once it has been dropped; retry briefly.
        let mut attempts = 0;
        let listener = loop {
            match listen(self.addr) {
                Ok(listener) => break listener,
                Err(e) if attempts < 50 => {
                    attempts += 1;
                    tracing::debug!(%e, "proxy port not free yet");
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(e) => return Err(e),
            }
        };
        self.serve(listener);
        Ok(())
    }

    fn serve(&mut self, listener: TcpListener) {
        let target = self.target;
        let silent = self.silent.subscribe();
        self.running = Some(tokio::spawn(async move {
            // Dropping the set when the task is aborted cuts every connection.
            let mut connections = JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                let mut silent = silent.clone();
                connections.spawn(async move {
                    if *silent.borrow_and_update() {
                        return hold_open(client).await;
                    }
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let silenced = tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => false,
                        _ = silent.wait_for(|silent| *silent) => true,
                    };
                    if silenced {
                        hold_open((client, server)).await;
                    }
                });
                while connections.try_join_next().is_some() {}
            }
        }));
    }
}

impl Drop for Outage {
    fn drop(&mut self) {
        self.down();
    }
}

/// Keeps `sockets` open, unread, until the task is aborted.
async fn hold_open<T>(sockets: T) {
    std::future::pending::<()>().await;
    drop(sockets);
}

fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(128)
}
