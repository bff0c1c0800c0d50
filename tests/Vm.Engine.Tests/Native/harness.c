/*
 * Differential test harness: runs instruction bytes natively on the host CPU (as a 32-bit
 * process) with given registers, flags and memory, and prints the results.
 *
 * Input, one case per line (hex, no 0x):
 *   CODE EAX ECX EDX EBX ESP EBP ESI EDI EFLAGS MEM
 * where CODE is the instruction bytes and MEM the 512-byte data buffer at DATA_ADDR.
 * Output, one line per case:
 *   SIG EAX ECX EDX EBX ESP EBP ESI EDI EFLAGS MEM
 * SIG is 0, or the signal number when the code faulted (then the rest is zeros).
 * Build: gcc -m32 -O1 -o harness harness.c
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define DATA_ADDR  0x00800000u
#define CODE_ADDR  0x00900000u
#define STACK_ADDR 0x00A00000u  /* stack page: 0x00A00000..0x00A01000 */
#define MEM_SIZE 512

struct ctx { uint32_t r[8]; uint32_t eflags; }; /* eax ecx edx ebx esp ebp esi edi */
static struct ctx in_ctx, out_ctx;
static uint32_t saved_esp;
static sigjmp_buf jb;
static volatile int got_sig;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)si; (void)uc;
    got_sig = sig;
    siglongjmp(jb, 1);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int parse_hex_bytes(const char *s, uint8_t *out, int max)
{
    int n = 0;
    while (s[0] && s[1] && n < max) { out[n++] = (uint8_t)(hexval(s[0]) * 16 + hexval(s[1])); s += 2; }
    return n;
}

static uint8_t *emit(uint8_t *p, const void *b, int n) { memcpy(p, b, n); return p + n; }
static uint8_t *emit32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); return p + 4; }

int main(void)
{
    uint8_t *data = mmap((void *)DATA_ADDR, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    uint8_t *code = mmap((void *)CODE_ADDR, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    uint8_t *stack = mmap((void *)STACK_ADDR, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (data != (void *)DATA_ADDR || code != (void *)CODE_ADDR || stack != (void *)STACK_ADDR) { fprintf(stderr, "mmap failed\n"); return 1; }

    static uint8_t altstack[65536];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGTRAP, &sa, NULL);

    static char line[8192];
    while (fgets(line, sizeof line, stdin)) {
        char codehex[256], memhex[MEM_SIZE * 2 + 2];
        unsigned r[8], fl;
        if (sscanf(line, "%255s %x %x %x %x %x %x %x %x %x %1025s", codehex, &r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6], &r[7], &fl, memhex) != 11) {
            fprintf(stderr, "bad line\n");
            return 1;
        }
        uint8_t insn[128];
        int n = parse_hex_bytes(codehex, insn, sizeof insn);
        parse_hex_bytes(memhex, data, MEM_SIZE);
        for (int i = 0; i < 8; i++) in_ctx.r[i] = r[i];
        in_ctx.eflags = fl;

        uint8_t *p = code;
        p = emit(p, "\x60", 1);                                   /* pushad */
        p = emit(p, "\x89\x25", 2); p = emit32(p, (uint32_t)&saved_esp);   /* mov [saved_esp], esp */
        p = emit(p, "\x8b\x25", 2); p = emit32(p, (uint32_t)&in_ctx.r[4]); /* mov esp, [in.esp] */
        p = emit(p, "\xff\x35", 2); p = emit32(p, (uint32_t)&in_ctx.eflags); /* push [in.eflags] */
        p = emit(p, "\x9d", 1);                                   /* popfd */
        p = emit(p, "\xa1", 1); p = emit32(p, (uint32_t)&in_ctx.r[0]);     /* mov eax, [in.eax] */
        static const uint8_t ld[] = { 0x0d, 0x15, 0x1d, 0, 0x2d, 0x35, 0x3d };
        for (int i = 1; i < 8; i++) { if (i == 4) continue; uint8_t op[2] = { 0x8b, ld[i - 1] }; p = emit(p, op, 2); p = emit32(p, (uint32_t)&in_ctx.r[i]); }
        p = emit(p, insn, n);
        p = emit(p, "\xa3", 1); p = emit32(p, (uint32_t)&out_ctx.r[0]);    /* mov [out.eax], eax */
        for (int i = 1; i < 8; i++) { uint8_t op[2] = { 0x89, (uint8_t)(ld[i - 1]) }; if (i == 4) op[1] = 0x25; p = emit(p, op, 2); p = emit32(p, (uint32_t)&out_ctx.r[i]); }
        p = emit(p, "\x9c", 1);                                   /* pushfd */
        p = emit(p, "\x8f\x05", 2); p = emit32(p, (uint32_t)&out_ctx.eflags); /* pop [out.eflags] */
        p = emit(p, "\x8b\x25", 2); p = emit32(p, (uint32_t)&saved_esp);   /* mov esp, [saved_esp] */
        p = emit(p, "\xfc\x61\xc3", 3);                           /* cld; popad; ret */

        got_sig = 0;
        memset(&out_ctx, 0, sizeof out_ctx);
        if (sigsetjmp(jb, 1) == 0) {
            ((void (*)(void))code)();
        } else {
            memset(&out_ctx, 0, sizeof out_ctx);
        }
        printf("%d", got_sig);
        for (int i = 0; i < 8; i++) printf(" %x", got_sig ? 0 : out_ctx.r[i]);
        printf(" %x ", got_sig ? 0 : out_ctx.eflags);
        for (int i = 0; i < MEM_SIZE; i++) printf("%02x", got_sig ? 0 : data[i]);
        printf("\n");
        fflush(stdout);
    }
    return 0;
}
