//! C ABI of mcx-migrate: placeholder until the C ABI issue lands.
