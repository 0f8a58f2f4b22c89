/*
 * Reset and vector table for QEMU's mps2-an386 (Cortex-M4F), no vendor startup code: the CPU
 * reads the initial stack pointer and the reset handler from the table at 0x0
 * (examples/mps2-an386/README.md). The reset handler copies .data, zeroes .bss, enables the
 * FPU, opens the semihosting handles and runs main(); main's return value becomes QEMU's exit
 * code through newlib's exit() (semihosting SYS_EXIT_EXTENDED).
 */
#include <stdint.h>
#include <stdlib.h>

extern int main(void);
extern void initialise_monitor_handles(void);

/* From firmware.ld. */
extern uint32_t __stack_top[];
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];

void Reset_Handler(void);
void Fault_Handler(void);

/* Word 0: initial SP; word 1: reset; then the core's exceptions, all routed to one handler
 * that ends the run (a fault must fail the test, not hang it). */
struct vector_table {
    uint32_t *initial_sp;
    void (*handlers[15])(void);
};

__attribute__((section(".vectors"), used)) static const struct vector_table vectors = {
    __stack_top,
    {
        Reset_Handler,
        Fault_Handler, /* NMI */
        Fault_Handler, /* HardFault */
        Fault_Handler, /* MemManage */
        Fault_Handler, /* BusFault */
        Fault_Handler, /* UsageFault */
        0, 0, 0, 0,
        Fault_Handler, /* SVCall */
        Fault_Handler, /* DebugMonitor */
        0,
        Fault_Handler, /* PendSV */
        Fault_Handler, /* SysTick */
    },
};

void Reset_Handler(void) {
    uint32_t *src = __data_load, *dst;
    for (dst = __data_start; dst < __data_end;) *dst++ = *src++;
    for (dst = __bss_start; dst < __bss_end;) *dst++ = 0;
    /* CPACR: full access to CP10 and CP11 (the FPU) before any float instruction; hard-float
     * code may use FPU registers anywhere, newlib's printf included. */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    initialise_monitor_handles();
    exit(main());
}

void Fault_Handler(void) {
    /* Semihosting may be what faulted; exit through it anyway, with a code no check uses. */
    exit(99);
}

/* newlib's exit() runs __libc_fini_array, which calls _fini (crti.o's, skipped by
 * -nostartfiles): nothing to finalise here. */
void _init(void);
void _fini(void);
void _init(void) {}
void _fini(void) {}
