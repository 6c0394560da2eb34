//! Integration tests through cocreate's public surface: the real server on an ephemeral
//! port, driven over WebSocket by a small Yjs client built on yrs.

mod redis_server;
mod schema;
mod support;

mod board_session;

mod admin_cli;
mod agenda;
mod assist;
mod authorship;
mod awareness;
mod bad_input;
mod carry;
mod checkpoints;
mod decisions;
mod drafts;
mod erasure;
mod evaluation;
mod health;
mod history;
mod join_code;
mod keepalive;
mod ledger;
mod limits;
mod memos;
mod metrics;
mod multi_node;
mod openapi;
mod paper;
mod persistence;
mod poison;
mod processes;
mod qdpx;
mod receipts;
mod redis_outage;
mod redis_sentinel;
mod redis_storage;
mod redis_tls;
mod reports;
mod results;
mod rules;
mod sessions;
mod slow_peer;
mod step_history;
mod storage_contract;
mod sync;
mod votes;
