namespace Vm.Engine.Devices.Pci;

/// <summary>
/// Device 00:00.0, an i440FX host bridge as QEMU's pc machine has. Its only job is to be found:
/// Linux's type-1 probe (arch/x86/pci/direct.c, pci_sanity_check) accepts the mechanism only if
/// bus 0 holds a host bridge, a VGA device or an Intel/Compaq function.
/// </summary>
public sealed class HostBridge() : PciFunction(vendor: 0x8086, device: 0x1237, classCode: 0x060000, revision: 2);
