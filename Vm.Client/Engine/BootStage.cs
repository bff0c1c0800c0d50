namespace Vm.Client.Engine;

/// <summary>Where a lab machine is on its way to the prompt, as the page shows it.</summary>
public enum BootStage { Download, Kernel, Userland, Ready, Stopped, Failed }
