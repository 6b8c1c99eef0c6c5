/*
 * guest.S - the smartvm tiny test guest.
 *
 * A few hundred bytes of x86-64 code that Firecracker boots as a "kernel" in
 * place of Linux, so that tests can drive a real Firecracker (boot, pause,
 * resume, snapshot, Ctrl-Alt-Del) on hosts where Linux guests cannot run.
 *
 * Boot contract. Firecracker loads an ELF kernel without a PVH note by copying
 * every PT_LOAD segment to its p_paddr and entering e_entry already in 64-bit
 * long mode: the low 1 GiB is identity-mapped, a stack is set up, interrupts
 * are disabled (RFLAGS.IF = 0) and DF = 0. The guest needs nothing else: it
 * installs no IDT and takes no interrupts.
 *
 * Behaviour (tests parse this output; internal/guest mirrors it as constants):
 *   1. print "smartvm tiny guest\n" on COM1 (I/O port 0x3f8);
 *   2. every TICK_CYCLES TSC cycles print "tick N\n", N = 1, 2, 3, ... in
 *      decimal. N lives in %r12 and the period start in %r13, so a snapshot
 *      (which saves the vCPU registers) resumes the count where it stopped;
 *   3. between ticks poll the i8042 status port 0x64. Firecracker's
 *      SendCtrlAltDel action queues key bytes there (status bit 0 = output
 *      buffer full). When that happens drain the bytes from port 0x60, print
 *      "bye\n" and write 0xfe (pulse reset line) to port 0x64, which makes
 *      Firecracker stop the VM and exit with status 0. Should the reset not
 *      take effect, spin forever.
 *
 * Only plain instructions are used (in/out, rdtsc, pause, arithmetic, call):
 * some nested hypervisors cannot emulate hlt, int3, xrstor or cmpxchg16b.
 *
 * Building. The ELF file header and the program header are written out by
 * hand below, and guest.ld links the single section as a flat binary at
 * 0x1000000 (16 MiB). The output file is therefore exactly the bytes of this
 * file: no section headers, symbols, notes or build ids, so assembling it
 * twice, or with another binutils release, gives the same file.
 *
 *   as --64 -o guest.o guest.S
 *   ld -m elf_x86_64 -T guest.ld -o tinyguest.elf guest.o
 */

	.set COM1_THR, 0x3f8	/* 16550 transmit holding register */
	.set COM1_LSR, 0x3fd	/* 16550 line status register */
	.set LSR_THRE, 0x20	/* LSR bit: transmit holding register empty */

	.set KBD_DATA, 0x60	/* i8042 data port */
	.set KBD_STATUS, 0x64	/* i8042 status (read) / command (write) port */
	.set KBD_OBF, 0x01	/* status bit: output buffer full */
	.set KBD_RESET, 0xfe	/* command: pulse the CPU reset line */
	.set KBD_DRAIN_MAX, 64	/* bound on bytes read when draining */

	/*
	 * TICK_CYCLES is the tick period in TSC cycles. 500,000,000 cycles are
	 * 200 ms with a 2.5 GHz TSC. The guest does not calibrate its TSC, so
	 * the period scales with the host: 1 GHz gives 500 ms, 4 GHz 125 ms.
	 * Tests must therefore only count ticks, never time them.
	 */
	.set TICK_CYCLES, 500000000

	/* POLL_PAUSES pause instructions are run between two i8042 polls, so
	 * that the guest does not exit to the VMM on every loop iteration. */
	.set POLL_PAUSES, 2000

	.section .text.guest, "ax"
	.code64

/* ---- ELF64 file header (64 bytes) ---- */
elf_header:
	.byte 0x7f, 'E', 'L', 'F'
	.byte 2			/* EI_CLASS: ELFCLASS64 */
	.byte 1			/* EI_DATA: ELFDATA2LSB */
	.byte 1			/* EI_VERSION: EV_CURRENT */
	.byte 0			/* EI_OSABI: System V */
	.fill 8, 1, 0		/* EI_ABIVERSION and padding */
	.short 2		/* e_type: ET_EXEC */
	.short 62		/* e_machine: EM_X86_64 */
	.long 1			/* e_version */
	.quad _start		/* e_entry */
	.quad program_header - elf_header	/* e_phoff */
	.quad 0			/* e_shoff: no section headers */
	.long 0			/* e_flags */
	.short 64		/* e_ehsize */
	.short 56		/* e_phentsize */
	.short 1		/* e_phnum */
	.short 0		/* e_shentsize */
	.short 0		/* e_shnum */
	.short 0		/* e_shstrndx */

/* ---- the one program header (56 bytes): load the whole file ---- */
program_header:
	.long 1			/* p_type: PT_LOAD */
	.long 5			/* p_flags: PF_R | PF_X */
	.quad 0			/* p_offset: from the first byte of the file */
	.quad elf_header	/* p_vaddr: the link address, 0x1000000 */
	.quad elf_header	/* p_paddr: where Firecracker copies it */
	.quad image_end - elf_header	/* p_filesz */
	.quad image_end - elf_header	/* p_memsz: no bss */
	.quad 0x1000		/* p_align */

/* ---- code ---- */
_start:
	cld
	lea banner(%rip), %rsi
	call puts
	xor %r12d, %r12d	/* r12 = number of the last tick printed */

next_period:
	call read_tsc
	mov %rax, %r13		/* r13 = TSC at the start of this period */

poll:
	in $KBD_STATUS, %al
	test $KBD_OBF, %al
	jnz shutdown

	mov $POLL_PAUSES, %ecx
1:	pause
	dec %ecx
	jnz 1b

	/*
	 * Unsigned elapsed time. If the TSC went backwards (it may after a
	 * snapshot is restored on another host) the difference wraps to a huge
	 * value and the tick is printed at once instead of never.
	 */
	call read_tsc
	sub %r13, %rax
	cmp $TICK_CYCLES, %rax
	jb poll

	inc %r12
	lea tick_prefix(%rip), %rsi
	call puts
	mov %r12, %rax
	call put_decimal
	mov $'\n', %al
	call putc
	jmp next_period

/* Drain the keyboard bytes, say bye and ask the VMM for a reset. */
shutdown:
	mov $KBD_DRAIN_MAX, %ecx
1:	in $KBD_DATA, %al
	in $KBD_STATUS, %al
	test $KBD_OBF, %al
	jz 2f
	dec %ecx
	jnz 1b
2:	lea bye(%rip), %rsi
	call puts
	mov $KBD_RESET, %al
	out %al, $KBD_STATUS
3:	pause			/* the reset did not happen: spin */
	jmp 3b

/* read_tsc: %rax = 64-bit TSC. Clobbers %rdx. */
read_tsc:
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	ret

/* puts: print the NUL-terminated string at %rsi. Clobbers %rax, %rdx, %rsi. */
puts:
	lodsb
	test %al, %al
	jz 1f
	call putc
	jmp puts
1:	ret

/*
 * put_decimal: print %rax as an unsigned decimal number. The digits are
 * pushed least significant first and popped in print order.
 * Clobbers %rax, %rcx, %rdx, %rsi.
 */
put_decimal:
	mov $10, %ecx
	xor %esi, %esi		/* esi = digits pushed */
1:	xor %edx, %edx
	div %rcx		/* rax = rax / 10, rdx = rax % 10 */
	push %rdx
	inc %esi
	test %rax, %rax
	jnz 1b
2:	pop %rax
	add $'0', %al
	call putc
	dec %esi
	jnz 2b
	ret

/* putc: write %al to COM1 once the transmitter is ready. Clobbers %rdx. */
putc:
	push %rax
	mov $COM1_LSR, %dx
1:	in %dx, %al
	test $LSR_THRE, %al
	jz 1b
	pop %rax
	mov $COM1_THR, %dx
	out %al, %dx
	ret

/* ---- read-only data ---- */
banner:
	.asciz "smartvm tiny guest\n"
tick_prefix:
	.asciz "tick "
bye:
	.asciz "bye\n"

image_end:
