using Vm.Engine.Jit.Wasm;

namespace Vm.Engine.Tests.JitWasm;

/// <summary>
/// The wasm backend (modules run by Wasmtime) against the interpreter: the same guest programs,
/// the same final registers, flags, memory and EIP.
/// </summary>
public sealed class WasmBackendTests
{
    private static readonly uint[] NoRegs = [0, 0, 0, 0, JitMachine.StackTop, 0, JitMachine.DataAddr, 0];

    private static (int Vector, uint[] Regs, uint Eflags, byte[] Data, uint Eip) Interpret(byte[] code, uint[] regs, uint eflags, byte[] data)
    {
        using var m = new JitMachine(wasm: false);
        return m.Run(code, regs, eflags, data);
    }

    [Fact]
    public void RandomPrograms_MatchTheInterpreter_RegisterByRegisterFlagByFlag()
    {
        long wasmInstructions = 0;
        for (int seed = 0; seed < 300; seed++)
        {
            var rng = new Random(seed);
            byte[] code = RandomPrograms.Generate(rng, out uint[] regs);
            byte[] data = new byte[256];
            rng.NextBytes(data);
            // Half the programs at IOPL 3 with IF set, where CLI at CPL 3 is allowed (else it faults).
            uint eflags = (uint)rng.Next(2) * 0x8D5u | (rng.Next(2) == 0 ? 0x3200u : 0);
            var expected = Interpret(code, regs, eflags, data);
            using var m = new JitMachine(wasm: true);
            var actual = m.Run(code, regs, eflags, data);
            string where = $"seed {seed}: {Convert.ToHexString(code)}";
            Assert.True(expected.Vector == actual.Vector, $"{where}: vector {expected.Vector} vs {actual.Vector}");
            for (int r = 0; r < 8; r++)
                Assert.True(expected.Regs[r] == actual.Regs[r], $"{where}: register {r} {expected.Regs[r]:X8} vs {actual.Regs[r]:X8}");
            Assert.True(expected.Eflags == actual.Eflags, $"{where}: EFLAGS {expected.Eflags:X8} vs {actual.Eflags:X8}");
            Assert.True(expected.Data.AsSpan().SequenceEqual(actual.Data), $"{where}: memory differs");
            Assert.Equal(expected.Eip, actual.Eip);
            wasmInstructions += m.Backend!.Stats.WasmInstructions;
        }
        // The comparison means something only if much of the work ran in wasm.
        Assert.True(wasmInstructions > 20_000, $"only {wasmInstructions} instructions ran in wasm");
    }

    [Fact]
    public void CountedLoop_ChainsInsideWasm_FewEntriesForManyInstructions()
    {
        // mov ecx,100000; L: add eax,ecx; xor edx,eax; dec ecx; jnz L
        byte[] code = [0xB9, 0xA0, 0x86, 0x01, 0x00, 0x01, 0xC8, 0x31, 0xC2, 0x49, 0x75, 0xF9];
        var expected = Interpret(code, NoRegs, 0, new byte[16]);
        using var m = new JitMachine(wasm: true);
        var actual = m.Run(code, NoRegs, 0, new byte[16]);
        Assert.Equal(expected.Regs, actual.Regs);
        Assert.Equal(expected.Eflags, actual.Eflags);
        var st = m.Backend!.Stats;
        Assert.True(st.WasmInstructions > 390_000, $"{st.WasmInstructions} instructions in wasm");
        Assert.True(st.Entries < 100, $"{st.Entries} entries for {st.WasmInstructions} instructions: blocks are not chained");
    }

    [Fact]
    public void CallAndReturnInALoop_MatchTheInterpreter_StackIncluded_ReturnsStayInTheModule()
    {
        byte[] code =
        [
            0xB9, 0xE8, 0x03, 0x00, 0x00, // mov ecx, 1000
            0xE8, 0x05, 0x00, 0x00, 0x00, // L: call f
            0x49,                         // dec ecx
            0x75, 0xF8,                   // jnz L
            0xEB, 0x06,                   // jmp done
            0x01, 0xC8,                   // f: add eax, ecx
            0x31, 0xC2,                   // xor edx, eax
            0x43,                         // inc ebx
            0xC3,                         // ret
        ];                                // done:
        var expected = Interpret(code, NoRegs, 0, new byte[16]);
        using var m = new JitMachine(wasm: true);
        var actual = m.Run(code, NoRegs, 0, new byte[16]);
        Assert.Equal(1000u, expected.Regs[3]);
        Assert.Equal(expected.Regs, actual.Regs);
        Assert.Equal(expected.Eflags, actual.Eflags);
        Assert.Equal(JitMachine.StackTop, actual.Regs[4]);
        var st = m.Backend!.Stats;
        Assert.True(st.WasmInstructions > 4000, $"{st.WasmInstructions} instructions in wasm");
        // The RET finds its return address's block inside the module: no exit per call.
        Assert.True(st.Entries + st.ChainedEntries < 50, $"{st.Entries} entries and {st.ChainedEntries} chained for 1000 calls: returns leave the module");
    }

    [Fact]
    public void ByteAndWordAccesses_AtAPagesLastBytes_StayInWasm_ACrossingOneMatchesTheInterpreter()
    {
        byte[] code =
        [
            0xB9, 0xD0, 0x07, 0x00, 0x00,             // mov ecx, 2000
            0x0F, 0xB6, 0x86, 0xFF, 0x0F, 0x00, 0x00, // L: movzx eax, byte [esi+0xFFF]
            0x88, 0x9E, 0xFE, 0x0F, 0x00, 0x00,       // mov [esi+0xFFE], bl
            0x80, 0x86, 0xFD, 0x0F, 0x00, 0x00, 0x07, // add byte [esi+0xFFD], 7
            0x02, 0x9E, 0xFF, 0x0F, 0x00, 0x00,       // add bl, [esi+0xFFF]
            0x66, 0x01, 0x86, 0xFE, 0x0F, 0x00, 0x00, // add [esi+0xFFE], ax (the page's last word)
            0x01, 0xC7,                               // add edi, eax
            0x49,                                     // dec ecx
            0x75, 0xDA,                               // jnz L
            0x0F, 0xB7, 0x96, 0xFF, 0x0F, 0x00, 0x00, // movzx edx, word [esi+0xFFF] (crosses the page: the interpreter's)
        ];
        var regs = new uint[8];
        regs[3] = 0x11; regs[6] = JitMachine.DataAddr; regs[4] = JitMachine.StackTop;
        var data = new byte[0x1010];
        new Random(7).NextBytes(data);
        var expected = Interpret(code, regs, 0, data);
        using var m = new JitMachine(wasm: true);
        var actual = m.Run(code, regs, 0, data);
        Assert.Equal(expected.Regs, actual.Regs);
        Assert.Equal(expected.Eflags, actual.Eflags);
        Assert.Equal(expected.Data, actual.Data);
        // The byte and in-page word accesses at 0xFFD-0xFFF stay in wasm (a 4-byte check sent each iteration out).
        long misses = m.Backend!.ExitCauses[(int)ExitCause.TlbMiss];
        Assert.True(misses < 20, $"{misses} TLB-miss exits in 2000 iterations");
        Assert.True(m.Backend.Stats.WasmInstructions > 10_000, $"{m.Backend.Stats.WasmInstructions} instructions in wasm");
    }

    [Fact]
    public void RepStosAndMovs_AcrossPages_Overlapping_MatchTheInterpreter()
    {
        uint d = JitMachine.DataAddr;
        byte[] U(uint v) => BitConverter.GetBytes(v);
        byte[] code =
        [
            0xBB, .. U(20),                                   // mov ebx, 20
            0xBF, .. U(d + 0xF00), 0xB9, .. U(3000), 0xB0, 0x5A, 0xF3, 0xAA, // L: rep stosb into the next page
            0xBE, .. U(d + 0x10), 0xBF, .. U(d + 0x1FFE), 0xB9, .. U(700), 0xF3, 0xA5, // rep movsd, an element across a page
            0xBE, .. U(d + 0x2000), 0xBF, .. U(d + 0x2001), 0xB9, .. U(200), 0xF3, 0xA4, // overlapping rep movsb repeats a byte
            0xBF, .. U(d + 0x2400), 0xAB,                     // stosd alone
            0x01, 0xD8,                                       // add eax, ebx
            0x4B, 0x75, 0xC5,                                 // dec ebx; jnz L
        ];
        var data = new byte[0x3000];
        new Random(7).NextBytes(data);
        var expected = Interpret(code, NoRegs, 0, data);
        using var m = new JitMachine(wasm: true);
        var actual = m.Run(code, NoRegs, 0, data);
        Assert.Equal(expected.Regs, actual.Regs);
        Assert.Equal(expected.Eflags, actual.Eflags);
        Assert.True(expected.Data.AsSpan().SequenceEqual(actual.Data), "memory differs");
        Assert.Equal(0x5A5A5A5Au, BitConverter.ToUInt32(actual.Data, 0x1000));
        Assert.True(m.Backend!.Stats.WasmInstructions > 100, $"{m.Backend.Stats.WasmInstructions} instructions in wasm");
    }

    [Fact]
    public void IndirectCallAndJump_ThroughRegisterAndMemory_MatchTheInterpreter()
    {
        uint f = JitMachine.CodeAddr + 0x20;
        byte[] fAddr = BitConverter.GetBytes(f);
        byte[] code =
        [
            0xB9, 0xE8, 0x03, 0x00, 0x00,         // mov ecx, 1000
            0xBF, .. fAddr,                       // mov edi, f
            0x89, 0x3E,                           // mov [esi], edi
            0xFF, 0xD7,                           // L: call edi
            0xFF, 0x16,                           // call [esi]
            0x49,                                 // dec ecx
            0x75, 0xF9,                           // jnz L
            0xBA, .. BitConverter.GetBytes(JitMachine.CodeAddr + 0x2A), // mov edx, done
            0xFF, 0xE2,                           // jmp edx
            0x90, 0x90, 0x90, 0x90, 0x90, 0x90,   // (padding to f)
            0x01, 0xC8,                           // f: add eax, ecx
            0xC1, 0xC0, 0x05,                     // rol eax, 5
            0x43,                                 // inc ebx
            0xC3,                                 // ret
            0x90, 0x90, 0x90,
        ];                                        // done (0x2A): end of the program's bytes
        Assert.Equal(0x2A, code.Length);
        uint[] regs = new uint[8];
        regs[4] = JitMachine.StackTop;
        regs[6] = JitMachine.DataAddr;
        var expected = Interpret(code, regs, 0, new byte[16]);
        using var m = new JitMachine(wasm: true);
        var actual = m.Run(code, regs, 0, new byte[16]);
        Assert.Equal(2000u, expected.Regs[3]);
        Assert.Equal(expected.Regs, actual.Regs);
        Assert.Equal(expected.Eflags, actual.Eflags);
        Assert.Equal(expected.Eip, actual.Eip);
        // The transfers ran in wasm (no exit to the interpreter for them), once the blocks were hot.
        Assert.True(m.Backend!.Stats.WasmInstructions > 2000, $"{m.Backend.Stats.WasmInstructions} instructions in wasm");
        Assert.Equal(0, m.Backend.ExitCauses[0xFF]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CallAcrossPages_ChainsModulesWithoutTheRunLoop_MatchesTheInterpreter(bool wasmDispatcher)
    {
        var code = new byte[0x1006];
        Array.Fill(code, (byte)0x90);
        byte[] head =
        [
            0xB9, 0xE8, 0x03, 0x00, 0x00,                        // mov ecx, 1000
            0xE8, .. BitConverter.GetBytes(0x1000 - 10),          // L: call f (next page)
            0x49,                                                 // dec ecx
            0x75, 0xF8,                                           // jnz L
            0xE9, .. BitConverter.GetBytes(0x1006 - 18),          // jmp done
        ];
        head.CopyTo(code, 0);
        byte[] f = [0x01, 0xC8, 0xC1, 0xC0, 0x03, 0xC3];        // f: add eax, ecx; rol eax, 3; ret
        f.CopyTo(code, 0x1000);
        var expected = Interpret(code, NoRegs, 0, new byte[16]);
        using var m = new JitMachine(wasm: true, dispatcher: wasmDispatcher);
        var actual = m.Run(code, NoRegs, 0, new byte[16]);
        Assert.Equal(expected.Regs, actual.Regs);
        Assert.Equal(expected.Eflags, actual.Eflags);
        var st = m.Backend!.Stats;
        // Once both pages are compiled, each CALL and RET goes from one module to the other directly.
        Assert.True(st.ChainedEntries > 500, $"{st.ChainedEntries} chained entries");
        Assert.True(st.Entries < 600, $"{st.Entries} entries from the run loop for 2000 page changes");
    }

    [Fact]
    public void LoopStartingWithAnInstructionCrossingThePageEnd_MatchesTheInterpreter()
    {
        var code = new byte[0x100C];
        byte[] head = [0xB9, 0xE8, 0x03, 0x00, 0x00, 0xE9, .. BitConverter.GetBytes(0xFFD - 10)]; // mov ecx,1000; jmp L
        head.CopyTo(code, 0);
        byte[] loop =
        [
            0xBA, 0x78, 0x56, 0x34, 0x12,                         // L: mov edx, 0x12345678 (0xFFD-0x1001: crosses the page end)
            0x01, 0xD0, 0x01, 0xC8, 0xC1, 0xC0, 0x03,             // add eax, edx; add eax, ecx; rol eax, 3
            0x49, 0x75, 0xF1,                                     // dec ecx; jnz L
        ];
        loop.CopyTo(code, 0xFFD);
        var expected = Interpret(code, NoRegs, 0, new byte[16]);
        using var m = new JitMachine(wasm: true);
        var actual = m.Run(code, NoRegs, 0, new byte[16]);
        Assert.Equal(expected.Regs, actual.Regs);
        Assert.Equal(expected.Eflags, actual.Eflags);
        Assert.Equal(expected.Eip, actual.Eip);
        // No page module holds the crossing MOV: the loop runs on the interpreter's blocks, not
        // entered into wasm only to be interpreted there once per iteration.
        Assert.True(m.Backend!.Stats.InterpretedEntries < 50, $"{m.Backend.Stats.InterpretedEntries} entries interpreted through Enter");
    }

    [Fact]
    public void LoopLongerThanABlock_ContinuesInsideWasm_NoExitAtTheLengthLimit()
    {
        // mov ecx,2000; L: 150 x (add eax,ecx; rol eax,1); dec ecx; jnz L: blocks stop at 64 instructions.
        var body = new List<byte>();
        for (int k = 0; k < 150; k++) body.AddRange([0x01, 0xC8, 0xD1, 0xC0]);
        int back = -(body.Count + 3);
        byte[] code = [0xB9, 0xD0, 0x07, 0x00, 0x00, .. body, 0x49, 0x0F, 0x85, .. BitConverter.GetBytes(back - 4)];
        var expected = Interpret(code, NoRegs, 0, new byte[16]);
        using var m = new JitMachine(wasm: true);
        var actual = m.Run(code, NoRegs, 0, new byte[16]);
        Assert.Equal(expected.Regs, actual.Regs);
        Assert.Equal(expected.Eflags, actual.Eflags);
        Assert.Equal(0, m.Backend!.ExitCauses[(int)ExitCause.BlockLimit]);
        Assert.True(m.Backend.Stats.WasmInstructions > 300_000, $"{m.Backend.Stats.WasmInstructions} instructions in wasm");
    }

    [Fact]
    public void StoreIntoCompiledCode_DiscardsThePageModule_AndRunsTheNewCode()
    {
        uint l1 = JitMachine.CodeAddr + 5;
        byte[] imm1 = BitConverter.GetBytes(l1 + 1);
        byte[] code =
        [
            0xB9, 0xE8, 0x03, 0x00, 0x00,             // mov ecx, 1000
            0xB8, 0x11, 0x11, 0x11, 0x11,             // L1: mov eax, 0x11111111
            0x01, 0xC3,                               // add ebx, eax
            0x49,                                     // dec ecx
            0x75, 0xF6,                               // jnz L1
            0x85, 0xFF,                               // test edi, edi
            0x75, 0x12,                               // jnz done
            0x47,                                     // inc edi
            0xC7, 0x05, .. imm1, 0x22, 0x22, 0x22, 0x22, // mov dword [L1+1], 0x22222222
            0xB9, 0xE8, 0x03, 0x00, 0x00,             // mov ecx, 1000
            0xEB, 0xE0,                               // jmp L1
        ];                                            // done:
        var expected = Interpret(code, NoRegs, 0, new byte[16]);
        using var m = new JitMachine(wasm: true);
        var actual = m.Run(code, NoRegs, 0, new byte[16]);
        Assert.Equal(unchecked(1000u * 0x11111111u + 1000u * 0x22222222u), expected.Regs[3]);
        Assert.Equal(expected.Regs, actual.Regs);
        Assert.True(m.Backend!.Stats.ModulesDiscarded >= 1, "the write to the compiled page discarded nothing");
        Assert.True(m.Backend.Stats.ModulesBuilt >= 2, "the new code was not compiled again");
    }

    [Fact]
    public void LoadOutsideRam_TakesTheSlowPath_AndReadsAllOnes()
    {
        // mov ecx,50; L: mov eax,[0xF0000000]; add edx,eax; dec ecx; jnz L
        byte[] code = [0xB9, 0x32, 0, 0, 0, 0x8B, 0x05, 0, 0, 0, 0xF0, 0x01, 0xC2, 0x49, 0x75, 0xF5];
        var expected = Interpret(code, NoRegs, 0, new byte[16]);
        using var m = new JitMachine(wasm: true);
        var actual = m.Run(code, NoRegs, 0, new byte[16]);
        Assert.Equal(0xFFFFFFFFu, actual.Regs[0]);
        Assert.Equal(expected.Regs, actual.Regs);
        Assert.True(m.Backend!.Stats.InterpretExits > 0);
    }

    [Fact]
    public void PageFaultInCompiledLoop_StopsAtTheFaultingInstruction_WithExactState()
    {
        // Paging with 4 MiB pages: 0-12 MiB mapped (user, writable), 12-16 MiB not present.
        // mov ecx,100; L: mov edx,[ebx]; add ebx,0x400; add eax,edx; dec ecx; jnz L
        byte[] code = [0xB9, 0x64, 0, 0, 0, 0x8B, 0x13, 0x81, 0xC3, 0x00, 0x04, 0x00, 0x00, 0x01, 0xD0, 0x49, 0x75, 0xF3];
        uint[] regs = [0, 0, 0, 0x00BFC000, JitMachine.StackTop, 0, JitMachine.DataAddr, 0];
        (int, uint[], uint, byte[], uint, uint) RunPaged(bool wasm)
        {
            using var m = new JitMachine(wasm);
            const uint dir = 0x00100000;
            for (uint i = 0; i < 3; i++) m.Memory.Write32(dir + 4 * i, (i << 22) | 0x87);
            m.Cpu.S.Cr4 = 0x10;
            m.Cpu.S.Cr3 = dir;
            var r = m.RunPaged(code, regs);
            if (wasm) Assert.True(m.Backend!.Stats.WasmInstructions > 0, $"the loop never ran in wasm: vector {r.Vector} eip {r.Eip:X} ebx {r.Regs[3]:X} built {m.Backend.Stats.ModulesBuilt} compiled {m.Cpu.JitCounters.BlocksCompiled} failed {m.Cpu.JitCounters.CompileFailures}");
            return (r.Vector, r.Regs, r.Eflags, r.Data, r.Eip, m.Cpu.S.Cr2);
        }
        var expected = RunPaged(false);
        var actual = RunPaged(true);
        Assert.Equal(14, expected.Item1);
        Assert.Equal(expected.Item1, actual.Item1);
        Assert.Equal(expected.Item2, actual.Item2);
        Assert.Equal(expected.Item3, actual.Item3);
        Assert.Equal(expected.Item5, actual.Item5);
        Assert.Equal(0x00C00000u, actual.Item6);
    }
}
