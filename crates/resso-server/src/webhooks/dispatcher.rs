//! The dispatcher task's loop: the one owner of the grace and batch state machines. It takes emitted
//! events off the queue, passes them through the grace delay, renders each once for the endpoints
//! whose filters want it, and hands ready batches to a sink (the [`Deliverer`](super::deliver) in
//! production, a channel in tests). It sleeps until the next grace or batch deadline on the tokio
//! clock, so paused-time tests drive it exactly. On shutdown it drains what is queued, ends the grace
//! delay early and flushes every open batch.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use super::batch::{Batcher, Ready};
use super::endpoint::Endpoints;
use super::grace::{Grace, Offer};
use super::{payload, Emitted};
use crate::config::WebhookSettings;

/// Grace and batch state for every endpoint.
pub struct Dispatcher {
    endpoints: Arc<Endpoints>,
    grace: Grace,
    batcher: Batcher,
}

impl Dispatcher {
    #[must_use]
    pub fn new(endpoints: Arc<Endpoints>, settings: &WebhookSettings) -> Self {
        Self {
            grace: Grace::new(Duration::from_millis(settings.grace_ms)),
            batcher: Batcher::new(
                endpoints.len(),
                Duration::from_millis(settings.batch_window_ms),
                settings.batch_max_events,
            ),
            endpoints,
        }
    }

    /// Runs until `shutdown` (or until every sender is gone), handing each ready batch to `send`.
    pub async fn run(
        mut self,
        mut rx: mpsc::Receiver<Emitted>,
        shutdown: CancellationToken,
        mut send: impl FnMut(Ready),
    ) {
        loop {
            let deadline = self.next_deadline();
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                next = rx.recv() => match next {
                    Some(emitted) => self.accept(emitted, Instant::now(), &mut send),
                    None => break,
                },
                () = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    self.tick(Instant::now(), &mut send);
                }
            }
        }
        self.finish(&mut rx, &mut send);
    }

    fn next_deadline(&mut self) -> Option<Instant> {
        match (self.grace.next_deadline(), self.batcher.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn accept(&mut self, emitted: Emitted, now: Instant, send: &mut impl FnMut(Ready)) {
        match self.grace.offer(emitted, now) {
            Offer::Pass(emitted) => self.route(&emitted, now, send),
            Offer::Held | Offer::Cancelled => {}
        }
    }

    /// Adds `emitted` to the batch of every endpoint of its app that wants it.
    fn route(&mut self, emitted: &Emitted, now: Instant, send: &mut impl FnMut(Ready)) {
        let name = payload::name(&emitted.event);
        let channel = payload::channel(&emitted.event).as_str();
        let mut rendered: Option<Arc<str>> = None;
        for &index in self.endpoints.of_app(&emitted.app) {
            if !self.endpoints.get(index).accepts(name, channel) {
                continue;
            }
            let json = rendered
                .get_or_insert_with(|| Arc::from(payload::render(&emitted.event)))
                .clone();
            if let Some(ready) = self.batcher.push(index, json, emitted.time_ms, now) {
                send(ready);
            }
        }
    }

    fn tick(&mut self, now: Instant, send: &mut impl FnMut(Ready)) {
        for emitted in self.grace.release_due(now) {
            self.route(&emitted, now, send);
        }
        for ready in self.batcher.take_due(now) {
            send(ready);
        }
    }

    fn finish(&mut self, rx: &mut mpsc::Receiver<Emitted>, send: &mut impl FnMut(Ready)) {
        let now = Instant::now();
        while let Ok(emitted) = rx.try_recv() {
            self.accept(emitted, now, send);
        }
        for emitted in self.grace.release_all() {
            self.route(&emitted, now, send);
        }
        for ready in self.batcher.take_all() {
            send(ready);
        }
    }
}

#[cfg(test)]
mod tests {
    use resso_protocol::{AppId, ChannelName, Limits, UserId};

    use super::*;
    use crate::apps::Apps;
    use crate::config::{AppConfig, WebhookConfig};
    use crate::webhooks::HookEvent;

    const GRACE: Duration = Duration::from_millis(3000);
    const WINDOW: Duration = Duration::from_millis(100);

    struct Harness {
        tx: mpsc::Sender<Emitted>,
        out: mpsc::UnboundedReceiver<Ready>,
        shutdown: CancellationToken,
        task: tokio::task::JoinHandle<()>,
    }

    /// App `1` with an endpoint for everything (0) and one for `private-` channels only (1).
    fn start(batch_max_events: usize) -> Harness {
        let mut app = AppConfig::with_credentials("1", "k", "s");
        let hook = |prefix: Option<&str>| WebhookConfig {
            url: "http://127.0.0.1:9/".into(),
            event_types: Vec::new(),
            channel_prefix: prefix.map(str::to_owned),
        };
        app.webhooks = vec![hook(None), hook(Some("private-"))];
        let settings = WebhookSettings {
            batch_max_events,
            ..WebhookSettings::default()
        };
        let endpoints = Arc::new(Endpoints::new(&Apps::new(&[app])));
        let (tx, rx) = mpsc::channel(16);
        let (out_tx, out) = mpsc::unbounded_channel();
        let shutdown = CancellationToken::new();
        let dispatcher = Dispatcher::new(endpoints, &settings);
        let send = move |ready| out_tx.send(ready).unwrap();
        let task = tokio::spawn(dispatcher.run(rx, shutdown.clone(), send));
        Harness {
            tx,
            out,
            shutdown,
            task,
        }
    }

    fn emitted(event: HookEvent) -> Emitted {
        Emitted {
            app: AppId::from("1"),
            event,
            time_ms: 42,
        }
    }

    fn ch(name: &str) -> ChannelName {
        ChannelName::parse(name, &Limits::default()).unwrap()
    }

    fn occupied(c: &str) -> Emitted {
        emitted(HookEvent::ChannelOccupied { channel: ch(c) })
    }

    fn vacated(c: &str) -> Emitted {
        emitted(HookEvent::ChannelVacated { channel: ch(c) })
    }

    #[tokio::test(start_paused = true)]
    async fn batches_per_endpoint_after_the_window() {
        let mut h = start(50);
        let t0 = Instant::now();
        h.tx.send(occupied("news")).await.unwrap();
        h.tx.send(occupied("private-a")).await.unwrap();
        let first = h.out.recv().await.unwrap();
        let second = h.out.recv().await.unwrap();
        assert_eq!(t0.elapsed(), WINDOW);
        let mut got = [first, second];
        got.sort_by_key(|r| r.endpoint);
        assert_eq!((got[0].endpoint, got[0].events.len()), (0, 2));
        assert_eq!((got[1].endpoint, got[1].events.len()), (1, 1));
        assert_eq!(got[1].time_ms, 42);
        assert!(got[1].events[0].contains("private-a"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_batch_goes_at_once() {
        let mut h = start(2);
        let t0 = Instant::now();
        h.tx.send(occupied("a")).await.unwrap();
        h.tx.send(occupied("b")).await.unwrap();
        let ready = h.out.recv().await.unwrap();
        assert_eq!((ready.endpoint, ready.events.len()), (0, 2));
        assert_eq!(t0.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn grace_hides_a_reload_and_delays_a_real_vacate() {
        let mut h = start(50);
        let t0 = Instant::now();
        h.tx.send(vacated("reload")).await.unwrap();
        tokio::time::sleep(GRACE / 2).await;
        h.tx.send(occupied("reload")).await.unwrap();
        h.tx.send(vacated("gone")).await.unwrap();
        let ready = h.out.recv().await.unwrap();
        assert_eq!(t0.elapsed(), GRACE / 2 + GRACE + WINDOW);
        assert_eq!(ready.events.len(), 1);
        assert!(ready.events[0].contains(r#""name":"channel_vacated","channel":"gone""#));
        tokio::time::sleep(GRACE * 10).await;
        assert!(h.out.try_recv().is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_flushes_held_and_batched_events() {
        let mut h = start(50);
        let removed = HookEvent::MemberRemoved {
            channel: ch("presence-p"),
            user_id: UserId::from("u"),
        };
        h.tx.send(occupied("a")).await.unwrap();
        h.tx.send(emitted(removed)).await.unwrap();
        tokio::task::yield_now().await;
        h.shutdown.cancel();
        h.task.await.unwrap();
        let ready = h.out.recv().await.unwrap();
        assert_eq!(ready.events.len(), 2);
        assert!(ready.events[1].contains("member_removed"));
        assert!(h.out.recv().await.is_none());
    }
}
