//! Pointer conversions: the only `unsafe` code of the crate. Each helper turns one raw C
//! argument into a Rust reference or value, or into the status code that rejects it, so the
//! exported functions stay short and check their arguments uniformly (the rustls-ffi pattern).

use core::ffi::{c_char, c_void};
use core::mem::{align_of, size_of};

use crate::status::*;

use crate::message::MCX_MAX_STRING_LEN;

/// A failed call: the status code it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Status(pub i32);

macro_rules! from_core_error {
    ($($ty:ty),*) => {$(
        impl From<$ty> for Status {
            fn from(e: $ty) -> Self {
                Status(e.status())
            }
        }
    )*};
}
from_core_error!(
    mcx_migrate::IdError,
    mcx_migrate::EncodeError,
    mcx_migrate::DecodeError,
    mcx_migrate::TableError,
    mcx_migrate::RedirectionError,
    mcx_migrate::SnapshotError,
    mcx_migrate::StorageError,
    mcx_migrate::table::save::SaveError
);

/// Runs an exported function's body and turns its outcome into a status code.
pub(crate) fn run(body: impl FnOnce() -> Result<(), Status>) -> i32 {
    match body() {
        Ok(()) => MCX_OK,
        Err(Status(code)) => code,
    }
}

/// An opaque C storage type holding a Rust object `T` behind a magic word.
///
/// # Safety
/// `Self` must be at least as large and as aligned as [`Stored<Self::Object>`] (each
/// implementation is followed by a compile-time assertion).
pub(crate) unsafe trait Storage {
    /// The Rust object kept in the storage.
    type Object;
    /// The magic word of an initialised object of this type; distinct per type.
    const MAGIC: u32;
}

/// The layout inside every storage type: the magic word first, so it can be checked before the
/// object is looked at.
#[repr(C)]
pub(crate) struct Stored<T> {
    magic: u32,
    object: T,
}

/// Whether `p` is not a multiple of `align` (a power of two, from `align_of`).
fn misaligned(p: *const u8, align: usize) -> bool {
    !(p as usize).is_multiple_of(align)
}

/// Checks a storage pointer: not NULL, aligned, magic word present.
fn checked<S: Storage>(p: *const S) -> Result<*const Stored<S::Object>, Status> {
    if p.is_null() {
        return Err(Status(MCX_E_NULL_ARGUMENT));
    }
    if misaligned(p.cast::<u8>(), align_of::<Stored<S::Object>>()) {
        return Err(Status(MCX_E_INVALID_ARGUMENT));
    }
    let stored = p.cast::<Stored<S::Object>>();
    // SAFETY: `p` is non-NULL and aligned, and the caller promises it points to a whole `S`
    // (at least `size_of::<Stored<_>>()` bytes, `Storage`'s contract); the magic word is a
    // plain `u32` at offset 0 of the `repr(C)` `Stored`, valid for any bit pattern.
    let magic = unsafe { core::ptr::addr_of!((*stored).magic).read() };
    if magic != S::MAGIC {
        return Err(Status(MCX_E_NOT_INITIALISED));
    }
    Ok(stored)
}

/// Borrows an initialised object for reading.
pub(crate) fn object<'a, S: Storage>(p: *const S) -> Result<&'a S::Object, Status> {
    let stored = checked(p)?;
    // SAFETY: `checked` found the type's magic word, which only `init_with` writes together with a
    // valid object; the C caller does not mutate it during the call.
    Ok(unsafe { &(*stored).object })
}

/// Borrows an initialised object for writing.
pub(crate) fn object_mut<'a, S: Storage>(p: *mut S) -> Result<&'a mut S::Object, Status> {
    let stored = checked(p.cast_const())?.cast_mut();
    // SAFETY: as in `object`; the pointer came from a `*mut` and C does not alias it during
    // the call.
    Ok(unsafe { &mut (*stored).object })
}

/// Builds an object (with its magic word) straight into storage, whatever the storage held,
/// without staging it on the stack (a table is kilobytes; a small firmware stack is not).
///
/// Every byte of the storage is zeroed first: the object's padding, its unused string capacity
/// and the storage beyond it are then defined bytes, and the same as in any other object built
/// the same way, so C may compare objects byte for byte (`memcmp`, and valgrind reports no
/// read of uninitialised memory). Later in-place changes only write within the object.
pub(crate) fn init_with<S: Storage>(
    p: *mut S,
    make: impl FnOnce() -> S::Object,
) -> Result<(), Status> {
    check_writable(p)?;
    let stored = p.cast::<Stored<S::Object>>();
    // SAFETY: non-NULL, aligned, large enough (`Storage`'s contract): the zeroing covers
    // exactly the storage, and the field pointers stay inside it; `write` neither reads nor
    // drops the old bytes. The magic word is written last, so the storage only claims to hold
    // an object once it does.
    unsafe {
        p.cast::<u8>().write_bytes(0, size_of::<S>());
        core::ptr::addr_of_mut!((*stored).object).write(make());
        core::ptr::addr_of_mut!((*stored).magic).write(S::MAGIC);
    }
    Ok(())
}

/// Writes `placeholder()` into `p`, whatever it held, and borrows it for writing: for in-place
/// fills, which overwrite the placeholder before the call returns to C. Call it only once every
/// check of the call has passed, so that a failed call leaves the storage unchanged. The
/// storage is never read first: it may be uninitialised memory.
#[inline(never)]
pub(crate) fn init_placeholder<'a, S: Storage>(
    p: *mut S,
    placeholder: fn() -> S::Object,
) -> Result<&'a mut S::Object, Status> {
    init_with(p, placeholder)?;
    object_mut(p)
}

/// Checks that `p` could be written by [`init_with`] later, without writing anything.
pub(crate) fn check_writable<S: Storage>(p: *mut S) -> Result<(), Status> {
    if p.is_null() {
        Err(Status(MCX_E_NULL_ARGUMENT))
    } else if misaligned(p.cast::<u8>(), align_of::<Stored<S::Object>>()) {
        Err(Status(MCX_E_INVALID_ARGUMENT))
    } else {
        Ok(())
    }
}

/// Reads a required C string: not NULL, NUL-terminated within `MCX_MAX_STRING_LEN` + 1 bytes,
/// UTF-8.
pub(crate) fn c_str<'a>(p: *const c_char) -> Result<&'a str, Status> {
    if p.is_null() {
        return Err(Status(MCX_E_NULL_ARGUMENT));
    }
    let bytes = p.cast::<u8>();
    let mut len = 0;
    // SAFETY: the caller promises a NUL-terminated string; the scan stops at the NUL and never
    // reads past `MCX_MAX_STRING_LEN` + 1 bytes, so a string without NUL in that range is
    // rejected instead of being read on.
    while unsafe { bytes.add(len).read() } != 0 {
        len = len.saturating_add(1);
        if len > MCX_MAX_STRING_LEN {
            return Err(Status(MCX_E_STRING_TOO_LONG));
        }
    }
    // SAFETY: the `len` bytes before the NUL were just read, so they are valid for reads.
    let slice = unsafe { core::slice::from_raw_parts(bytes, len) };
    core::str::from_utf8(slice).map_err(|_| Status(MCX_E_INVALID_UTF8))
}

/// Reads an optional C string: NULL means absent, otherwise as [`c_str`].
pub(crate) fn c_str_opt<'a>(p: *const c_char) -> Result<Option<&'a str>, Status> {
    if p.is_null() {
        Ok(None)
    } else {
        c_str(p).map(Some)
    }
}

/// Borrows `len` input bytes; NULL is allowed only with `len == 0`.
pub(crate) fn bytes<'a>(p: *const u8, len: usize) -> Result<&'a [u8], Status> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Status(MCX_E_NULL_ARGUMENT));
    }
    if len > isize::MAX as usize {
        return Err(Status(MCX_E_INVALID_ARGUMENT));
    }
    // SAFETY: non-NULL, `len` fits `isize`, and the caller promises `len` readable bytes.
    Ok(unsafe { core::slice::from_raw_parts(p, len) })
}

/// Borrows a caller buffer of `cap` bytes for writing; NULL is allowed only with `cap == 0` (to
/// ask for the needed length).
pub(crate) fn buffer<'a>(p: *mut u8, cap: usize) -> Result<&'a mut [u8], Status> {
    if cap == 0 {
        return Ok(&mut []);
    }
    if p.is_null() {
        return Err(Status(MCX_E_NULL_ARGUMENT));
    }
    if cap > isize::MAX as usize {
        return Err(Status(MCX_E_INVALID_ARGUMENT));
    }
    // SAFETY: non-NULL, `cap` fits `isize`, and the caller promises `cap` writable bytes that
    // nothing else accesses during the call.
    Ok(unsafe { core::slice::from_raw_parts_mut(p, cap) })
}

/// Borrows a table's storage for as long as the table is used: `len` bytes at `p`, any
/// alignment; `p` must not be NULL.
pub(crate) fn table_storage(p: *mut u8, len: usize) -> Result<&'static mut [u8], Status> {
    if p.is_null() {
        return Err(Status(MCX_E_NULL_ARGUMENT));
    }
    if len > isize::MAX as usize {
        return Err(Status(MCX_E_INVALID_ARGUMENT));
    }
    // SAFETY: non-NULL, `len` fits `isize`, and the caller of `mcx_table_init` promises `len`
    // writable bytes that stay valid, and that nothing but the library's `mcx_table_*` calls on
    // this table touches, until the table is initialised again or no longer used (the o1heap
    // contract for its arena). The `'static` borrow is only ever reached through the table
    // object, one call at a time.
    Ok(unsafe { core::slice::from_raw_parts_mut(p, len) })
}

/// A save slot's erase callback (`mcx_save_slot_t::erase`).
pub(crate) type EraseFn = unsafe extern "C" fn(context: *mut c_void) -> i32;
/// A save slot's program callback (`mcx_save_slot_t::program`).
pub(crate) type ProgramFn =
    unsafe extern "C" fn(context: *mut c_void, offset: usize, data: *const u8, len: usize) -> i32;

/// Calls a slot's erase callback.
pub(crate) fn call_erase(erase: EraseFn, context: *mut c_void) -> i32 {
    // SAFETY: the caller of `mcx_table_save` gave this function pointer and its context in an
    // `mcx_save_slot_t` and promises it can be called with them.
    unsafe { erase(context) }
}

/// Calls a slot's program callback with `data`.
pub(crate) fn call_program(
    program: ProgramFn,
    context: *mut c_void,
    offset: usize,
    data: &[u8],
) -> i32 {
    // SAFETY: as in `call_erase`; `data` is valid for reads of its length during the call.
    unsafe { program(context, offset, data.as_ptr(), data.len()) }
}

/// Reads `buf.len()` bytes at `offset` of the `len` bytes at `p` (a save slot as the CPU reads
/// it); false if out of range or `p` is NULL.
pub(crate) fn read_slot(p: *const u8, len: usize, offset: usize, buf: &mut [u8]) -> bool {
    let Some(end) = offset.checked_add(buf.len()) else {
        return false;
    };
    if p.is_null() || end > len || len > isize::MAX as usize {
        return false;
    }
    // SAFETY: `p` is non-NULL and the caller promises `len` readable bytes; the range is inside
    // them. The slice lives only for this copy, so no reference is held while a program
    // callback writes the slot.
    let slot = unsafe { core::slice::from_raw_parts(p, len) };
    match slot.get(offset..end) {
        Some(src) => {
            for (to, from) in buf.iter_mut().zip(src) {
                *to = *from;
            }
            true
        }
        None => false,
    }
}

/// Writes `data` at `offset` of the `len` writable bytes at `p` (a save slot in RAM); false if
/// out of range or `p` is NULL.
pub(crate) fn write_slot(p: *mut u8, len: usize, offset: usize, data: &[u8]) -> bool {
    match buffer(p, len) {
        Ok(slot) => match offset
            .checked_add(data.len())
            .and_then(|end| slot.get_mut(offset..end))
        {
            Some(dst) => {
                for (to, from) in dst.iter_mut().zip(data) {
                    *to = *from;
                }
                true
            }
            None => false,
        },
        Err(_) => false,
    }
}

/// Borrows the `len` bytes of a save slot for reading during a load (no callback runs then).
pub(crate) fn slot_bytes<'a>(p: *const u8, len: usize) -> Result<&'a [u8], Status> {
    bytes(p, len)
}

/// A checked, required out-pointer: checked before any work is done, written at the end.
pub(crate) struct Out<T>(core::ptr::NonNull<T>);

/// Checks a required out-pointer (not NULL, aligned for `T`).
pub(crate) fn out<T>(p: *mut T) -> Result<Out<T>, Status> {
    let p = core::ptr::NonNull::new(p).ok_or(Status(MCX_E_NULL_ARGUMENT))?;
    if misaligned(p.as_ptr().cast_const().cast::<u8>(), align_of::<T>()) {
        return Err(Status(MCX_E_INVALID_ARGUMENT));
    }
    Ok(Out(p))
}

/// Checks an optional out-pointer: NULL means the caller does not want the value.
pub(crate) fn out_opt<T>(p: *mut T) -> Result<Option<Out<T>>, Status> {
    if p.is_null() {
        Ok(None)
    } else {
        out(p).map(Some)
    }
}

/// Reads a required input struct (not NULL, aligned) by value.
pub(crate) fn read_in<T: Copy>(p: *const T) -> Result<T, Status> {
    if p.is_null() {
        return Err(Status(MCX_E_NULL_ARGUMENT));
    }
    if misaligned(p.cast::<u8>(), align_of::<T>()) {
        return Err(Status(MCX_E_INVALID_ARGUMENT));
    }
    // SAFETY: non-NULL and aligned, and the caller promises a valid `T` (a `repr(C)` struct of
    // pointers, lengths and nullable function pointers: valid for any bit pattern but the
    // function pointers, which C sets to a function or NULL).
    Ok(unsafe { p.read() })
}

impl<T: Copy> Out<T> {
    /// Writes the result, without reading what the C variable held before.
    pub(crate) fn set(&self, value: T) {
        // SAFETY: checked non-NULL and aligned by `out`; the caller promises a writable `T`.
        unsafe { self.0.as_ptr().write(value) }
    }
}
