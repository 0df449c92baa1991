//! `event-log`: the shipped sync handler for the `event_log` collection type. The mapping and its fixes
//! live in the `evermemos` crate (see plugins/evermemos/README.md); this crate only exports it
//! as a component of its own.

evermemos::handler_component!(Handler, evermemos::Kind::EventLog);
