//! The crate's one logging macro: `defmt::debug!` with the `defmt` feature, nothing without it.
//! The no-op arm still evaluates its arguments by reference, so call sites compile the same way
//! and raise no unused-variable warnings.

#[cfg(feature = "defmt")]
macro_rules! debug {
    ($($arg:tt)*) => { defmt::debug!($($arg)*) };
}

#[cfg(not(feature = "defmt"))]
macro_rules! debug {
    ($fmt:literal $(, $arg:expr)* $(,)?) => {{ $( let _ = &$arg; )* }};
}

pub(crate) use debug;
