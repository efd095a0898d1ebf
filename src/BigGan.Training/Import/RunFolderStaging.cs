namespace BigGan.Training.Import;

/// <summary>
/// Writes a new run folder completely into a hidden folder beside it and then renames it into place, so an import that
/// fails leaves nothing behind and a run folder, once it exists, is whole.
/// </summary>
internal static class RunFolderStaging
{
    /// <summary>Checks that <paramref name="runDir"/> can be created (missing, or an empty folder); returns its full path.</summary>
    public static string CheckTarget(string runDir)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDir);
        var target = Path.GetFullPath(runDir);
        if (File.Exists(target)) throw new IOException($"--out {runDir} is a file; expected a new run folder");
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new IOException($"--out {runDir} already exists and is not empty; choose a new run folder");
        return target;
    }

    /// <summary>Runs <paramref name="write"/> on a fresh staging folder, then renames it to <paramref name="target"/>
    /// (from <see cref="CheckTarget"/>; missing parent folders are created). On failure the staging folder is removed.</summary>
    public static void Write(string target, Action<string> write)
    {
        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.import-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            write(staging);
            if (Directory.Exists(target)) Directory.Delete(target);   // empty, checked by CheckTarget
            Directory.Move(staging, target);
        }
        catch
        {
            try { Directory.Delete(staging, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
