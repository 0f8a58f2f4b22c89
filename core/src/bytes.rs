//! Byte copying shared by the encoder and the migration table.

/// Copies `src` into `dst`, as many bytes as the shorter of the two holds.
///
/// On bare metal a zip, not `copy_from_slice`: LLVM at `opt-level = "z"` does not prove the
/// lengths equal, even behind a test, and the latter's length check would link a panic path
/// into the panic-never firmware. Elsewhere (servers, hosts, where speed counts) the `memcpy`,
/// which copies in wide moves rather than a loop.
#[inline]
pub(crate) fn copy(dst: &mut [u8], src: &[u8]) {
    #[cfg(not(target_os = "none"))]
    if let Some(dst) = dst.get_mut(..src.len()) {
        dst.copy_from_slice(src);
        return;
    }
    for (to, from) in dst.iter_mut().zip(src) {
        *to = *from;
    }
}
