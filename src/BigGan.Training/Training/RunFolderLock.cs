using System.Globalization;

namespace BigGan.Training.Training;

/// <summary>
/// One trainer per run folder: an exclusive operating-system lock on <c>train.lock</c> in the folder, held while
/// training. The system releases it when the process ends in any way (kill -9 included), so a crash never leaves a
/// stale lock behind. A second trainer fails at once naming the holder's process id, which the holder writes into
/// <c>train.pid</c> (a separate file, since on Unix .NET readers honour the lock and could not read the locked one).
/// Sampling from and evaluating a run that is being trained take no lock and stay allowed.
/// </summary>
public sealed class RunFolderLock : IDisposable
{
    public const string FileName = "train.lock";
    public const string OwnerFileName = "train.pid";

    private readonly FileStream _stream;

    private RunFolderLock(FileStream stream, string path)
    {
        _stream = stream;
        Path = path;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>Creates the run folder if needed and takes its lock.</summary>
    /// <exception cref="InvalidOperationException">another process holds the lock (the message names its process id).</exception>
    public static RunFolderLock Acquire(string runDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(runDir);
        Directory.CreateDirectory(runDir);
        var path = System.IO.Path.Combine(runDir, FileName);
        var owner = System.IO.Path.Combine(runDir, OwnerFileName);
        FileStream stream;
        try
        {
            // FileShare.None: LOCK_EX through flock on Unix, a sharing lock on Windows; both die with the process.
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(path))
        {
            throw new InvalidOperationException(
                $"{System.IO.Path.GetFullPath(runDir)} is being trained by another process ({DescribeHolder(owner)}; lock file {path}): " +
                "one trainer per run folder. Wait for it to finish or stop it (Ctrl-C saves a checkpoint), or train into another folder; " +
                "sampling and evaluating this run stay possible meanwhile");
        }
        try
        {
            var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            stream.SetLength(0);
            var bytes = System.Text.Encoding.ASCII.GetBytes(pid + "\n");
            stream.Write(bytes);
            stream.Flush();
            File.WriteAllText(owner, $"{pid} {Environment.MachineName} {DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture)}\n");
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        SweepStaleTempFiles(runDir);
        return new RunFolderLock(stream, path);
    }

    // AtomicFile's temporary names: "." + the file's name + "." + 32 hex digits + ".tmp".
    private static readonly System.Text.RegularExpressions.Regex TempFilePattern =
        new(@"^\..+\.[0-9a-f]{32}\.tmp$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// Deletes what a process killed in the middle of an atomic write left behind in the run folder and its sample
    /// folder (a hidden ".sheet_step0000100.png.&lt;guid&gt;.tmp", ".config.json.&lt;guid&gt;.tmp"). Only files of
    /// that naming pattern are touched, and only under the lock, when no trainer of this folder can be writing one.
    /// </summary>
    private static void SweepStaleTempFiles(string runDir)
    {
        foreach (var dir in new[] { runDir, System.IO.Path.Combine(runDir, "samples") })
        {
            if (!Directory.Exists(dir)) continue;
            foreach (var file in Directory.EnumerateFiles(dir))
            {
                if (!TempFilePattern.IsMatch(System.IO.Path.GetFileName(file))) continue;
                try { File.Delete(file); }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
        }
    }

    private static string DescribeHolder(string ownerFile)
    {
        try
        {
            var parts = File.ReadAllText(ownerFile).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length >= 1 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                return parts.Length >= 3 ? $"pid {pid} on {parts[1]}, since {parts[2]}" : $"pid {pid}";
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return "pid not recorded yet";
    }

    /// <summary>Releases the lock (the files stay; the next trainer overwrites them).</summary>
    public void Dispose() => _stream.Dispose();
}
