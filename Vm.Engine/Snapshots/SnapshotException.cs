namespace Vm.Engine.Snapshots;

/// <summary>A snapshot that cannot be restored: wrong format or version, corrupt, or made for another machine.</summary>
public sealed class SnapshotException(string message) : Exception(message);
