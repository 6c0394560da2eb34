//! The command line's verbs besides `serve`, each against the store (a data directory or
//! Redis) without a running server: `cocreate session …` (`sessions`) and `cocreate export`,
//! `cocreate replay` (`research`).

pub mod research;
pub mod sessions;
