//! Checks behind the fuzz targets of mcx-migrate, kept in a library so each target stays one
//! line and the models can be read on their own.

pub mod c_api;
pub mod client_model;
pub mod pools;
pub mod table_model;
pub mod wire_checks;
