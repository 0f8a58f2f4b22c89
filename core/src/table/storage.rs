//! The storages a [`MigrationTable`](super::MigrationTable) accepts: a closed set.

/// Storage a [`MigrationTable`](super::MigrationTable) can live in: `&mut [u8]`, `[u8; N]`
/// ([`ArrayTable`](super::ArrayTable)) and, with the `alloc` feature, `Vec<u8>` and `Box<[u8]>`.
///
/// The table trusts its bytes: a record's identifiers are validated once, when an update writes
/// them, and read back as validated identifiers ([`McServiceIdRef`](crate::McServiceIdRef) and
/// the others) without a second check — that is what keeps a lookup a hash probe and a borrow.
/// So the storage must hand out the same bytes from `as_ref` and `as_mut`, every time, and no
/// one else may write them while the table holds them. The storages above do; a type that only
/// implements `AsRef<[u8]>` and `AsMut<[u8]>` could return one buffer from `as_ref` and another
/// from `as_mut` (or change between calls), and a lookup would then return "identifiers" that
/// were never checked. The trait is sealed: no other crate can implement it, so no such type can
/// hold a table.
///
/// ```compile_fail,E0277
/// use mcx_migrate::table::MigrationTable;
///
/// /// Writes go to one buffer, reads come from another.
/// struct TwoFaced {
///     read: [u8; 256],
///     write: [u8; 256],
/// }
/// impl AsRef<[u8]> for TwoFaced {
///     fn as_ref(&self) -> &[u8] {
///         &self.read
///     }
/// }
/// impl AsMut<[u8]> for TwoFaced {
///     fn as_mut(&mut self) -> &mut [u8] {
///         &mut self.write
///     }
/// }
///
/// // error[E0277]: the trait bound `TwoFaced: TableStorage` is not satisfied
/// let table = MigrationTable::new(TwoFaced { read: [0; 256], write: [0; 256] });
/// ```
///
/// Nor can a crate implement it itself: its supertrait is private.
///
/// ```compile_fail,E0277
/// use mcx_migrate::table::TableStorage;
///
/// struct Mine([u8; 256]);
/// impl AsRef<[u8]> for Mine {
///     fn as_ref(&self) -> &[u8] {
///         &self.0
///     }
/// }
/// impl AsMut<[u8]> for Mine {
///     fn as_mut(&mut self) -> &mut [u8] {
///         &mut self.0
///     }
/// }
///
/// // error[E0277]: the trait bound `Mine: Sealed` is not satisfied
/// impl TableStorage for Mine {}
/// ```
pub trait TableStorage: AsRef<[u8]> + AsMut<[u8]> + sealed::Sealed {}

mod sealed {
    /// Implemented only here, for storages whose `as_ref` and `as_mut` are the same bytes, the
    /// same at every call.
    pub trait Sealed {}
}

impl sealed::Sealed for &mut [u8] {}
impl TableStorage for &mut [u8] {}

impl<const N: usize> sealed::Sealed for [u8; N] {}
impl<const N: usize> TableStorage for [u8; N] {}

#[cfg(any(test, feature = "alloc"))]
impl sealed::Sealed for alloc::vec::Vec<u8> {}
#[cfg(any(test, feature = "alloc"))]
impl TableStorage for alloc::vec::Vec<u8> {}

#[cfg(any(test, feature = "alloc"))]
impl sealed::Sealed for alloc::boxed::Box<[u8]> {}
#[cfg(any(test, feature = "alloc"))]
impl TableStorage for alloc::boxed::Box<[u8]> {}

#[cfg(test)]
mod tests {
    use super::TableStorage;
    use crate::table::{storage_len, MigrationTable};
    use alloc::boxed::Box;
    use alloc::vec;
    use alloc::vec::Vec;

    fn is_storage<S: TableStorage>() {}

    #[test]
    fn the_storages_are_slices_arrays_vecs_and_boxes() {
        is_storage::<&mut [u8]>();
        is_storage::<[u8; 32]>();
        is_storage::<Vec<u8>>();
        is_storage::<Box<[u8]>>();
        let boxed: Box<[u8]> = vec![0u8; storage_len(2, 100)].into_boxed_slice();
        let table = MigrationTable::new(boxed).unwrap();
        assert_eq!(table.storage_len(), storage_len(2, 100));
    }
}
