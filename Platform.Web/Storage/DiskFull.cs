namespace Platform.Web.Storage;

public static class DiskFull
{
    private const int LinuxNoSpace = 28;                     // ENOSPC
    private const int WindowsDiskFull = unchecked((int)0x80070070);
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);

    /// <summary>The storage is out of space (on Unix .NET carries the errno in HResult).</summary>
    public static bool Is(IOException e) => e.HResult is LinuxNoSpace or WindowsDiskFull or WindowsHandleDiskFull;
}
