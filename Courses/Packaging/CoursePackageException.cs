namespace CoursePackages.Packaging;

/// <summary>A package that cannot be read; the message names the file and what is wrong with it.</summary>
public sealed class CoursePackageException(string message, Exception? inner = null) : Exception(message, inner);
