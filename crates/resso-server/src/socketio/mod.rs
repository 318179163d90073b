//! The Socket.IO endpoint for Laravel Echo's `socket.io` connector. [`handler`] is the seam between
//! the transport (Engine.IO sessions, polling, websocket) and [`echo`], the application logic.

pub mod echo;
pub mod handler;
