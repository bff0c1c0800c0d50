namespace Vm.Engine.Snapshots;

/// <summary>
/// A part of the machine that saves its own state into one section of a snapshot. A new device
/// implements this (usually in a <c>Device.Snapshot.cs</c> partial file next to it) and is listed
/// in <see cref="Machine"/>'s snapshot parts; nothing else in the format changes.
/// </summary>
public interface ISnapshotState
{
    /// <summary>The section's stable name in the file ("pic", "pit", "virtio-blk0"...).</summary>
    string SnapshotSection { get; }

    /// <summary>The layout version of this section; bump it when the saved fields change.</summary>
    int SnapshotVersion { get; }

    void SaveState(BinaryWriter w);

    /// <summary>Restores from a section written with layout <paramref name="version"/>.</summary>
    void RestoreState(BinaryReader r, int version);
}
