using System.Diagnostics;

namespace BigGan.Training.Tests.Support;

internal static class ProcessRunner
{
    public static (int code, string stdout, string stderr) Run(string exe, IEnumerable<string> args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {exe}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{exe} {string.Join(' ', psi.ArgumentList)} did not finish within {timeout}");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}

internal static class RepoPaths
{
    /// <summary>The repository root: the first folder above the test binaries that holds BigGan.sln.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "BigGan.sln"))) return d.FullName;
        throw new InvalidOperationException($"cannot find the repository root (BigGan.sln) above {AppContext.BaseDirectory}");
    }
}
