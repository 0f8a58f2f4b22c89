#!/usr/bin/env bash
# Cargo runner: boots the firmware ELF ($1) on QEMU's mps2-an386 and decodes its defmt log.
# Exits with the firmware's semihosting exit code (0 only if every check passed).
set -euo pipefail
elf="$1"
command -v defmt-print >/dev/null || {
  echo "defmt-print not found: cargo install defmt-print --locked --version 1.2.0" >&2; exit 127; }
qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
  -semihosting-config enable=on,target=native -kernel "$elf" | defmt-print -e "$elf"
