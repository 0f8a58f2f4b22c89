//! The C boundary, and the only module where the crate allows `unsafe` code (the crate root
//! denies it everywhere else):
//!
//! - pointer conversions: each helper turns one raw C argument into a Rust reference or value,
//!   or into the status code that rejects it, so the implementations stay short, safe code
//!   that checks its arguments uniformly (the rustls-ffi pattern); each `unsafe` block carries
//!   its `// SAFETY:` argument;
//! - [`exports`]: the exported functions, whose `#[no_mangle]` the `unsafe_code` lint counts as
//!   unsafe (two definitions of one symbol are undefined behaviour at link time). Each forwards
//!   to its implementation, safe code in the module of its topic (`table`, `message`, ...).
#![allow(unsafe_code)]

use core::ffi::{c_char, c_void};
use core::mem::{align_of, size_of, MaybeUninit};

use crate::status::*;

use mcx_migrate::{wire, DecodeError};

use crate::message::{mcx_message_t, Encoded, MCX_MAX_STRING_LEN};

/// A failed call: the status it returns, made only from an [`mcx_status`] ([`Status::of`]).
///
/// It keeps the value as an `i32`: a `Result<(), Status>` over the enum itself would encode
/// `Ok` in a niche of the enum, and every exported function would then translate that niche
/// into `MCX_OK`, a few bytes of flash each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Status(i32);

impl Status {
    /// The failure `status`.
    pub(crate) const fn of(status: mcx_status) -> Self {
        Status(status as i32)
    }

    /// The status code, as C sees it.
    pub(crate) const fn code(self) -> i32 {
        self.0
    }
}

macro_rules! from_core_error {
    ($($ty:ty),*) => {$(
        impl From<$ty> for Status {
            fn from(e: $ty) -> Self {
                Status::of(e.status())
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
pub(crate) fn run(body: impl FnOnce() -> Result<(), Status>) -> mcx_status {
    match body() {
        Ok(()) => MCX_OK,
        // SAFETY: `Status::of` is the only constructor: `code` is the value of an `mcx_status`,
        // a valid discriminant of that `repr(i32)` enum.
        Err(Status(code)) => unsafe { core::mem::transmute::<i32, mcx_status>(code) },
    }
}

/// Implements `from_c` for a `#[repr(u32)]` C enum: the enumerator a C integer argument
/// names, or `None`, without ever making an enum value from an unchecked integer. The
/// enumerators are listed once more here; a `match` checks the list is complete.
macro_rules! enum_from_c {
    ($ty:ident: $($variant:ident),+ $(,)?) => {
        impl $ty {
            /// The enumerator whose value is `value`, if any.
            pub(crate) fn from_c(value: u32) -> Option<Self> {
                $(if value == Self::$variant as u32 {
                    return Some(Self::$variant);
                })+
                None
            }
        }
        const _: fn($ty) = |value| match value {
            $($ty::$variant => (),)+
        };
    };
}
pub(crate) use enum_from_c;

/// An opaque C storage type holding a Rust object `T` behind a magic word.
///
/// A safe trait: the conversions below check at compile time, for every storage type they are
/// used with ([`assert_fits`]), that it is at least as large and as aligned as
/// [`Stored<Self::Object>`].
pub(crate) trait Storage {
    /// The Rust object kept in the storage.
    type Object;
    /// The magic word of an initialised object of this type; distinct per type.
    const MAGIC: u32;
}

// The magic word is what tells one kind of object from another (a message passed as a table is
// refused with MCX_E_NOT_INITIALISED): the three must differ.
const _: () = {
    let magics = [
        <crate::mcx_table_t as Storage>::MAGIC,
        <crate::mcx_message_t as Storage>::MAGIC,
        <crate::mcx_call_t as Storage>::MAGIC,
    ];
    assert!(magics[0] != magics[1] && magics[0] != magics[2] && magics[1] != magics[2]);
};

/// The layout inside every storage type: the magic word first, so it can be checked before the
/// object is looked at.
#[repr(C)]
pub(crate) struct Stored<T> {
    magic: u32,
    object: T,
}

/// Fails the build (when monomorphised) unless `S` holds a [`Stored<S::Object>`]: what makes
/// the pointer casts below sound for any [`Storage`] implementation.
const fn assert_fits<S: Storage>() {
    const {
        assert!(
            size_of::<Stored<S::Object>>() <= size_of::<S>()
                && align_of::<Stored<S::Object>>() <= align_of::<S>(),
            "a storage type is too small or too little aligned for its object"
        );
    }
}

/// Whether `p` is not a multiple of `align` (a power of two, from `align_of`).
fn misaligned(p: *const u8, align: usize) -> bool {
    !(p as usize).is_multiple_of(align)
}

/// Checks a storage pointer: not NULL, aligned, magic word present.
fn checked<S: Storage>(p: *const S) -> Result<*const Stored<S::Object>, Status> {
    assert_fits::<S>();
    if p.is_null() {
        return Err(Status::of(MCX_E_NULL_ARGUMENT));
    }
    if misaligned(p.cast::<u8>(), align_of::<Stored<S::Object>>()) {
        return Err(Status::of(MCX_E_MISALIGNED));
    }
    let stored = p.cast::<Stored<S::Object>>();
    // SAFETY: `p` is non-NULL and aligned, and the caller promises it points to a whole `S`
    // (at least `size_of::<Stored<_>>()` bytes, `assert_fits`); the magic word is a
    // plain `u32` at offset 0 of the `repr(C)` `Stored`, valid for any bit pattern.
    let magic = unsafe { core::ptr::addr_of!((*stored).magic).read() };
    if magic != S::MAGIC {
        return Err(Status::of(MCX_E_NOT_INITIALISED));
    }
    Ok(stored)
}

/// Borrows an initialised object for reading.
pub(crate) fn object<'a, S: Storage>(p: *const S) -> Result<&'a S::Object, Status> {
    let stored = checked(p)?;
    // SAFETY: `checked` found the type's magic word, which only `init_in_place` writes together with a
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
pub(crate) fn init_with<S: Storage>(
    p: *mut S,
    make: impl FnOnce() -> S::Object,
) -> Result<(), Status> {
    init_in_place(p, |slot| slot.write(make()))
}

/// Lets `fill` build an object straight into `p`, whatever the storage held, and writes the
/// magic word after it: for objects the core constructs in place (`PrivateCall::start_at`),
/// which are never staged on the stack. Call it only once every check of the call has passed,
/// so that a failed call leaves the storage unchanged. The storage is never read first: it may
/// be uninitialised memory.
///
/// Every byte of the storage is zeroed first: the object's padding, its unused string capacity
/// and the storage beyond it are then defined bytes, and the same as in any other object built
/// the same way, so C may compare objects byte for byte (`memcmp`, and valgrind reports no
/// read of uninitialised memory). Later in-place changes only write within the object.
pub(crate) fn init_in_place<S: Storage>(
    p: *mut S,
    fill: impl for<'s> FnOnce(&'s mut MaybeUninit<S::Object>) -> &'s mut S::Object,
) -> Result<(), Status> {
    check_writable(p)?;
    assert_fits::<S>();
    let stored = p.cast::<Stored<S::Object>>();
    // SAFETY: non-NULL, aligned, large enough (`assert_fits`): the zeroing covers exactly the
    // storage, and the field pointers stay inside it. A `MaybeUninit` may hold any bytes, so
    // borrowing the object's place as one is sound, and `fill` is the only access to it until
    // the borrow ends; `fill` neither reads nor drops the old bytes. The magic word is written
    // last, so the storage only claims to hold an object once `fill` has built it.
    unsafe {
        p.cast::<u8>().write_bytes(0, size_of::<S>());
        let place = core::ptr::addr_of_mut!((*stored).object);
        // `fill` proves it built the object by returning it: only the initialised object
        // itself, at its place, gets the magic word.
        let built: *const S::Object = fill(&mut *place.cast::<MaybeUninit<S::Object>>());
        if !core::ptr::eq(built, place) {
            return Err(Status::of(MCX_E_NOT_INITIALISED));
        }
        core::ptr::addr_of_mut!((*stored).magic).write(S::MAGIC);
    }
    Ok(())
}

/// Places a message's encoding in `p`, whatever the storage held: `fill` writes the encoding at
/// the start of the bytes it is given, straight into the storage (no copy staged on the
/// stack), and returns its length; then every other byte of the storage is zeroed, the length
/// written and, last, the magic word. `fill` must write nothing when it fails: the storage is
/// then exactly as before. The storage is never read: it may be uninitialised memory.
pub(crate) fn init_encoded(
    p: *mut mcx_message_t,
    fill: impl FnOnce(&mut [u8; wire::MAX_ENCODED_LEN]) -> Result<usize, Status>,
) -> Result<(), Status> {
    check_writable(p)?;
    assert_fits::<mcx_message_t>();
    let stored = p.cast::<Stored<Encoded>>();
    // SAFETY: `p` is non-NULL, aligned and large enough (`assert_fits`), and nothing else
    // accesses the caller's storage during the call; the field is bytes, valid whatever they
    // are (as a caller buffer in `buffer`). The borrow ends with `fill`.
    let bytes = unsafe { &mut *core::ptr::addr_of_mut!((*stored).object.bytes) };
    let len = fill(bytes)?;
    // `fill` wrote `len` bytes of a buffer of `wire::MAX_ENCODED_LEN` <= `u16::MAX` (asserted
    // with `Encoded`): neither fallback is ever taken.
    let rest = bytes.get_mut(len..).unwrap_or_default();
    rest.fill(0);
    let len = u16::try_from(len).unwrap_or(u16::MAX);
    const BYTES_AT: usize =
        core::mem::offset_of!(Stored<Encoded>, object) + core::mem::offset_of!(Encoded, bytes);
    const BYTES_END: usize = BYTES_AT + wire::MAX_ENCODED_LEN;
    const _: () = assert!(BYTES_END <= size_of::<mcx_message_t>());
    // SAFETY: as above; both zeroed ranges lie inside the storage (the assertion above) and
    // outside the encoding. `write` neither reads nor drops the old bytes. The magic word is
    // written last, so the storage only claims to hold a message once it does.
    unsafe {
        p.cast::<u8>().write_bytes(0, BYTES_AT);
        p.cast::<u8>()
            .wrapping_add(BYTES_END)
            .write_bytes(0, size_of::<mcx_message_t>().saturating_sub(BYTES_END));
        core::ptr::addr_of_mut!((*stored).object.len).write(len);
        core::ptr::addr_of_mut!((*stored).magic).write(<mcx_message_t as Storage>::MAGIC);
    }
    Ok(())
}

/// Checks that `p` could be written by [`init_with`] later, without writing anything.
pub(crate) fn check_writable<S: Storage>(p: *mut S) -> Result<(), Status> {
    if p.is_null() {
        Err(Status::of(MCX_E_NULL_ARGUMENT))
    } else if misaligned(p.cast::<u8>(), align_of::<Stored<S::Object>>()) {
        Err(Status::of(MCX_E_MISALIGNED))
    } else {
        Ok(())
    }
}

/// Reads a required C string's bytes: not NULL, NUL-terminated within `MCX_MAX_STRING_LEN` + 1
/// bytes. Not checked for UTF-8 here: the identifier types check it as they read the bytes
/// ([`id_error`]).
pub(crate) fn c_str<'a>(p: *const c_char) -> Result<&'a [u8], Status> {
    if p.is_null() {
        return Err(Status::of(MCX_E_NULL_ARGUMENT));
    }
    let bytes = p.cast::<u8>();
    let mut len = 0;
    // SAFETY: the caller promises a NUL-terminated string; the scan stops at the NUL and never
    // reads past `MCX_MAX_STRING_LEN` + 1 bytes, so a string without NUL in that range is
    // rejected instead of being read on.
    while unsafe { bytes.add(len).read() } != 0 {
        len = len.saturating_add(1);
        if len > MCX_MAX_STRING_LEN {
            return Err(Status::of(MCX_E_STRING_TOO_LONG));
        }
    }
    // SAFETY: the `len` bytes before the NUL were just read, so they are valid for reads.
    Ok(unsafe { core::slice::from_raw_parts(bytes, len) })
}

/// A C string argument refused as an identifier (`from_bytes` of an identifier type):
/// `MCX_E_INVALID_UTF8` when it is not UTF-8, else the identifier's own code.
pub(crate) fn id_error(e: DecodeError) -> Status {
    match e {
        DecodeError::InvalidUtf8 => Status::of(MCX_E_INVALID_UTF8),
        DecodeError::InvalidField(e) => Status::of(e.status()),
        other => Status::of(other.status()),
    }
}

/// Reads an optional C string: NULL means absent, otherwise as [`c_str`].
pub(crate) fn c_str_opt<'a>(p: *const c_char) -> Result<Option<&'a [u8]>, Status> {
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
        return Err(Status::of(MCX_E_NULL_ARGUMENT));
    }
    if len > isize::MAX as usize {
        return Err(Status::of(MCX_E_INVALID_ARGUMENT));
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
        return Err(Status::of(MCX_E_NULL_ARGUMENT));
    }
    if cap > isize::MAX as usize {
        return Err(Status::of(MCX_E_INVALID_ARGUMENT));
    }
    // SAFETY: non-NULL, `cap` fits `isize`, and the caller promises `cap` writable bytes that
    // nothing else accesses during the call.
    Ok(unsafe { core::slice::from_raw_parts_mut(p, cap) })
}

/// Borrows a table's storage for as long as the table is used: `len` bytes at `p`, any
/// alignment; `p` must not be NULL.
pub(crate) fn table_storage(p: *mut u8, len: usize) -> Result<&'static mut [u8], Status> {
    if p.is_null() {
        return Err(Status::of(MCX_E_NULL_ARGUMENT));
    }
    if len > isize::MAX as usize {
        return Err(Status::of(MCX_E_INVALID_ARGUMENT));
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

/// Copies `src` to the start of `dst` and returns its length; `None`, writing nothing, when it
/// does not fit. A zip, not `copy_from_slice`: LLVM does not prove the lengths equal at
/// `opt-level = "z"`, and the latter's length check would link a panic path (docs/footprint.md,
/// "Panic-freedom proof").
pub(crate) fn copy_to_start(dst: &mut [u8], src: &[u8]) -> Option<usize> {
    let to = dst.get_mut(..src.len())?;
    for (to, from) in to.iter_mut().zip(src) {
        *to = *from;
    }
    Some(src.len())
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
    slot.get(offset..end)
        .and_then(|src| copy_to_start(buf, src))
        .is_some()
}

/// Writes `data` at `offset` of the `len` writable bytes at `p` (a save slot in RAM); false if
/// out of range or `p` is NULL.
pub(crate) fn write_slot(p: *mut u8, len: usize, offset: usize, data: &[u8]) -> bool {
    match buffer(p, len) {
        Ok(slot) => slot
            .get_mut(offset..)
            .and_then(|dst| copy_to_start(dst, data))
            .is_some(),
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
    let p = core::ptr::NonNull::new(p).ok_or(Status::of(MCX_E_NULL_ARGUMENT))?;
    if misaligned(p.as_ptr().cast_const().cast::<u8>(), align_of::<T>()) {
        return Err(Status::of(MCX_E_MISALIGNED));
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
        return Err(Status::of(MCX_E_NULL_ARGUMENT));
    }
    if misaligned(p.cast::<u8>(), align_of::<T>()) {
        return Err(Status::of(MCX_E_MISALIGNED));
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

/// The panic-freedom proof's call (`panic-never` feature, lib.rs): a symbol nothing defines.
#[cfg(all(target_os = "none", feature = "panic-never", not(test)))]
pub(crate) fn panic_path_reachable() -> ! {
    extern "C" {
        /// Deliberately never defined (see the panic handler in lib.rs).
        fn mcx_panic_path_reachable() -> !;
    }
    // SAFETY: never runs: a build in which this call is reachable does not link.
    unsafe { mcx_panic_path_reachable() }
}

/// The exported C functions, in the order of the header, each documented as the header shows
/// it and forwarding to its implementation (safe code, in the module of its topic).
pub mod exports {
    use core::ffi::{c_char, c_void};

    use crate::client::mcx_call_t;
    use crate::message::{
        mcx_field, mcx_message_t, mcx_reason, mcx_service_kind, McxMessageKind, McxReason,
        McxServiceKind, McxUpdateKind,
    };
    use crate::server::McxDecision;
    use crate::status::mcx_status;
    use crate::table::{mcx_save_slot_t, mcx_table_t, McxSlot};

    /// Starts a call (step 1) from a private call request built by `mcx_message_init_request`,
    /// whatever `call` held before. `MCX_E_WRONG_MESSAGE_TYPE` if `request` is not a request; on
    /// failure `call` is unchanged. `call` and `request` must not overlap (no argument a call
    /// writes may overlap another of its arguments; docs/c-api.md).
    #[no_mangle]
    pub extern "C" fn mcx_call_start(
        call: *mut mcx_call_t,
        request: *const mcx_message_t,
    ) -> mcx_status {
        crate::client::call_start(call, request)
    }

    /// Follows a received private call redirection (steps 3 and 5): the outstanding request is
    /// released and the next request targets the other ID the redirection names (the
    /// partner-assigned ID at step 3, the primary ID in a redirection home from a partner
    /// system that no longer serves the user), with that ID's security domain information when
    /// end-to-end encryption is required. The redirection belongs to the call only if it names
    /// the ID the call just called (IE 2 or IE 3), so a caller never needs to know beforehand
    /// whether it dialled a primary or a partner-assigned ID.
    ///
    /// A refused redirection gives an `MCX_E_REDIRECTION_*` code (another call's, a downgrade of
    /// end-to-end encryption, a loop, too many) and leaves `call` unchanged.
    #[no_mangle]
    pub extern "C" fn mcx_call_on_redirection(
        call: *mut mcx_call_t,
        redirection: *const mcx_message_t,
    ) -> mcx_status {
        crate::client::call_on_redirection(call, redirection)
    }

    /// As `mcx_call_on_redirection`, for a redirection received as `len` bytes. Garbage gives an
    /// `MCX_E_DECODE_*` code; `call` is unchanged on any failure.
    #[no_mangle]
    pub extern "C" fn mcx_call_on_redirection_bytes(
        call: *mut mcx_call_t,
        bytes: *const u8,
        len: usize,
    ) -> mcx_status {
        crate::client::call_on_redirection_bytes(call, bytes, len)
    }

    /// Encodes the request to send now (the first one, or the one after the last redirection)
    /// into `buf`; errors as `mcx_message_encode`.
    #[no_mangle]
    pub extern "C" fn mcx_call_request(
        call: *const mcx_call_t,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> mcx_status {
        crate::client::call_request(call, buf, cap, out_len)
    }

    /// Copies the request to send now into `msg`, to read its fields (`MCX_FIELD_TARGET`,
    /// `MCX_FIELD_KMS_URI`, ...). On failure `msg` is unchanged.
    #[no_mangle]
    pub extern "C" fn mcx_call_request_message(
        call: *const mcx_call_t,
        msg: *mut mcx_message_t,
    ) -> mcx_status {
        crate::client::call_request_message(call, msg)
    }

    /// Writes how many redirections the call has followed to `*out`.
    #[no_mangle]
    pub extern "C" fn mcx_call_redirections(
        call: *const mcx_call_t,
        out: *mut usize,
    ) -> mcx_status {
        crate::client::call_redirections(call, out)
    }

    /// Builds a private call request (step 1 of §10.16.5.3) into `msg`.
    ///
    /// `kms_uri` may be NULL (no security domain information). On failure `msg` is unchanged.
    #[no_mangle]
    pub extern "C" fn mcx_message_init_request(
        msg: *mut mcx_message_t,
        service_kind: mcx_service_kind,
        calling_party: *const c_char,
        target: *const c_char,
        e2ee_required: bool,
        kms_uri: *const c_char,
    ) -> mcx_status {
        crate::message::message_init_request(
            msg,
            service_kind,
            calling_party,
            target,
            e2ee_required,
            kms_uri,
        )
    }

    /// Builds a private call redirection (Table 10.16.y.2-1) into `msg`, with IE 2
    /// `target_primary` (the target's MC service ID from its primary MC system) and IE 3
    /// `target_migrated` (the ID the migrated MC system assigned). Sent by the primary system
    /// (step 3 of §10.16.5.3), it says that the call from `calling_party` to `target_primary` is
    /// to be sent to `target_migrated`; sent home by a partner system that no longer serves the
    /// user (consecutive migration), that the call to `target_migrated` is to be sent to
    /// `target_primary`. The caller tells the two apart by the ID it called.
    ///
    /// `kms_uri` may be NULL (no security domain information), except with `e2ee_required`: the
    /// NOTE under Table 10.16.y.2-1 makes it mandatory then, and the builder refuses the
    /// redirection with `MCX_E_ENCODE_MISSING_SECURITY_DOMAIN_INFO`, as the encoder would.
    /// `reason` is an `MCX_REASON_*` value, or `MCX_REASON_NONE` for a redirection without one.
    /// On failure `msg` is unchanged.
    #[no_mangle]
    pub extern "C" fn mcx_message_init_redirection(
        msg: *mut mcx_message_t,
        service_kind: mcx_service_kind,
        calling_party: *const c_char,
        target_primary: *const c_char,
        target_migrated: *const c_char,
        e2ee_required: bool,
        kms_uri: *const c_char,
        reason: mcx_reason,
    ) -> mcx_status {
        crate::message::message_init_redirection(
            msg,
            service_kind,
            calling_party,
            target_primary,
            target_migrated,
            e2ee_required,
            kms_uri,
            reason,
        )
    }

    /// Builds the migration update "user `primary_id` of this system migrated to `partner_system`,
    /// which assigned it `partner_id`" (clause 10.6.3.3). `kms_uri` (partner's security domain) may
    /// be NULL. On failure `msg` is unchanged.
    #[no_mangle]
    pub extern "C" fn mcx_message_init_migrated(
        msg: *mut mcx_message_t,
        primary_id: *const c_char,
        partner_system: *const c_char,
        partner_id: *const c_char,
        kms_uri: *const c_char,
    ) -> mcx_status {
        crate::message::message_init_migrated(msg, primary_id, partner_system, partner_id, kms_uri)
    }

    /// Builds the migration update "migrated user `primary_id` moved on to `partner_system`, which
    /// assigned it `partner_id`". `kms_uri` may be NULL. On failure `msg` is unchanged.
    #[no_mangle]
    pub extern "C" fn mcx_message_init_moved_on(
        msg: *mut mcx_message_t,
        primary_id: *const c_char,
        partner_system: *const c_char,
        partner_id: *const c_char,
        kms_uri: *const c_char,
    ) -> mcx_status {
        crate::message::message_init_moved_on(msg, primary_id, partner_system, partner_id, kms_uri)
    }

    /// Builds the migration update "migrated user `primary_id` returned home". On failure `msg` is
    /// unchanged.
    #[no_mangle]
    pub extern "C" fn mcx_message_init_returned(
        msg: *mut mcx_message_t,
        primary_id: *const c_char,
    ) -> mcx_status {
        crate::message::message_init_returned(msg, primary_id)
    }

    /// Builds the migration update "the user with primary ID `primary_id` of `primary_system` now
    /// visits this system as `local_id`". `kms_uri` (primary system's security domain) may be NULL.
    /// On failure `msg` is unchanged.
    #[no_mangle]
    pub extern "C" fn mcx_message_init_visitor_registered(
        msg: *mut mcx_message_t,
        local_id: *const c_char,
        primary_id: *const c_char,
        primary_system: *const c_char,
        kms_uri: *const c_char,
    ) -> mcx_status {
        crate::message::message_init_visitor_registered(
            msg,
            local_id,
            primary_id,
            primary_system,
            kms_uri,
        )
    }

    /// Builds the migration update "visiting user `local_id` left this system". On failure `msg`
    /// is unchanged.
    #[no_mangle]
    pub extern "C" fn mcx_message_init_visitor_departed(
        msg: *mut mcx_message_t,
        local_id: *const c_char,
    ) -> mcx_status {
        crate::message::message_init_visitor_departed(msg, local_id)
    }

    /// Decodes any message from `len` bytes at `bytes` into `msg` (which need not be initialised).
    ///
    /// Garbage gives one of the `MCX_E_DECODE_*` codes and leaves `msg` unchanged. `bytes` may be
    /// NULL only when `len` is 0.
    #[no_mangle]
    pub extern "C" fn mcx_message_decode(
        msg: *mut mcx_message_t,
        bytes: *const u8,
        len: usize,
    ) -> mcx_status {
        crate::message::message_decode(msg, bytes, len)
    }

    /// Decodes one frame (with or without its trailing `0x00`) into `msg`: COBS, then the CRC-32C
    /// (`MCX_E_DECODE_FRAME_CHECK_MISMATCH` if it does not match), then the message.
    ///
    /// The frame is decoded **in place**: `frame`'s bytes are overwritten, even when the frame is
    /// invalid. `msg` is unchanged on failure.
    #[no_mangle]
    pub extern "C" fn mcx_message_decode_frame(
        msg: *mut mcx_message_t,
        frame: *mut u8,
        len: usize,
    ) -> mcx_status {
        crate::message::message_decode_frame(msg, frame, len)
    }

    /// Encodes a message to send into `buf` (capacity `cap`); its length goes to `*out_len`.
    ///
    /// `MCX_MAX_ENCODED_LEN` bytes always suffice. A smaller buffer gives `MCX_E_BUFFER_TOO_SMALL`
    /// with the needed length in `*out_len` (`buf` may be NULL with `cap` 0 to ask for it); the
    /// buffer's contents are then unspecified.
    #[no_mangle]
    pub extern "C" fn mcx_message_encode(
        msg: *const mcx_message_t,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> mcx_status {
        crate::message::message_encode(msg, buf, cap, out_len)
    }

    /// Encodes a message as one frame for a byte stream (UART): COBS of the message and its
    /// CRC-32C (little-endian), trailing `0x00` included;
    /// otherwise as `mcx_message_encode` (`MCX_MAX_FRAME_LEN` bytes always suffice).
    #[no_mangle]
    pub extern "C" fn mcx_message_encode_frame(
        msg: *const mcx_message_t,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> mcx_status {
        crate::message::message_encode_frame(msg, buf, cap, out_len)
    }

    /// Writes the message type (`MCX_MESSAGE_*`) to `*out`.
    #[no_mangle]
    pub extern "C" fn mcx_message_type(
        msg: *const mcx_message_t,
        out: *mut McxMessageKind,
    ) -> mcx_status {
        crate::message::message_type(msg, out)
    }

    /// Writes the service kind (`MCX_SERVICE_*`) of a request or redirection to `*out`;
    /// `MCX_E_WRONG_MESSAGE_TYPE` for a migration update.
    #[no_mangle]
    pub extern "C" fn mcx_message_service_kind(
        msg: *const mcx_message_t,
        out: *mut McxServiceKind,
    ) -> mcx_status {
        crate::message::message_service_kind(msg, out)
    }

    /// Writes whether end-to-end encryption is required (request, redirection) to `*out`.
    #[no_mangle]
    pub extern "C" fn mcx_message_e2ee_required(
        msg: *const mcx_message_t,
        out: *mut bool,
    ) -> mcx_status {
        crate::message::message_e2ee_required(msg, out)
    }

    /// Writes a redirection's reason (`MCX_REASON_*`) to `*out`; `MCX_E_ABSENT` if it carries
    /// none, `MCX_E_WRONG_MESSAGE_TYPE` for other messages.
    #[no_mangle]
    pub extern "C" fn mcx_message_reason(
        msg: *const mcx_message_t,
        out: *mut McxReason,
    ) -> mcx_status {
        crate::message::message_reason(msg, out)
    }

    /// Writes a migration update's kind (`MCX_UPDATE_*`) to `*out`; `MCX_E_WRONG_MESSAGE_TYPE` for
    /// other messages.
    #[no_mangle]
    pub extern "C" fn mcx_message_update_kind(
        msg: *const mcx_message_t,
        out: *mut McxUpdateKind,
    ) -> mcx_status {
        crate::message::message_update_kind(msg, out)
    }

    /// Copies string field `field` (`MCX_FIELD_*`) of `msg` into `buf` as a NUL-terminated string
    /// and writes its length (NUL excluded) to `*out_len`.
    ///
    /// Returns `MCX_E_WRONG_MESSAGE_TYPE` if this message type has no such field, `MCX_E_ABSENT`
    /// for absent security domain information, `MCX_E_INVALID_ARGUMENT` for an unknown selector,
    /// and `MCX_E_BUFFER_TOO_SMALL` with the bytes needed (NUL included) in `*out_len` if `cap` is
    /// too small. `MCX_MAX_STRING_LEN` + 1 bytes always suffice.
    #[no_mangle]
    pub extern "C" fn mcx_message_field(
        msg: *const mcx_message_t,
        field: mcx_field,
        buf: *mut c_char,
        cap: usize,
        out_len: *mut usize,
    ) -> mcx_status {
        crate::message::message_field(msg, field, buf, cap, out_len)
    }

    /// Decides what to do with a received private call request (built or decoded into `request`).
    ///
    /// On `MCX_OK`, `*out_decision` is one of `MCX_DECISION_*`:
    /// - `MCX_DECISION_PROCEED`: `*out_len` = 0, `*out_reject_reason` = `MCX_OK`;
    /// - `MCX_DECISION_REDIRECT`: the encoded private call redirection is in `redirection[0..*out_len]`
    ///   (`MCX_MAX_ENCODED_LEN` bytes always suffice);
    /// - `MCX_DECISION_REJECT`: `*out_reject_reason` is an `MCX_E_REJECT_*` code.
    ///
    /// A buffer too small for the redirection gives `MCX_E_BUFFER_TOO_SMALL` with the needed length
    /// in `*out_len`; the buffer's contents are then unspecified. The table is never modified.
    #[no_mangle]
    pub extern "C" fn mcx_server_decide(
        table: *const mcx_table_t,
        request: *const mcx_message_t,
        redirection: *mut u8,
        cap: usize,
        out_len: *mut usize,
        out_decision: *mut McxDecision,
        out_reject_reason: *mut mcx_status,
    ) -> mcx_status {
        crate::server::server_decide(
            table,
            request,
            redirection,
            cap,
            out_len,
            out_decision,
            out_reject_reason,
        )
    }

    /// As `mcx_server_decide`, for a request received as `len` bytes: garbage gives an
    /// `MCX_E_DECODE_*` code, another message type `MCX_E_DECODE_UNEXPECTED_MESSAGE_TYPE`.
    #[no_mangle]
    pub extern "C" fn mcx_server_decide_bytes(
        table: *const mcx_table_t,
        request: *const u8,
        len: usize,
        redirection: *mut u8,
        cap: usize,
        out_len: *mut usize,
        out_decision: *mut McxDecision,
        out_reject_reason: *mut mcx_status,
    ) -> mcx_status {
        crate::server::server_decide_bytes(
            table,
            request,
            len,
            redirection,
            cap,
            out_len,
            out_decision,
            out_reject_reason,
        )
    }

    /// A static, NUL-terminated English description of `status`: any value, an `mcx_status` or
    /// not ("unknown status code" for a number that is none).
    ///
    /// Never returns NULL; the string lives for the whole program.
    #[no_mangle]
    pub extern "C" fn mcx_status_str(status: i32) -> *const c_char {
        crate::status::status_str(status)
    }

    /// Bytes of storage that always hold `records` records whose strings (the key, the other two IDs
    /// and the KMS URI) total at most `string_bytes` bytes each on average:
    /// `MCX_TABLE_STORAGE_LEN(records, string_bytes)`, as a function. Saturates at `SIZE_MAX`.
    #[no_mangle]
    pub extern "C" fn mcx_table_storage_len(records: usize, string_bytes: usize) -> usize {
        crate::table::table_storage_len(records, string_bytes)
    }

    /// Initialises `table` as an empty migration table over the `storage_len` bytes at `storage`
    /// (any alignment), whatever either held before. The storage must stay valid, and be touched by
    /// nothing but `mcx_table_*` calls on this table, for as long as the table is used; the
    /// library keeps no other pointer and allocates nothing. `mcx_table_storage_len` (or the
    /// `MCX_TABLE_STORAGE_LEN` macro, usable in a static array's size) sizes it.
    ///
    /// `MCX_E_NULL_ARGUMENT` for a NULL `table` or `storage`, `MCX_E_MISALIGNED` for a `table`
    /// not aligned for `mcx_table_t` (the storage needs no alignment),
    /// `MCX_E_TABLE_STORAGE_TOO_SMALL` below `MCX_TABLE_MIN_STORAGE_LEN` bytes,
    /// `MCX_E_INVALID_ARGUMENT` for a `storage_len` above `PTRDIFF_MAX`; on any of these nothing
    /// is written.
    #[no_mangle]
    pub extern "C" fn mcx_table_init(
        table: *mut mcx_table_t,
        storage: *mut c_void,
        storage_len: usize,
    ) -> mcx_status {
        crate::table::table_init(table, storage, storage_len)
    }

    /// Writes the bytes the records of `table` and the smallest index for them take to
    /// `*out_bytes`: how full the storage is, and the storage length a table restoring its
    /// snapshot needs.
    #[no_mangle]
    pub extern "C" fn mcx_table_bytes_in_use(
        table: *const mcx_table_t,
        out_bytes: *mut usize,
    ) -> mcx_status {
        crate::table::table_bytes_in_use(table, out_bytes)
    }

    /// Removes every record. Returns `MCX_E_NOT_INITIALISED` for a table never initialised.
    #[no_mangle]
    pub extern "C" fn mcx_table_clear(table: *mut mcx_table_t) -> mcx_status {
        crate::table::table_clear(table)
    }

    /// Writes the number of records in `table` to `*out_len`.
    #[no_mangle]
    pub extern "C" fn mcx_table_len(table: *const mcx_table_t, out_len: *mut usize) -> mcx_status {
        crate::table::table_len(table, out_len)
    }

    /// Applies a migration update built by an `mcx_message_init_*` update builder or decoded by
    /// `mcx_message_decode`.
    ///
    /// `MCX_E_WRONG_MESSAGE_TYPE` if `update` is not a migration update; `MCX_E_TABLE_*` when the
    /// update does not fit the table (full, not migrated, not visiting, role conflict). On any
    /// failure the table is unchanged. When the storage is full, the oldest departed visitor
    /// records are evicted to make room, as few as needed; live records never are.
    #[no_mangle]
    pub extern "C" fn mcx_table_apply(
        table: *mut mcx_table_t,
        update: *const mcx_message_t,
    ) -> mcx_status {
        crate::table::table_apply(table, update)
    }

    /// Decodes a migration update from `len` bytes and applies it, as `mcx_table_apply`.
    ///
    /// Garbage gives an `MCX_E_DECODE_*` code; a valid message of another type gives
    /// `MCX_E_DECODE_UNEXPECTED_MESSAGE_TYPE`. On any failure the table is unchanged.
    #[no_mangle]
    pub extern "C" fn mcx_table_apply_bytes(
        table: *mut mcx_table_t,
        bytes: *const u8,
        len: usize,
    ) -> mcx_status {
        crate::table::table_apply_bytes(table, bytes, len)
    }

    /// Writes a snapshot of `table` — every record, live and departed, with the eviction order —
    /// into `buf` (capacity `cap`), for keeping in flash across a reboot; its length goes to
    /// `*out_len`. The table is not changed.
    ///
    /// The snapshot holds a magic word, a format version, its length, the records and a CRC-32.
    /// `MCX_TABLE_MAX_SNAPSHOT_LEN(storage_len)` bytes always suffice. A smaller buffer gives
    /// `MCX_E_SNAPSHOT_BUFFER_TOO_SMALL` with the needed length in `*out_len` (`buf` may be NULL
    /// with `cap` 0 to ask for it); the buffer's contents are then unspecified.
    #[no_mangle]
    pub extern "C" fn mcx_table_snapshot(
        table: *const mcx_table_t,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> mcx_status {
        crate::table::table_snapshot(table, buf, cap, out_len)
    }

    /// Replaces the contents of `table` (initialised, typically empty after a reboot) with the
    /// snapshot in the `len` bytes at `bytes`, as written by `mcx_table_snapshot`. Bytes after the
    /// snapshot's stated length (the rest of a flash page) are ignored.
    ///
    /// The whole snapshot is checked before the table is touched, so on any failure the table is
    /// exactly as before: `MCX_E_SNAPSHOT_NOT_A_SNAPSHOT` (no magic word: erased flash, say),
    /// `MCX_E_SNAPSHOT_TRUNCATED`, `MCX_E_SNAPSHOT_UNSUPPORTED_VERSION`,
    /// `MCX_E_SNAPSHOT_CRC_MISMATCH` (corrupted bytes), `MCX_E_SNAPSHOT_TABLE_TOO_SMALL` (the
    /// records do not fit this table's storage: the storage length that holds them, what
    /// `mcx_table_bytes_in_use` of the table that took the snapshot said, is written to
    /// `*out_needed`, which may be NULL), `MCX_E_SNAPSHOT_MALFORMED`,
    /// `MCX_E_SNAPSHOT_INVALID_FIELD`, `MCX_E_SNAPSHOT_INVALID_RECORD`,
    /// `MCX_E_SNAPSHOT_DUPLICATE_KEY`.
    #[no_mangle]
    pub extern "C" fn mcx_table_restore(
        table: *mut mcx_table_t,
        bytes: *const u8,
        len: usize,
        out_needed: *mut usize,
    ) -> mcx_status {
        crate::table::table_restore(table, bytes, len, out_needed)
    }

    /// Saves `table` power-cut safe into whichever of slots `a` and `b` does not hold the newest
    /// valid save, with the next sequence number; the other slot is only read. The first save
    /// (neither slot holds one) goes to slot A with sequence number 1; of two saves with the same
    /// sequence number, slot A's is overwritten. A power failure at
    /// any point leaves the previous save loadable. Writes the slot used (`MCX_SLOT_A` or
    /// `MCX_SLOT_B`) and the sequence number to `*out_slot` and `*out_sequence` (each may be NULL).
    ///
    /// `MCX_E_SAVE_SLOT_TOO_SMALL` (nothing written; `MCX_SAVE_SLOT_LEN(storage_len)` bytes always
    /// suffice), `MCX_E_SAVE_IO` (a callback failed; the other slot still holds the previous save),
    /// `MCX_E_INVALID_ARGUMENT` for a slot with only one of its callbacks or a `len` above
    /// `PTRDIFF_MAX`.
    #[no_mangle]
    pub extern "C" fn mcx_table_save(
        table: *const mcx_table_t,
        a: *const mcx_save_slot_t,
        b: *const mcx_save_slot_t,
        out_slot: *mut McxSlot,
        out_sequence: *mut u32,
    ) -> mcx_status {
        crate::table::table_save(table, a, b, out_slot, out_sequence)
    }

    /// Restores into `table` the newest save of slots `a` and `b` that is whole (magic, length,
    /// CRC) and fits the table; the other is tried should the newest not restore. Writes the slot
    /// used and its sequence number to `*out_slot` and `*out_sequence`, and each slot's state to
    /// `*out_status_a` and `*out_status_b`: `MCX_OK` for a whole save (the one loaded, or an older
    /// one), else why it was refused (`MCX_E_SAVE_SLOT_ERASED`, `MCX_E_SAVE_NOT_A_SAVE`,
    /// `MCX_E_SAVE_TRUNCATED`, `MCX_E_SAVE_CRC_MISMATCH`, or the `MCX_E_SNAPSHOT_*` code of a whole
    /// save that did not restore). When a slot's save is whole but its records do not fit this
    /// table's storage (`MCX_E_SNAPSHOT_TABLE_TOO_SMALL`), the storage length that holds them is
    /// written to `*out_needed` (the larger of the two when both slots are so refused; nothing
    /// is written otherwise), as `mcx_table_restore` does. Every out-pointer may be NULL.
    ///
    /// `MCX_E_SAVE_NO_VALID_SLOT` when neither restores: the table is unchanged, and the statuses
    /// say why.
    #[no_mangle]
    pub extern "C" fn mcx_table_load(
        table: *mut mcx_table_t,
        a: *const mcx_save_slot_t,
        b: *const mcx_save_slot_t,
        out_slot: *mut McxSlot,
        out_sequence: *mut u32,
        out_status_a: *mut mcx_status,
        out_status_b: *mut mcx_status,
        out_needed: *mut usize,
    ) -> mcx_status {
        crate::table::table_load(
            table,
            a,
            b,
            out_slot,
            out_sequence,
            [out_status_a, out_status_b],
            out_needed,
        )
    }

    /// The library's version as a static NUL-terminated string, `"MAJOR.MINOR.PATCH"`: the
    /// version of the code linked, where the `MCX_VERSION_*` macros give the version of the header
    /// compiled against. Never NULL; never free it.
    #[no_mangle]
    pub extern "C" fn mcx_version() -> *const c_char {
        crate::version::version()
    }
}

/// Helpers of the unit tests (`tests.rs` and the modules' `mod tests`) that need `unsafe`.
#[cfg(test)]
pub(crate) mod test_support {
    use core::ffi::{c_char, CStr};
    use core::mem::{size_of, MaybeUninit};

    /// Types for which all-zero bytes are a valid value.
    ///
    /// # Safety
    /// All-zero bytes must be a valid value of the implementing type.
    pub(crate) unsafe trait Zeroable {}
    // SAFETY: byte-array unions: any bytes are valid.
    unsafe impl Zeroable for crate::mcx_table_t {}
    // SAFETY: as above.
    unsafe impl Zeroable for crate::mcx_message_t {}
    // SAFETY: as above.
    unsafe impl Zeroable for crate::mcx_call_t {}
    // SAFETY: an array of zeroable values is zeroable.
    unsafe impl<T: Zeroable, const N: usize> Zeroable for [T; N] {}

    /// A boxed all-zero `T`.
    pub(crate) fn zeroed<T: Zeroable>() -> std::boxed::Box<T> {
        // SAFETY: `Zeroable`'s contract.
        std::boxed::Box::new(unsafe { MaybeUninit::<T>::zeroed().assume_init() })
    }

    /// The bytes of storage that nothing wrote since [`zeroed`] made it.
    ///
    /// Only for such storage: once the library has written an object, its padding and unused
    /// string capacity are uninitialised bytes to Rust, and reading them as `u8` is undefined
    /// behaviour (Miri: "memory is uninitialized"). Tests compare such objects by value; the C
    /// tests (`ffi/tests/c/check.h`, `CHECK_UNCHANGED`) compare their bytes, as C may.
    pub(crate) fn zeroed_bytes_of<T: Zeroable>(value: &T) -> std::vec::Vec<u8> {
        // SAFETY: the caller's storage was zeroed and not written since: every byte is
        // initialised.
        unsafe { core::slice::from_raw_parts((value as *const T).cast::<u8>(), size_of::<T>()) }
            .to_vec()
    }

    /// The bytes of a message's storage, for reading and writing. Every byte is defined when
    /// the storage was [`zeroed`] and the library wrote nothing but messages into it:
    /// [`init_encoded`](super::init_encoded) writes each byte as a byte, no padding of a typed
    /// value.
    pub(crate) fn message_bytes(msg: &mut crate::mcx_message_t) -> &mut [u8] {
        // SAFETY: `msg` is a whole, exclusively borrowed `mcx_message_t`, and its bytes are
        // defined (the caller's storage as above).
        unsafe {
            core::slice::from_raw_parts_mut(
                (msg as *mut crate::mcx_message_t).cast::<u8>(),
                size_of::<crate::mcx_message_t>(),
            )
        }
    }

    /// Frees storage made by `Box::into_raw`, once.
    pub(crate) fn free(storage: *mut [u8]) {
        // SAFETY: the callers pass a pointer from `Box::into_raw`, once.
        drop(unsafe { std::boxed::Box::from_raw(storage) });
    }

    /// A static string the library returned (`mcx_status_str`, `mcx_version`).
    pub(crate) fn static_str(p: *const c_char) -> &'static CStr {
        // SAFETY: both functions return a pointer to a static NUL-terminated string.
        unsafe { CStr::from_ptr(p) }
    }
}
