using System.Buffers.Binary;
using System.Text;
using Vm.Engine.Cpu;
using Vm.Engine.Cpu.State;
using Vm.Engine.Devices.Display;
using Vm.Engine.Memory;

namespace Vm.Engine.Boot;

/// <summary>A kernel or initrd the boot protocol cannot use.</summary>
public sealed class BootImageException(string message) : Exception(message);

/// <summary>
/// The Linux x86 32-bit boot protocol (Documentation/arch/x86/boot.rst): bzImage setup header,
/// zero page with an e820 map, command line, initrd high in RAM, entry in flat protected mode
/// at code32_start with ESI = boot_params. No BIOS.
/// </summary>
public static class LinuxBoot
{
    public const uint ZeroPage = 0x7000;
    public const uint CmdLine = 0x20000;
    public const uint GdtAddr = 0x6000;
    public const uint KernelAddr = 0x100000;

    public sealed record Info(ushort Protocol, uint KernelSize, uint InitrdAddr, uint InitrdSize);

    /// <param name="framebuffer">A linear framebuffer to announce in screen_info; it sits above the
    /// usable RAM, which then ends at its base (the e820 map leaves it out).</param>
    public static Info Load(PhysicalMemory mem, X86Cpu cpu, byte[] kernel, byte[]? initrd, string cmdline, Framebuffer? framebuffer = null)
    {
        uint ramTop = framebuffer?.Base ?? mem.Size;
        if (kernel.Length < 0x1000)
            throw new BootImageException($"Kernel image is too small ({kernel.Length} bytes) to be a bzImage.");
        if (kernel[0x1FE] != 0x55 || kernel[0x1FF] != 0xAA)
            throw new BootImageException("Kernel image has no boot sector signature (0x55AA at 0x1FE): not a bzImage.");
        if (BinaryPrimitives.ReadUInt32LittleEndian(kernel.AsSpan(0x202)) != 0x53726448) // "HdrS"
            throw new BootImageException("Kernel image has no \"HdrS\" setup header: not a Linux bzImage.");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(kernel.AsSpan(0x206));
        if (version < 0x0206)
            throw new BootImageException($"Boot protocol {version >> 8}.{version & 0xFF} is too old; 2.06 or newer is required.");
        byte loadflags = kernel[0x211];
        if ((loadflags & 1) == 0)
            throw new BootImageException("Kernel is not a bzImage (LOADED_HIGH not set); zImage is not supported.");
        int setupSects = kernel[0x1F1] == 0 ? 4 : kernel[0x1F1];
        int pmOffset = (setupSects + 1) * 512;
        if (pmOffset >= kernel.Length)
            throw new BootImageException("Kernel image is truncated: no protected-mode code after the setup sectors.");
        uint pmSize = (uint)(kernel.Length - pmOffset);
        uint initSize = version >= 0x020A ? BinaryPrimitives.ReadUInt32LittleEndian(kernel.AsSpan(0x260)) : pmSize * 4;
        uint initrdMax = BinaryPrimitives.ReadUInt32LittleEndian(kernel.AsSpan(0x22C));
        uint cmdlineMax = version >= 0x0206 ? BinaryPrimitives.ReadUInt32LittleEndian(kernel.AsSpan(0x238)) : 255;
        uint prefAddress = version >= 0x020A ? (uint)BinaryPrimitives.ReadUInt64LittleEndian(kernel.AsSpan(0x258)) : KernelAddr;
        uint kernelEnd = Math.Max(KernelAddr + pmSize, Math.Max(KernelAddr, prefAddress) + initSize);
        if (kernelEnd + (1u << 20) > ramTop)
            throw new BootImageException($"{ramTop >> 20} MiB of RAM is too small for this kernel (needs about {(kernelEnd >> 20) + 2} MiB).");
        byte[] cmd = Encoding.ASCII.GetBytes(cmdline);
        if (cmd.Length > cmdlineMax)
            throw new BootImageException($"Command line is {cmd.Length} bytes; the kernel accepts at most {cmdlineMax}.");

        mem.Span(0, 0x100000).Clear();
        mem.Load(KernelAddr, kernel.AsSpan(pmOffset));

        // Zero page: the setup header as the kernel file has it, then the loader's fields.
        var zp = mem.Span(ZeroPage, 4096);
        zp.Clear();
        int hdrEnd = 0x202 + kernel[0x201];
        kernel.AsSpan(0x1F1, hdrEnd - 0x1F1).CopyTo(zp[0x1F1..]);
        zp[0x210] = 0xFF; // type_of_loader: undefined loader
        zp[0x211] = (byte)(loadflags & ~0x20); // not quiet; keep LOADED_HIGH, no heap (no real-mode setup runs)
        BinaryPrimitives.WriteUInt16LittleEndian(zp[0x1FA..], 0xFFFF); // vid_mode: normal
        BinaryPrimitives.WriteUInt32LittleEndian(zp[0x228..], CmdLine);
        mem.Span(CmdLine, cmd.Length + 1).Clear();
        mem.Load(CmdLine, cmd);
        uint extKb = (ramTop >> 10) - 1024;
        BinaryPrimitives.WriteUInt16LittleEndian(zp[0x002..], (ushort)Math.Min(extKb, 0xFFFF));
        BinaryPrimitives.WriteUInt32LittleEndian(zp[0x1E0..], extKb);
        if (framebuffer != null) ScreenInfo.Write(zp, framebuffer.Mode, framebuffer.Base);

        uint initrdAddr = 0, initrdSize = 0;
        if (initrd != null)
        {
            ValidateInitrd(initrd);
            initrdSize = (uint)initrd.Length;
            // Highest place below the RAM top, initrd_addr_max and the kernel's direct map (896 MiB).
            ulong top = Math.Min(Math.Min((ulong)ramTop, (ulong)initrdMax + 1), 0x37C00000UL);
            if (initrdSize > top)
                throw new BootImageException($"Initrd of {initrdSize} bytes does not fit in RAM.");
            initrdAddr = (uint)((top - initrdSize) & ~0xFFFUL);
            if (initrdAddr < kernelEnd)
                throw new BootImageException($"{ramTop >> 20} MiB of RAM is too small for the kernel plus a {initrdSize >> 20} MiB initrd.");
            mem.Load(initrdAddr, initrd);
            BinaryPrimitives.WriteUInt32LittleEndian(zp[0x218..], initrdAddr);
            BinaryPrimitives.WriteUInt32LittleEndian(zp[0x21C..], initrdSize);
        }

        // e820: low RAM, the reserved EBDA/ROM hole, then everything above 1 MiB.
        var e820 = new (ulong Addr, ulong Size, uint Type)[]
        {
            (0, 0x9FC00, 1),
            (0x9FC00, 0x400, 2),
            (0xF0000, 0x10000, 2),
            (0x100000, ramTop - 0x100000u, 1),
        };
        zp[0x1E8] = (byte)e820.Length;
        for (int k = 0; k < e820.Length; k++)
        {
            var e = zp.Slice(0x2D0 + 20 * k, 20);
            BinaryPrimitives.WriteUInt64LittleEndian(e, e820[k].Addr);
            BinaryPrimitives.WriteUInt64LittleEndian(e[8..], e820[k].Size);
            BinaryPrimitives.WriteUInt32LittleEndian(e[16..], e820[k].Type);
        }

        // A flat GDT: 0x10 code, 0x18 data (the boot protocol's selectors).
        var gdt = mem.Span(GdtAddr, 32);
        BinaryPrimitives.WriteUInt64LittleEndian(gdt[0x10..], 0x00CF9A000000FFFFUL);
        BinaryPrimitives.WriteUInt64LittleEndian(gdt[0x18..], 0x00CF92000000FFFFUL);

        cpu.Reset();
        cpu.FlushCodeCache();
        ref var s = ref cpu.S;
        s.GdtBase = GdtAddr; s.GdtLimit = 0x1F;
        s.IdtBase = 0; s.IdtLimit = 0;
        s.Cr0 = 0x11;
        cpu.LoadSegFromDescriptor(Reg.Cs, 0x10, 0x0000FFFF, 0x00CF9A00);
        foreach (int seg in new[] { Reg.Ds, Reg.Es, Reg.Ss, Reg.Fs, Reg.Gs })
            cpu.LoadSegFromDescriptor(seg, 0x18, 0x0000FFFF, 0x00CF9200);
        s.Eip = BinaryPrimitives.ReadUInt32LittleEndian(kernel.AsSpan(0x214)); // code32_start
        if (s.Eip != KernelAddr) s.Eip = KernelAddr;
        s.R[Reg.Esi] = ZeroPage;
        s.R[Reg.Esp] = 0x9F000; // not required by the protocol; harmless
        s.Eflags = 2;
        cpu.FlushTlb();
        return new Info(version, pmSize, initrdAddr, initrdSize);
    }

    private static void ValidateInitrd(byte[] initrd)
    {
        if (initrd.Length < 16)
            throw new BootImageException($"Initrd is too small ({initrd.Length} bytes).");
        ReadOnlySpan<byte> h = initrd;
        bool known =
            (h[0] == 0x1F && h[1] == 0x8B) ||                                   // gzip
            (h[0] == 0xFD && h[1] == 0x37 && h[2] == 0x7A && h[3] == 0x58) ||   // xz
            (h[0] == 0x28 && h[1] == 0xB5 && h[2] == 0x2F && h[3] == 0xFD) ||   // zstd
            (h[0] == 0x42 && h[1] == 0x5A && h[2] == 0x68) ||                   // bzip2
            (h[0] == 0x5D && h[1] == 0x00) ||                                   // lzma
            (h[0] == 0x02 && h[1] == 0x21 && h[2] == 0x4C && h[3] == 0x18) ||   // lz4
            h[..6].SequenceEqual("070701"u8) || h[..6].SequenceEqual("070702"u8); // cpio newc/crc
        if (!known)
            throw new BootImageException("Initrd is neither a cpio archive nor a compressed one (gzip, xz, zstd, bzip2, lzma, lz4).");
    }
}
