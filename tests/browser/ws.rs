//! An agent on a raw WebSocket, for the tests where the browser plays someone else (the
//! customer on the try page): sign in, take the first offer, write, let go.

use crate::support::Daemon;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Agent {
    ws: Ws,
}

impl Agent {
    /// Connects with `token`, checks the welcome, and goes available.
    pub async fn online(d: &Daemon, token: &str) -> Agent {
        let url = format!("{}/v1/agents/ws", d.base.replace("http://", "ws://"));
        let ws = tokio_tungstenite::connect_async(url).await.unwrap().0;
        let mut a = Agent { ws };
        a.send(json!({"type": "auth", "token": token})).await;
        assert_eq!(a.next("welcome").await["type"], "welcome");
        a.send(json!({"type": "presence", "status": "available"}))
            .await;
        a
    }

    async fn send(&mut self, v: Value) {
        self.ws.send(Message::text(v.to_string())).await.unwrap();
    }

    /// The next frame of type `kind`, skipping the others (presence, deliveries, …).
    pub async fn next(&mut self, kind: &str) -> Value {
        loop {
            let m = tokio::time::timeout(crate::support::PATIENCE, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no {kind} frame in time"))
                .expect("socket open")
                .unwrap();
            if let Message::Text(t) = m {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["type"] == kind {
                    return v;
                }
            }
        }
    }

    /// Accepts the next offer; returns the conversation's id.
    pub async fn take(&mut self) -> String {
        let offer = self.next("offer").await;
        let cid = offer["conversation"]["id"].as_str().unwrap().to_owned();
        self.act("accept", &cid).await;
        self.next("assigned").await;
        cid
    }

    pub async fn write(&mut self, cid: &str, text: &str) {
        self.send(json!({"type": "send", "conversation_id": cid, "text": text, "client_id": "k1"}))
            .await;
        self.next("sent").await;
    }

    /// An action that names only a conversation: release, resolve.
    pub async fn act(&mut self, action: &str, cid: &str) {
        self.send(json!({"type": action, "conversation_id": cid}))
            .await;
    }
}
